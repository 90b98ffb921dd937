package store

import (
	"context"
	"database/sql"
	"errors"
	"sync"
	"time"
)

// errNoRows is what row.Scan answers when a query matched nothing, whatever
// the driver.
var errNoRows = errors.New("no rows")

// q is the little of SQL that the store needs, over database/sql (SQLite)
// and pgx (Postgres) alike. Queries are written with ? placeholders.
type q interface {
	exec(ctx context.Context, query string, args ...any) (int64, error)
	query(ctx context.Context, query string, args ...any) (rows, error)
	row(ctx context.Context, query string, args ...any) row
	// script runs several statements with no arguments (migrations).
	script(ctx context.Context, sql string) error
}

// rows iterates over a query's result.
type rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// row is a single-row result; Scan answers errNoRows when there is none.
type row interface{ Scan(dest ...any) error }

// stmtCache keeps prepared statements of the one SQLite write connection,
// so that the hot ingest path does not parse SQL per event. A statement
// cannot be prepared on the pool while a transaction holds its only
// connection, so a query met for the first time runs unprepared and is
// prepared after the transaction ends.
type stmtCache struct {
	db     *sql.DB
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	wanted map[string]bool
}

// get returns the prepared statement for query, or nil if there is none
// yet; then query is prepared at the next call of prepare.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.m[query]
	if !ok && c.m != nil {
		c.wanted[query] = true
	}
	return st
}

// prepare prepares the statements that get was asked for. It must not run
// inside a transaction of c.db, and it does not hold the lock while it
// waits for the connection, which a transaction may be holding.
func (c *stmtCache) prepare(ctx context.Context) {
	c.mu.Lock()
	var todo []string
	for query := range c.wanted {
		todo = append(todo, query)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, query := range todo {
		st, err := c.db.PrepareContext(ctx, query)
		if err != nil {
			continue // a bad query reports its error where it runs
		}
		c.mu.Lock()
		if _, ok := c.m[query]; ok || c.m == nil {
			_ = st.Close() // prepared twice, or closed meanwhile
		} else {
			c.m[query] = st
		}
		c.mu.Unlock()
	}
}

// close releases every prepared statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		_ = st.Close()
	}
	c.m = nil
}

// sqlTx is q over a database/sql transaction with cached statements.
type sqlTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

func (t sqlTx) exec(ctx context.Context, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if st := t.cache.get(query); st != nil {
		res, err = t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	} else {
		res, err = t.tx.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t sqlTx) query(ctx context.Context, query string, args ...any) (rows, error) {
	var r *sql.Rows
	var err error
	if st := t.cache.get(query); st != nil {
		r, err = t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	} else {
		r, err = t.tx.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (t sqlTx) row(ctx context.Context, query string, args ...any) row {
	if st := t.cache.get(query); st != nil {
		return sqlRow{t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)}
	}
	return sqlRow{t.tx.QueryRowContext(ctx, query, args...)}
}

func (t sqlTx) script(ctx context.Context, sql string) error {
	_, err := t.tx.ExecContext(ctx, sql)
	return err
}

// sqlDB is q over a database/sql pool, for reads.
type sqlDB struct{ db *sql.DB }

func (d sqlDB) exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := d.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (d sqlDB) query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := d.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{r}, nil
}

func (d sqlDB) row(ctx context.Context, query string, args ...any) row {
	return sqlRow{d.db.QueryRowContext(ctx, query, args...)}
}

func (d sqlDB) script(ctx context.Context, sql string) error {
	_, err := d.db.ExecContext(ctx, sql)
	return err
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqlRow struct{ r *sql.Row }

func (r sqlRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoRows
	}
	return err
}

// ms is t as Unix milliseconds; the zero time is 0.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMS turns Unix milliseconds back into a UTC time; 0 is the zero time.
func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}

// blob keeps nil byte slices out of NOT NULL columns.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// raw returns a stored blob as a JSON value, nil when empty.
func raw(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}
