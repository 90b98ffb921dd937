package fetch

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/hirewire/hirewire/engine/store"
)

// fixture reads an object from the fixtures directory:
// <dir>/<object>/<id>.json holds the object as select would yield it, and
// <dir>/<object>/<id>.previous.json, if present, the copy before it (else
// previous is the same copy). A missing file is a gone object.
func (f *Fetcher) fixture(o *object, id string, now time.Time) (got, error) {
	if strings.ContainsAny(id, `/\`) || strings.HasPrefix(id, ".") {
		return got{}, nil // not a file name: no such object
	}
	root, err := os.OpenRoot(f.fixtures)
	if err != nil {
		return got{}, fmt.Errorf("fetch: fixtures: %w", err)
	}
	defer root.Close()
	data, err := readFixture(root, o.Name+"/"+id+".json")
	if err != nil || data == nil {
		return got{}, err
	}
	prior, err := readFixture(root, o.Name+"/"+id+".previous.json")
	if err != nil {
		return got{}, err
	}
	if prior == nil {
		prior = data
	}
	if _, err := decodeCopy(data); err != nil {
		return got{}, fmt.Errorf("fetch: fixture %s/%s.json: %w", o.Name, id, err)
	}
	return got{snap: &store.Snapshot{Object: o.Name, ID: id, Data: data, FetchedAt: now, Prior: prior, PriorAt: now}}, nil
}

// readFixture reads one file below root; nil, nil if it does not exist.
func readFixture(root *os.Root, name string) ([]byte, error) {
	data, err := root.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fetch: fixture %s: %w", name, err)
	}
	return data, nil
}
