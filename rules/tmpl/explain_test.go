package tmpl

import (
	"reflect"
	"strings"
	"testing"
)

func TestExplainShowsWhatAConditionSaw(t *testing.T) {
	env := NewEnv("candidate", "position")
	x, err := env.CompileBool(`position.Details.CustomText1 == "Engineering" && previous.candidate?.Status != candidate.Status && len(candidate.PositionList) > 0`)
	if err != nil {
		t.Fatal(err)
	}
	env.Probes(x)
	vars := map[string]any{
		"event":     map[string]any{},
		"position":  map[string]any{"Details": map[string]any{"CustomText1": "Sales"}},
		"candidate": map[string]any{"Status": "Hired", "PositionList": []any{1}},
		"previous":  map[string]any{"candidate": map[string]any{"Status": "Hired"}},
	}
	got := x.Explain(vars)
	want := []Binding{
		{"position.Details.CustomText1", `"Sales"`},
		{"previous.candidate?.Status", `"Hired"`},
		{"candidate.Status", `"Hired"`},
		{"candidate.PositionList", "[1]"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Explain =\n%v\nwant\n%v", got, want)
	}
}

func TestExplainReportsFailingProbes(t *testing.T) {
	env := NewEnv("candidate")
	x, _ := env.CompileBool(`candidate.Details.City == "Oslo"`)
	env.Probes(x)
	got := x.Explain(map[string]any{"candidate": nil})
	if len(got) != 1 || got[0].Expr != "candidate.Details.City" || got[0].Value[:6] != "error:" {
		t.Errorf("Explain = %v", got)
	}
}

func TestNilObjectErrorSaysWhy(t *testing.T) {
	env := NewEnv("candidate", "position")
	tp, err := env.Template("Hi {{ candidate.FirstName }} for {{ position.Name }}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.Render(map[string]any{"candidate": nil, "position": map[string]any{"Name": "x"}})
	if err == nil || !strings.Contains(err.Error(), "candidate is nil: the event names no candidate, or it was not found") {
		t.Errorf("err = %v", err)
	}
	x, _ := env.CompileBool(`previous.candidate?.Status == "x"`)
	if _, err := x.Eval(map[string]any{"candidate": nil, "previous": map[string]any{}}); err != nil {
		t.Errorf("previous.candidate?.Status: %v", err)
	}
}
