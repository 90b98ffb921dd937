package ingest_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/config"
	"github.com/hirewire/hirewire/engine/ingest"
	"github.com/hirewire/hirewire/engine/store"
)

const secret = "change-me"

// rig is a webhook endpoint over a real SQLite store.
type rig struct {
	st  store.Store
	srv *httptest.Server
	now time.Time
}

func newRig(t *testing.T, edit func(*ingest.Options)) *rig {
	t.Helper()
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &rig{st: st, now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	opts := ingest.Options{
		Source: "hrmanager", Secret: secret, SecretField: "WebhookSecret",
		DedupWindow: 10 * time.Minute, OrderBy: config.DefaultOrderBy, MaxBody: config.DefaultMaxBody,
		Store: st, Now: func() time.Time { return r.now },
	}
	if edit != nil {
		edit(&opts)
	}
	r.srv = httptest.NewServer(ingest.New(opts))
	t.Cleanup(r.srv.Close)
	return r
}

// post sends body with the given headers and returns the status and the
// decoded JSON answer, along with its raw text.
func (r *rig) post(t *testing.T, body []byte, header map[string]string) (int, map[string]any, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.srv.URL+"/hooks/hrmanager", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := r.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("answer %q is not JSON: %v", raw, err)
	}
	return resp.StatusCode, out, string(raw)
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// stored returns the events in the store, newest first.
func (r *rig) stored(t *testing.T) []*store.EventRecord {
	t.Helper()
	evs, err := r.st.Events(context.Background(), store.EventFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func TestAcceptedIsStored(t *testing.T) {
	r := newRig(t, nil)
	status, out, _ := r.post(t, sample(t, "CandidateHired.json"), nil)
	if status != http.StatusAccepted {
		t.Fatalf("status %d, want 202: %v", status, out)
	}
	id, _ := out["id"].(string)
	if len(id) != 26 || out["duplicate"] != nil {
		t.Fatalf("answer %v, want a 26-character id and no duplicate flag", out)
	}
	rec, err := r.st.Event(context.Background(), id)
	if err != nil {
		t.Fatalf("the event acknowledged is not in the store: %v", err)
	}
	if rec.Type != "CandidateHired" || rec.Source != "hrmanager" || rec.Status != store.StatusPending {
		t.Errorf("stored %s/%s/%s, want hrmanager/CandidateHired/pending", rec.Source, rec.Type, rec.Status)
	}
	if !rec.ReceivedAt.Equal(r.now) {
		t.Errorf("received at %v, want the injected clock's %v", rec.ReceivedAt, r.now)
	}
	want := `{"CustomerId":1885,"DepartmentId":18960,"Message":{"CandidateId":987654,"EventType":"CandidateHired","ProjectId":143568}}`
	if string(rec.Body) != want {
		t.Errorf("body\n%s\nwant\n%s", rec.Body, want)
	}
}

func TestDuplicateAnswersFirstID(t *testing.T) {
	r := newRig(t, nil)
	_, first, _ := r.post(t, sample(t, "CandidateHired.json"), nil)
	r.now = r.now.Add(time.Minute)
	status, out, _ := r.post(t, sample(t, "CandidateHired.json"), nil)
	if status != http.StatusOK || out["id"] != first["id"] || out["duplicate"] != true {
		t.Fatalf("second post: %d %v, want 200 with id %v and duplicate true", status, out, first["id"])
	}
	if n := len(r.stored(t)); n != 1 {
		t.Errorf("%d events stored, want 1", n)
	}
	rec, err := r.st.Event(context.Background(), first["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if !rec.LastSeenAt.Equal(r.now) {
		t.Errorf("last seen %v, want the duplicate's receipt %v", rec.LastSeenAt, r.now)
	}
}

func TestCanonicalFormCollapsesDuplicates(t *testing.T) {
	r := newRig(t, nil)
	a := `{"Message":{"EventType":"CandidateHired","CandidateId":987654,"ProjectId":143568},"DepartmentId":18960,"CustomerId":1885,"WebhookSecret":"change-me"}`
	b := "{ \"CustomerId\" : 1885,\n\t\"WebhookSecret\":\"change-me\", \"DepartmentId\":18960,\n" +
		"  \"Message\": {\"ProjectId\":143568, \"CandidateId\": 987654, \"EventType\": \"CandidateHired\"} }"
	c := strings.Replace(a, "143568", "143569", 1)
	_, first, _ := r.post(t, []byte(a), nil)
	status, out, _ := r.post(t, []byte(b), nil)
	if status != http.StatusOK || out["id"] != first["id"] {
		t.Errorf("reordered and reformatted copy: %d %v, want a duplicate of %v", status, out, first["id"])
	}
	status, out, _ = r.post(t, []byte(c), nil)
	if status != http.StatusAccepted || out["id"] == first["id"] {
		t.Errorf("another project: %d %v, want a new event", status, out)
	}
}

func TestDuplicateAfterWindowIsNew(t *testing.T) {
	r := newRig(t, nil)
	_, first, _ := r.post(t, sample(t, "CandidateHired.json"), nil)
	r.now = r.now.Add(11 * time.Minute)
	status, out, _ := r.post(t, sample(t, "CandidateHired.json"), nil)
	if status != http.StatusAccepted || out["id"] == first["id"] {
		t.Fatalf("after the window: %d %v, want a new event", status, out)
	}
}

func TestDebounceHoldsTheEvent(t *testing.T) {
	r := newRig(t, func(o *ingest.Options) { o.Debounce = map[string]time.Duration{"CandidateHired": 20 * time.Second} })
	_, first, _ := r.post(t, sample(t, "CandidateHired.json"), nil)
	r.now = r.now.Add(5 * time.Second)
	r.post(t, sample(t, "CandidateHired.json"), nil)
	rec, err := r.st.Event(context.Background(), first["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if want := r.now.Add(20 * time.Second); !rec.NotBefore.Equal(want) {
		t.Errorf("not before %v, want %v: the burst's last copy plus the debounce", rec.NotBefore, want)
	}
}

func TestOrderingKey(t *testing.T) {
	r := newRig(t, nil)
	for name, want := range map[string]string{
		"CandidateHired.json":    "CandidateId:987654", // CandidateId comes before ProjectId
		"PositionPublished.json": "ProjectId:143568",
	} {
		_, out, _ := r.post(t, sample(t, name), nil)
		rec, err := r.st.Event(context.Background(), out["id"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if rec.Key != want {
			t.Errorf("%s: key %q, want %q", name, rec.Key, want)
		}
	}
	_, out, _ := r.post(t, []byte(`{"Message":{"EventType":"Ping"},"WebhookSecret":"change-me"}`), nil)
	if rec, err := r.st.Event(context.Background(), out["id"].(string)); err != nil || rec.Key != "" {
		t.Errorf("an event naming no object: key %q (%v), want none", rec.Key, err)
	}
}

func TestRejected(t *testing.T) {
	big := `{"Message":{"EventType":"CandidateHired"},"WebhookSecret":"change-me","Pad":"` +
		strings.Repeat("x", config.DefaultMaxBody) + `"}`
	for _, tc := range []struct {
		name   string
		body   string
		status int
	}{
		{"wrong secret", `{"Message":{"EventType":"CandidateHired","CandidateId":1},"WebhookSecret":"guess"}`, http.StatusUnauthorized},
		{"no secret", `{"Message":{"EventType":"CandidateHired","CandidateId":1}}`, http.StatusUnauthorized},
		{"not JSON", `Message=CandidateHired`, http.StatusBadRequest},
		{"not an object", `[1,2]`, http.StatusBadRequest},
		{"trailing data", `{"Message":{"EventType":"CandidateHired"},"WebhookSecret":"change-me"} {"x":1}`, http.StatusBadRequest},
		{"no EventType", `{"Message":{"CandidateId":1},"WebhookSecret":"change-me"}`, http.StatusBadRequest},
		{"no Message", `{"EventType":"CandidateHired","WebhookSecret":"change-me"}`, http.StatusBadRequest},
		{"over 1 MiB", big, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, nil)
			status, out, raw := r.post(t, []byte(tc.body), nil)
			if status != tc.status {
				t.Errorf("status %d, want %d: %s", status, tc.status, raw)
			}
			if msg, _ := out["error"].(string); msg == "" {
				t.Errorf("answer %s has no error text", raw)
			}
			if strings.Contains(raw, secret) || strings.Contains(raw, "guess") {
				t.Errorf("answer %s repeats a secret", raw)
			}
			if n := len(r.stored(t)); n != 0 {
				t.Errorf("%d events stored, want none", n)
			}
		})
	}
}

func TestSecretNeverStored(t *testing.T) {
	r := newRig(t, nil)
	_, out, _ := r.post(t, sample(t, "CandidateHired.json"), nil)
	rec, err := r.st.Event(context.Background(), out["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rec.Body, []byte(secret)) || bytes.Contains(rec.Body, []byte("WebhookSecret")) {
		t.Errorf("stored body %s keeps the secret", rec.Body)
	}
	// A hook that also repeats the secret inside Message, where rules
	// would see it as event.WebhookSecret.
	_, out, _ = r.post(t, []byte(`{"Message":{"EventType":"CandidateHired","CandidateId":5,"WebhookSecret":"change-me"},"WebhookSecret":"change-me"}`), nil)
	rec, err = r.st.Event(context.Background(), out["id"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(rec.Body, []byte(secret)) {
		t.Errorf("stored body %s keeps the secret given in Message", rec.Body)
	}
}

func TestSignature(t *testing.T) {
	key := "00112233445566778899aabbccddeeff"
	k, err := ingest.DecodeKey(key)
	if err != nil {
		t.Fatal(err)
	}
	body := sample(t, "CandidateHired.json")
	sign := func(b []byte) string {
		m := hmac.New(sha256.New, k)
		m.Write(b)
		return base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	for _, tc := range []struct {
		name   string
		header map[string]string
		status int
	}{
		{"good", map[string]string{ingest.SignatureHeader: sign(body)}, http.StatusAccepted},
		{"of another body", map[string]string{ingest.SignatureHeader: sign(append(body, ' '))}, http.StatusUnauthorized},
		{"not base64", map[string]string{ingest.SignatureHeader: "%%%"}, http.StatusUnauthorized},
		{"missing", nil, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, func(o *ingest.Options) { o.SigningKey = k })
			status, _, raw := r.post(t, body, tc.header)
			if status != tc.status {
				t.Errorf("status %d, want %d: %s", status, tc.status, raw)
			}
			if strings.Contains(raw, key) {
				t.Errorf("answer %s repeats the signing key", raw)
			}
			if n, want := len(r.stored(t)), map[bool]int{true: 1}[tc.status == http.StatusAccepted]; n != want {
				t.Errorf("%d events stored, want %d", n, want)
			}
		})
	}
}

func TestDecodeKeyHidesTheKey(t *testing.T) {
	_, err := ingest.DecodeKey("not-hex-s3cret")
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("DecodeKey: %v, want an error that does not repeat the key", err)
	}
	if k, err := ingest.DecodeKey(""); k != nil || err != nil {
		t.Errorf("no key: %v %v, want nil, nil", k, err)
	}
	if k, _ := ingest.DecodeKey("0aff"); !bytes.Equal(k, []byte{0x0a, 0xff}) {
		t.Errorf("DecodeKey(0aff) = %x", k)
	}
}

func TestStoreClosedIs503(t *testing.T) {
	r := newRig(t, nil)
	r.st.Close()
	status, out, raw := r.post(t, sample(t, "CandidateHired.json"), nil)
	if status != http.StatusServiceUnavailable || out["error"] == nil {
		t.Errorf("store closed: %d %s, want 503 with an error", status, raw)
	}
}

func TestOnlyPost(t *testing.T) {
	r := newRig(t, nil)
	resp, err := r.srv.Client().Get(r.srv.URL + "/hooks/hrmanager")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != http.MethodPost {
		t.Errorf("GET: %d Allow=%q, want 405 Allow=POST", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

func TestOutcomesObserved(t *testing.T) {
	var mu sync.Mutex // the handler runs on the server's goroutines
	var got []string
	accepted := 0
	r := newRig(t, func(o *ingest.Options) {
		o.Observe = func(s string) { mu.Lock(); got = append(got, s); mu.Unlock() }
		o.Accepted = func() { mu.Lock(); accepted++; mu.Unlock() }
	})
	r.post(t, sample(t, "CandidateHired.json"), nil)
	r.post(t, sample(t, "CandidateHired.json"), nil)
	r.post(t, []byte(`{"WebhookSecret":"nope"}`), nil)
	r.post(t, []byte(`nope`), nil)
	want := []string{"accepted", "duplicate", "unauthorized", "bad_request"}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != strings.Join(want, ",") || accepted != 1 {
		t.Errorf("outcomes %v and %d wake-ups, want %v and 1", got, accepted, want)
	}
}
