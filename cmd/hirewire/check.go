package main

import (
	"context"
	"fmt"
	"io"

	"github.com/hirewire/hirewire/engine"
	"github.com/hirewire/hirewire/engine/config"
)

// runCheck validates the config and the rules it names (or the rules files
// given as arguments) and prints every problem as file:line:col.
func runCheck(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	cfgPath := fs.String("config", "hirewire.yaml", "the server's config file (for object names, SMTP, …)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, stderr)
	if err != nil {
		return err
	}
	paths := fs.Args()
	if len(paths) == 0 {
		paths = []string{cfg.Rules}
	}
	failed := false
	for _, err := range []error{cfg.CheckServe(), engine.CheckObjects(cfg)} {
		if err != nil {
			fmt.Fprintln(stderr, err)
			failed = true
		}
	}
	for _, p := range paths {
		n, err := engine.CheckRules(cfg, p)
		if err != nil {
			fmt.Fprintln(stderr, err)
			failed = true
			continue
		}
		fmt.Fprintf(stdout, "%s: %d rules OK\n", p, n)
	}
	if failed {
		return exitError{1}
	}
	return nil
}

// loadConfig loads the config; its problems, each with its place, are
// printed as they are and the command exits 1.
func loadConfig(path string, stderr io.Writer) (*config.Config, error) {
	cfg, err := config.Load(path)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, exitError{1}
	}
	return cfg, nil
}
