// Package outbound owns how actions reach the network: an HTTP client that
// refuses link-local and cloud-metadata addresses and never follows
// redirects, URL templates whose scheme, host and port are fixed in the
// rules, and the reading of a peer's answer (success, retry, or give up).
package outbound

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// ErrRefused is returned (wrapped) when a request would reach an address
// that actions may never call. Retrying does not help: the caller should
// give up on the delivery.
var ErrRefused = errors.New("address refused")

// Options tunes NewClient.
type Options struct {
	// DenyPrivate also refuses loopback and private (RFC 1918, RFC 4193)
	// addresses. Off by default: forwarding to internal hosts is a normal
	// use of hirewire.
	DenyPrivate bool
	// DialTimeout bounds connecting; 10s when zero.
	DialTimeout time.Duration
}

// metadataHosts are cloud metadata names refused before they are resolved.
var metadataHosts = []string{"metadata.google.internal", "metadata.goog", "metadata"}

// metadataAddrs are cloud metadata addresses outside link-local ranges
// (AWS over IPv6, Alibaba Cloud).
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("fd00:ec2::254"),
	netip.MustParseAddr("100.100.100.200"),
}

// NewClient returns an HTTP client for actions. Redirects are not followed:
// a 3xx comes back as the response. Proxies from the environment are not
// used, so the address check sees the real peer.
func NewClient(opts Options) *http.Client {
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	dialer := &net.Dialer{
		Timeout:   opts.DialTimeout,
		KeepAlive: 30 * time.Second,
		Control:   control(opts.DenyPrivate),
	}
	transport := &http.Transport{
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// No ResponseHeaderTimeout: each request's context carries the
		// action's own timeout (up to 5 minutes), which a shorter transport
		// limit would cut, turning a slow success into a retried duplicate.
	}
	return &http.Client{
		Transport:     &guard{next: transport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// control checks the resolved address of every connection, after DNS, so
// a name that resolves to a refused address (DNS rebinding) is caught too.
func control(denyPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("%w: cannot parse %q", ErrRefused, address)
		}
		return CheckAddr(ap.Addr(), denyPrivate)
	}
}

// CheckAddr returns an error wrapping ErrRefused if actions may not connect
// to ip.
func CheckAddr(ip netip.Addr, denyPrivate bool) error {
	ip = ip.Unmap()
	switch {
	case ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast():
		return fmt.Errorf("%w: %s is link-local (cloud metadata lives there)", ErrRefused, ip)
	case isMetadata(ip):
		return fmt.Errorf("%w: %s is a cloud metadata address", ErrRefused, ip)
	case ip.IsUnspecified() || ip.IsMulticast():
		return fmt.Errorf("%w: %s is not a unicast address", ErrRefused, ip)
	case denyPrivate && (ip.IsLoopback() || ip.IsPrivate()):
		return fmt.Errorf("%w: %s is loopback or private", ErrRefused, ip)
	}
	return nil
}

func isMetadata(ip netip.Addr) bool {
	for _, m := range metadataAddrs {
		if ip == m {
			return true
		}
	}
	return false
}

// guard refuses metadata host names before any lookup.
type guard struct{ next http.RoundTripper }

func (g *guard) RoundTrip(r *http.Request) (*http.Response, error) {
	host := strings.TrimSuffix(strings.ToLower(r.URL.Hostname()), ".")
	for _, m := range metadataHosts {
		if host == m {
			return nil, fmt.Errorf("%w: %s is a cloud metadata host", ErrRefused, host)
		}
	}
	return g.next.RoundTrip(r)
}

// Do sends r with c and, on failure, returns an error that does not carry
// the request's URL (which may hold a secret, as Slack webhook URLs do).
func Do(ctx context.Context, c *http.Client, r *http.Request) (*http.Response, error) {
	resp, err := c.Do(r.WithContext(ctx))
	if err == nil {
		return resp, nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return nil, fmt.Errorf("%s %s: %w", r.Method, Redact(r.URL.String()), err)
}
