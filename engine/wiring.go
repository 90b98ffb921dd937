package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/calendar"
	"github.com/hirewire/hirewire/actions/email"
	"github.com/hirewire/hirewire/actions/logaction"
	"github.com/hirewire/hirewire/actions/slack"
	"github.com/hirewire/hirewire/actions/webhook"
	"github.com/hirewire/hirewire/engine/admin"
	"github.com/hirewire/hirewire/engine/config"
	"github.com/hirewire/hirewire/engine/fetch"
	"github.com/hirewire/hirewire/engine/ingest"
	"github.com/hirewire/hirewire/engine/store"
	"github.com/hirewire/hirewire/engine/work"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// buildKinds makes every action kind from the config.
func buildKinds(cfg *config.Config, log *slog.Logger) (map[string]actions.Kind, error) {
	mailCfg := cfg.SMTP
	var mail, cal actions.Kind = missingSMTP{"email"}, missingSMTP{"calendar"}
	if cfg.SMTP.Host != "" {
		m, err := email.New(mailCfg)
		if err != nil {
			return nil, fmt.Errorf("smtp: %w", err)
		}
		c, err := calendar.New(mailCfg)
		if err != nil {
			return nil, fmt.Errorf("smtp: %w", err)
		}
		mail, cal = m, c
	}
	return map[string]actions.Kind{
		"http":     webhook.New(webhook.Options{}),
		"slack":    slack.New(slack.Options{}),
		"log":      logaction.New(log),
		"email":    mail,
		"calendar": cal,
	}, nil
}

// objectNames lists the configured objects, sorted.
func objectNames(cfg *config.Config) []string {
	var names []string
	for n := range cfg.Source().Objects {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// eraseOn is the configured erase_on, or the default for the objects that
// are configured (a config without a candidate object erases nothing).
func eraseOn(cfg *config.Config) map[string]string {
	if m := cfg.Source().EraseOn; m != nil {
		return m
	}
	m := work.DefaultEraseOn()
	for typ, obj := range m {
		if cfg.Source().Objects[obj] == nil {
			delete(m, typ)
		}
	}
	return m
}

// eventLease is how long a node may hold an event it processes: room for
// an API call per object at the configured timeout, with retries, so that
// a slow API does not let another claim take the event meanwhile.
func eventLease(cfg *config.Config) time.Duration {
	src := cfg.Source()
	return max(2*time.Minute, time.Duration(2*len(src.Objects)+1)*src.API.Timeout)
}

// objectConfigs are the configured objects as the fetcher takes them.
func objectConfigs(cfg *config.Config) []fetch.ObjectConfig {
	src := cfg.Source()
	var objs []fetch.ObjectConfig
	for _, name := range objectNames(cfg) {
		o := src.Objects[name]
		oc := fetch.ObjectConfig{Name: name, ID: o.ID, Get: o.Get, Select: o.Select, TTL: o.TTL,
			RefreshOn: o.RefreshOn, MaxWait: o.MaxWait}
		if o.List != nil {
			oc.List = &fetch.ListConfig{Get: o.List.Get, Select: o.List.Select, ItemID: o.List.ItemID}
		}
		objs = append(objs, oc)
	}
	return objs
}

// CheckObjects compiles the objects' id and select expressions and get
// templates as serve does, and reports every problem at the place of its
// setting in the config file.
func CheckObjects(cfg *config.Config) error {
	var errs []error
	for _, oc := range objectConfigs(cfg) {
		err := fetch.CheckObject(oc)
		if err == nil {
			continue
		}
		path, msg := "sources.hrmanager.objects."+oc.Name, err.Error()
		if field, rest, ok := strings.Cut(msg, ": "); ok && slices.Contains([]string{"id", "get", "select", "list"}, field) {
			path, msg = path+"."+field, rest
		}
		errs = append(errs, fmt.Errorf("%s:%s%s: %s", cfg.File, cfg.Pos(path), path, msg))
	}
	return errors.Join(errs...)
}

// buildFetcher returns nil when no objects are configured.
func buildFetcher(cfg *config.Config, st store.Store, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (work.Fetcher, error) {
	src := cfg.Source()
	if len(src.Objects) == 0 {
		return nil, nil
	}
	if err := CheckObjects(cfg); err != nil {
		return nil, err
	}
	f, err := fetch.New(fetch.Options{
		BaseURL: src.API.BaseURL, APIKey: src.API.APIKey, PerHour: src.API.Budget.PerHour, PerDay: src.API.Budget.PerDay,
		Fixtures: src.API.Fixtures, Timeout: src.API.Timeout, Objects: objectConfigs(cfg), Shared: !strings.HasPrefix(cfg.Store, "sqlite:"), Store: st, Now: now, Logger: log, Metrics: fetch.NewMetrics(reg),
	})
	if err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	return f, nil
}

// webhookHandler routes the source path to ingest and answers the rest
// with JSON 404s.
func (r *Router) webhookHandler() http.Handler {
	src := r.cfg.Source()
	key, _ := ingest.DecodeKey(src.SigningKey) // config.Load checked it
	outcomes := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hirewire_webhooks_total",
		Help: "Webhooks received, by outcome (accepted, duplicate, unauthorized, bad_request, too_large, unavailable)."},
		[]string{"outcome"})
	r.reg.MustRegister(outcomes)
	h := ingest.New(ingest.Options{
		Source: "hrmanager", Secret: src.Secret, SecretField: src.SecretField, SigningKey: key,
		DedupWindow: src.DedupWindow, Debounce: src.Debounce, OrderBy: src.OrderBy, MaxBody: src.MaxBody,
		Store: r.store, Now: r.opts.Now, Logger: r.log, Accepted: r.worker.Notify,
		Observe: func(o string) { outcomes.WithLabelValues(o).Inc() },
	})
	mux := http.NewServeMux()
	mux.Handle(src.Path, h)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte(`{"error":"not found"}` + "\n"))
	})
	return mux
}

// missingSMTP stands for email and calendar when hirewire.yaml has no smtp
// section, so that rules using them fail at load with a clear message.
type missingSMTP struct{ kind string }

func (m missingSMTP) Compile(spec *yaml.Node, _ *tmpl.Env) (actions.Action, error) {
	return nil, actions.ErrorAt(spec, "%s actions need the smtp section of hirewire.yaml (host, port, tls, from)", m.kind)
}

func (m missingSMTP) Send(context.Context, actions.Message) (string, error) {
	return "", actions.Permanent(fmt.Errorf("%s actions need the smtp section of hirewire.yaml", m.kind))
}

// adminHandler serves the admin listener.
func (r *Router) adminHandler() http.Handler {
	return admin.New(admin.Options{
		Token: r.cfg.AdminToken, Store: r.store, Registry: r.reg,
		Rules: r.rules.status, Reload: r.rules.reload, Wake: r.worker.Notify, Now: r.opts.Now, Logger: r.log,
		Secrets: r.secrets,
	})
}
