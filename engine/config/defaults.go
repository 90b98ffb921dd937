package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults, per SPEC §1: HR Manager's shapes are configuration with these
// values as defaults, never constants in code.
const (
	DefaultListen      = ":8080"
	DefaultAdminListen = "127.0.0.1:8081"
	DefaultStore       = "sqlite:./data/hirewire.db"
	DefaultRules       = "./rules.yaml"
	DefaultPath        = "/hooks/hrmanager"
	DefaultSecretField = "WebhookSecret"
	DefaultDedupWindow = 10 * time.Minute
	DefaultMaxBody     = 1 << 20
	DefaultPerHour     = 8
	DefaultPerDay      = 200
	DefaultAPITimeout  = 30 * time.Second
	DefaultObjectTTL   = 15 * time.Minute
	DefaultBaseURL     = "https://recruiter-api.hr-manager.net/restful.svc/v2/"
)

// DefaultOrderBy lists the Message fields whose value names the object an
// event is about, most specific first; events with the same value are
// processed in arrival order.
var DefaultOrderBy = []string{"CandidateId", "ProjectId", "AdvertisementId", "QuestionnaireId", "LayoutTemplateId", "UserId"}

func (c *Config) setDefaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Listen, DefaultListen)
	def(&c.AdminListen, DefaultAdminListen)
	def(&c.Store, DefaultStore)
	def(&c.Rules, DefaultRules)
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.Workers == 0 {
		c.Workers = 8
	}
	c.SMTP = c.SMTP.WithDefaults()
	if len(c.Sources) == 0 {
		c.Sources = map[string]*Source{"hrmanager": {}}
	}
	for _, s := range c.Sources {
		s.setDefaults()
	}
}

func (s *Source) setDefaults() {
	if s.Path == "" {
		s.Path = DefaultPath
	}
	if s.SecretField == "" {
		s.SecretField = DefaultSecretField
	}
	if s.DedupWindow == 0 {
		s.DedupWindow = DefaultDedupWindow
	}
	if s.MaxBody == 0 {
		s.MaxBody = DefaultMaxBody
	}
	if s.OrderBy == nil {
		s.OrderBy = DefaultOrderBy
	}
	if s.API.Budget.PerHour == 0 {
		s.API.Budget.PerHour = DefaultPerHour
	}
	if s.API.Budget.PerDay == 0 {
		s.API.Budget.PerDay = DefaultPerDay
	}
	if s.API.Timeout == 0 {
		s.API.Timeout = DefaultAPITimeout
	}
	for _, o := range s.Objects {
		if o.TTL == 0 {
			o.TTL = DefaultObjectTTL
		}
	}
}

// validate checks the settings that decoding cannot; each error starts
// with the line:col of its setting in doc.
func (c *Config) validate(doc *yaml.Node) error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, errAt(doc, path, format, args...))
	}
	if len(c.Sources) > 1 || c.Sources["hrmanager"] == nil {
		bad("sources", "only \"hrmanager\" is supported")
	}
	for key, addr := range map[string]string{"listen": c.Listen, "admin_listen": c.AdminListen} {
		if _, port, err := net.SplitHostPort(addr); err != nil || port == "" {
			bad(key, "want host:port or :port, such as :8080")
		}
	}
	if scheme, _, _ := strings.Cut(c.Store, ":"); scheme != "sqlite" && scheme != "postgres" && scheme != "postgresql" {
		bad("store", "want sqlite:FILE or postgres://…")
	}
	if c.LogLevel != "" {
		var lv slog.Level
		if lv.UnmarshalText([]byte(c.LogLevel)) != nil {
			bad("log_level", "want debug, info, warn or error")
		}
	}
	if c.Workers < 0 {
		bad("workers", "must not be negative")
	}
	for name, s := range c.Sources {
		src := "sources." + name
		if keep, ok := c.Retention.Keep(); ok && keep <= s.DedupWindow {
			bad("retention", "%s is not longer than %s.dedup_window (%s): duplicates would pass for new events", c.Retention, src, s.DedupWindow)
		}
		if !strings.HasPrefix(s.Path, "/") {
			bad(src+".path", "must start with /")
		}
		if _, err := hex.DecodeString(s.SigningKey); err != nil {
			bad(src+".signing_key", "not a hex-encoded key")
		}
		if s.MaxBody < 0 {
			bad(src+".max_body", "must be a positive number of bytes")
		}
		if s.API.Fixtures == "" && len(s.Objects) > 0 {
			if _, err := url.ParseRequestURI(s.API.BaseURL); err != nil || s.API.BaseURL == "" {
				bad(src+".api.base_url", "objects need a base_url (or fixtures)")
			}
		}
		for typ, obj := range s.EraseOn {
			if s.Objects[obj] == nil {
				bad(src+".erase_on."+typ, "no object %q is configured", obj)
			}
		}
		for oname, o := range s.Objects {
			if o.ID == "" || o.Get == "" && s.API.Fixtures == "" {
				bad(src+".objects."+oname, "id and get are required")
			}
		}
	}
	if c.SMTP.Host != "" {
		if err := c.SMTP.Validate(); err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				errs = append(errs, errors.New(posOf(doc, "smtp")+line))
			}
		}
	}
	return errors.Join(errs...)
}

// CheckServe reports what serve needs beyond what every command does:
// webhooks that are authenticated. Without a secret or a signing key
// anyone who reaches the listener could post events. Errors start with
// the file and the line:col of the setting.
func (c *Config) CheckServe() error {
	var errs []error
	for name, s := range c.Sources {
		if s.Secret == "" && s.SigningKey == "" {
			path := "sources." + name + ".secret"
			errs = append(errs, fmt.Errorf("%s:%s%s: empty, and no signing_key either: anyone who reaches the listener could post events; set the secret the webhooks carry in %s (or a signing_key)",
				c.File, c.Pos(path), path, s.SecretField))
		}
	}
	return errors.Join(errs...)
}

// Source returns the HR Manager source.
func (c *Config) Source() *Source { return c.Sources["hrmanager"] }
