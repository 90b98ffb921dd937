package actiontest

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// update rewrites golden files instead of comparing with them
// (go test ./actions/... -update).
var update = flag.Bool("update", false, "rewrite golden files")

// Env returns the expression environment of the samples: objects candidate
// and position.
func Env() *tmpl.Env { return tmpl.NewEnv("candidate", "position") }

// Node parses YAML text and returns its top value, as the rules package
// hands an action's settings to Kind.Compile.
func Node(t testing.TB, src string) *yaml.Node {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("parsing YAML: %v", err)
	}
	if len(doc.Content) == 0 {
		t.Fatal("empty YAML")
	}
	return doc.Content[0]
}

// Compile compiles src with kind against Env and fails t on error.
func Compile(t testing.TB, kind actions.Kind, src string) actions.Action {
	t.Helper()
	a, err := kind.Compile(Node(t, src), Env())
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	return a
}

// CompileError compiles src with kind and returns the error, failing t if
// there is none or if any joined error does not point at a line and column.
func CompileError(t testing.TB, kind actions.Kind, src string) error {
	t.Helper()
	_, err := kind.Compile(Node(t, src), Env())
	if err == nil {
		t.Fatal("compile succeeded, want an error")
	}
	for _, e := range flatten(err) {
		var pe *actions.PosError
		if !errors.As(e, &pe) {
			t.Errorf("error %q has no line:col", e)
		}
	}
	return err
}

// flatten lists the errors joined in err.
func flatten(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, flatten(e)...)
		}
		return out
	}
	return []error{err}
}

// Golden compares got with testdata/<name>, or writes it there with
// -update.
func Golden(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden file: %v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs:\n got: %s\nwant: %s", path, got, want)
	}
}
