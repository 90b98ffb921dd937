package rules

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchOptions tunes a Watcher; zero fields take the defaults.
type WatchOptions struct {
	// Debounce is how long the directory must be quiet after an event
	// before reloading (250ms), so one save or swap reloads once.
	Debounce time.Duration
	// Poll is how often the files' fingerprint is compared as well (5s), in
	// case events were missed.
	Poll time.Duration
	// Rewatch is how often the watched directory is checked for having
	// been removed or replaced (200ms), to watch the new one.
	Rewatch time.Duration
	// Version is the Version of the rules already loaded; if empty, the
	// first poll reloads once.
	Version string
	// Logger receives problems with the watch itself; nil means none.
	// Reload failures are the reload function's to report.
	Logger *slog.Logger
}

// Watcher calls a reload function when the rules at a path may have
// changed: an editor's save, a rename over the file, a Kubernetes ConfigMap
// symlink swap, delete and re-create, a `git checkout`.
//
// It watches the directory that holds the rules (or the rules directory
// itself) and treats any event there as a trigger, since symlink swaps and
// renames show as events on other names than the rules file's. The reload
// function is expected to compare versions and swap only on change, as
// Current.Reload does.
type Watcher struct {
	path, dir string
	reload    func() error
	opts      WatchOptions
	log       *slog.Logger
	fw        *fsnotify.Watcher

	// last is the fingerprint when reload was last called.
	last string
	// watched is the directory as it was when watched; nil while lost.
	watched os.FileInfo
	// addErr is the last failure to watch, logged once.
	addErr string
}

// NewWatcher returns a Watcher of the rules at path, a file or directory.
// The watch starts at once, so changes made after NewWatcher returns are
// seen; call Run to act on them, or Close.
func NewWatcher(path string, reload func() error, opts WatchOptions) (*Watcher, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("watching rules: %w", err)
	}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watching rules: %w", err)
	}
	dir := filepath.Dir(path)
	if st.IsDir() {
		dir = filepath.Clean(path)
	}
	opts.Debounce = cmpOr(opts.Debounce, 250*time.Millisecond)
	opts.Poll = cmpOr(opts.Poll, 5*time.Second)
	opts.Rewatch = cmpOr(opts.Rewatch, 200*time.Millisecond)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{path: path, dir: dir, reload: reload, opts: opts, log: log, fw: fw, last: opts.Version}
	w.rewatch() // a first watch is no change: the caller has loaded
	return w, nil
}

// Close ends the watch; Run does it when it returns.
func (w *Watcher) Close() error { return w.fw.Close() }

func cmpOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Run watches until ctx is done, then closes the watch and returns nil.
func (w *Watcher) Run(ctx context.Context) error {
	defer w.Close()
	debounce := time.NewTimer(w.opts.Debounce)
	debounce.Stop()
	poll := time.NewTicker(w.opts.Poll)
	defer poll.Stop()
	rewatch := time.NewTicker(w.opts.Rewatch)
	defer rewatch.Stop()
	for {
		select {
		case <-ctx.Done():
			debounce.Stop()
			return nil
		case ev, ok := <-w.fw.Events:
			if !ok {
				return nil // closed by Close
			}
			if filepath.Clean(ev.Name) == w.dir && ev.Has(fsnotify.Remove|fsnotify.Rename) {
				// A new directory may reuse the old one's inode, so
				// SameFile cannot be trusted to notice the swap.
				w.lost()
			}
			debounce.Reset(w.opts.Debounce)
		case err, ok := <-w.fw.Errors:
			if !ok {
				return nil
			}
			// An overflow means events were lost: look anyway.
			w.log.Warn("watching rules", "dir", w.dir, "err", err)
			debounce.Reset(w.opts.Debounce)
		case <-debounce.C:
			w.fire()
		case <-rewatch.C:
			if w.rewatch() {
				debounce.Reset(w.opts.Debounce)
			}
		case <-poll.C:
			w.poll()
		}
	}
}

// rewatch watches the directory anew when it was removed or replaced since
// it was watched, and reports whether it did.
func (w *Watcher) rewatch() bool {
	st, err := os.Stat(w.dir)
	if err != nil {
		w.lost()
		return false
	}
	if w.watched != nil && os.SameFile(w.watched, st) {
		return false
	}
	w.lost()
	if err := w.fw.Add(w.dir); err != nil {
		if err.Error() != w.addErr {
			w.log.Warn("watching rules", "dir", w.dir, "err", err)
		}
		w.addErr = err.Error()
		return false
	}
	w.watched, w.addErr = st, ""
	return true
}

// lost drops the watch of a directory that was removed or replaced.
func (w *Watcher) lost() {
	if w.watched != nil {
		_ = w.fw.Remove(w.dir) // the watch may be gone with the directory
		w.watched = nil
	}
}

// poll reloads if the fingerprint differs from the last reload's.
func (w *Watcher) poll() {
	if fingerprint(w.path) != w.last {
		w.fire()
	}
}

// fire calls reload, noting the fingerprint first: a change after it is
// then seen by the next event or poll. The reload function reports its own
// errors (with every line:col), so they are not logged twice.
func (w *Watcher) fire() {
	w.last = fingerprint(w.path)
	_ = w.reload()
}

// fingerprint is Fingerprint, or "" when the rules cannot be read.
func fingerprint(path string) string {
	fp, err := Fingerprint(path)
	if err != nil {
		return ""
	}
	return fp
}
