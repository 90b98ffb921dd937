package fetch

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestFixturesServeFilesWithoutBudget(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("candidate/1.json", `{"Id":1,"Status":"Hired","HiredDateTimeUtc":"/Date(1523353751000+0200)/"}`)
	write("candidate/1.previous.json", `{"Id":1,"Status":"Offer"}`)
	write("position/143568.json", `{"Id":143568,"Name":"Backend Developer"}`)
	write("secret.json", `{"Id":"outside"}`)
	f, err := New(Options{Fixtures: dir, Objects: objectsConfig(), Now: newClock().Now})
	if err != nil {
		t.Fatal(err)
	}

	e, fields := newEvent("CandidateHired", 1, t0)
	res, err := f.Fetch(ctx, e, fields, []string{"candidate", "position"})
	if err != nil || !res.Wait.IsZero() {
		t.Fatalf("wait %v, err %v", res.Wait, err)
	}
	if got := field(t, res.Objects, "candidate", "HiredDateTimeUtc"); got != time.Date(2018, 4, 10, 9, 49, 11, 0, time.UTC) {
		t.Errorf("date = %#v", got)
	}
	if field(t, res.Previous, "candidate", "Status") != "Offer" || field(t, res.Previous, "position", "Name") != "Backend Developer" {
		t.Errorf("previous = %v", res.Previous)
	}

	for _, id := range []any{2, "../secret", "..", "a/b"} {
		fields["CandidateId"] = id
		res, err := f.Fetch(ctx, e, fields, []string{"candidate"})
		if err != nil || res.Objects["candidate"] != nil {
			t.Errorf("id %v: %v, %v; want nil", id, res.Objects["candidate"], err)
		}
	}
}
