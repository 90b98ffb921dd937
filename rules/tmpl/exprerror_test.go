package tmpl_test

import (
	"errors"
	"testing"

	"github.com/hirewire/hirewire/rules/tmpl"
)

// TestExprErrorPosition checks that compile errors tell where in the
// expression they are, while their text stays expr's first line.
func TestExprErrorPosition(t *testing.T) {
	env := tmpl.NewEnv("candidate")
	cases := []struct {
		src, msg, text string
		line, col      int
	}{
		{`event.A > 0 && candiate.B`, "unknown name candiate", "unknown name candiate (1:16)", 1, 16},
		{"event.A > 0 &&\n  (", "unexpected token EOF", "unexpected token EOF (2:3)", 2, 3},
	}
	for _, c := range cases {
		_, err := env.CompileBool(c.src)
		var xe *tmpl.ExprError
		if !errors.As(err, &xe) {
			t.Errorf("%q: got %v (%T), want an *ExprError", c.src, err, err)
			continue
		}
		if xe.Message != c.msg || xe.Line != c.line || xe.Column != c.col || err.Error() != c.text {
			t.Errorf("%q: got %q at %d:%d (%q), want %q at %d:%d (%q)", c.src, xe.Message, xe.Line, xe.Column, err, c.msg, c.line, c.col, c.text)
		}
	}
	if _, err := env.CompileBool(`1 + 2`); err == nil || errors.As(err, new(*tmpl.ExprError)) {
		t.Errorf("a type error without a place: got %v, want a plain error", err)
	}
}
