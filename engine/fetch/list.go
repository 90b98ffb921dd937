package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/hirewire/hirewire/rules/tmpl"
)

// ListConfig is an object's optional list call, which refreshes many
// objects of the kind in one call (e.g. every candidate of a position).
type ListConfig struct {
	// Get is the template of the list's API path, on the event
	// ("Candidates/json/?posid={{ event.ProjectId }}&take=100").
	Get string
	// Select is an expression on the answer that yields the list ("Items").
	Select string
	// ItemID is an expression on each item that yields its object id
	// (default "Id").
	ItemID string
}

// list is a ListConfig compiled at start.
type list struct {
	get    *tmpl.Template
	sel    *vm.Program
	itemID *vm.Program
	method string
}

// compileList compiles an object's list call.
func compileList(env *tmpl.Env, c *ListConfig) (*list, error) {
	l := &list{}
	var err error
	if l.method, err = apiMethod(c.Get); err != nil {
		return nil, fmt.Errorf("list: get: %w", err)
	}
	if l.get, err = env.Template(c.Get); err != nil {
		return nil, fmt.Errorf("list: get: %w", err)
	}
	if c.Select == "" {
		return nil, errors.New("list: select: empty")
	}
	if l.sel, err = compileExpr(c.Select); err != nil {
		return nil, fmt.Errorf("list: select: %w", err)
	}
	itemID := c.ItemID
	if itemID == "" {
		itemID = "Id"
	}
	if l.itemID, err = compileExpr(itemID); err != nil {
		return nil, fmt.Errorf("list: item id: %w", err)
	}
	return l, nil
}

// compileExpr compiles an expression on an API answer, keeping the first
// line of expr's message.
func compileExpr(src string) (*vm.Program, error) {
	p, err := expr.Compile(src)
	if err != nil {
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return nil, errors.New(msg)
	}
	return p, nil
}

// listPath renders the list call for an event; "" when the object has no
// list or the event lacks a value the list needs.
func (o *object) listPath(vars map[string]any) string {
	if o.list == nil {
		return ""
	}
	empty := false
	p, err := o.list.get.RenderWith(vars, func(v any) string {
		s := tmpl.String(v)
		empty = empty || s == ""
		return url.QueryEscape(s)
	})
	if err != nil || empty {
		return ""
	}
	return strings.TrimPrefix(p, "/")
}

// callList makes one list call (its budget taken) and stores a copy of
// every object it returns. The object w wants may be missing from the
// list; it is then fetched alone next time.
func (f *Fetcher) callList(ctx context.Context, w *want, at time.Time) (*loaded, error) {
	method := w.o.list.method
	items, err := f.listItems(ctx, w)
	var pe *pauseError
	switch {
	case errors.As(err, &pe):
		return f.paused(ctx, method, pe)
	case errors.Is(err, ErrUnusable):
		// The list cannot serve (HTTP 400: take too large for the
		// account, say): its waiting objects are fetched alone instead,
		// and no event fails for it.
		f.metrics.call(method, "error")
		f.log.Warn("list call unusable; fetching its objects one by one", "object", w.o.Name, "err", err)
		f.lists.listed(w, false, at)
		return &loaded{}, nil
	case err != nil:
		f.metrics.call(method, "error")
		return nil, err
	}
	f.metrics.call(method, "ok")
	out := &loaded{}
	for id, item := range items {
		l, err := f.keep(ctx, w.o, id, item, at, nil)
		if err != nil {
			return nil, err
		}
		f.lists.done(&want{o: w.o, id: id, list: w.list})
		if id == w.id {
			out = l
		}
	}
	f.lists.listed(w, out.snap != nil, at)
	return out, nil
}

// listItems calls the list and returns its items by object id.
func (f *Fetcher) listItems(ctx context.Context, w *want) (map[string]any, error) {
	body, err := f.client.get(ctx, w.list)
	if errors.Is(err, errGone) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fetch: listing %s: %w", w.o.Name, err)
	}
	env, ok := body.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("fetch: listing %s: %w: answer is %T, not a JSON object", w.o.Name, ErrUnusable, body)
	}
	v, err := expr.Run(w.o.list.sel, env)
	if err != nil {
		return nil, fmt.Errorf("fetch: listing %s: %w: select: %w", w.o.Name, ErrUnusable, err)
	}
	list, _ := v.([]any)
	items := make(map[string]any, len(list))
	for _, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if id, err := expr.Run(w.o.list.itemID, m); err == nil && tmpl.String(id) != "" {
			items[tmpl.String(id)] = m
		}
	}
	return items, nil
}

// listWaits remembers, per list call, which objects wait for the API, so
// that a list call is made only when it serves more than one of them, and
// which objects a list did not return, so that they are not waited for in
// that list again.
type listWaits struct {
	mu      sync.Mutex
	waiting map[string]map[string]time.Time // object and list path → ids → since
	missing map[string]time.Time            // object, list path and id → when seen missing
}

// listMemory is how long listWaits remembers a wait or a missing object.
const listMemory = 24 * time.Hour

func listKey(w *want) string { return w.o.Name + "\x00" + w.list }

// add notes that w waits at now.
func (l *listWaits) add(w *want, now time.Time) {
	if w.list == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.waiting == nil {
		l.waiting = map[string]map[string]time.Time{}
	}
	l.prune(now)
	k := listKey(w)
	if t, ok := l.missing[k+"\x00"+w.id]; ok && now.Sub(t) < listMemory {
		return
	}
	if l.waiting[k] == nil {
		l.waiting[k] = map[string]time.Time{}
	}
	if _, ok := l.waiting[k][w.id]; !ok {
		l.waiting[k][w.id] = now
	}
}

// prune drops what is older than listMemory.
func (l *listWaits) prune(now time.Time) {
	for k, ids := range l.waiting {
		for id, t := range ids {
			if now.Sub(t) >= listMemory {
				delete(ids, id)
			}
		}
		if len(ids) == 0 {
			delete(l.waiting, k)
		}
	}
	for k, t := range l.missing {
		if now.Sub(t) >= listMemory {
			delete(l.missing, k)
		}
	}
}

// done notes that w is served.
func (l *listWaits) done(w *want) {
	if w.list == "" {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k := listKey(w)
	delete(l.waiting[k], w.id)
	if len(l.waiting[k]) == 0 {
		delete(l.waiting, k)
	}
}

// listed notes the outcome of a list call at now, made for w (found in it
// or not): every object still waiting for it was not in it, and will be
// fetched alone.
func (l *listWaits) listed(w *want, found bool, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.missing == nil {
		l.missing = map[string]time.Time{}
	}
	k := listKey(w)
	for id := range l.waiting[k] {
		l.missing[k+"\x00"+id] = now
	}
	if !found {
		l.missing[k+"\x00"+w.id] = now
	}
	delete(l.waiting, k)
}

// crowded reports whether an object other than w waits for w's list.
func (l *listWaits) crowded(w *want) bool {
	if w.list == "" {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := l.waiting[listKey(w)]
	others := len(ids)
	if _, self := ids[w.id]; self {
		others--
	}
	return others >= 1
}
