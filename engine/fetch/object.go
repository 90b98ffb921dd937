package fetch

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// ObjectConfig is one entry of sources.hrmanager.objects in hirewire.yaml.
type ObjectConfig struct {
	// Name is the object's name in rules ("candidate").
	Name string
	// ID is an expression on the event that yields the object's id
	// ("event.CandidateId"); nil or "" means the event names no such object.
	ID string
	// Get is the template of the API path, relative to the base URL
	// ("Candidates/json/?canid={{ id }}"). Its first path segment is the
	// API method, the unit of the budget, and must be constant.
	Get string
	// Select is an expression on the decoded answer that yields the object
	// ("Items[0]"); empty means the whole answer.
	Select string
	// TTL is how long a copy serves events whose type is not in RefreshOn.
	TTL time.Duration
	// RefreshOn lists the event types that need a copy fetched after the
	// event (or its latest duplicate) was received.
	RefreshOn []string
	// MaxWait bounds how long an event waits for the API: after that it
	// proceeds on the cached copy, marked stale. Zero waits forever.
	MaxWait time.Duration
	// List, if set, is a call that refreshes many objects of this kind at
	// once; it is used when several of them wait for the budget.
	List *ListConfig
}

// object is an ObjectConfig compiled at start.
type object struct {
	ObjectConfig
	id     *tmpl.Expr
	get    *tmpl.Template
	sel    *vm.Program // nil: the whole answer
	method string
	list   *list // nil: no list call
}

// CheckObject compiles one object's settings as New would and returns the
// first problem, which starts with the setting it is in (id, get, select,
// list).
func CheckObject(c ObjectConfig) error {
	o := &object{ObjectConfig: c}
	return o.compile(tmpl.NewEnv())
}

// compileObject compiles one object's expressions; errors name the object.
func compileObject(env *tmpl.Env, c ObjectConfig) (*object, error) {
	o := &object{ObjectConfig: c}
	if err := o.compile(env); err != nil {
		return nil, fmt.Errorf("object %q: %w", c.Name, err)
	}
	return o, nil
}

func (o *object) compile(env *tmpl.Env) error {
	if o.Name == "" {
		return errors.New("no name")
	}
	if o.TTL < 0 || o.MaxWait < 0 {
		return errors.New("negative ttl or max_wait")
	}
	var err error
	if o.id, err = env.Compile(o.ID); err != nil {
		return fmt.Errorf("id: %w", err)
	}
	if o.method, err = apiMethod(o.Get); err != nil {
		return fmt.Errorf("get: %w", err)
	}
	if o.get, err = env.With(map[string]any{tmpl.VarID: ""}).Template(o.Get); err != nil {
		return fmt.Errorf("get: %w", err)
	}
	if o.Select != "" {
		if o.sel, err = compileExpr(o.Select); err != nil {
			return fmt.Errorf("select: %w", err)
		}
	}
	if o.List != nil {
		if o.list, err = compileList(env, o.List); err != nil {
			return err
		}
	}
	return nil
}

// apiMethod returns the first path segment of a get template, which must
// be constant text: it names the budget the call is charged to.
func apiMethod(get string) (string, error) {
	if get == "" {
		return "", errors.New("empty")
	}
	if strings.Contains(get, "://") || strings.HasPrefix(get, "//") {
		return "", errors.New("must be a path relative to the API base URL")
	}
	seg, _, _ := strings.Cut(strings.TrimPrefix(get, "/"), "/")
	seg, _, _ = strings.Cut(seg, "?")
	if seg == "" || strings.Contains(seg, "{{") {
		return "", errors.New("the first path segment (the API method) must be constant")
	}
	return seg, nil
}

// objectID evaluates the id expression; "" means the event has no id.
func (o *object) objectID(vars map[string]any) (string, error) {
	v, err := o.id.Eval(vars)
	if err != nil {
		return "", fmt.Errorf("object %q: id: %w (%w)", o.Name, err, ErrNotFetchable)
	}
	return strings.TrimSpace(tmpl.String(v)), nil
}

// path renders the get template for id; values are query-escaped so that
// event data cannot change where the request goes.
func (o *object) path(vars map[string]any, id string) (string, error) {
	vs := make(map[string]any, len(vars)+1)
	for k, v := range vars {
		vs[k] = v
	}
	vs[tmpl.VarID] = id
	p, err := o.get.RenderWith(vs, func(v any) string { return url.QueryEscape(tmpl.String(v)) })
	if err != nil {
		return "", fmt.Errorf("object %q: get: %w (%w)", o.Name, err, ErrNotFetchable)
	}
	return strings.TrimPrefix(p, "/"), nil
}

// selectFrom applies the select expression to a decoded answer. Indexing
// past the end of a list (`Items[0]` of an empty search) means the object
// is gone, like a 404.
func (o *object) selectFrom(body any) (any, error) {
	if o.sel == nil {
		return body, nil
	}
	env, ok := body.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("select: answer is %T, not a JSON object", body)
	}
	v, err := expr.Run(o.sel, env)
	if err != nil {
		if strings.Contains(err.Error(), "out of range") {
			return nil, nil
		}
		msg, _, _ := strings.Cut(err.Error(), "\n")
		return nil, fmt.Errorf("select: %s", msg)
	}
	return v, nil
}

// seen is the receipt time a fresh copy must follow: the latest duplicate.
// Like fetch times it counts in milliseconds, the precision of the store.
func seen(e *event.Event) time.Time {
	t := e.LastSeenAt
	if t.IsZero() {
		t = e.ReceivedAt
	}
	return t.Truncate(time.Millisecond)
}

// refreshes reports whether events of type t need a copy fetched after them.
func (o *object) refreshes(t string) bool { return slices.Contains(o.RefreshOn, t) }

// need returns the test a copy must pass to serve event e at now: fetched
// after the event was received, or (when the type is not in RefreshOn)
// younger than the TTL.
func (o *object) need(e *event.Event, now time.Time) func(fetchedAt time.Time) bool {
	after := seen(e)
	if o.refreshes(e.Type) {
		return func(at time.Time) bool { return !at.Before(after) }
	}
	ttl := o.TTL
	return func(at time.Time) bool { return !at.Before(after) || now.Sub(at) < ttl }
}
