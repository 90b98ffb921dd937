package store

import (
	"context"
	"runtime"
	"sync"
)

// batcher is the group commit: one goroutine takes whatever ingest
// requests are queued, up to max, and commits them in one transaction, so
// one fsync serves many events.
type batcher struct {
	reqs   chan *ingestReq
	quit   chan struct{}
	done   chan struct{}
	max    int
	commit func([]*ingestReq)
	once   sync.Once
}

func newBatcher(max int, commit func([]*ingestReq)) *batcher {
	if max <= 0 {
		max = 256
	}
	return &batcher{
		reqs:   make(chan *ingestReq, max),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		max:    max,
		commit: commit,
	}
}

// submit queues r unless the batcher has stopped or ctx ends first.
func (b *batcher) submit(ctx context.Context, r *ingestReq) error {
	select {
	case <-b.quit:
		return ErrUnavailable
	default:
	}
	select {
	case b.reqs <- r:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-b.quit:
		return ErrUnavailable
	}
}

// run is the writer loop; it returns after stop.
func (b *batcher) run() {
	defer close(b.done)
	batch := make([]*ingestReq, 0, b.max)
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
			runtime.Gosched() // let the senders the last commit woke queue up
			batch = b.drain(batch)
			b.commit(batch)
			clear(batch)
		case <-b.quit:
			b.refuseQueued()
			return
		}
	}
}

// drain adds queued requests to batch without waiting.
func (b *batcher) drain(batch []*ingestReq) []*ingestReq {
	for len(batch) < b.max {
		select {
		case r := <-b.reqs:
			batch = append(batch, r)
		default:
			return batch
		}
	}
	return batch
}

// refuseQueued answers every queued request with ErrUnavailable.
func (b *batcher) refuseQueued() {
	for {
		select {
		case r := <-b.reqs:
			r.res <- ingestRes{err: ErrUnavailable}
		default:
			return
		}
	}
}

// stop ends the writer loop and waits for it.
func (b *batcher) stop() {
	b.once.Do(func() { close(b.quit) })
	<-b.done
}
