package db

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// checkpointInterval is how long writes gather in the write-ahead log before the background
// checkpoint folds them into the database file: at most one checkpoint a second while writes
// go on, none while the database is idle.
const checkpointInterval = time.Second

// checkpointer folds the write-ahead log into the database file on a connection of its own.
// SQLite would otherwise do it inside whichever commit first finds the log over 1,000 pages:
// two fsyncs on the one writer connection, which under a busy disk (a push's objects being
// flushed with them) held every other write back for tens to hundreds of milliseconds. A
// passive checkpoint takes no lock that writers or readers wait for.
type checkpointer struct {
	db   *sql.DB
	wake chan struct{}
	stop chan struct{}
	done sync.WaitGroup
}

func newCheckpointer(db *sql.DB) *checkpointer {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	c.done.Add(1)
	go c.run()
	return c
}

// written tells the checkpointer that the log has grown.
func (c *checkpointer) written() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer c.done.Done()
	for {
		select {
		case <-c.stop:
			return
		case <-c.wake:
		}
		select {
		case <-c.stop:
			return
		case <-time.After(checkpointInterval):
		}
		// A failure (the disk) leaves the log as it is, for the next checkpoint or the one
		// at close, which reports it.
		_, _ = c.db.ExecContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)")
	}
}

// close stops the checkpointer and closes its connection.
func (c *checkpointer) close() error {
	close(c.stop)
	c.done.Wait()
	return c.db.Close()
}

// writerQuerier runs single statements on the writer connection and tells the checkpointer.
type writerQuerier struct {
	*stmtCache
	ckpt *checkpointer
}

func (w writerQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	defer w.ckpt.written()
	return w.stmtCache.ExecContext(ctx, query, args...)
}

func (w writerQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	defer w.ckpt.written()
	return w.stmtCache.QueryContext(ctx, query, args...)
}

func (w writerQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	defer w.ckpt.written()
	return w.stmtCache.QueryRowContext(ctx, query, args...)
}
