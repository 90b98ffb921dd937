// Package ingest receives HR Manager webhooks: it authenticates each POST,
// turns it into an event.Event and answers only after the store has made
// the event durable. Nothing it rejects is stored.
package ingest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/hirewire/hirewire/engine/event"
)

// SignatureHeader carries base64(HMAC-SHA256(body)) on newer Talentech hooks.
const SignatureHeader = "X-Signature-Base64HmacSha256"

// Store is what ingest needs of the store.
type Store interface {
	// Ingest is store.Store.Ingest.
	Ingest(ctx context.Context, e *event.Event, window, hold time.Duration) (id string, dup bool, err error)
}

// Options configure a Handler.
type Options struct {
	Source      string // "hrmanager"
	Secret      string // must equal body[SecretField]; "" = not checked
	SecretField string
	SigningKey  []byte // decoded; nil = signature not checked
	DedupWindow time.Duration
	Debounce    map[string]time.Duration
	OrderBy     []string // Message fields naming the event's object
	MaxBody     int64
	Store       Store
	Now         func() time.Time
	Logger      *slog.Logger
	// Accepted is called after an event was stored (not for duplicates),
	// to wake the worker. May be nil.
	Accepted func()
	// Observe is told every outcome ("accepted", "duplicate",
	// "unauthorized", …) for metrics. May be nil.
	Observe func(outcome string)
}

// Handler is the webhook endpoint of one source.
type Handler struct{ opts Options }

// New returns a Handler. SigningKey in hex is decoded by the caller with
// DecodeKey.
func New(opts Options) *Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Observe == nil {
		opts.Observe = func(string) {}
	}
	return &Handler{opts: opts}
}

// DecodeKey decodes a hex signing key. The error does not repeat the key.
func DecodeKey(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	k, err := hex.DecodeString(s)
	if err != nil {
		return nil, errors.New("signing_key is not hex")
	}
	return k, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "only POST is accepted")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.opts.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.fail(w, http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body over %d bytes", h.opts.MaxBody))
			return
		}
		h.fail(w, http.StatusBadRequest, "bad_request", "reading body failed")
		return
	}
	if !h.signatureOK(r, body) {
		h.fail(w, http.StatusUnauthorized, "unauthorized", "bad or missing signature")
		return
	}
	e, status, msg := h.parse(body)
	if e == nil {
		h.fail(w, status, outcomeFor(status), msg)
		return
	}
	h.store(w, r, e)
}

func (h *Handler) store(w http.ResponseWriter, r *http.Request, e *event.Event) {
	id, dup, err := h.opts.Store.Ingest(r.Context(), e, h.opts.DedupWindow, h.opts.Debounce[e.Type])
	if err != nil {
		h.opts.Logger.Error("storing event failed", "type", e.Type, "err", err)
		h.fail(w, http.StatusServiceUnavailable, "unavailable", "store not available, retry later")
		return
	}
	if dup {
		h.opts.Observe("duplicate")
		writeJSON(w, http.StatusOK, map[string]any{"id": id, "duplicate": true})
		return
	}
	h.opts.Observe("accepted")
	if h.opts.Accepted != nil {
		h.opts.Accepted()
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": id})
}

func (h *Handler) signatureOK(r *http.Request, body []byte) bool {
	if h.opts.SigningKey == nil {
		return true
	}
	got, err := base64.StdEncoding.DecodeString(r.Header.Get(SignatureHeader))
	if err != nil || len(got) == 0 {
		return false
	}
	mac := hmac.New(sha256.New, h.opts.SigningKey)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}

// parse checks the envelope and builds the event, or says why not.
func (h *Handler) parse(body []byte) (*event.Event, int, string) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var env map[string]any
	if err := dec.Decode(&env); err != nil || env == nil || dec.InputOffset() < int64(len(bytes.TrimRight(body, " \t\r\n"))) {
		return nil, http.StatusBadRequest, "body is not a JSON object"
	}
	if h.opts.Secret != "" {
		got, _ := env[h.opts.SecretField].(string)
		if subtle.ConstantTimeCompare([]byte(got), []byte(h.opts.Secret)) != 1 {
			return nil, http.StatusUnauthorized, "bad or missing " + h.opts.SecretField
		}
	}
	delete(env, h.opts.SecretField)
	msg, _ := env["Message"].(map[string]any)
	delete(msg, h.opts.SecretField) // rules see Message merged over user data
	typ, _ := msg["EventType"].(string)
	if typ == "" {
		return nil, http.StatusBadRequest, "Message.EventType is missing"
	}
	canon, err := json.Marshal(env) // map keys sorted: one form per payload
	if err != nil {
		return nil, http.StatusBadRequest, "body cannot be encoded"
	}
	now := h.opts.Now()
	sum := sha256.Sum256(append([]byte(h.opts.Source+"\n"), canon...))
	return &event.Event{
		ID:         event.NewID(now),
		Source:     h.opts.Source,
		Type:       typ,
		Key:        h.key(msg),
		Body:       canon,
		DedupKey:   hex.EncodeToString(sum[:]),
		ReceivedAt: now,
		LastSeenAt: now,
	}, 0, ""
}

// key names the object an event is about: the first OrderBy field present.
func (h *Handler) key(msg map[string]any) string {
	for _, f := range h.opts.OrderBy {
		if v, ok := msg[f]; ok && v != nil {
			return fmt.Sprintf("%s:%v", f, v)
		}
	}
	return ""
}

func outcomeFor(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	}
	return "bad_request"
}

func (h *Handler) fail(w http.ResponseWriter, status int, outcome, msg string) {
	h.opts.Observe(outcome)
	writeJSON(w, status, map[string]any{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
