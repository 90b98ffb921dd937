package fetch

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// t0 is the start of every test's fake time.
var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: t0} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.t) {
		c.t = t
	}
}

func (c *clock) Add(d time.Duration) { c.Set(c.Now().Add(d)) }

// apiCall is one request the fake API saw.
type apiCall struct {
	Method, ID string
	List       bool      // a list of a position's candidates
	At         time.Time // fake time
	Key        string    // the apikey header
}

// fakeAPI is HR Manager's REST API for tests. It answers with the sample
// answers in testdata, with the requested id, the status set by the test,
// and ServedAt: the fake time of the answer, so a test can tell when the
// data it got was fetched.
type fakeAPI struct {
	*httptest.Server
	clock *clock
	tmpl  map[string]map[string]any // method → decoded sample answer

	mu       sync.Mutex
	calls    []apiCall
	statuses map[string]string           // candidate id → Status
	members  map[string][]string         // position id → candidate ids
	respond  func(c apiCall) (int, bool) // override: status code, handled
	hold     chan struct{}               // if set, answers wait for it to close
}

func newFakeAPI(t *testing.T, clk *clock) *fakeAPI {
	t.Helper()
	a := &fakeAPI{clock: clk, tmpl: map[string]map[string]any{}, statuses: map[string]string{}, members: map[string][]string{}}
	for _, m := range []string{"Candidates", "Positions"} {
		data, err := os.ReadFile("testdata/" + m + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var v map[string]any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatal(err)
		}
		a.tmpl[m] = v
	}
	a.Server = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.Close)
	return a
}

func (a *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	method, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	q := r.URL.Query()
	c := apiCall{Method: method, ID: q.Get("canid") + q.Get("posid"), At: a.clock.Now(), Key: r.Header.Get("apikey")}
	c.List = method == "Candidates" && q.Has("posid") && !q.Has("canid")
	a.mu.Lock()
	a.calls = append(a.calls, c)
	respond, hold, status := a.respond, a.hold, a.statuses[c.ID]
	a.mu.Unlock()
	if c.List {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(a.list(c))
		return
	}
	if hold != nil {
		<-hold
	}
	if respond != nil {
		if code, ok := respond(c); ok {
			w.WriteHeader(code)
			return
		}
	}
	if a.tmpl[method] == nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(a.answer(method, c, status))
}

// answer builds the sample answer of method for one id.
func (a *fakeAPI) answer(method string, c apiCall, status string) []byte {
	data, _ := json.Marshal(a.tmpl[method])
	var v map[string]any
	_ = json.Unmarshal(data, &v)
	item := v["Items"].([]any)[0].(map[string]any)
	item["Id"] = json.Number(c.ID)
	if status == "" {
		status = "New"
	}
	item["Status"] = status
	item["ServedAt"] = fmt.Sprintf("/Date(%d+0100)/", c.At.UnixMilli())
	out, _ := json.Marshal(v)
	return out
}

// list answers a list of a position's candidates.
func (a *fakeAPI) list(c apiCall) []byte {
	a.mu.Lock()
	ids := a.members[c.ID]
	a.mu.Unlock()
	items := []any{}
	for _, id := range ids {
		var one map[string]any
		_ = json.Unmarshal(a.answer("Candidates", apiCall{ID: id, At: c.At}, a.status(id)), &one)
		items = append(items, one["Items"].([]any)[0])
	}
	out, _ := json.Marshal(map[string]any{"Items": items, "Total": len(items), "Skip": 0, "Take": 100})
	return out
}

func (a *fakeAPI) status(id string) string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.statuses[id]
}

func (a *fakeAPI) setStatus(id, status string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.statuses[id] = status
}

func (a *fakeAPI) setRespond(f func(c apiCall) (int, bool)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.respond = f
}

func (a *fakeAPI) callLog() []apiCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]apiCall(nil), a.calls...)
}

func (a *fakeAPI) count() int { return len(a.callLog()) }

// objectsConfig is hirewire.yaml's default candidate and position.
func objectsConfig() []ObjectConfig {
	return []ObjectConfig{
		{
			Name: "candidate", ID: "event.CandidateId",
			Get: "Candidates/json/?canid={{ id }}", Select: "Items[0]", TTL: 15 * time.Minute,
			RefreshOn: []string{"CandidateUpdated", "CandidateStatusUpdated", "CandidateHired"},
		},
		{
			Name: "position", ID: "event.ProjectId",
			Get: "Positions/json/?posid={{ id }}", Select: "Items[0]", TTL: time.Hour,
			RefreshOn: []string{"PositionPublished", "PositionUnpublished", "ProjectUpdated"},
		},
	}
}

const testKey = "k3y-Secret-1234"

// newFetcher returns a Fetcher on the fake API, clock and store; change
// adjusts the options first.
func newFetcher(t *testing.T, api *fakeAPI, clk *clock, st Store, change ...func(*Options)) *Fetcher {
	t.Helper()
	opts := Options{BaseURL: api.URL, APIKey: testKey, Objects: objectsConfig(), Store: st, Now: clk.Now}
	for _, c := range change {
		c(&opts)
	}
	f, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// newEvent returns an event of type typ about candidate id received at at.
func newEvent(typ string, candidate int, at time.Time) (*event.Event, map[string]any) {
	body := fmt.Sprintf(`{"Message":{"EventType":%q,"CandidateId":%d,"ProjectId":143568},"CustomerId":1885}`, typ, candidate)
	e := &event.Event{ID: event.NewID(at), Source: "hrmanager", Type: typ, Key: fmt.Sprintf("candidate:%d", candidate),
		Body: json.RawMessage(body), ReceivedAt: at, LastSeenAt: at}
	fields, err := e.Fields()
	if err != nil {
		panic(err)
	}
	return e, fields
}

// field reads obj[key] of an object in a result.
func field(t *testing.T, objs map[string]any, name, key string) any {
	t.Helper()
	m, ok := objs[name].(map[string]any)
	if !ok {
		t.Fatalf("%s is %T, want an object", name, objs[name])
	}
	return m[key]
}

// newRawServer answers every request with code, an optional Retry-After
// and body.
func newRawServer(t *testing.T, code int, retryAfter, body string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(code)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv
}
