// Package rules loads, checks and matches rules.yaml: which events each rule
// listens to, the condition it adds, and the actions it runs.
//
// A rules file has three top-level keys:
//
//	targets:   # optional named destinations: {name: {<kind>: {settings}}}
//	defaults:  # optional: {retry: {attempts, backoff, max_backoff}}
//	rules:     # the list of rules
//
// Top-level keys starting with "x-" are ignored, so they can hold YAML
// anchors for reuse (`<<: *anchor` merge keys work in every mapping).
//
// Each rule has a unique name, an `on` (an event type, a list of them, or a
// glob such as "Candidate*"), an optional `when` expression and a non-empty
// list of actions. An action item is a mapping with exactly one action kind
// key holding that kind's settings, plus the optional common keys `when`
// (an extra condition) and `retry` (per-field overrides of the retry
// policy):
//
//	actions:
//	  - slack: {target: hiring-slack, text: "Hi {{ candidate.FirstName }}"}
//	    when: candidate.Email != ""
//	    retry: {attempts: 3}
//
// For convenience `when` and `retry` may also be written inside the settings
// mapping; they are lifted out before the kind sees its settings. A
// `target: name` key merges that target's settings for the action's kind
// under the action's own keys (the action's keys win).
//
// `${NAME}` (or `${NAME:-default}`) in any scalar is replaced from the
// environment after parsing, so a value never changes the YAML's structure;
// it may stand unquoted in a flow mapping (`{webhook: ${HOOK}}`). A missing
// variable is an error that names it, never a value, and substituted values
// are cut out of every error message. `$${` stands for a literal `${`.
//
// Loading is all or nothing: every problem of every file is reported at
// once, as an ErrorList of `file:line:col: rule "name": message` lines, and
// a file with any problem yields no Set. A path may name one file or a
// directory, whose *.yaml and *.yml files (names not starting with a dot)
// are read in name order; rule and target names are unique across them and
// at most one of them may set `defaults`.
//
// Current holds the active Set for concurrent readers and records how the
// last reload went; Watcher triggers reloads when the files change.
package rules
