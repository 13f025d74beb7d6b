package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cairn-forge/cairn/forge/model"
)

// openAtVersion creates a database at path holding the schema of migrations up to version,
// as a cairn of that version left it, and runs setup in it; Open then migrates the rest.
func openAtVersion(t *testing.T, path string, version int, setup string) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(names)
	for _, name := range names {
		v, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(name, "migrations/"), "_", 2)[0])
		if err != nil {
			t.Fatal(err)
		}
		if v > version {
			break
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(string(body)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if _, err := raw.Exec(fmt.Sprintf("PRAGMA user_version = %d", version)); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(setup); err != nil {
		t.Fatal(err)
	}
}

// Migration 12 makes defect keys unique per owner instead of per top-level namespace, and
// keeps every defect and fix, their ids, and the triggers that resolve defects.
func TestMigrationKeysDefectsByOwner(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cairn.db")
	// A group g with projects p1 and p2; K at g fixed in p1 at 100, K2 at p1 fixed in p1 at
	// 150 and in p2 at 200.
	openAtVersion(t, path, 11, `
		INSERT INTO users (id, username, email, name, created_at, updated_at) VALUES (1, 'u', 'u@x', 'u', 0, 0);
		INSERT INTO namespaces (id, kind, name, path, full_path, full_name, created_at, updated_at)
			VALUES (1, 'group', 'g', 'g', 'g', 'g', 0, 0);
		INSERT INTO projects (id, namespace_id, name, path, created_at, updated_at, last_activity_at)
			VALUES (1, 1, 'p1', 'p1', 0, 0, 0), (2, 1, 'p2', 'p2', 0, 0, 0);
		INSERT INTO critical_defects (id, root_namespace_id, namespace_id, project_id, defect_key, detected_at, author_id,
			created_at, updated_at) VALUES (7, 1, 1, NULL, 'K', 10, 1, 0, 0), (8, 1, NULL, 1, 'K2', 20, 1, 0, 0);
		INSERT INTO critical_defect_fixes (defect_id, project_id, sha, released_at, created_at)
			VALUES (7, 1, '', 100, 0), (8, 1, 'abc', 150, 0), (8, 2, '', 200, 0);`)
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	k, err := DefectByKey(ctx, d.Read, 0, 1, "K")
	if err != nil || k.ID != 7 || k.ResolvedAt == nil || ms(*k.ResolvedAt) != 100 || k.AuthorID != 1 {
		t.Fatalf("K after the migration: %+v, %v", k, err)
	}
	k2, err := DefectByKey(ctx, d.Read, 1, 0, "K2")
	if err != nil || k2.ID != 8 || k2.ResolvedAt == nil || ms(*k2.ResolvedAt) != 200 {
		t.Fatalf("K2 after the migration: %+v, %v", k2, err)
	}
	if fixes, err := DefectFixes(ctx, d.Read, 8); err != nil || len(fixes) != 2 {
		t.Fatalf("fixes of K2: %+v, %v", fixes, err)
	}

	now := time.UnixMilli(0)
	err = d.Write(ctx, func(tx *sql.Tx) error {
		// K again, at the project below the group that has it: another owner, another defect.
		id, err := InsertDefect(ctx, tx,
			model.Defect{ProjectID: 1, Key: "K", DetectedAt: now, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			return fmt.Errorf("K at p1: %w", err)
		}
		if id <= 8 {
			return fmt.Errorf("new defect id %d reuses an old one", id)
		}
		if _, err := InsertDefect(ctx, tx,
			model.Defect{NamespaceID: 1, Key: "K", DetectedAt: now, CreatedAt: now,
				UpdatedAt: now}); !errors.Is(err, ErrConstraint) {
			return fmt.Errorf("K twice at g: %v, want a constraint violation", err)
		}
		if _, err := InsertDefectFix(ctx, tx,
			model.DefectFix{DefectID: 7, ProjectID: 2, ReleasedAt: time.UnixMilli(300), CreatedAt: now}); err != nil {
			return err
		}
		// Deleting p2 takes its fixes; K2 is resolved at the one left.
		_, err = tx.ExecContext(ctx, "DELETE FROM projects WHERE id = 2")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := DefectByKey(ctx, d.Read, 0, 1, "K"); k.ResolvedAt == nil || ms(*k.ResolvedAt) != 100 {
		t.Errorf("K resolved at %v; want its fix in p1 (100) once p2 is gone", k.ResolvedAt)
	}
	if k2, _ := DefectByKey(ctx, d.Read, 1, 0, "K2"); k2.ResolvedAt == nil || ms(*k2.ResolvedAt) != 150 {
		t.Errorf("K2 resolved at %v; want 150", k2.ResolvedAt)
	}
	var broken int
	if err := d.Read.QueryRowContext(ctx, "SELECT COUNT(*) FROM pragma_foreign_key_check").Scan(
		&broken); err != nil || broken != 0 {
		t.Errorf("foreign key check: %d broken, %v", broken, err)
	}
}
