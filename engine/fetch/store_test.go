package fetch

import (
	"context"
	"sync"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// memStore is a small in-memory Store with the budget semantics of
// store.Store: fewer than perHour calls in the hour before now, fewer than
// perDay in the day before, and no pause in force.
type memStore struct {
	mu     sync.Mutex
	snaps  map[string]*store.Snapshot
	calls  map[string][]time.Time
	paused map[string]time.Time
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{snaps: map[string]*store.Snapshot{}, calls: map[string][]time.Time{}, paused: map[string]time.Time{}}
}

func (m *memStore) Snapshot(_ context.Context, object, id string) (*store.Snapshot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.snaps[object+"/"+id]
	if !ok {
		return nil, store.ErrNotFound
	}
	c := *s
	return &c, nil
}

func (m *memStore) PutSnapshot(_ context.Context, s *store.Snapshot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := *s
	c.Prior, c.PriorAt = nil, time.Time{}
	if old, ok := m.snaps[s.Object+"/"+s.ID]; ok {
		c.Prior, c.PriorAt = old.Data, old.FetchedAt
	}
	m.snaps[s.Object+"/"+s.ID] = &c
	return nil
}

func (m *memStore) DeleteSnapshot(_ context.Context, object, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.snaps, object+"/"+id)
	return nil
}

func (m *memStore) TakeCall(_ context.Context, method string, now time.Time, perHour, perDay int) (bool, time.Time, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := now
	if p := m.paused[method]; p.After(next) {
		next = p
	}
	var hour, day []time.Time
	for _, t := range m.calls[method] {
		if now.Sub(t) < 24*time.Hour {
			day = append(day, t)
			if now.Sub(t) < time.Hour {
				hour = append(hour, t)
			}
		}
	}
	if len(hour) >= perHour {
		next = later(next, hour[len(hour)-perHour].Add(time.Hour))
	}
	if len(day) >= perDay {
		next = later(next, day[len(day)-perDay].Add(24*time.Hour))
	}
	m.calls[method] = day
	if next.After(now) {
		return false, next, nil
	}
	m.calls[method] = append(day, now)
	return true, time.Time{}, nil
}

func (m *memStore) PauseMethod(_ context.Context, method string, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.paused[method] = later(m.paused[method], until)
	return nil
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
