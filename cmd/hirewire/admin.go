package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hirewire/hirewire/engine/config"
)

// adminClient talks to a running router's admin API.
type adminClient struct {
	base, token string
}

// newAdminClient talks to the admin listener of the config, or to base
// (e.g. http://10.0.0.5:8081) when it is given.
func newAdminClient(cfgPath, base string) (*adminClient, error) {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return nil, err
	}
	if base == "" {
		base = "http://" + dialable(cfg.AdminListen)
	}
	return &adminClient{base: strings.TrimRight(base, "/"), token: cfg.AdminToken}, nil
}

// adminFlag adds -admin to a command that talks to the admin API.
func adminFlag(fs *flag.FlagSet) *string {
	return fs.String("admin", "", "admin API base URL (default: from the config's admin_listen)")
}

func (c *adminClient) do(ctx context.Context, method, path string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s %s", method, path, resp.Status, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, out)
}

func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("events", stderr)
	cfgPath := fs.String("config", "hirewire.yaml", "config of the router (for its admin address and token)")
	typ := fs.String("type", "", "only events of this type")
	status := fs.String("status", "", "only events with this status (pending, waiting_for_api, processed, failed)")
	limit := fs.Int("limit", 20, "how many")
	asJSON := fs.Bool("json", false, "print JSON")
	admin := adminFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		fmt.Fprintln(stderr, "usage: hirewire events [-config FILE] [-admin URL] [-json] [EVENT_ID]")
		return errUsage
	}
	c, err := newAdminClient(*cfgPath, *admin)
	if err != nil {
		return err
	}
	if fs.NArg() == 1 {
		return showEvent(ctx, c, fs.Arg(0), *asJSON, stdout)
	}
	q := url.Values{"type": {*typ}, "status": {*status}, "limit": {fmt.Sprint(*limit)}}
	var res struct {
		Events []struct {
			ID         string    `json:"id"`
			Type       string    `json:"type"`
			Status     string    `json:"status"`
			ReceivedAt time.Time `json:"received_at"`
			Matched    []string  `json:"matched"`
			Reason     string    `json:"reason"`
		} `json:"events"`
	}
	if err := c.do(ctx, http.MethodGet, "/api/events?"+q.Encode(), &res); err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(res)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tTYPE\tSTATUS\tMATCHED")
	for _, e := range res.Events {
		matched := strings.Join(e.Matched, ",")
		if e.Reason != "" {
			matched = e.Reason
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.ID, e.ReceivedAt.Local().Format(time.DateTime), e.Type, e.Status, matched)
	}
	return tw.Flush()
}

func runReplay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("replay", stderr)
	cfgPath := fs.String("config", "hirewire.yaml", "config of the router (for its admin address and token)")
	admin := adminFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: hirewire replay [-config FILE] [-admin URL] EVENT_ID")
		return errUsage
	}
	c, err := newAdminClient(*cfgPath, *admin)
	if err != nil {
		return err
	}
	var res struct {
		ID string `json:"id"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/events/"+url.PathEscape(fs.Arg(0))+"/replay", &res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "replayed %s as %s\n", fs.Arg(0), res.ID)
	return nil
}
