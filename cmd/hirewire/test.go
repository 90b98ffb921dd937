package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/hirewire/hirewire/engine"
)

// runTest runs rule tests: events in, the rules that should match and what
// their actions should render out. Nothing is sent.
func runTest(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("test", stderr)
	cfgPath := fs.String("config", "hirewire.yaml", "the server's config file (its rules, objects and fixtures)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	files := fs.Args()
	if len(files) == 0 {
		files = defaultTestFiles(cfg.Rules)
	}
	if len(files) == 0 {
		fmt.Fprintf(stderr, "no test files given and none found next to %s (name them *_test.yaml)\n", cfg.Rules)
		return exitError{1}
	}
	failed, err := engine.RunRuleTests(cfg, files, stdout)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError{1}
	}
	if failed > 0 {
		fmt.Fprintf(stdout, "%d failed\n", failed)
		return exitError{1}
	}
	return nil
}

// defaultTestFiles finds *_test.yaml beside a rules file or in a rules
// directory.
func defaultTestFiles(rules string) []string {
	dir := rules
	if st, err := os.Stat(rules); err == nil && !st.IsDir() {
		dir = filepath.Dir(rules)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*_test.yaml"))
	var out []string
	for _, f := range files {
		if !strings.HasPrefix(filepath.Base(f), ".") {
			out = append(out, f)
		}
	}
	return out
}
