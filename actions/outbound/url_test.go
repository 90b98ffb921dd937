package outbound_test

import (
	"net/url"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions/outbound"
	"github.com/hirewire/hirewire/rules/tmpl"
)

func scalar(t *testing.T, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte("url: "+src), &doc); err != nil {
		t.Fatal(err)
	}
	return doc.Content[0].Content[1]
}

func TestCompileURLRefusesTemplatedHost(t *testing.T) {
	env := tmpl.NewEnv("candidate")
	for src, want := range map[string]string{
		`"https://{{ event.Host }}/x"`:                "must be fixed",
		`"https://api.example.com{{ event.Path }}"`:   "must be fixed",
		`"https://api.example.com:{{ event.Port }}/"`: "must be fixed",
		`"{{ event.Url }}"`:                           "must start with http",
		`"ftp://example.com/{{ event.X }}"`:           "must start with http",
		`"https:///path"`:                             "no valid host",
		`"https://h.example.com/{{ nope }}"`:          "unknown name nope",
		`"https://h.example.com/{{ event.X "`:         "unclosed",
	} {
		_, err := outbound.CompileURL(env, scalar(t, src))
		if err == nil || !strings.HasPrefix(err.Error(), "1:6: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want 1:6: …%s", src, err, want)
		}
	}
}

func TestURLRenderEscapesPathAndQuery(t *testing.T) {
	env := tmpl.NewEnv("candidate")
	src := `"https://hris.example.com:8443/api/{{ event.Name }}/x?q={{ event.Name }}&id={{ event.Id ?? 0 }}#{{ event.Name }}"`
	u, err := outbound.CompileURL(env, scalar(t, src))
	if err != nil {
		t.Fatal(err)
	}
	if u.IsConst() || strings.Join(u.Refs(), ",") != "event" {
		t.Errorf("IsConst=%v Refs=%v", u.IsConst(), u.Refs())
	}
	vars := map[string]any{"event": map[string]any{"Name": "../admin?x=1&y=2#f", "Id": 7}}
	got, err := u.Render(vars)
	if err != nil {
		t.Fatal(err)
	}
	want := "https://hris.example.com:8443/api/..%2Fadmin%3Fx=1&y=2%23f/x?q=..%2Fadmin%3Fx%3D1%26y%3D2%23f&id=7#..%2Fadmin%3Fx%3D1%26y%3D2%23f"
	if got != want {
		t.Errorf("Render =\n %s\nwant\n %s", got, want)
	}
	parsed, err := url.Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Host != "hris.example.com:8443" || len(parsed.Query()) != 2 || parsed.Query().Get("q") != "../admin?x=1&y=2#f" {
		t.Errorf("parsed = host %q query %v", parsed.Host, parsed.Query())
	}
	if segs := strings.Split(parsed.EscapedPath(), "/"); len(segs) != 4 {
		t.Errorf("path %q has %d segments, want 4", parsed.EscapedPath(), len(segs))
	}
}

func TestURLRenderRefusesDotSegments(t *testing.T) {
	env := tmpl.NewEnv()
	u, err := outbound.CompileURL(env, scalar(t, `"https://h.example.com/a/{{ event.A }}{{ event.B }}/b"`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := u.Render(map[string]any{"event": map[string]any{"A": "..", "B": ""}}); err != nil || got != "https://h.example.com/a/%2E%2E/b" {
		t.Errorf("lone ..: %q, %v", got, err)
	}
	if got, err := u.Render(map[string]any{"event": map[string]any{"A": ".", "B": "."}}); err != nil || got != "https://h.example.com/a/%2E%2E/b" {
		t.Errorf("two dots: %q, %v", got, err)
	}
	v, err := outbound.CompileURL(env, scalar(t, `"https://h.example.com/a/.{{ event.A }}./b"`))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v.Render(map[string]any{"event": map[string]any{"A": ""}}); err == nil {
		t.Errorf("an empty value that makes a .. segment was accepted: %q", got)
	}
}

func TestURLConstant(t *testing.T) {
	u, err := outbound.CompileURL(tmpl.NewEnv(), scalar(t, "https://hooks.slack.com/services/T/B/secret"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := u.Render(nil)
	if err != nil || got != "https://hooks.slack.com/services/T/B/secret" || !u.IsConst() {
		t.Errorf("Render = %q, %v", got, err)
	}
	if r := outbound.Redact(got); r != "https://hooks.slack.com/…" {
		t.Errorf("Redact = %q", r)
	}
	if r := outbound.Redact("https://user:pw@h.example.com:81/p?q=1"); r != "https://h.example.com:81/…" {
		t.Errorf("Redact = %q", r)
	}
}

// TestOrigin: an origin keeps scheme, host and port, in lower case, and
// drops user info, path and query, which may be secrets.
func TestOrigin(t *testing.T) {
	for in, want := range map[string]string{
		"https://Hooks.Slack.com/services/T0/B0/secret":  "https://hooks.slack.com",
		"http://user:pw@hris.example.com:8080/hires?k=v": "http://hris.example.com:8080",
		"hris.example.com/hires":                         "",
		"":                                               "",
		"http://[::1]:9090/x":                            "http://[::1]:9090",
	} {
		if got := outbound.Origin(in); got != want {
			t.Errorf("Origin(%q) = %q, want %q", in, got, want)
		}
	}
}
