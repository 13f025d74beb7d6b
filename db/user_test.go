package db

import (
	"context"
	"database/sql"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func openTest(t *testing.T) *DB {
	t.Helper()
	d, err := Open(context.Background(), filepath.Join(t.TempDir(), "cairn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

// Every column that credits a user with something done in a project, and would name nobody
// once the user is gone, is either moved to the Ghost User or left to name nobody on purpose.
// A new such column must be put in one list or the other.
func TestReassignContributionsCoversEveryAuthorColumn(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	// GitLab leaves these to name nobody: who created a project or a membership, who closed,
	// who uploaded a file.
	nulled := map[string]bool{"projects.creator_id": true, "group_members.created_by": true,
		"project_members.created_by": true, "issues.closed_by_id": true, "merge_requests.closed_by_id": true,
		"uploads.uploaded_by": true}
	reassigned := map[string]bool{}
	for _, c := range authorship {
		reassigned[c.table+"."+c.column] = true
	}
	rows, err := d.Read.QueryContext(ctx, `SELECT m.name || '.' || f."from" FROM sqlite_master m,
		pragma_foreign_key_list(m.name) f WHERE m.type = 'table' AND f."table" = 'users' AND f.on_delete = 'SET NULL'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var unlisted []string
	for rows.Next() {
		var col string
		if err := rows.Scan(&col); err != nil {
			t.Fatal(err)
		}
		if !reassigned[col] && !nulled[col] {
			unlisted = append(unlisted, col)
		}
		delete(reassigned, col)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(unlisted) > 0 {
		t.Errorf("columns naming a user that a deletion neither reassigns nor means to clear: %v", unlisted)
	}
	if len(reassigned) > 0 {
		t.Errorf("authorship names columns that are no user reference set NULL on delete: %v", reassigned)
	}
}

func TestSoleOwnedGroups(t *testing.T) {
	d := openTest(t)
	ctx := context.Background()
	// Users 1 (u) and 2 (o). Groups: a (u alone), a/b (u alone below a), c (u and o), d (o)
	// with d/e (u directly, o above), f (u as a maintainer only), g (u, and o whose
	// membership is Owner in g/h only), g/h.
	err := d.Write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO users (id, username, email, name, created_at, updated_at)
				VALUES (1, 'u', 'u@x', 'u', 0, 0), (2, 'o', 'o@x', 'o', 0, 0);
			INSERT INTO namespaces (id, kind, name, path, full_path, full_name, parent_id, created_at, updated_at) VALUES
				(1, 'group', 'a', 'a', 'a', 'a', NULL, 0, 0), (2, 'group', 'b', 'b', 'a/b', 'a / b', 1, 0, 0),
				(3, 'group', 'c', 'c', 'c', 'c', NULL, 0, 0), (4, 'group', 'd', 'd', 'd', 'd', NULL, 0, 0),
				(5, 'group', 'e', 'e', 'd/e', 'd / e', 4, 0, 0), (6, 'group', 'f', 'f', 'f', 'f', NULL, 0, 0),
				(7, 'group', 'g', 'g', 'g', 'g', NULL, 0, 0), (8, 'group', 'h', 'h', 'g/h', 'g / h', 7, 0, 0);
			INSERT INTO group_members (namespace_id, user_id, access_level, created_at) VALUES
				(1, 1, 50, 0), (2, 1, 50, 0), (3, 1, 50, 0), (3, 2, 50, 0), (4, 2, 50, 0), (5, 1, 50, 0),
				(6, 1, 40, 0), (7, 1, 50, 0), (8, 2, 50, 0), (8, 1, 50, 0);`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		user int64
		want string
	}{{1, "a a/b g"}, {2, "d"}} {
		groups, err := SoleOwnedGroups(ctx, d.Read, tt.user)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range groups {
			got = append(got, g.FullPath)
		}
		if !sort.StringsAreSorted(got) || strings.Join(got, " ") != tt.want {
			t.Errorf("groups user %d alone owns: %v, want %s", tt.user, got, tt.want)
		}
	}
}
