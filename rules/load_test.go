package rules_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hirewire/hirewire/rules"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.bad.errors golden files")

// testEnv holds the variables the testdata refers to; the values stand for
// secrets that must never show in errors.
var testEnv = map[string]string{
	"SLACK_HIRING_WEBHOOK": "https://hooks.slack.example/T000/B000/hiringsecret",
	"HRIS_TOKEN":           "hris-secret-token",
	"SLACK_TOKEN":          "slack-secret-token",
}

func lookup(name string) (string, bool) {
	v, ok := testEnv[name]
	return v, ok
}

var loadedAt = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

func opts() rules.Options {
	return rules.Options{
		Objects:   []string{"candidate", "position"},
		Kinds:     kinds(),
		LookupEnv: lookup,
		Now:       func() time.Time { return loadedAt },
	}
}

func TestGoodFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.good.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			set, err := rules.Load(f, opts())
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(set.Rules) == 0 {
				t.Fatal("no rules loaded")
			}
			if !set.LoadedAt.Equal(loadedAt) {
				t.Errorf("LoadedAt = %v, want the injected clock's %v", set.LoadedAt, loadedAt)
			}
			if len(set.Version) != 64 {
				t.Errorf("Version = %q, want 64 hex digits", set.Version)
			}
		})
	}
}

// TestBadFiles checks every problem of each testdata/*.bad.yaml against its
// golden testdata/*.bad.errors, and that no secret value shows.
func TestBadFiles(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.bad.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata/*.bad.yaml")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			set, err := rules.Load(f, opts())
			if set != nil {
				t.Fatal("a file with errors gave a Set")
			}
			var list rules.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %v (%T) is not an ErrorList", err, err)
			}
			got := err.Error() + "\n"
			for _, secret := range testEnv {
				if strings.Contains(got, secret) {
					t.Errorf("errors show a secret value:\n%s", got)
				}
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".errors"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("reading golden file (run with -update to create it): %v", err)
			}
			if got != string(want) {
				t.Errorf("errors differ from %s\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestThreeMistakes checks that three different mistakes in one file are
// all reported, each at its own line and column.
func TestThreeMistakes(t *testing.T) {
	_, err := rules.Load("testdata/three.bad.yaml", opts())
	var list rules.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v, want an ErrorList", err)
	}
	want := []rules.Error{
		{Line: 4, Column: 5, Rule: "announce-hire", Msg: `unknown key "wen" (did you mean "when"?)`},
		{Line: 10, Column: 37, Rule: "broken-when", Msg: "unexpected token EOF"},
		{Line: 15, Column: 36, Rule: "typo-object", Msg: "unknown name candiate"},
	}
	if len(list) != len(want) {
		t.Fatalf("got %d errors, want %d:\n%v", len(list), len(want), err)
	}
	for i, w := range want {
		g := list[i]
		if g.File != "testdata/three.bad.yaml" || g.Line != w.Line || g.Column != w.Column || g.Rule != w.Rule || g.Msg != w.Msg {
			t.Errorf("error %d = %s, want line %d col %d rule %q: %s", i, g, w.Line, w.Column, w.Rule, w.Msg)
		}
	}
	first := `testdata/three.bad.yaml:4:5: rule "announce-hire": unknown key "wen" (did you mean "when"?)`
	if line, _, _ := strings.Cut(err.Error(), "\n"); line != first {
		t.Errorf("first line = %q, want %q", line, first)
	}
}

func TestDirectory(t *testing.T) {
	set := mustLoad(t, "testdata/dir")
	want := []string{filepath.Join("testdata/dir", "10-common.yaml"), filepath.Join("testdata/dir", "20-hires.yml")}
	if !slices.Equal(set.Files, want) {
		t.Errorf("Files = %v, want %v", set.Files, want)
	}
	a := set.Rule("hired").Actions[0]
	if a.Retry.Attempts != 4 {
		t.Errorf("attempts = %d, want 4 from the defaults of another file", a.Retry.Attempts)
	}
	raw, _ := a.Impl.Render(map[string]any{"candidate": map[string]any{"FirstName": "Kari"}})
	if !strings.Contains(string(raw), `"username":"hirewire"`) {
		t.Errorf("rendered %s, want the target of another file merged", raw)
	}
}

func TestDirectoryErrors(t *testing.T) {
	_, err := rules.Load("testdata/baddir", opts())
	want := strings.Join([]string{
		`testdata/baddir/a.yaml:5:7: target "chat": unknown key "colour"`,
		`testdata/baddir/b.yaml:2:3: defaults are already set in testdata/baddir/a.yaml`,
		`testdata/baddir/b.yaml:4:11: rule "same": duplicate rule name (first at testdata/baddir/a.yaml:9:11)`,
	}, "\n")
	if err == nil || err.Error() != want {
		t.Errorf("got\n%v\nwant\n%s", err, want)
	}
}

func TestVersion(t *testing.T) {
	src := "rules:\n  - {name: a, on: X, actions: [{log: {message: hi}}]}\n"
	a, b := mustParse(t, src), mustParse(t, src)
	if a.Version != b.Version {
		t.Error("the same input gave two versions")
	}
	if c := mustParse(t, src+"# changed\n"); c.Version == a.Version {
		t.Error("a changed input kept its version")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	fp, err := rules.Fingerprint(path)
	if err != nil || fp != mustLoad(t, path).Version {
		t.Errorf("Fingerprint = %q, %v; want the loaded Version", fp, err)
	}
	if fp != a.Version {
		t.Error("Parse and Load of the same name and content differ")
	}
}

func TestEmptyAndMissing(t *testing.T) {
	if set := mustParse(t, "# nothing yet\n"); len(set.Rules) != 0 {
		t.Errorf("an empty file gave %d rules", len(set.Rules))
	}
	_, err := rules.Load(filepath.Join(t.TempDir(), "nope.yaml"), opts())
	var list rules.ErrorList
	if err == nil || errors.As(err, &list) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v, want a read error wrapping os.ErrNotExist", err)
	}
}
