package logaction_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/actiontest"
	"github.com/hirewire/hirewire/actions/logaction"
)

func TestLogWritesTheMessageWithTheDeliveryID(t *testing.T) {
	var buf bytes.Buffer
	k := logaction.New(slog.New(slog.NewJSONHandler(&buf, nil)))
	a := actiontest.Compile(t, k, "message: '{{ candidate.FirstName }} hired for {{ position.Name }} ({{ event.Type }})'\n")
	if got := strings.Join(a.Refs(), ","); got != "candidate,event,position" {
		t.Errorf("Refs = %s", got)
	}
	raw, err := a.Render(actiontest.Vars(t, "CandidateHired"))
	if err != nil {
		t.Fatal(err)
	}
	detail, err := k.Send(context.Background(), actions.Message{ID: "dlv-7", Payload: raw, Attempt: 1})
	if err != nil || detail != "logged" {
		t.Fatalf("Send = %q, %v", detail, err)
	}
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	if rec["level"] != "INFO" || rec["msg"] != "Kari hired for Backend Developer (CandidateHired)" || rec["delivery"] != "dlv-7" {
		t.Errorf("log record = %v", rec)
	}
}

func TestLogCompileErrors(t *testing.T) {
	for src, want := range map[string]string{
		"mesage: hi\n":            `1:1: unknown key "mesage" (did you mean "message"?)`,
		"{}\n":                    `1:1: missing required key "message"`,
		"message: '{{ nobody }}'": "1:10: in {{ nobody }}",
		"message: [a]\n":          "1:10: expected a string",
	} {
		err := actiontest.CompileError(t, logaction.New(nil), src)
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %q lacks %q", src, err, want)
		}
	}
}

func TestLogRefusesABadPayload(t *testing.T) {
	_, err := logaction.New(nil).Send(context.Background(), actions.Message{ID: "d", Payload: json.RawMessage(`[`)})
	if !actions.IsPermanent(err) {
		t.Errorf("err = %v, want permanent", err)
	}
}
