package event

import (
	"sort"
	"testing"
	"time"
)

func TestFieldsMergeMessageOverUserData(t *testing.T) {
	at := time.Date(2026, 11, 29, 10, 0, 0, 0, time.UTC)
	e := &Event{ID: "01X", Type: "CandidateHired", ReceivedAt: at,
		Body: []byte(`{"Message":{"EventType":"CandidateHired","CandidateId":987654,"DepartmentId":7},"DepartmentId":18960,"Region":"north","Big":12345678901234567890,"Ratio":0.5}`)}
	f, err := e.Fields()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"CandidateId": 987654, "DepartmentId": 7, "Region": "north", "Type": "CandidateHired", "Id": "01X", "Ratio": 0.5}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %#v (%T), want %#v", k, f[k], f[k], v)
		}
	}
	if f["ReceivedAt"] != at {
		t.Errorf("ReceivedAt = %v", f["ReceivedAt"])
	}
	if _, ok := f["Big"].(float64); !ok {
		t.Errorf("a number too large for int should become float64, got %T", f["Big"])
	}
	if _, ok := f["Message"]; ok {
		t.Error("Message itself should not be a field")
	}
}

func TestFieldsRejectsNonObject(t *testing.T) {
	if _, err := (&Event{ID: "x", Body: []byte(`[1,2]`)}).Fields(); err == nil {
		t.Error("a JSON list was accepted as an event body")
	}
}

func TestNewIDSortsByTime(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		id := NewID(base.Add(time.Duration(i) * time.Millisecond))
		if len(id) != 26 || seen[id] {
			t.Fatalf("id %q: bad length or repeated", id)
		}
		seen[id] = true
		ids = append(ids, id)
	}
	if !sort.StringsAreSorted(ids) {
		t.Error("ids made at increasing times do not sort in that order")
	}
	if a, b := NewID(base), NewID(base); a[:10] != b[:10] || a == b {
		t.Errorf("same-millisecond ids %q %q: want same time prefix, different randomness", a, b)
	}
}

func TestParseDate(t *testing.T) {
	got, ok := ParseDate("/Date(1523353751000+0200)/")
	if !ok || !got.Equal(time.Date(2018, 4, 10, 9, 49, 11, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("ParseDate = %v %v", got, ok)
	}
	for _, bad := range []string{"", "2018-04-10", "/Date(abc)/", "/Date(1523353751000+0200)"} {
		if _, ok := ParseDate(bad); ok {
			t.Errorf("ParseDate(%q) accepted", bad)
		}
	}
	v := Dates(map[string]any{"a": []any{"/Date(0)/", "x"}, "b": 1}).(map[string]any)
	if tm, ok := v["a"].([]any)[0].(time.Time); !ok || tm.Unix() != 0 || v["a"].([]any)[1] != "x" || v["b"] != 1 {
		t.Errorf("Dates = %v", v)
	}
}
