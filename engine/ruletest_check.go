package engine

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/hirewire/hirewire/engine/store"
	"github.com/hirewire/hirewire/engine/work"
)

// check compares the outcome with the expectation.
func check(x Expectation, tr *work.Trace, dels []*store.Delivery) []string {
	var problems []string
	var matched []string
	why := map[string]work.Verdict{}
	for _, v := range tr.Rules {
		why[v.Rule] = v
		if v.Verdict == "matched" {
			matched = append(matched, v.Rule)
		}
	}
	if x.Matched != nil && !sameSet(x.Matched, matched) {
		problems = append(problems, fmt.Sprintf("matched %v, want %v", matched, x.Matched))
		for _, name := range x.Matched {
			if v, ok := why[name]; ok && v.Verdict != "matched" {
				problems = append(problems, fmt.Sprintf("rule %s: %s: %s%s", name, v.Verdict, v.Why, saw(v)))
			}
		}
	}
	for _, name := range x.NotMatched {
		if slices.Contains(matched, name) {
			problems = append(problems, fmt.Sprintf("rule %s matched, want not matched", name))
		}
	}
	for _, a := range x.Actions {
		problems = append(problems, checkAction(a, dels)...)
	}
	return problems
}

func saw(v work.Verdict) string {
	var parts []string
	for _, b := range v.Saw {
		parts = append(parts, b.Expr+" = "+b.Value)
	}
	if len(parts) == 0 {
		return ""
	}
	return " (saw " + strings.Join(parts, ", ") + ")"
}

func checkAction(a ActionExpect, dels []*store.Delivery) []string {
	for _, d := range dels {
		if d.Rule != a.Rule || d.Action != a.Index {
			continue
		}
		if a.Error != "" {
			if !strings.Contains(d.LastError, a.Error) {
				return []string{fmt.Sprintf("%s action %d: error %q, want one containing %q", a.Rule, a.Index, d.LastError, a.Error)}
			}
			return nil
		}
		if d.Status == store.DeliveryDead {
			return []string{fmt.Sprintf("%s action %d: %s", a.Rule, a.Index, d.LastError)}
		}
		var got map[string]any
		if err := json.Unmarshal(d.Payload, &got); err != nil {
			return []string{fmt.Sprintf("%s action %d: payload: %v", a.Rule, a.Index, err)}
		}
		if body, ok := got["body"].(string); ok {
			// An http body that is JSON can be checked field by field as json.
			var j any
			if json.Unmarshal([]byte(body), &j) == nil {
				got["json"] = j
			}
		}
		return contains(fmt.Sprintf("%s action %d", a.Rule, a.Index), got, jsonish(a.Contains))
	}
	return []string{fmt.Sprintf("%s action %d: no delivery (rule not matched, or the action's when was false)", a.Rule, a.Index)}
}

// contains reports where got lacks the keys and values of want.
func contains(at string, got map[string]any, want any) []string {
	wm, _ := want.(map[string]any)
	var problems []string
	for k, wv := range wm {
		gv, ok := got[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: no %s", at, k))
		case isMap(wv) && isMap(gv):
			problems = append(problems, contains(at+"."+k, gv.(map[string]any), wv)...)
		case !reflect.DeepEqual(jsonish(gv), wv):
			problems = append(problems, fmt.Sprintf("%s: %s = %v, want %v", at, k, brief(gv), brief(wv)))
		}
	}
	return problems
}

func isMap(v any) bool { _, ok := v.(map[string]any); return ok }

func brief(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
