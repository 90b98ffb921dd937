package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
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

func (c *Config) validate() error {
	var errs []error
	if len(c.Sources) > 1 || c.Sources["hrmanager"] == nil {
		errs = append(errs, errors.New("sources: only \"hrmanager\" is supported"))
	}
	for name, s := range c.Sources {
		if keep, ok := c.Retention.Keep(); ok && keep <= s.DedupWindow {
			errs = append(errs, fmt.Errorf("retention: %s is not longer than sources.%s.dedup_window (%s): duplicates would pass for new events", c.Retention, name, s.DedupWindow))
		}
		if !strings.HasPrefix(s.Path, "/") {
			errs = append(errs, fmt.Errorf("sources.%s.path: must start with /", name))
		}
		if _, err := hex.DecodeString(s.SigningKey); err != nil {
			errs = append(errs, fmt.Errorf("sources.%s.signing_key: not a hex-encoded key", name))
		}
		if s.API.Fixtures == "" && len(s.Objects) > 0 {
			if _, err := url.ParseRequestURI(s.API.BaseURL); err != nil || s.API.BaseURL == "" {
				errs = append(errs, fmt.Errorf("sources.%s.api.base_url: objects need a base_url (or fixtures)", name))
			}
		}
		for typ, obj := range s.EraseOn {
			if s.Objects[obj] == nil {
				errs = append(errs, fmt.Errorf("sources.%s.erase_on.%s: no object %q is configured", name, typ, obj))
			}
		}
		for oname, o := range s.Objects {
			if o.ID == "" || o.Get == "" && s.API.Fixtures == "" {
				errs = append(errs, fmt.Errorf("sources.%s.objects.%s: id and get are required", name, oname))
			}
		}
	}
	if c.SMTP.Host != "" {
		errs = append(errs, c.SMTP.Validate())
	}
	return errors.Join(errs...)
}

// Source returns the HR Manager source.
func (c *Config) Source() *Source { return c.Sources["hrmanager"] }
