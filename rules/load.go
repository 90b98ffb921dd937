package rules

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hirewire/hirewire/actions"
)

// Options is what loading rules needs from the rest of hirewire.
type Options struct {
	// Objects are the configured object names (candidate, position, …).
	Objects []string
	// Kinds are the action kinds by name (http, slack, email, calendar, log).
	Kinds map[string]actions.Kind
	// LookupEnv resolves ${NAME}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// Now stamps Set.LoadedAt; nil means time.Now.
	Now func() time.Time
}

// input is one rules file as read.
type input struct {
	name string
	data []byte
}

// Load reads the rules at path, a file or a directory of *.yaml and *.yml
// files, and checks all of them. Problems in the rules are returned as an
// ErrorList; a file that cannot be read is a plain error.
func Load(path string, opts Options) (*Set, error) {
	in, err := readInputs(path)
	if err != nil {
		return nil, err
	}
	return build(in, opts)
}

// Parse checks the content of one rules file; name is used in errors.
func Parse(name string, data []byte, opts Options) (*Set, error) {
	return build([]input{{name: name, data: data}}, opts)
}

// Fingerprint returns what the Version of the rules at path would be,
// without checking them, so a watcher can tell whether they changed.
func Fingerprint(path string) (string, error) {
	in, err := readInputs(path)
	if err != nil {
		return "", err
	}
	return version(in), nil
}

// readInputs reads path, or the rules files of the directory path in name
// order.
func readInputs(path string) ([]input, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading rules: %w", err)
	}
	if !st.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading rules: %w", err)
		}
		return []input{{name: path, data: data}}, nil
	}
	names, err := ruleFiles(path)
	if err != nil {
		return nil, err
	}
	in := make([]input, 0, len(names))
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading rules: %w", err)
		}
		in = append(in, input{name: name, data: data})
	}
	return in, nil
}

// ruleFiles lists the *.yaml and *.yml regular files (symlinks followed) of
// dir, sorted, skipping names that start with a dot (editor files) and rule
// tests (*_test.yaml, for `hirewire test`).
func ruleFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading rules directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		n := e.Name()
		ext := filepath.Ext(n)
		if strings.HasPrefix(n, ".") || ext != ".yaml" && ext != ".yml" || strings.HasSuffix(strings.TrimSuffix(n, ext), "_test") {
			continue
		}
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
			continue
		}
		names = append(names, p)
	}
	slices.Sort(names)
	return names, nil
}

// version hashes the inputs' base names and contents, each length-prefixed
// so that no two different inputs hash alike.
func version(in []input) string {
	h := sha256.New()
	for _, f := range in {
		for _, part := range [][]byte{[]byte(filepath.Base(f.name)), f.data} {
			h.Write([]byte(strconv.Itoa(len(part)) + ":"))
			h.Write(part)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// build checks and compiles the inputs into a Set.
func build(in []input, opts Options) (*Set, error) {
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	l := newLoader(opts)
	for _, f := range in {
		l.parse(f)
	}
	l.collect()
	rules := l.rules()
	if len(l.errs.list) > 0 {
		for _, f := range l.files {
			for _, e := range l.errs.list {
				e.Msg = f.exp.Redact(e.Msg)
			}
		}
		l.errs.list.sort()
		return nil, l.errs.list.unique()
	}
	set := &Set{Version: version(in), LoadedAt: opts.Now(), Rules: rules, objects: map[string]bool{}}
	for _, f := range in {
		set.Files = append(set.Files, f.name)
	}
	for _, f := range l.files {
		set.secrets = append(set.secrets, f.exp.Values()...)
	}
	for _, o := range opts.Objects {
		set.objects[o] = true
	}
	return set, nil
}
