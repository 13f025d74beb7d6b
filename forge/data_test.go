package forge_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
)

// openData opens a new database and repository store in a temporary directory, closed at
// the end of the test, and returns them with the directory.
func openData(t testing.TB) (*db.DB, *gitstore.Store, string) {
	t.Helper()
	dir := t.TempDir()
	d, err := db.Open(context.Background(), filepath.Join(dir, "cairn.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	store, err := gitstore.New(filepath.Join(dir, "repositories"))
	if err != nil {
		t.Fatal(err)
	}
	return d, store, dir
}
