package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secured is the smallest source setting that passes: a webhook secret.
const secured = "sources: {hrmanager: {secret: s3cret}}\n"

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

var specEnv = map[string]string{
	"HIREWIRE_ADMIN_TOKEN": "admintok", "HRM_WEBHOOK_SECRET": "s3cret", "HRM_SIGNING_KEY": "00ff",
	"HRM_CUSTOMER": "acme", "HRM_API_KEY": "key", "SMTP_USER": "u", "SMTP_PASSWORD": "p",
}

func TestParseSpecExample(t *testing.T) {
	data, err := os.ReadFile("testdata/spec.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(data, env(specEnv))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	src := cfg.Source()
	if src.Secret != "s3cret" || src.DedupWindow != 10*time.Minute || src.Debounce["CandidateUpdated"] != 20*time.Second {
		t.Errorf("source = %+v", src)
	}
	if got := src.API.BaseURL; got != "https://recruiter-api.hr-manager.net/restful.svc/v2/acme" {
		t.Errorf("base_url = %q", got)
	}
	cand := src.Objects["candidate"]
	if cand.TTL != 15*time.Minute || cand.MaxWait != 2*time.Hour || cand.List == nil || len(cand.RefreshOn) != 3 {
		t.Errorf("candidate = %+v", cand)
	}
	if cfg.SMTP.Port != 587 || cfg.SMTP.Password != "p" || src.SecretField != "WebhookSecret" || src.API.Budget.PerHour != 8 {
		t.Errorf("cfg = %+v", cfg)
	}
}

func TestMissingEnvNamesVariableNotValue(t *testing.T) {
	data, _ := os.ReadFile("testdata/spec.yaml")
	vars := map[string]string{}
	for k, v := range specEnv {
		vars[k] = v
	}
	delete(vars, "HRM_API_KEY")
	_, err := Parse(data, env(vars))
	if err == nil || !strings.Contains(err.Error(), "15:") || !strings.Contains(err.Error(), "HRM_API_KEY is not set") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks a secret: %v", err)
	}
}

func TestUnknownKeysAllReported(t *testing.T) {
	_, err := Parse([]byte("listen: :1\nstroe: x\nsources:\n  hrmanager:\n    dedup_windw: 1m\n"), env(nil))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`2:1: unknown key "stroe" (did you mean "store"?)`, `5:5: unknown key "dedup_windw" (did you mean "dedup_window"?)`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
}

