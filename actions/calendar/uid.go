package calendar

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/hirewire/hirewire/rules/tmpl"
)

// sequenceEpoch is where SEQUENCE counts from: 2020-01-01T00:00:00Z in
// Unix seconds.
const sequenceEpoch = 1577836800

// Sequence returns the SEQUENCE of an invite rendered at now: seconds since
// 2020-01-01T00:00:00Z. A later invite for the same UID thus supersedes an
// earlier one without any stored counter, and the number fits the 32-bit
// integer calendar clients expect until 2088. It is stored with the
// delivery, so a retry sends the same SEQUENCE.
func Sequence(now time.Time) int64 {
	return max(0, now.Unix()-sequenceEpoch)
}

// DefaultUID is the UID of an invite without `uid:`: the first 32 hex
// digits of sha256(organizer + "|" + summary template source + "|" +
// event.CandidateId + "|" + event.ProjectId), then "@hirewire". It stays
// the same for one rule's invites to one candidate for one position, so a
// second invite updates the first; set `uid:` when that is not the right
// identity (e.g. several interviews per candidate and position).
func DefaultUID(organizer, summarySource string, vars map[string]any) string {
	ev, _ := vars[tmpl.VarEvent].(map[string]any)
	key := organizer + "|" + summarySource + "|" + tmpl.String(ev["CandidateId"]) + "|" + tmpl.String(ev["ProjectId"])
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])[:32] + "@hirewire"
}
