// Package db stores cairn's data in SQLite: it opens and tunes the database, applies the
// embedded migrations, and runs queries that fill forge's model types (and, for what is db's
// alone, plain structs of its own). It knows SQL and nothing of HTTP or permissions. The
// secrets it stores (password hashes, token digests) are read and written by functions of
// their own that only forge calls; no model type carries them.
package db

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ErrNotFound is returned by single-row queries that match nothing.
var ErrNotFound = errors.New("not found")

// ErrConstraint wraps a UNIQUE or CHECK violation, so that forge can turn it into a conflict.
var ErrConstraint = errors.New("constraint violation")

// Querier is what queries run on: the reader pool, or a write transaction.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// DB is the database: one writer connection, a pool of readers, and a connection that
// checkpoints the write-ahead log in the background.
type DB struct {
	// Read runs queries outside any write transaction, on the reader pool.
	Read   Querier
	reader *stmtCache
	// writer is the one connection that writes; single statements on it go through wstmts.
	writer *sql.DB
	wstmts *stmtCache
	ckpt   *checkpointer
}

// Options change how a database is opened.
type Options struct {
	// Throwaway is for a database removed when the process exits (an ephemeral instance, a
	// test's): nothing is synced to disk. Only a crash of the machine could need it, and the
	// data would not outlive the process anyway.
	Throwaway bool
}

// Open opens (creating if needed) the database file at path and migrates it. The file and its
// write-ahead log are readable by their owner only: they hold password and token hashes.
func Open(ctx context.Context, path string) (*DB, error) { return OpenWith(ctx, path, Options{}) }

// OpenWith is Open with options.
func OpenWith(ctx context.Context, path string, o Options) (*DB, error) {
	if err := create(ctx, path, !o.Throwaway); err != nil {
		return nil, err
	}
	if err := restrictModes(path); err != nil {
		return nil, err
	}
	// WAL lets readers run beside the one writer; NORMAL sync is safe under WAL (a crash may
	// lose the last transactions, never corrupt); busy_timeout makes a second process (an admin
	// command beside a running server) wait instead of failing; foreign keys enforce cascades.
	sync := "synchronous(NORMAL)"
	if o.Throwaway {
		sync = "synchronous(OFF)"
	}
	pragmas := []string{"busy_timeout(10000)", "journal_mode(WAL)", sync,
		"foreign_keys(1)", "temp_store(MEMORY)", "cache_size(-16000)"}
	q := url.Values{}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	// IMMEDIATE takes the write lock at BEGIN, so a writer waits for another instead of failing
	// with SQLITE_BUSY half way through a transaction.
	wq := url.Values{}
	for k, v := range q {
		wq[k] = v
	}
	wq.Set("_txlock", "immediate")
	// The checkpointer folds the log into the database, not the writer's commits.
	wq.Add("_pragma", "wal_autocheckpoint(0)")
	writer, err := sql.Open("sqlite", base+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)

	rq := url.Values{}
	for k, v := range q {
		rq[k] = v
	}
	rq.Add("_pragma", "query_only(1)")
	reader, err := sql.Open("sqlite", base+"?"+rq.Encode())
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxLifetime(0)
	reader.SetConnMaxIdleTime(0)

	cdb, err := sql.Open("sqlite", base+"?"+q.Encode())
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("open database: %w", err)
	}
	rc := &stmtCache{db: reader}
	d := &DB{Read: rc, reader: rc, writer: writer, wstmts: &stmtCache{db: writer}, ckpt: newCheckpointer(cdb)}
	if err := d.migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// Close closes every connection.
func (d *DB) Close() error {
	// The writer's statements must close before the writer does; wstmts closes both.
	return errors.Join(d.ckpt.close(), d.reader.Close(), d.wstmts.Close())
}

// Write runs fn in one write transaction, committed if fn returns nil and rolled back otherwise.
func (d *DB) Write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", wrap(err))
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", wrap(err))
	}
	d.ckpt.written()
	return nil
}

// Checkpoint folds the write-ahead log into the database file; used at clean shutdown.
func (d *DB) Checkpoint(ctx context.Context) error {
	_, err := d.writer.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

func (d *DB) migrate(ctx context.Context) error {
	return d.Write(ctx, func(tx *sql.Tx) error {
		var current int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		return applyMigrations(ctx, tx, current)
	})
}

// applyMigrations runs, in tx, the migrations numbered above version, in order, and sets the
// schema version to the last one.
func applyMigrations(ctx context.Context, tx *sql.Tx, version int) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with its number", base)
		}
		if v <= version {
			continue
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
		version = v
	}
	return nil
}

// wrap turns SQLite constraint violations into ErrConstraint, keeping the message.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_CONSTRAINT {
		return fmt.Errorf("%w: %s", ErrConstraint, se.Error())
	}
	return err
}

// Time helpers: times are stored as Unix milliseconds, NULL when absent.

func ms(t time.Time) int64 { return t.UnixMilli() }

func msPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

func fromNullMS(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMS(v.Int64)
	return &t
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// placeholders returns "?, ?, ?" for n arguments.
func placeholders(n int) string {
	if n <= 0 {
		return ""
	}
	return strings.Repeat("?, ", n-1) + "?"
}

// Writer runs single statements on the writer connection, outside any transaction.
func (d *DB) Writer() Querier { return writerQuerier{d.wstmts, d.ckpt} }
