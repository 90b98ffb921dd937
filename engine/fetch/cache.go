package fetch

import (
	"sync"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// defaultCacheSize bounds the copies kept in memory; the store keeps all.
const defaultCacheSize = 10000

// memory is the first cache level: the latest copy of each object this
// node has seen, so that busy objects do not cost a store read per event.
type memory struct {
	mu  sync.Mutex
	max int
	m   map[string]*store.Snapshot
}

func newMemory(max int) *memory {
	if max <= 0 {
		max = defaultCacheSize
	}
	return &memory{max: max, m: map[string]*store.Snapshot{}}
}

func cacheKey(object, id string) string { return object + "\x00" + id }

// get returns the cached copy of an object, or nil.
func (c *memory) get(object, id string) *store.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[cacheKey(object, id)]
}

// put keeps s unless a copy fetched later is cached already. When full, it
// drops about a quarter of the entries, chosen by map order (random).
func (c *memory) put(s *store.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := cacheKey(s.Object, s.ID)
	if old, ok := c.m[k]; ok && old.FetchedAt.After(s.FetchedAt) {
		return
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		n := len(c.m) / 4
		for key := range c.m {
			if n <= 0 {
				break
			}
			delete(c.m, key)
			n--
		}
	}
	c.m[k] = s
}

// forget drops an object's copy.
func (c *memory) forget(object, id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, cacheKey(object, id))
}

// waiters tracks the events that currently wait for the API, for the
// waiting_events gauge. An event that is not seen again within an hour of
// its wait is dropped (another node may have taken it).
type waiters struct {
	mu sync.Mutex
	m  map[string]time.Time
}

// set records that event id waits until the given time (zero: it does not
// wait any more) and returns how many events wait.
func (w *waiters) set(id string, until, now time.Time) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.m == nil {
		w.m = map[string]time.Time{}
	}
	if until.IsZero() {
		delete(w.m, id)
	} else {
		w.m[id] = until
	}
	for k, t := range w.m {
		if now.Sub(t) > time.Hour {
			delete(w.m, k)
		}
	}
	return len(w.m)
}
