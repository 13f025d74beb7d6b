package model

import "time"

// User is an account: a person who signs in, or the ghost that stands for deleted ones.
// NamespaceID is the user's personal namespace. The password hash is not here: it never
// leaves forge.
type User struct {
	ID             int64
	Username       string
	Email          string
	Name           string
	IsAdmin        bool
	State          string
	Bio            string
	External       bool
	CanCreateGroup bool
	ProjectsLimit  int
	Plan           string
	RatePerMinute  int
	RateBurst      int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastSignInAt   *time.Time
	LastActivityAt *time.Time
	// FailedAttempts counts the failed passwords since the last sign-in or unlock.
	FailedAttempts int
	// LockedAt is when the account was locked for failed passwords; nil when it is not.
	LockedAt    *time.Time
	NamespaceID int64
	// Avatar is the file name of the user's avatar, "" when they have none.
	Avatar string
}

// Token is a personal or impersonation access token. Only the SHA-256 of its secret is
// stored, and that digest is not here: a token is found by it, never read back with it.
type Token struct {
	ID            int64
	UserID        int64
	Name          string
	Description   string
	Scopes        []string
	Impersonation bool
	CreatedAt     time.Time
	ExpiresAt     *time.Time
	LastUsedAt    *time.Time
	RevokedAt     *time.Time
	RotatedFrom   int64
}
