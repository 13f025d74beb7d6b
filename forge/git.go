package forge

import (
	"context"
	"database/sql"
	"strings"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
)

// GitProject resolves the project a git client names ("group/sub/project", without ".git")
// and checks that the actor may fetch from it, or push to it when write is set. Anonymous
// callers who may not are unauthorized, so that git asks for credentials; signed-in callers
// who may not see the project get not found; those who see it but may not push, forbidden.
func (s *Repositories) GitProject(ctx context.Context, a *Actor, path string, write bool) (ProjectView, error) {
	path = strings.Trim(path, "/")
	if a.Deploy != nil {
		return s.deployProject(ctx, a, ParseRef(path), write)
	}
	v, err := s.visibleProject(ctx, a, ParseRef(path))
	if ErrorCode(err) == ENotFound || err == nil && write && !a.SignedIn() {
		if !a.SignedIn() {
			return ProjectView{}, Unauthorized("")
		}
		return ProjectView{}, NotFound(ResourceProject)
	}
	if err != nil {
		return ProjectView{}, err
	}
	if !write {
		if err := a.Require(NeedFetch); err != nil {
			return ProjectView{}, err
		}
		if !canReadCode(v) {
			return ProjectView{}, &Error{Code: EForbidden, Reason: ReasonDownloadDenied}
		}
		return v, nil
	}
	if err := a.Require(NeedPush); err != nil {
		return ProjectView{}, err
	}
	switch {
	case v.Access < Developer:
		return ProjectView{}, &Error{Code: EForbidden, Reason: ReasonPushDenied, Resource: ResourceProject}
	case v.Archived:
		return ProjectView{}, &Error{Code: EForbidden, Reason: ReasonArchived}
	}
	return v, nil
}

// RecordRefUpdates notes that references of a project moved (a push, or a commit through the
// API): the project is active and, once it has a branch, no longer empty. The first branch
// pushed to an empty project whose default branch was not among the pushed ones becomes the
// default branch, protected as a new project's is. The repository's HEAD moves to it before
// the row is written, outside the write: if the row turns out to have changed meanwhile (an
// update of the project, another first push), HEAD follows the row as written.
func (s *Repositories) RecordRefUpdates(ctx context.Context, projectID int64, updates []gitstore.RefUpdate) error {
	var branches []string
	for _, u := range updates {
		if b, ok := strings.CutPrefix(u.Name, "refs/heads/"); ok && !u.IsDelete() {
			branches = append(branches, b)
		}
	}
	read, err := db.ProjectByID(ctx, s.db.Read, projectID)
	if err != nil {
		return notFoundAs(err, ResourceProject)
	}
	newDefault := ""
	if read.EmptyRepo && len(branches) > 0 && !containsString(branches, read.DefaultBranch) {
		newDefault = branches[0]
		if err := s.repos.SetHead(projectID, newDefault); err != nil {
			return err
		}
	}
	now := s.Now()
	head := read.DefaultBranch
	err = s.db.Write(ctx, func(tx *sql.Tx) error {
		p, err := db.ProjectByID(ctx, tx, projectID)
		if err != nil {
			return notFoundAs(err, ResourceProject)
		}
		head = p.DefaultBranch
		if newDefault != "" && p.EmptyRepo && p.DefaultBranch == read.DefaultBranch {
			p.DefaultBranch = newDefault
			p.UpdatedAt = now
			if err := db.UpdateProject(ctx, tx, p); err != nil {
				return err
			}
			rule := defaultProtection
			rule.ProjectID, rule.Name, rule.CreatedAt = p.ID, p.DefaultBranch, now
			if _, err := db.ProtectedBranchByName(ctx, tx, p.ID, p.DefaultBranch); err != nil {
				if _, err := db.SaveProtectedBranch(ctx, tx, rule); err != nil {
					return err
				}
			}
			head = newDefault
		}
		return db.RecordProjectActivity(ctx, tx, projectID, now, len(branches) > 0)
	})
	if newDefault != "" && head != newDefault {
		if herr := s.repos.SetHead(projectID, head); herr != nil {
			s.log.Error("move HEAD back to the default branch", "project_id", projectID, "err", herr)
		}
	}
	return err
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
