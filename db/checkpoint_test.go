package db

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Commits do not fold the write-ahead log into the database file themselves (that is two
// fsyncs inside a commit every other write waits for); the log is folded in the background
// soon after writes, so that it does not grow without end.
func TestWriteAheadLogIsFoldedInTheBackground(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cairn.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var autocheckpoint int
	if err := d.writer.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&autocheckpoint); err != nil ||
		autocheckpoint != 0 {
		t.Fatalf("the writer checkpoints every %d pages (%v); want never", autocheckpoint, err)
	}
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	value := strings.Repeat("x", 4000)
	for i := range 2000 { // 8 MB, more than the 1,000 pages after which SQLite would checkpoint
		err := d.Write(ctx, func(tx *sql.Tx) error { return SetSetting(ctx, tx, fmt.Sprint("k", i), value) })
		if err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() >= before.Size()+8_000_000 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf(
				"the database file holds %d bytes (%d before the writes): the log was not folded into it",
				fi.Size(), before.Size())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A throwaway database (an ephemeral instance's, a test's) syncs nothing to disk: only a crash
// of the machine could need it, and the data does not outlive the process. What it holds still
// outlives closing and opening it again; a durable database syncs as WAL needs (NORMAL).
func TestThrowawayDatabaseSyncsNothing(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		opts Options
		sync int
	}{{Options{}, 1}, {Options{Throwaway: true}, 0}} {
		path := filepath.Join(t.TempDir(), "cairn.db")
		d, err := OpenWith(ctx, path, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		var sync int
		if err := d.writer.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil || sync != tt.sync {
			t.Errorf("%+v: synchronous %d (%v), want %d", tt.opts, sync, err, tt.sync)
		}
		if err := d.Write(ctx, func(tx *sql.Tx) error { return SetSetting(ctx, tx, "k", "v") }); err != nil {
			t.Fatal(err)
		}
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		d, err = Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if v, err := Setting(ctx, d.Read, "k"); err != nil || v != "v" {
			t.Errorf("%+v: after reopening, k = %q (%v)", tt.opts, v, err)
		}
		d.Close()
	}
}
