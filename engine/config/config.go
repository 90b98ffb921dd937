// Package config reads hirewire.yaml, the server's settings: listeners,
// store, rules location, history retention, webhook sources with their
// API and objects, SMTP.
//
// Decoding is strict (an unknown key or a value of the wrong type is an
// error at its line and column), `${NAME}` (or `${NAME:-default}`) is
// replaced from the environment (a missing variable is an error that names
// it, never a value), and relative paths are resolved against the
// directory of the file.
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions/email"
	"github.com/hirewire/hirewire/rules/envsubst"
)

// Config is hirewire.yaml.
type Config struct {
	Listen      string             `yaml:"listen"`
	AdminListen string             `yaml:"admin_listen"`
	AdminToken  string             `yaml:"admin_token"`
	Store       string             `yaml:"store"`
	Rules       string             `yaml:"rules"`
	Sources     map[string]*Source `yaml:"sources"`
	SMTP        email.Config       `yaml:"smtp"`
	Workers     int                `yaml:"workers"`
	LogLevel    string             `yaml:"log_level"`
	// Retention is how long finished history is kept (default 30d).
	Retention Retention `yaml:"retention"`

	// File is the path the config was read from.
	File string `yaml:"-"`

	doc     *yaml.Node // as read, for the places of settings
	secrets []string   // the values ${NAME}s put in
}

// Secrets returns the values that ${NAME} references put into the config
// (4 bytes or more), which may be secrets, so that they can be cut out of
// anything shown.
func (c *Config) Secrets() []string { return slices.Clone(c.secrets) }

// Pos returns "line:col: " of the setting at path
// ("sources.hrmanager.objects.candidate.id") in the file, or of its nearest
// enclosing setting if it was left out; "" if the config was not read from
// text.
func (c *Config) Pos(path string) string {
	if c.doc == nil {
		return ""
	}
	return posOf(c.doc, path)
}

// Source is one webhook source. Only "hrmanager" exists today.
type Source struct {
	Path        string                   `yaml:"path"`
	Secret      string                   `yaml:"secret"`
	SecretField string                   `yaml:"secret_field"`
	SigningKey  string                   `yaml:"signing_key"`
	DedupWindow time.Duration            `yaml:"dedup_window"`
	Debounce    map[string]time.Duration `yaml:"debounce"`
	OrderBy     []string                 `yaml:"order_by"`
	EraseOn     map[string]string        `yaml:"erase_on"` // event type → object whose copies it erases
	MaxBody     int64                    `yaml:"max_body"`
	API         API                      `yaml:"api"`
	Objects     map[string]*Object       `yaml:"objects"`
}

// API is how to reach HR Manager's REST API.
type API struct {
	BaseURL  string        `yaml:"base_url"`
	APIKey   string        `yaml:"api_key"`
	Budget   Budget        `yaml:"budget"`
	Timeout  time.Duration `yaml:"timeout"`
	Fixtures string        `yaml:"fixtures"`
}

// Budget is the allowance of calls per API method.
type Budget struct {
	PerHour int `yaml:"per_hour"`
	PerDay  int `yaml:"per_day"`
}

// Object is one kind of object rules can see (candidate, position, …).
type Object struct {
	ID        string        `yaml:"id"`
	Get       string        `yaml:"get"`
	Select    string        `yaml:"select"`
	TTL       time.Duration `yaml:"ttl"`
	RefreshOn []string      `yaml:"refresh_on"`
	MaxWait   time.Duration `yaml:"max_wait"`
	List      *ObjectList   `yaml:"list"`
}

// ObjectList refreshes many objects of one kind in one call.
type ObjectList struct {
	Get    string `yaml:"get"`
	Select string `yaml:"select"`
	ItemID string `yaml:"item_id"` // expr on each item; default Id
}

// Load reads, expands, decodes, defaults and validates a config file.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg, err := Parse(data, os.LookupEnv)
	if err != nil {
		return nil, prefixErrors(path, err)
	}
	cfg.File = path
	cfg.resolvePaths(filepath.Dir(path))
	return cfg, nil
}

// Parse decodes config text; lookup resolves ${NAME}.
func Parse(data []byte, lookup func(string) (string, bool)) (*Config, error) {
	root, x, errs, err := envsubst.ParseExpander(data, lookup)
	if err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, errors.New("1:1: empty config")
	}
	doc := root.Content[0]
	cfg := &Config{doc: doc, secrets: x.Values()}
	errs = append(errs, CheckKeys(doc, cfg)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if err := doc.Decode(cfg); err != nil {
		return nil, typeErrors(doc, err)
	}
	cfg.setDefaults()
	if err := cfg.validate(doc); err != nil {
		return nil, err
	}
	return cfg, nil
}

// prefixErrors puts the file name in front of every line:col error.
func prefixErrors(path string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = path + ":" + l
	}
	return errors.New(strings.Join(lines, "\n"))
}

func (c *Config) resolvePaths(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	c.Rules = abs(c.Rules)
	if rest, ok := strings.CutPrefix(c.Store, "sqlite:"); ok && rest != ":memory:" {
		c.Store = "sqlite:" + abs(rest)
	}
	for _, s := range c.Sources {
		s.API.Fixtures = abs(s.API.Fixtures)
	}
}
