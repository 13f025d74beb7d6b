package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/cairn-forge/cairn/forge"
	"github.com/cairn-forge/cairn/gitstore"
)

// Fixture is a fixture file: users (with tokens whose secrets the file fixes), groups and
// projects (with members, files and issues). Loading it is idempotent: what exists is left
// alone.
type Fixture struct {
	Users    []FixtureUser    `json:"users"`
	Groups   []FixtureGroup   `json:"groups"`
	Projects []FixtureProject `json:"projects"`
}

// FixtureUser is a user of a fixture.
type FixtureUser struct {
	Username string         `json:"username"`
	Name     string         `json:"name"`
	Email    string         `json:"email"`
	Password string         `json:"password"`
	Admin    bool           `json:"admin"`
	Plan     string         `json:"plan"`
	Tokens   []FixtureToken `json:"tokens"`
}

// FixtureToken is a token with a known secret.
type FixtureToken struct {
	Name      string   `json:"name"`
	Token     string   `json:"token"`
	Scopes    []string `json:"scopes"`
	ExpiresAt string   `json:"expires_at"`
}

// FixtureMember grants a user access to a group or project.
type FixtureMember struct {
	Username    string `json:"username"`
	AccessLevel int    `json:"access_level"`
}

// FixtureGroup is a group; Parent is the full path of its parent group.
type FixtureGroup struct {
	Path        string          `json:"path"`
	Name        string          `json:"name"`
	Parent      string          `json:"parent"`
	Visibility  string          `json:"visibility"`
	Description string          `json:"description"`
	Members     []FixtureMember `json:"members"`
}

// FixtureProject is a project; Namespace is a username or a group's full path.
type FixtureProject struct {
	Namespace     string            `json:"namespace"`
	Path          string            `json:"path"`
	Name          string            `json:"name"`
	Description   string            `json:"description"`
	Visibility    string            `json:"visibility"`
	DefaultBranch string            `json:"default_branch"`
	Readme        bool              `json:"initialize_with_readme"`
	Files         map[string]string `json:"files"`
	Members       []FixtureMember   `json:"members"`
	Issues        []FixtureIssue    `json:"issues"`
}

// FixtureIssue is an issue of a project, opened by Author (a username). Labels and assignees
// take, as in GitLab, only when the author is a reporter or above. An issue whose title the
// project already has is left alone.
type FixtureIssue struct {
	Title        string   `json:"title"`
	Description  string   `json:"description"`
	Author       string   `json:"author"`
	Labels       []string `json:"labels"`
	Assignees    []string `json:"assignees"`
	Confidential bool     `json:"confidential"`
	// State is "opened" (default) or "closed".
	State string        `json:"state"`
	Notes []FixtureNote `json:"notes"`
}

// FixtureNote is a comment on an issue by Author (a username).
type FixtureNote struct {
	Author string `json:"author"`
	Body   string `json:"body"`
}

// LoadFixture reads a fixture file and creates what it describes.
func LoadFixture(ctx context.Context, f *forge.Service, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var fx Fixture
	if err := dec.Decode(&fx); err != nil {
		return fmt.Errorf("parse: %w", err)
	}
	return ApplyFixture(ctx, f, fx)
}

