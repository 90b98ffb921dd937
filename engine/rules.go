package engine

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/engine/admin"
	"github.com/hirewire/hirewire/engine/config"
	"github.com/hirewire/hirewire/rules"
)

// ruleState is the rules in force, how they are reloaded, and the metrics
// that say whether the last reload worked.
type ruleState struct {
	cur  *rules.Current
	path string
	log  *slog.Logger
	// mu makes a reload and its log lines one step, so that concurrent
	// reloads (watcher, SIGHUP, POST /-/reload) log each change once.
	mu sync.Mutex

	secretsMu sync.Mutex
	seen      map[string]bool // every secret any loaded rules put in
}

func newRuleState(cfg *config.Config, kinds map[string]actions.Kind, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) *ruleState {
	opts := rules.Options{Objects: objectNames(cfg), Kinds: kinds, Now: now}
	s := &ruleState{path: cfg.Rules, log: log, seen: map[string]bool{}}
	s.cur = rules.NewCurrent(func() (*rules.Set, error) {
		set, err := rules.Load(cfg.Rules, opts)
		if err == nil {
			s.remember(set.Secrets())
		}
		return set, err
	}, now)
	reg.MustRegister(s.collectors()...)
	return s
}

// collectors are the metrics that say whether the last reload worked.
func (s *ruleState) collectors() []prometheus.Collector {
	gauge := func(name, help string, f func(rules.State) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(s.cur.State()) })
	}
	counter := func(name, help string, f func(rules.State) int) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(f(s.cur.State())) })
	}
	return []prometheus.Collector{
		gauge("hirewire_rules_last_reload_success", "1 if the last rules reload worked, 0 if the rules were refused.",
			func(st rules.State) float64 { return b2f(st.OK) }),
		gauge("hirewire_rules_last_reload_timestamp_seconds", "When the rules were last reloaded (Unix time).",
			func(st rules.State) float64 { return float64(st.LastReload.UnixMilli()) / 1000 }),
		gauge("hirewire_rules_loaded", "Rules in force.", func(st rules.State) float64 { return float64(st.Rules) }),
		counter("hirewire_rules_reloads_total", "Rules reloads run since start, whether they changed the rules or not.",
			func(st rules.State) int { return st.Reloads }),
		counter("hirewire_rules_reload_failures_total", "Rules reloads refused since start.",
			func(st rules.State) int { return st.Failures }),
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// current returns the rule set in force.
func (s *ruleState) current() *rules.Set { return s.cur.Load() }

// remember keeps the secrets of loaded rules. Those of rules since
// replaced are kept too: deliveries rendered with them are still shown.
func (s *ruleState) remember(secrets []string) {
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	for _, v := range secrets {
		s.seen[v] = true
	}
}

// secrets returns every secret remembered.
func (s *ruleState) secrets() []string {
	s.secretsMu.Lock()
	defer s.secretsMu.Unlock()
	return slices.Collect(maps.Keys(s.seen))
}

func (s *ruleState) state() rules.State { return s.cur.State() }

// reload loads the rules and swaps them in if they are valid and changed;
// otherwise the old rules stay and every error is logged.
func (s *ruleState) reload() (admin.RulesStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before := s.cur.State().Version
	set, err := s.cur.Reload()
	switch {
	case err != nil:
		for _, line := range strings.Split(err.Error(), "\n") {
			s.log.Error("rules refused; the previous rules stay in force", "error", line, "active", short(before))
		}
	case set.Version != before:
		s.log.Info("rules loaded", "version", short(set.Version), "rules", len(set.Rules), "files", strings.Join(set.Files, ","))
	}
	return s.status(), err
}

// status is the rules' state as the admin API shows it.
func (s *ruleState) status() admin.RulesStatus {
	st := s.cur.State()
	out := admin.RulesStatus{Version: st.Version, LoadedAt: st.LoadedAt, Rules: st.Rules, OK: st.OK, LastReload: st.LastReload}
	if set := s.cur.Load(); set != nil {
		out.Files = set.Files
	}
	if st.LastError != "" {
		msg := st.LastError
		out.LastError = &msg
	}
	return out
}

// watch starts watching the rules at once and returns the loop that
// reloads on every change until ctx ends. Starting the watch before the
// router reports ready means no change made after that is missed.
func (s *ruleState) watch() func(ctx context.Context) error {
	w, err := rules.NewWatcher(s.path, func() error { _, err := s.reload(); return err },
		rules.WatchOptions{Version: s.cur.State().Version, Logger: s.log})
	if err != nil {
		s.log.Error("watching the rules failed; reload with SIGHUP or POST /-/reload", "err", err)
		return func(ctx context.Context) error { <-ctx.Done(); return nil }
	}
	return w.Run
}

func short(v string) string { return v[:min(12, len(v))] }

// CheckRules loads the rules at path as serve would and returns how many
// rules there are, or every problem.
func CheckRules(cfg *config.Config, path string) (int, error) {
	kinds, err := buildKinds(cfg, slog.Default())
	if err != nil {
		return 0, err
	}
	set, err := rules.Load(path, rules.Options{Objects: objectNames(cfg), Kinds: kinds})
	if err != nil {
		return 0, err
	}
	return len(set.Rules), nil
}
