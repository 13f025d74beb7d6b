package db

import (
	"context"
	"database/sql"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
)

// schema is what replaying every migration makes, as one script ending with the schema
// version; schemaImage is an empty database file made from it. A new database is a copy of
// the image, instead of a replay of the history (which rebuilds tables and took most of a
// fresh start) or even a run of the script (a few milliseconds of parsing). Both are generated
// from the migrations by `go generate ./db`; TestSchemaSnapshotMatchesMigrations fails when
// they fall behind them.
//
//go:generate go test -run ^TestSchemaSnapshotMatchesMigrations$ -update
var (
	//go:embed schema.sql
	schema string
	//go:embed schema.db
	schemaImage []byte
)

// fileMode is the mode of the database and of its write-ahead log and shared-memory files,
// which SQLite creates with the database file's mode.
const fileMode fs.FileMode = 0o600

// create makes a new database at path, a copy of the schema image, unless a database is there
// already (an empty file counts as none). It is written under another name and moved into
// place once written out (synced first when durable): a crash leaves no half-made database
// under path, and the new file costs two fsyncs instead of the six of SQLite's own switch to
// WAL and first commit.
func create(ctx context.Context, path string, durable bool) error {
	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		return nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("open database: %w", err)
	}
	tmp := path + ".new"
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		if err := os.Remove(tmp + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("create database: %w", err)
		}
	}
	// SQLite would create the file with 0644 less the umask; it keeps the mode of a file that
	// exists.
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fileMode)
	if err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	_, err = f.Write(schemaImage)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("create database: %w", err)
	}
	if durable {
		if err := syncFile(tmp); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("create database: %w", err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("create database: %w", err)
	}
	if durable {
		// Best effort: some systems cannot sync a directory, and the rename is done.
		_ = syncFile(filepath.Dir(path))
	}
	return nil
}

// writeSchema writes the schema script into the empty database file at path and leaves it in
// WAL mode, with nothing in a journal or log: how the schema image is made.
func writeSchema(ctx context.Context, path string) error {
	q := url.Values{}
	// No journal and no syncing: the file is not in use until it is renamed into place, after
	// create syncs it once.
	for _, p := range []string{"journal_mode(OFF)", "synchronous(OFF)"} {
		q.Add("_pragma", p)
	}
	raw, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer raw.Close()
	conn, err := raw.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, schema); err != nil {
		return fmt.Errorf("schema snapshot: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&mode); err != nil {
		return err
	}
	if mode != "wal" {
		return fmt.Errorf("journal mode is %q, not wal", mode)
	}
	return nil
}

// syncFile flushes a file, or a directory's entries, to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// restrictModes makes the database files at path readable by their owner only, for
// databases made before cairn created them so.
func restrictModes(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(path + suffix)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("open database: %w", err)
		}
		if fi.Mode().Perm()&^fileMode != 0 {
			if err := os.Chmod(path+suffix, fileMode); err != nil {
				return fmt.Errorf("open database: %w", err)
			}
		}
	}
	return nil
}