func TestDefaultsAndDefaultExpansion(t *testing.T) {
	cfg, err := Parse([]byte(secured+"admin_token: ${TOKEN:-}\nsmtp: {host: localhost, tls: none}\n"), env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.AdminToken != "" || cfg.Listen != ":8080" || cfg.SMTP.Port != 25 || cfg.Source().Path != "/hooks/hrmanager" {
		t.Errorf("cfg = %+v", cfg)
	}
}

func TestLoadResolvesPathsAgainstFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "hirewire.yaml")
	if err := os.WriteFile(p, []byte(secured+"rules: rules.yaml\nstore: sqlite:data/h.db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rules != filepath.Join(dir, "rules.yaml") || cfg.Store != "sqlite:"+filepath.Join(dir, "data/h.db") {
		t.Errorf("paths: %q %q", cfg.Rules, cfg.Store)
	}
	if _, err := Load(filepath.Join(dir, "nope.yaml")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestSMTPCheckedAtStart(t *testing.T) {
	_, err := Parse([]byte(secured+"smtp: {host: mail.example.com, tls: bogus, from: not an address}\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "smtp.tls") || !strings.Contains(err.Error(), "smtp.from") {
		t.Errorf("err = %v, want the bad tls mode and sender", err)
	}
}

// TestSettingsCheckedWithTheirPlace: what serve would refuse is refused
// when the config is read, so check catches it, each at its line:col.
func TestSettingsCheckedWithTheirPlace(t *testing.T) {
	for src, want := range map[string]string{
		"listen: \"8080\"\n" + secured:                              `1:1: listen: want host:port`,
		secured + "admin_listen: localhost\n":                       `2:1: admin_listen: want host:port`,
		secured + "store: mysql://x\n":                              `2:1: store: want sqlite:FILE or postgres://`,
		secured + "log_level: verbose\n":                            `2:1: log_level: want debug, info, warn or error`,
		secured + "workers: -1\n":                                   `2:1: workers: must not be negative`,
		"sources:\n  hrmanager:\n    secret: s\n    max_body: -5\n": `4:5: sources.hrmanager.max_body: must be a positive number`,
		"sources:\n  hrmanager:\n    signing_key: xyz\n":            `3:5: sources.hrmanager.signing_key: not a hex-encoded key`,
	} {
		_, err := Parse([]byte(src), env(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", src, err, want)
		}
	}
}

// TestServeNeedsAuthenticatedWebhooks: serve (and check) refuse a source
// with neither secret nor signing key, at its place; other commands, which
// receive no webhooks, load such a config.
func TestServeNeedsAuthenticatedWebhooks(t *testing.T) {
	for src, want := range map[string]string{
		"sources:\n  hrmanager:\n    path: /h\n":                      `:2:3: sources.hrmanager.secret: empty, and no signing_key either`,
		"listen: :1\n":                                                `:sources.hrmanager.secret: empty, and no signing_key either`,
		"sources: {hrmanager: {secret: \"${S:-}\"}}\n":                `:1:23: sources.hrmanager.secret: empty`,
		"sources: {hrmanager: {signing_key: 00ff}}\n":                 "",
		"sources: {hrmanager: {secret: \"${S:-fallback-secret}\"}}\n": "",
	} {
		cfg, err := Parse([]byte(src), env(map[string]string{"S": ""}))
		if err != nil {
			t.Errorf("%q: other commands cannot load it: %v", src, err)
			continue
		}
		err = cfg.CheckServe()
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%q: CheckServe = %v, want %q", src, err, want)
		}
	}
}

// TestTypeErrorsNameTheSettingNotTheValue: a value of the wrong type is
// reported at its line:col with what the setting takes, and never quoted:
// it may have come from a secret variable.
func TestTypeErrorsNameTheSettingNotTheValue(t *testing.T) {
	src := secured + "workers: ${WORKERS}\nsmtp:\n  host: mail\n  port: ${SMTP_PORT}\n"
	_, err := Parse([]byte(src), env(map[string]string{"WORKERS": "many-secret", "SMTP_PORT": "hunter2-port"}))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"2:10: workers: want a whole number, not text", "5:9: smtp.port: want a whole number, not text"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "secret") || strings.Contains(err.Error(), "hunter") {
		t.Errorf("error quotes a value: %v", err)
	}
	// Two settings on one line: the one whose value is wrong is named.
	_, err = Parse([]byte("sources:\n  hrmanager:\n    secret: s\n    api: {budget: {per_hour: 8, per_day: lots}}\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "sources.hrmanager.api.budget.per_day: want a whole number") {
		t.Errorf("flow mapping: err = %v, want per_day named", err)
	}
	// A value yaml.v3 would quote in a form not recognised is still not quoted.
	_, err = Parse([]byte("sources:\n  hrmanager:\n    secret: s\n    max_body: ${MB}\n"), env(map[string]string{"MB": "ab`cdefghijkl"}))
	if err == nil || !strings.Contains(err.Error(), "4:15: sources.hrmanager.max_body: want a whole number") ||
		strings.Contains(err.Error(), "ab`c") || strings.Contains(err.Error(), "cdef") {
		t.Errorf("value with a backtick: err = %v, want no part of the value", err)
	}
	_, err = Parse([]byte("sources:\n  hrmanager:\n    secret: s\n    dedup_window: ten minutes\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "4:19: sources.hrmanager.dedup_window: want a duration such as 90s, 10m or 1h30m, not text") {
		t.Errorf("err = %v", err)
	}
}

// TestEmptyVariableTakesTheDefault: ${NAME:-default} gives the default when
// NAME is unset or empty, as in a shell, so an empty line in an env file
// cannot blank a setting that has a default.
func TestEmptyVariableTakesTheDefault(t *testing.T) {
	cfg, err := Parse([]byte("sources: {hrmanager: {secret: \"${SECRET:-fallback}\"}}\n"), env(map[string]string{"SECRET": ""}))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Source().Secret; got != "fallback" {
		t.Errorf("secret = %q, want the default", got)
	}
}
