package model

import "time"

// Namespace is a user's personal namespace or a group.
type Namespace struct {
	ID          int64
	Kind        string
	Name        string
	Path        string
	FullPath    string
	FullName    string
	ParentID    int64
	OwnerID     int64
	Visibility  string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Avatar is the file name of a group's avatar, "" when it has none.
	Avatar string
}

// Project is a project with its namespace.
type Project struct {
	ID             int64
	NamespaceID    int64
	Name           string
	Path           string
	Description    string
	Visibility     string
	DefaultBranch  string
	CreatorID      int64
	Archived       bool
	EmptyRepo      bool
	Topics         []string
	MergeMethod    string
	SquashOption   string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	LastActivityAt time.Time
	Namespace      Namespace
	// OpenIssues and OpenConfidentialIssues count the project's open issues (issue_counts).
	OpenIssues             int
	OpenConfidentialIssues int
	// ForkedFromID is the project this one is a fork of, 0 for none.
	ForkedFromID int64
	ForksCount   int
	StarCount    int
	// Avatar is the file name of the project's avatar, "" when it has none.
	Avatar string
}

// FullPath is "namespace/path".
func (p Project) FullPath() string { return p.Namespace.FullPath + "/" + p.Path }

// FullName is "Namespace / Name".
func (p Project) FullName() string { return p.Namespace.FullName + " / " + p.Name }

// Member is a user's membership of a group (SourceKind "group") or a project ("project").
type Member struct {
	SourceKind  string
	SourceID    int64
	User        User
	AccessLevel int
	ExpiresAt   *time.Time
	CreatedBy   int64
	CreatedAt   time.Time
}

// ProtectedBranch is a protection rule on the branches of a project matching its name,
// which may hold '*' wildcards ("release-*").
type ProtectedBranch struct {
	ID                   int64
	ProjectID            int64
	Name                 string
	PushAccessLevel      int
	MergeAccessLevel     int
	UnprotectAccessLevel int
	AllowForcePush       bool
	CreatedAt            time.Time
}
