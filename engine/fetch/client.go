package fetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-resty/resty/v2"
)

// HR Manager's throttling signals and how long hirewire backs off.
const (
	quotaText      = "API quota for the method is exceeded"
	throttlePause  = time.Hour        // after a 204 or quota text
	retryPause     = time.Minute      // after 408, 429, 5xx or a network error
	authPause      = 15 * time.Minute // after 401 or 403: the key is wrong until someone fixes it
	defaultTimeout = 30 * time.Second // per API call
	bodyLimit      = 8 << 20          // bytes of one answer
)

// errGone is an answer of 404: the object does not exist (any more).
var errGone = errors.New("object gone")

// ErrUnusable marks an answer that asking again will not change (HTTP 400,
// an answer select cannot read): the event that needs it cannot be
// processed as configured, and retrying it would only spend the budget.
var ErrUnusable = errors.New("the API's answer cannot be used as configured")

// ErrNotFetchable marks an object that this event cannot get however often
// it asks: its id expression or get template fails on the event's fields,
// or the stored copy cannot be read.
var ErrNotFetchable = errors.New("cannot be fetched for this event as configured")

// Final reports whether err is one that asking again will not change
// (ErrUnusable, ErrNotFetchable), so the event should fail rather than
// wait and hold back the object's later events.
func Final(err error) bool { return errors.Is(err, ErrUnusable) || errors.Is(err, ErrNotFetchable) }

// pauseError is an answer that says "not now": the method pauses until
// the given time and nothing is cached. Throttled is true for HR Manager's
// quota signals (204 or the quota text).
type pauseError struct {
	until     time.Time
	throttled bool
	reason    string
}

func (e *pauseError) Error() string { return e.reason }

// client calls HR Manager's REST API with the apikey header.
type client struct {
	http *resty.Client
	base string
	key  string
	now  func() time.Time
}

// newClient returns an API client; hc may be nil, timeout 0 (default).
func newClient(base, key string, hc *resty.Client, timeout time.Duration, now func() time.Time, log *slog.Logger) *client {
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	if hc == nil {
		hc = resty.New().
			SetTimeout(timeout).
			SetRedirectPolicy(resty.NoRedirectPolicy()).
			SetResponseBodyLimit(bodyLimit).
			SetLogger(restyLogger{log})
	}
	return &client{http: hc, base: strings.TrimRight(base, "/"), key: key, now: now}
}

// get fetches one path and decodes the answer. It returns errGone for a
// 404, a *pauseError when the call should be repeated later, and any other
// error when the answer is unusable as configured.
func (c *client) get(ctx context.Context, path string) (any, error) {
	resp, err := c.http.R().SetContext(ctx).
		SetHeader("apikey", c.key).
		SetHeader("Accept", "application/json").
		Get(c.base + "/" + path)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, c.pause(retryPause, nil, false, "API unreachable: "+c.redact(err.Error()))
	}
	return c.answer(resp.StatusCode(), resp.Header(), resp.Body())
}

// answer classifies one HTTP answer.
func (c *client) answer(status int, h http.Header, body []byte) (any, error) {
	switch {
	case status == http.StatusNoContent || bytes.Contains(body, []byte(quotaText)):
		return nil, c.pause(throttlePause, h, true, fmt.Sprintf("API throttled the method (HTTP %d)", status))
	case status == http.StatusNotFound:
		return nil, errGone
	case status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500:
		return nil, c.pause(retryPause, h, false, fmt.Sprintf("API answered HTTP %d", status))
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return nil, c.pause(authPause, nil, false, fmt.Sprintf("API refused the api_key (HTTP %d); events wait until it is fixed", status))
	case status < 200 || status > 299:
		return nil, fmt.Errorf("%w: API answered HTTP %d", ErrUnusable, status)
	}
	v, err := decodeJSON(body)
	if err != nil {
		// A proxy's error page or a cut answer: try again later rather
		// than treat it as data.
		return nil, c.pause(retryPause, h, false, "API answer is not JSON: "+err.Error())
	}
	return v, nil
}

// pause builds a *pauseError that lasts d, or what Retry-After asks.
func (c *client) pause(d time.Duration, h http.Header, throttled bool, reason string) error {
	now := c.now()
	until := now.Add(d)
	if ra, ok := retryAfter(h, now); ok {
		until = ra
	}
	return &pauseError{until: until, throttled: throttled, reason: reason}
}

// retryAfter reads a Retry-After header in seconds or as an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Time, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return time.Time{}, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return now.Add(time.Duration(s) * time.Second), true
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t, true
	}
	return time.Time{}, false
}

// redact removes the API key from a message, should a transport ever
// quote it.
func (c *client) redact(msg string) string {
	if c.key == "" {
		return msg
	}
	return strings.ReplaceAll(msg, c.key, "[redacted]")
}

var _ resty.Logger = restyLogger{}

// restyLogger sends resty's own messages to slog at debug level.
type restyLogger struct{ log *slog.Logger }

func (l restyLogger) Errorf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l restyLogger) Warnf(format string, v ...any)  { l.log.Debug(fmt.Sprintf(format, v...)) }
func (l restyLogger) Debugf(format string, v ...any) { l.log.Debug(fmt.Sprintf(format, v...)) }
