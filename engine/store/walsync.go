package store

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// walSyncer makes SQLite commits durable by fsync'ing the WAL file
// itself. The write connection runs with synchronous=NORMAL, so a COMMIT
// returns once its frames are written (in the OS's cache) but not yet on
// disk; fsync of the WAL after the commit puts them there, which is what
// synchronous=FULL does inside COMMIT. Done here, the fsync of one group
// commit overlaps the next group's inserts, and one fsync serves every
// group that committed before it began. Checkpoints sync the WAL and the
// database file themselves (the checkpointer's connection is FULL).
//
// Nothing is acknowledged before the fsync that covers it has returned.
//
// A failed fsync breaks the syncer for good: Linux reports a lost write
// once, and a later fsync may succeed although the earlier pages never
// reached the disk, so no later commit may be called durable. Every write
// is refused until hirewire restarts and SQLite recovers the log.
type walSyncer struct {
	path   string
	mu     sync.Mutex // guards f; one fsync at a time
	f      *os.File
	failed atomic.Pointer[error]

	queue chan func(error)
	done  chan struct{}

	syncFile func(*os.File) error // (*os.File).Sync; tests make it fail
}

func newWALSyncer(dbPath string) *walSyncer {
	w := &walSyncer{path: dbPath + "-wal", queue: make(chan func(error), 1024), done: make(chan struct{}),
		syncFile: (*os.File).Sync}
	go w.run()
	return w
}

// sync fsyncs the WAL now and returns when it is done.
func (w *walSyncer) sync() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.broken(); err != nil {
		return err
	}
	if err := w.open(); err != nil {
		return err
	}
	if err := w.syncFile(w.f); err != nil {
		err = fmt.Errorf("fsync of the WAL failed; the store refuses writes until hirewire restarts: %w", err)
		w.failed.Store(&err)
		return err
	}
	return nil
}

// broken returns the failed fsync that stopped the syncer, or nil.
func (w *walSyncer) broken() error {
	if p := w.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// open (re)opens the WAL file if it is not open or was replaced (SQLite
// deletes the WAL only when the last connection closes).
func (w *walSyncer) open() error {
	if w.f != nil {
		cur, err1 := w.f.Stat()
		now, err2 := os.Stat(w.path)
		if err1 == nil && err2 == nil && os.SameFile(cur, now) {
			return nil
		}
		w.f.Close()
		w.f = nil
	}
	f, err := os.Open(w.path)
	if err != nil {
		return fmt.Errorf("opening the WAL to fsync it: %w", err)
	}
	w.f = f
	return nil
}

// after calls then with the result of an fsync that begins after this call,
// from the syncer's goroutine, in order.
func (w *walSyncer) after(then func(error)) { w.queue <- then }

// run serves after: it takes every waiting callback, fsyncs once, and
// answers them all.
func (w *walSyncer) run() {
	defer close(w.done)
	var batch []func(error)
	for then := range w.queue {
		batch = append(batch[:0], then)
	drain:
		for {
			select {
			case t, ok := <-w.queue:
				if !ok {
					break drain
				}
				batch = append(batch, t)
			default:
				break drain
			}
		}
		err := w.sync()
		for _, t := range batch {
			t(err)
		}
	}
}

// stop answers what is queued and ends the syncer; after must not be
// called any more.
func (w *walSyncer) stop() {
	close(w.queue)
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f != nil {
		w.f.Close()
		w.f = nil
	}
}
