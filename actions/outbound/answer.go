package outbound

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hirewire/hirewire/actions"
)

// SnippetSize is how much of a peer's answer is kept in a detail or error.
const SnippetSize = 512

// maxRetryAfter caps what a peer may ask for, so a bogus header cannot park
// a delivery for years.
const maxRetryAfter = 24 * time.Hour

// Result reads and closes resp and sorts it by hirewire's retry rules: a
// 2xx is delivered and returns its status and a snippet of the body as
// detail; 408, 429 and 5xx are worth retrying, honouring Retry-After; any
// other status (other 4xx, a 3xx that is not followed) is Permanent. The
// error names the peer by who, never by its URL.
func Result(resp *http.Response, who string, now time.Time) (string, error) {
	snippet := Snippet(resp.Body)
	resp.Body.Close()
	answer := resp.Status
	if snippet != "" {
		answer += ": " + snippet
	}
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return answer, nil
	}
	err := fmt.Errorf("%s answered %s", who, answer)
	if code != http.StatusRequestTimeout && code != http.StatusTooManyRequests && code < 500 {
		return "", actions.Permanent(err)
	}
	if d, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
		return "", actions.RetryAfter(err, d)
	}
	return "", err
}

// Snippet reads up to SnippetSize bytes of r as one line of valid UTF-8,
// then drains a little more so the connection can be reused.
func Snippet(r io.Reader) string {
	b, _ := io.ReadAll(io.LimitReader(r, SnippetSize))
	_, _ = io.Copy(io.Discard, io.LimitReader(r, 64<<10))
	s := strings.ToValidUTF8(string(b), "")
	return strings.Join(strings.Fields(s), " ")
}

// ParseRetryAfter reads a Retry-After value: whole seconds or an HTTP date.
func ParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = max(t.Sub(now), 0)
	} else {
		return 0, false
	}
	return min(d, maxRetryAfter), true
}

// JSON encodes v like json.Marshal but leaves <, > and & as they are, so
// stored payloads and Slack markup stay readable.
func JSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