// ApplyFixture creates what fx describes, skipping what already exists.
func ApplyFixture(ctx context.Context, f *forge.Service, fx Fixture) error {
	sys := forge.System()
	for _, u := range fx.Users {
		user, err := f.Accounts.UserByRef(ctx, sys, forge.ParseRef(u.Username))
		if forge.ErrorCode(err) == forge.ENotFound {
			in := forge.UserInput{Username: &u.Username, Name: &u.Name, Email: &u.Email, Admin: &u.Admin, Plan: &u.Plan}
			if u.Name == "" {
				in.Name = &u.Username
			}
			if u.Email == "" {
				email := u.Username + "@example.com"
				in.Email = &email
			}
			if u.Password != "" {
				in.Password = &u.Password
			}
			var created forge.UserView
			created, err = f.Accounts.CreateUser(ctx, sys, in)
			user = created.User
		}
		if err != nil {
			return fmt.Errorf("user %s: %w", u.Username, err)
		}
		for _, t := range u.Tokens {
			if t.Token == "" {
				return fmt.Errorf("user %s: token %q: the fixture must give its secret", u.Username, t.Name)
			}
			var scopes []string
			for _, s := range t.Scopes {
				sc, ok := forge.ParseScope(s)
				if !ok {
					return fmt.Errorf("user %s: token %q: unknown scope %q", u.Username, t.Name, s)
				}
				scopes = append(scopes, sc)
			}
			if len(scopes) == 0 {
				scopes = []string{forge.ScopeAPI}
			}
			var exp *time.Time
			if t.ExpiresAt != "" {
				// A date (2026-12-31) or any time the API accepts (2026-12-31T00:00:00Z).
				e, err := forge.ParseDateTime(t.ExpiresAt)
				if err != nil {
					return fmt.Errorf("user %s: token %q: expires_at: %w", u.Username, t.Name, err)
				}
				exp = &e
			}
			if err := f.Access.EnsureTokenExpiring(ctx, user.ID, t.Name, t.Token, scopes, exp); err != nil {
				return fmt.Errorf("user %s: token %q: %w", u.Username, t.Name, err)
			}
		}
	}
	for _, g := range fx.Groups {
		full := g.Path
		if g.Parent != "" {
			full = g.Parent + "/" + g.Path
		}
		if _, err := f.Projects.GroupByRef(ctx, sys, forge.ParseRef(full)); forge.ErrorCode(err) == forge.ENotFound {
			in := forge.GroupInput{Path: &g.Path, Name: &g.Name, Description: &g.Description}
			if g.Name == "" {
				in.Name = &g.Path
			}
			if g.Visibility != "" {
				in.Visibility = &g.Visibility
			}
			if g.Parent != "" {
				parent, err := f.Projects.GroupByRef(ctx, sys, forge.ParseRef(g.Parent))
				if err != nil {
					return fmt.Errorf("group %s: parent: %w", full, err)
				}
				in.ParentID = &parent.ID
			}
			if _, err := f.Projects.CreateGroup(ctx, sys, in); err != nil {
				return fmt.Errorf("group %s: %w", full, err)
			}
		} else if err != nil {
			return fmt.Errorf("group %s: %w", full, err)
		}
		if err := fixtureMembers(ctx, f, forge.MemberSource{Kind: "group", Ref: full}, g.Members); err != nil {
			return fmt.Errorf("group %s: %w", full, err)
		}
	}
	for _, p := range fx.Projects {
		full := p.Namespace + "/" + p.Path
		if _, err := f.Projects.ProjectByRef(ctx, sys, forge.ParseRef(full)); forge.ErrorCode(err) == forge.ENotFound {
			if err := fixtureProject(ctx, f, p); err != nil {
				return fmt.Errorf("project %s: %w", full, err)
			}
		} else if err != nil {
			return fmt.Errorf("project %s: %w", full, err)
		}
		if err := fixtureMembers(ctx, f, forge.MemberSource{Kind: "project", Ref: full}, p.Members); err != nil {
			return fmt.Errorf("project %s: %w", full, err)
		}
		for _, is := range p.Issues {
			if err := fixtureIssue(ctx, f, full, is); err != nil {
				return fmt.Errorf("project %s: issue %q: %w", full, is.Title, err)
			}
		}
	}
	return nil
}

// fixtureActor is the user named username, acting as themselves.
func fixtureActor(ctx context.Context, f *forge.Service, username string) (*forge.Actor, error) {
	if username == "" {
		return nil, fmt.Errorf("the fixture must name an author")
	}
	u, err := f.Accounts.UserByRef(ctx, forge.System(), forge.ParseRef(username))
	if err != nil {
		return nil, fmt.Errorf("author %s: %w", username, err)
	}
	return &forge.Actor{User: &u}, nil
}

