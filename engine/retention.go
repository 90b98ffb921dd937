package engine

import (
	"context"
	"log/slog"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// pruneEvery is how often history past its retention is deleted.
const pruneEvery = 10 * time.Minute

// pruneBatch bounds the events one transaction deletes, so that ingest
// never waits long for the write lock.
const pruneBatch = 500

// retain deletes history older than the configured retention at once and
// then every pruneEvery, until ctx ends; the channel it returns is closed
// when it has stopped. With retention forever it does nothing.
func (r *Router) retain(ctx context.Context) <-chan struct{} {
	done := make(chan struct{})
	keep, ok := r.cfg.Retention.Keep()
	if !ok {
		close(done)
		return done
	}
	tick := time.NewTicker(pruneEvery)
	go func() {
		defer close(done)
		defer tick.Stop()
		retainLoop(ctx, r.store, keep, tick.C, r.opts.Now, r.log)
	}()
	return done
}

// retainLoop prunes history older than keep once, and again at every tick,
// until ctx ends.
func retainLoop(ctx context.Context, st store.Store, keep time.Duration, tick <-chan time.Time, now func() time.Time, log *slog.Logger) {
	for {
		n, err := prune(ctx, st, now().Add(-keep), pruneBatch)
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			log.Error("pruning history failed; will try again", "err", err, "pruned", n)
		case n > 0:
			log.Info("pruned history past its retention", "events", n, "retention", keep.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// prune deletes, batch by batch, the finished events received before
// before, and answers how many went.
func prune(ctx context.Context, st store.Store, before time.Time, batch int) (int, error) {
	total := 0
	for {
		n, err := st.Prune(ctx, before, batch)
		total += n
		if err != nil || n < batch {
			return total, err
		}
	}
}
