package rules

import (
	"sync"
	"sync/atomic"
	"time"
)

// Current holds the active Set for concurrent readers and records how the
// last reload went, for the admin API and metrics.
type Current struct {
	load func() (*Set, error)
	now  func() time.Time

	set atomic.Pointer[Set]
	// reloading makes reloads one at a time; mu guards state, so that
	// readers of State never wait for a load.
	reloading sync.Mutex
	mu        sync.Mutex
	state     State
}

// State is the outcome of the latest reload.
type State struct {
	// Version and LoadedAt are those of the active Set.
	Version  string
	LoadedAt time.Time
	Rules    int
	// OK reports whether the latest reload worked; LastError is its error
	// text, empty when it worked.
	OK        bool
	LastError string
	// LastReload is when the latest reload ran; Changed whether it swapped
	// in a new Set.
	LastReload time.Time
	Changed    bool
	// Reloads and Failures count the reloads run and those that failed.
	Reloads, Failures int
}

// NewCurrent returns a Current that reloads with load (e.g. a closure over
// Load and the configured path). Call Reload once to load the first Set.
// now stamps reloads; nil means time.Now.
func NewCurrent(load func() (*Set, error), now func() time.Time) *Current {
	if now == nil {
		now = time.Now
	}
	return &Current{load: load, now: now}
}

// Load returns the active Set, nil before the first successful reload.
func (c *Current) Load() *Set { return c.set.Load() }

// Store makes s the active Set, e.g. one built by a test.
func (c *Current) Store(s *Set) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.swap(s)
}

// swap makes s active; c.mu must be held.
func (c *Current) swap(s *Set) {
	c.set.Store(s)
	c.state.Version, c.state.LoadedAt, c.state.Rules = s.Version, s.LoadedAt, len(s.Rules)
}

// Reload loads the rules and makes them active if they loaded and their
// version differs from the active one. On error the active Set stays and
// the error is recorded. It returns the Set active afterwards.
func (c *Current) Reload() (*Set, error) {
	c.reloading.Lock()
	defer c.reloading.Unlock()
	s, err := c.load()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.state.LastReload = c.now()
	c.state.Reloads++
	c.state.Changed = false
	if err != nil {
		c.state.OK, c.state.LastError = false, err.Error()
		c.state.Failures++
		return c.set.Load(), err
	}
	c.state.OK, c.state.LastError = true, ""
	if old := c.set.Load(); old != nil && old.Version == s.Version {
		return old, nil
	}
	c.swap(s)
	c.state.Changed = true
	return s, nil
}

// State returns the outcome of the latest reload.
func (c *Current) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}
