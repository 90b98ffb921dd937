package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/outbound"
)

// UserAgent identifies hirewire to peers.
const UserAgent = "hirewire"

// Send performs the request a Payload describes, within its timeout, with
// the delivery id as Idempotency-Key. Errors name the method and the
// redacted URL, never a header value.
func (k *Kind) Send(ctx context.Context, m actions.Message) (string, error) {
	var p Payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return "", actions.Permanent(fmt.Errorf("decoding http payload: %w", err))
	}
	d, err := time.ParseDuration(p.Timeout)
	if err != nil || d <= 0 {
		d = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	req, err := p.request(ctx, m.ID)
	if err != nil {
		return "", actions.Permanent(err)
	}
	who := p.Method + " " + outbound.Redact(p.URL)
	resp, err := outbound.Do(ctx, k.Client, req)
	if errors.Is(err, outbound.ErrRefused) {
		return "", actions.Permanent(err)
	}
	if err != nil {
		return "", err
	}
	return outbound.Result(resp, who, k.Now())
}

// Destination is the origin (scheme and host) the payload's request goes to.
func (k *Kind) Destination(payload json.RawMessage) string {
	var p struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return ""
	}
	return outbound.Origin(p.URL)
}

// request builds the HTTP request of p.
func (p *Payload) request(ctx context.Context, id string) (*http.Request, error) {
	var body io.Reader = http.NoBody
	if p.Body != "" {
		body = strings.NewReader(p.Body)
	}
	req, err := http.NewRequestWithContext(ctx, p.Method, p.URL, body)
	if err != nil {
		// The error would quote the URL, which may hold a secret.
		return nil, fmt.Errorf("building request for %s %s: invalid method or url", p.Method, outbound.Redact(p.URL))
	}
	req.Header.Set("User-Agent", UserAgent)
	for name, v := range p.Headers {
		req.Header.Set(name, v)
	}
	req.Header.Set("Idempotency-Key", id)
	return req, nil
}
