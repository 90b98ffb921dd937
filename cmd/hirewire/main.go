// Command hirewire is the HR Manager webhook router: `hirewire serve` runs
// it; the other subcommands check rules, post sample events and inspect the
// queue of a running router. main only turns flags into options and signals
// into calls; the router itself is package engine.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// errUsage makes main exit 2 after a usage message was printed; errHelp
// exits 0 after the help that -h asked for.
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

// exitError carries an exit status chosen by a subcommand.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"serve", "run the router", runServe},
	{"check", "validate hirewire.yaml and the rules; exit 1 on errors", runCheck},
	{"test", "run rule tests: events in, expected matches and rendered actions out", runTest},
	{"send", "post a sample HR Manager event to a running router", runSend},
	{"events", "list recent events of a running router", runEvents},
	{"replay", "process an event again as a new event", runReplay},
	{"sink", "print the HTTP requests and mails that actions send (for trying rules)", runSink},
	{"version", "print the version", runVersion},
}

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		var ee exitError
		switch {
		case err == nil, errors.Is(err, errHelp):
			return 0
		case errors.Is(err, errUsage):
			return 2
		case errors.As(err, &ee):
			return ee.code
		}
		fmt.Fprintf(stderr, "hirewire %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(stderr, "hirewire: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: hirewire <command> [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'hirewire <command> -h' for a command's flags.")
}

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintf(stdout, "hirewire %s\n", version)
	return nil
}
