package fetch

import (
	"testing"
	"time"
)

func TestDecodeDatesAndNumbers(t *testing.T) {
	v, err := decodeJSON([]byte(`{"a":"/Date(1523353751000+0200)/","b":["/Date(-86400000)/",{"c":"/Date(0-0130)/"}],
		"n":987654,"f":1.5,"big":12345678901234,"s":"/Date(x)/","t":"Date(1)"}`))
	if err != nil {
		t.Fatal(err)
	}
	m := v.(map[string]any)
	cases := map[string]any{
		"a":   time.Date(2018, 4, 10, 9, 49, 11, 0, time.UTC),
		"n":   987654,
		"f":   1.5,
		"big": 12345678901234,
		"s":   "/Date(x)/",
		"t":   "Date(1)",
	}
	for k, want := range cases {
		if m[k] != want {
			t.Errorf("%s = %#v, want %#v", k, m[k], want)
		}
	}
	list := m["b"].([]any)
	if list[0] != time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC) || list[1].(map[string]any)["c"] != time.Unix(0, 0).UTC() {
		t.Errorf("nested dates = %#v", list)
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	in := map[string]any{"at": time.Date(2018, 4, 10, 9, 49, 11, 250e6, time.UTC), "l": []any{1, "x", nil}}
	raw, err := encodeJSON(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(raw) != `{"at":"/Date(1523353751250+0000)/","l":[1,"x",null]}` {
		t.Errorf("encoded = %s", raw)
	}
	out, err := decodeCopy(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got := out.(map[string]any)["at"]; got != in["at"] {
		t.Errorf("round trip: %#v", got)
	}
	if _, ok := in["at"].(time.Time); !ok {
		t.Error("encodeJSON changed its input")
	}
	if v, err := decodeCopy([]byte("null")); v != nil || err != nil {
		t.Errorf("null copy = %v, %v", v, err)
	}
	if _, err := decodeJSON([]byte(`{} {}`)); err == nil {
		t.Error("trailing data accepted")
	}
}
