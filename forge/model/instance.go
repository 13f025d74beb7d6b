package model

import "time"

// BroadcastMessage is a message administrators show every user, as a banner on the pages (or
// a notification) between StartsAt and EndsAt.
type BroadcastMessage struct {
	ID                 int64
	Message            string
	StartsAt, EndsAt   time.Time
	Color, Font        string
	TargetAccessLevels []int
	TargetPath         string
	BroadcastType      string
	Dismissable        bool
	Theme              string
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// Statistics are the instance's counts of what it holds.
type Statistics struct {
	Forks, Issues, MergeRequests, Notes, SSHKeys, Users, Groups, Projects, ActiveUsers int
}
