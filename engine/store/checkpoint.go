package store

import (
	"context"
	"database/sql"
	"log/slog"
	"sync/atomic"
)

// checkpointEvery is how many commits pass between two checkpoints.
const checkpointEvery = 32

// checkpointer copies the WAL back into the database file on a connection
// of its own. SQLite would otherwise do it inside whichever commit filled
// the WAL, and every sender waiting on that group commit would wait for
// the copy and the database file's fsync as well. A passive checkpoint
// runs beside the writer without blocking it; commits stay fsync'd
// (synchronous=FULL) whoever checkpoints.
type checkpointer struct {
	db      *sql.DB
	log     *slog.Logger
	commits atomic.Int64
	kick    chan struct{}
	quit    chan struct{}
	done    chan struct{}
}

func newCheckpointer(db *sql.DB, log *slog.Logger) *checkpointer {
	c := &checkpointer{db: db, log: log, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// committed counts a commit and wakes the checkpointer now and then; it
// never blocks the writer.
func (c *checkpointer) committed() {
	if c.commits.Add(1)%checkpointEvery != 0 {
		return
	}
	select {
	case c.kick <- struct{}{}:
	default: // one is due already
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	for {
		select {
		case <-c.kick:
			c.checkpoint()
		case <-c.quit:
			return
		}
	}
}

func (c *checkpointer) checkpoint() {
	var busy, frames, copied int
	err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
	if err != nil {
		c.log.Warn("checkpointing the sqlite log", "err", err)
	}
}

// stop ends the checkpointer and closes its connection; SQLite checkpoints
// what is left when the last connection closes.
func (c *checkpointer) stop() error {
	close(c.quit)
	<-c.done
	return c.db.Close()
}
