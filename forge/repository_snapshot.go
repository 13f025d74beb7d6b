package forge

import (
	"context"
	"io"
)

// Snapshot is a project's git directory, ready to be streamed as an uncompressed tar.
type Snapshot struct {
	// FileName is what the download is called, as GitLab names it.
	FileName  string
	projectID int64
	repos     Repos
}

// WriteTo streams the snapshot to w.
func (sn *Snapshot) WriteTo(ctx context.Context, w io.Writer) error {
	return sn.repos.WriteSnapshot(ctx, sn.projectID, w)
}

// RepositorySnapshot prepares a snapshot of a project's repository: its git directory as it
// is on disk, for recovering what a clone no longer can. As on GitLab, only administrators
// may take one (they read every resource).
func (s *Repositories) RepositorySnapshot(ctx context.Context, a *Actor, ref Ref) (*Snapshot, error) {
	if err := a.requireAdmin(NeedReadCode); err != nil {
		return nil, err
	}
	v, err := s.visibleProject(ctx, a, ref)
	if err != nil {
		return nil, err
	}
	return &Snapshot{FileName: "snapshot.tar", projectID: v.ID, repos: s.repos}, nil
}
