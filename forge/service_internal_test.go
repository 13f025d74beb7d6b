package forge

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cairn-forge/cairn/db"
	"github.com/cairn-forge/cairn/gitstore"
)

// OpenTestData opens a new database and repository store in a temporary directory, closed at
// the end of the test, and returns them with the directory. It is for forge's tests, inside
// the package and out (forge_test).
func OpenTestData(t testing.TB) (*db.DB, *gitstore.Store, string) {
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

// newTestService returns a service with cfg over OpenTestData's database, and the database;
// the service is the caller's to close.
func newTestService(t *testing.T, cfg Config) (*Service, *db.DB) {
	t.Helper()
	d, store, _ := OpenTestData(t)
	return New(d, store, cfg, Options{}), d
}
