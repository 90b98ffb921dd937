package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"
)

// eventDetail is what `hirewire events ID` shows of /api/events/{id}.
type eventDetail struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	Reason     string    `json:"reason"`
	ReceivedAt time.Time `json:"received_at"`
	Trace      struct {
		RulesVersion string   `json:"rules_version"`
		Fetched      []string `json:"fetched"`
		Stale        []string `json:"stale"`
		Error        string   `json:"error"`
		Rules        []struct {
			Rule, Verdict, Why string
			Saw                []struct{ Expr, Value string }
		} `json:"rules"`
	} `json:"trace"`
	Deliveries []struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		LastError string `json:"last_error"`
		Attempts  int    `json:"attempts"`
	} `json:"deliveries"`
}

// showEvent prints one event: every rule's verdict and why, and its
// deliveries.
func showEvent(ctx context.Context, c *adminClient, id string, asJSON bool, w io.Writer) error {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/api/events/"+url.PathEscape(id), &raw); err != nil {
		return err
	}
	if asJSON {
		_, err := w.Write(append(raw, '\n'))
		return err
	}
	var ev eventDetail
	if err := json.Unmarshal(raw, &ev); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s  %s  %s  received %s\n", ev.ID, ev.Type, ev.Status, ev.ReceivedAt.Local().Format(time.DateTime))
	if ev.Reason != "" {
		fmt.Fprintf(w, "  %s\n", ev.Reason)
	}
	if ev.Trace.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", ev.Trace.Error)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nRULE\tVERDICT\tWHY")
	for _, r := range ev.Trace.Rules {
		var saw []string
		for _, b := range r.Saw {
			saw = append(saw, b.Expr+" = "+b.Value)
		}
		why := r.Why
		if len(saw) > 0 {
			why += " (saw " + strings.Join(saw, ", ") + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Rule, r.Verdict, why)
	}
	if len(ev.Deliveries) > 0 {
		fmt.Fprintln(tw, "\nDELIVERY\tSTATUS\tATTEMPTS / LAST ERROR")
		for _, d := range ev.Deliveries {
			fmt.Fprintf(tw, "%s\t%s\t%d %s\n", d.ID, d.Status, d.Attempts, d.LastError)
		}
	}
	return tw.Flush()
}
