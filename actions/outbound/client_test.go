package outbound_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/actions/outbound"
)

func get(t *testing.T, c *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return outbound.Do(context.Background(), c, req)
}

func TestClientRefusesMetadataAndLinkLocal(t *testing.T) {
	c := outbound.NewClient(outbound.Options{})
	for _, url := range []string{
		"http://169.254.169.254/latest/meta-data/iam/secret-path",
		"http://169.254.10.1:8080/",
		"http://[fe80::1]/",
		"http://[fd00:ec2::254]/",
		"http://[::ffff:169.254.169.254]/",
		"http://metadata.google.internal/computeMetadata/v1/",
	} {
		resp, err := get(t, c, url)
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: connected", url)
			continue
		}
		if !errors.Is(err, outbound.ErrRefused) {
			t.Errorf("%s: err = %v, want ErrRefused", url, err)
		}
		if strings.Contains(err.Error(), "secret-path") || strings.Contains(err.Error(), "computeMetadata") {
			t.Errorf("%s: error %q leaks the path", url, err)
		}
	}
}

func TestClientReachesLoopbackUnlessDenied(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()

	resp, err := get(t, outbound.NewClient(outbound.Options{}), srv.URL)
	if err != nil {
		t.Fatalf("loopback: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTeapot {
		t.Errorf("status = %d", resp.StatusCode)
	}

	// A host name is checked after it resolves, as a rebinding name would.
	url := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	_, err = get(t, outbound.NewClient(outbound.Options{DenyPrivate: true}), url)
	if !errors.Is(err, outbound.ErrRefused) {
		t.Errorf("DenyPrivate: err = %v, want ErrRefused", err)
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		http.Redirect(w, r, "http://169.254.169.254/", http.StatusFound)
	}))
	defer srv.Close()
	resp, err := get(t, outbound.NewClient(outbound.Options{}), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || hits != 1 {
		t.Errorf("status = %d after %d hits, want the 302 itself", resp.StatusCode, hits)
	}
}

func TestCheckAddr(t *testing.T) {
	for addr, wantDenied := range map[string][2]bool{
		"169.254.169.254": {true, true},
		"100.100.100.200": {true, true},
		"0.0.0.0":         {true, true},
		"127.0.0.1":       {false, true},
		"10.1.2.3":        {false, true},
		"fd12::1":         {false, true},
		"8.8.8.8":         {false, false},
		"2001:db8::1":     {false, false},
	} {
		ip := netip.MustParseAddr(addr)
		for i, deny := range []bool{false, true} {
			if got := outbound.CheckAddr(ip, deny) != nil; got != wantDenied[i] {
				t.Errorf("CheckAddr(%s, denyPrivate=%v) refused=%v, want %v", addr, deny, got, wantDenied[i])
			}
		}
	}
}

func TestDoKeepsTheURLOutOfErrors(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/services/T000/B000/XXXXSECRET"
	srv.Close() // connection refused from now on
	_, err := get(t, outbound.NewClient(outbound.Options{}), url)
	if err == nil {
		t.Fatal("want an error")
	}
	if strings.Contains(err.Error(), "XXXXSECRET") {
		t.Errorf("error %q leaks the URL path", err)
	}
	if !strings.Contains(err.Error(), "/…") {
		t.Errorf("error %q does not name the redacted URL", err)
	}
}
