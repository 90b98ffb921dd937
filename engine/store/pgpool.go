package store

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// pgPool is a small pool of pgx connections, enough for the store's few
// concurrent transactions.
type pgPool struct {
	cfg   *pgx.ConnConfig
	idle  chan *pgx.Conn
	slots chan struct{} // one token per open connection
	mu    sync.Mutex
	shut  bool
}

func newPGPool(cfg *pgx.ConnConfig, size int) *pgPool {
	return &pgPool{cfg: cfg, idle: make(chan *pgx.Conn, size), slots: make(chan struct{}, size)}
}

// acquire returns an idle connection, or a new one while the pool has
// room, or waits for one.
func (p *pgPool) acquire(ctx context.Context) (*pgx.Conn, error) {
	p.mu.Lock()
	shut := p.shut
	p.mu.Unlock()
	if shut {
		return nil, ErrUnavailable
	}
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.slots <- struct{}{}:
		c, err := pgx.ConnectConfig(ctx, p.cfg)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release gives c back, closing it if it is broken, mid-transaction or the
// pool is shut.
func (p *pgPool) release(c *pgx.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.shut || c.IsClosed() || c.PgConn().IsBusy() || c.PgConn().TxStatus() != 'I' {
		closeConn(c)
		<-p.slots
		return
	}
	p.idle <- c
}

// close shuts the pool and closes the idle connections; connections in
// use are closed when they come back.
func (p *pgPool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shut = true
	for {
		select {
		case c := <-p.idle:
			closeConn(c)
			<-p.slots
		default:
			return
		}
	}
}

func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}
