package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/engine/config"
)

func TestSendBuildsEnvelopeWithSecret(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"id":"01X"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "hirewire.yaml")
	if err := os.WriteFile(cfg, []byte("sources:\n  hrmanager:\n    secret: s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"send", "-config", cfg, "-url", srv.URL, "-type", "CandidateHired",
		"-set", "CandidateId=987654", "-set", "Note=hello"}, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d: %s%s", code, out.String(), errOut.String())
	}
	msg, _ := got["Message"].(map[string]any)
	if got["WebhookSecret"] != "s3cret" || msg["EventType"] != "CandidateHired" || msg["CandidateId"] != 987654.0 || msg["Note"] != "hello" {
		t.Errorf("posted %v", got)
	}
	if !strings.Contains(out.String(), "202") {
		t.Errorf("output %q", out.String())
	}
}

func TestSendBodyFromFile(t *testing.T) {
	src := &config.Source{Secret: "s", SecretField: "WebhookSecret"}
	b, err := sendBody("../../examples/events/SendCalendarInvite.json", "", setFlags{"UserId": int64(1)}, src)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]any
	_ = json.Unmarshal(b, &env)
	msg := env["Message"].(map[string]any)
	if msg["EventType"] != "SendCalendarInvite" || msg["UserId"] != 1.0 || env["WebhookSecret"] != "s" || env["CustomerId"] != 1885.0 {
		t.Errorf("body %s", b)
	}
	if _, err := sendBody("", "", setFlags{}, src); err == nil {
		t.Error("no type: no error")
	}
}

func TestUsageAndUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run(context.Background(), nil, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "serve") {
		t.Errorf("no args: %d %q", code, errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"frobnicate"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "unknown command") {
		t.Errorf("unknown: %d %q", code, errOut.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"-h"}, &out, &errOut); code != 0 || !strings.Contains(out.String(), "serve") {
		t.Errorf("-h: exit %d, stdout %q; want 0 and the commands", code, out.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"check", "-h"}, &out, &errOut); code != 0 || !strings.Contains(errOut.String(), "-config") {
		t.Errorf("check -h: exit %d, %q; want 0 and its flags", code, errOut.String())
	}
	if code := run(context.Background(), []string{"check", "-nope"}, &out, &errOut); code != 2 {
		t.Errorf("check -nope: exit %d, want 2", code)
	}
	out.Reset()
	if code := run(context.Background(), []string{"version"}, &out, &errOut); code != 0 || !strings.HasPrefix(out.String(), "hirewire ") {
		t.Errorf("version: %d %q", code, out.String())
	}
	if got := dialable(":8080"); got != "127.0.0.1:8080" {
		t.Errorf("dialable(:8080) = %q", got)
	}
}

// TestFlagsAfterArguments: flags may follow the positional arguments, and
// "--" makes the rest positional.
func TestFlagsAfterArguments(t *testing.T) {
	for _, c := range []struct {
		args     []string
		json     bool
		limit    int
		wantArgs []string
	}{
		{[]string{"01ID", "-json"}, true, 20, []string{"01ID"}},
		{[]string{"-limit", "5", "a", "-json", "b"}, true, 5, []string{"a", "b"}},
		{[]string{"a", "--", "-json"}, false, 20, []string{"a", "-json"}},
		{nil, false, 20, nil},
	} {
		fs := newFlags("events", io.Discard)
		asJSON := fs.Bool("json", false, "")
		limit := fs.Int("limit", 20, "")
		if err := parse(fs, c.args); err != nil {
			t.Fatalf("%q: %v", c.args, err)
		}
		if *asJSON != c.json || *limit != c.limit || !slices.Equal(fs.Args(), c.wantArgs) {
			t.Errorf("%q: json %v limit %d args %q; want %v %d %q", c.args, *asJSON, *limit, fs.Args(), c.json, c.limit, c.wantArgs)
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"events", "-admin", "http://127.0.0.1:1", "a", "b"}, &out, &errOut); code != 2 {
		t.Errorf("events with two ids: exit %d, want 2 (usage); stderr %q", code, errOut.String())
	}
}
