package model

import "time"

// Environment is where a project's deployments go: a name, a tier, an external URL and a
// state.
type Environment struct {
	ID        int64
	ProjectID int64
	Name      string
	Slug      string
	// Tier is production, staging, testing, development or other.
	Tier string
	// ExternalURL is "" when unset.
	ExternalURL string
	Description string
	// State is available or stopped.
	State     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Deployment is a deployment of a project's commit to one of its environments, with its
// deployer (the ghost when the user was deleted).
type Deployment struct {
	ID        int64
	IID       int64
	ProjectID int64
	// EnvironmentID and Environment are where it deploys to.
	EnvironmentID int64
	Environment   Environment
	Ref           string
	SHA           string
	Tag           bool
	// Status is created, queued, running, success, failed or canceled.
	Status string
	UserID int64
	User   User
	// Variables are handed to the deploy command as environment variables.
	Variables map[string]string
	// Runner says the server's deploy command runs the deployment and moves its status.
	Runner    bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// QueuedAt, StartedAt and FinishedAt are when it entered queued, running and a final
	// state; nil until it did.
	QueuedAt, StartedAt, FinishedAt *time.Time
}

// Release is a release of a project: a tag (or none, as GitClear records them), a name, a
// description, the release commit and when it was released. Author is the ghost when the
// author was deleted, ID 0 when there was none.
type Release struct {
	ID        int64
	ProjectID int64
	// TagName is "" for a release recorded without a tag.
	TagName     string
	Name        string
	Description string
	// SHA is the release commit, "" for a release recorded by its time alone.
	SHA        string
	ReleasedAt time.Time
	AuthorID   int64
	Author     User
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ShippedCommit is a commit a deployment or a release shipped, with its times.
type ShippedCommit struct {
	SHA         string
	AuthoredAt  time.Time
	CommittedAt time.Time
}

// Defect is a critical defect, as GitClear records them. Exactly one of NamespaceID and
// ProjectID is set: the owner it was recorded at. ResolvedAt is the latest fix's time, nil
// while there is none.
type Defect struct {
	ID          int64
	NamespaceID int64
	ProjectID   int64
	// Key is the caller's name for the defect, unique within its owner.
	Key         string
	Description string
	// Severity is nil when never given.
	Severity   *int64
	DetectedAt time.Time
	ResolvedAt *time.Time
	AuthorID   int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// DefectFix is a fix of a defect released in a project. SHA is "" when the fix named only a
// time.
type DefectFix struct {
	ID         int64
	DefectID   int64
	ProjectID  int64
	SHA        string
	ReleasedAt time.Time
	AuthorID   int64
	CreatedAt  time.Time
}
