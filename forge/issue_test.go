package forge_test

import (
	"context"
	"testing"

	"github.com/cairn-forge/cairn/forge"
)

func TestParseColor(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"#d9534f", "#d9534f", true},
		{"#ABC", "#ABC", true},
		{" #00ff00 ", "#00ff00", true},
		{"red", "#ff0000", true},
		{"LightYellow", "#ffffe0", true},
		{"#12345", "", false},
		{"#1234567", "", false},
		{"123456", "", false},
		{"#GGGGGG", "", false},
		{"", "", false},
		{"blurple", "", false},
	}
	for _, tt := range tests {
		got, ok := forge.ParseColor(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseColor(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestTextColorIsDarkOnLightLabels(t *testing.T) {
	for in, want := range map[string]string{"#ffffff": "#333333", "#FFF": "#333333", "#ffffe0": "#333333",
		"#d9534f": "#FFFFFF", "#f0ad4e": "#FFFFFF", "#000": "#FFFFFF", "#6699cc": "#FFFFFF"} {
		if got := forge.TextColor(in); got != want {
			t.Errorf("TextColor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTaskCompletionCountsMarkdownTaskItems(t *testing.T) {
	tests := []struct {
		desc        string
		count, done int
	}{
		{"", 0, 0},
		{"- [ ] a\n- [x] b\n- [X] c", 3, 2},
		{"* [ ] star\n+ [x] plus\n1. [ ] numbered\n2) [x] paren", 4, 2},
		{"  - [ ] indented", 1, 0},
		{"- [] not a box\n-[ ] no space\ntext - [ ] inline", 0, 0},
	}
	for _, tt := range tests {
		if c, d := forge.TaskCompletion(tt.desc); c != tt.count || d != tt.done {
			t.Errorf("TaskCompletion(%q) = %d, %d; want %d, %d", tt.desc, c, d, tt.count, tt.done)
		}
	}
}

// An iid is never handed out twice in a project, even after the newest issue is deleted;
// each project counts on its own.
func TestIssueIIDsAreNeverReused(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	root := h.root()
	var projects []forge.ProjectView
	for _, n := range []string{"one", "two"} {
		p, err := h.forge.Projects.CreateProject(ctx, root, forge.ProjectInput{Name: name(n)}, 0)
		if err != nil {
			t.Fatal(err)
		}
		projects = append(projects, p)
	}
	ref := func(p forge.ProjectView) string { return p.FullPath() }
	create := func(p forge.ProjectView) forge.Issue {
		is, err := h.forge.Issuables.CreateIssue(ctx, root, forge.ParseRef(ref(p)), forge.IssueInput{Title: name("t")})
		if err != nil {
			t.Fatal(err)
		}
		return is
	}
	create(projects[0])
	second := create(projects[0])
	if err := h.forge.Issuables.DeleteIssue(ctx, root, forge.ParseRef(ref(projects[0])),
		forge.IssueRef{N: second.IID}); err != nil {
		t.Fatal(err)
	}
	if got := create(projects[0]).IID; got != 3 {
		t.Errorf("after deleting iid 2, the next issue is iid %d, want 3", got)
	}
	if got := create(projects[1]).IID; got != 1 {
		t.Errorf("the first issue of another project is iid %d, want 1", got)
	}
}

// Deleting an issue removes its notes and label links; deleting a project removes its
// issues, notes and labels.
func TestDeletionTakesDependentsAlong(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	root := h.root()
	p, err := h.forge.Projects.CreateProject(ctx, root, forge.ProjectInput{Name: name("p")}, 0)
	if err != nil {
		t.Fatal(err)
	}
	labels := []string{"bug"}
	for range 2 {
		is, err := h.forge.Issuables.CreateIssue(ctx, root, forge.ParseRef(p.FullPath()),
			forge.IssueInput{Title: name("t"), Labels: &labels})
		if err != nil {
			t.Fatal(err)
		}
		target, err := h.forge.Issuables.IssueNoteTarget(ctx, root, forge.ParseRef(p.FullPath()),
			forge.IssueRef{N: is.IID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.forge.Issuables.CreateNote(ctx, root, target, forge.NoteInput{Body: name("hello")}); err != nil {
			t.Fatal(err)
		}
	}
	count := func(table string) int {
		var n int
		if err := h.db.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := h.forge.Issuables.DeleteIssue(ctx, root, forge.ParseRef(p.FullPath()), forge.IssueRef{N: 1}); err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"issues": 1, "notes": 1, "label_links": 1, "labels": 1} {
		if got := count(table); got != want {
			t.Errorf("after deleting an issue, %s holds %d rows, want %d", table, got, want)
		}
	}
	if err := h.forge.Projects.DeleteProject(ctx, root, forge.ParseRef(p.FullPath())); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"issues", "notes", "label_links", "labels", "iid_floors"} {
		if got := count(table); got != 0 {
			t.Errorf("after deleting the project, %s holds %d rows", table, got)
		}
	}
}
