package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

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
	cfg, err := Parse([]byte("admin_token: ${TOKEN:-}\nsmtp: {host: localhost, tls: none}\n"), env(nil))
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
	if err := os.WriteFile(p, []byte("rules: rules.yaml\nstore: sqlite:data/h.db\n"), 0o600); err != nil {
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
	_, err := Parse([]byte("smtp: {host: mail.example.com, tls: bogus, from: not an address}\n"), env(nil))
	if err == nil || !strings.Contains(err.Error(), "smtp.tls") || !strings.Contains(err.Error(), "smtp.from") {
		t.Errorf("err = %v, want the bad tls mode and sender", err)
	}
}