func fixtureIssue(ctx context.Context, f *forge.Service, project string, is FixtureIssue) error {
	if is.State != "" && is.State != forge.StateOpened && is.State != forge.StateClosed {
		return fmt.Errorf("state %q: want opened or closed", is.State)
	}
	existing, _, err := f.Issuables.ListProjectIssues(ctx, forge.System(), forge.ParseRef(project),
		forge.IssueListOptions{Search: is.Title}, forge.Page{Page: 1, PerPage: 100})
	if err != nil {
		return err
	}
	for _, e := range existing {
		if e.Title == is.Title {
			return nil
		}
	}
	author, err := fixtureActor(ctx, f, is.Author)
	if err != nil {
		return err
	}
	in := forge.IssueInput{Title: &is.Title, Description: &is.Description, Confidential: &is.Confidential}
	if is.Labels != nil {
		in.Labels = &is.Labels
	}
	if len(is.Assignees) > 0 {
		ids := []int64{}
		for _, name := range is.Assignees {
			u, err := f.Accounts.UserByRef(ctx, forge.System(), forge.ParseRef(name))
			if err != nil {
				return fmt.Errorf("assignee %s: %w", name, err)
			}
			ids = append(ids, u.ID)
		}
		in.AssigneeIDs = &ids
	}
	created, err := f.Issuables.CreateIssue(ctx, author, forge.ParseRef(project), in)
	if err != nil {
		return err
	}
	ref := forge.IssueRef{N: created.IID}
	for _, n := range is.Notes {
		a, err := fixtureActor(ctx, f, n.Author)
		if err != nil {
			return err
		}
		target, err := f.Issuables.IssueNoteTarget(ctx, a, forge.ParseRef(project), ref)
		if err != nil {
			return err
		}
		if _, err := f.Issuables.CreateNote(ctx, a, target, forge.NoteInput{Body: &n.Body}); err != nil {
			return fmt.Errorf("note: %w", err)
		}
	}
	if is.State == forge.StateClosed {
		_, err = f.Issuables.UpdateIssue(ctx, author, forge.ParseRef(project), ref,
			forge.IssueInput{StateEvent: "close"})
	}
	return err
}

func fixtureProject(ctx context.Context, f *forge.Service, p FixtureProject) error {
	sys := forge.System()
	in := forge.ProjectInput{Path: &p.Path, Name: &p.Name, Description: &p.Description,
		InitializeWithReadme: p.Readme, NamespaceRef: p.Namespace}
	if p.Name == "" {
		in.Name = &p.Path
	}
	if p.Visibility != "" {
		in.Visibility = &p.Visibility
	}
	if p.DefaultBranch != "" {
		in.DefaultBranch = &p.DefaultBranch
	}
	paths := make([]string, 0, len(p.Files))
	for path := range p.Files {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		in.Files = append(in.Files, gitstore.File{Path: path, Content: []byte(p.Files[path])})
	}
	var forUser int64
	if !strings.Contains(p.Namespace, "/") {
		if u, err := f.Accounts.UserByRef(ctx, sys, forge.ParseRef(p.Namespace)); err == nil {
			forUser = u.ID
			in.NamespaceRef = ""
		}
	}
	_, err := f.Projects.CreateProject(ctx, sys, in, forUser)
	return err
}

func fixtureMembers(ctx context.Context, f *forge.Service, src forge.MemberSource, members []FixtureMember) error {
	for _, m := range members {
		_, err := f.Projects.AddOrUpdateMember(ctx, forge.System(), src,
			forge.MemberInput{UserRef: forge.Path(m.Username), AccessLevel: m.AccessLevel}, true)
		if forge.ErrorCode(err) == forge.EConflict {
			_, err = f.Projects.AddOrUpdateMember(ctx, forge.System(), src,
				forge.MemberInput{UserRef: forge.Path(m.Username), AccessLevel: m.AccessLevel}, false)
		}
		if err != nil {
			return fmt.Errorf("member %s: %w", m.Username, err)
		}
	}
	return nil
}
