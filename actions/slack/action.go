package slack

import (
	"encoding/json"
	"fmt"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/outbound"
	"github.com/hirewire/hirewire/rules/tmpl"
)

// Action is one compiled slack action.
type Action struct {
	webhook  *outbound.URL
	text     *tmpl.Template
	username *tmpl.Template
	icon     *tmpl.Template
	blocks   *block
	refs     []string
}

var _ actions.Action = (*Action)(nil)

// Payload is what Render stores and Send delivers: the webhook URL and the
// message to post to it.
type Payload struct {
	Webhook string  `json:"webhook"`
	Message Message `json:"message"`
}

// Message is the JSON body of an incoming-webhook post.
type Message struct {
	Text      string `json:"text,omitempty"`
	Blocks    any    `json:"blocks,omitempty"`
	Username  string `json:"username,omitempty"`
	IconEmoji string `json:"icon_emoji,omitempty"`
}

// Refs names the root variables the templates use.
func (a *Action) Refs() []string { return a.refs }

func (a *Action) collectRefs() []string {
	lists := [][]string{a.webhook.Refs()}
	for _, t := range []*tmpl.Template{a.text, a.username, a.icon} {
		if t != nil {
			lists = append(lists, t.Refs())
		}
	}
	if a.blocks != nil {
		lists = append(lists, a.blocks.refs(nil))
	}
	return actions.Refs(lists...)
}

// Render evaluates the webhook URL and the message. Errors never quote the
// URL.
func (a *Action) Render(vars map[string]any) (json.RawMessage, error) {
	var p Payload
	var err error
	if p.Webhook, err = a.webhook.Render(vars); err != nil {
		return nil, fmt.Errorf("webhook: %w", err)
	}
	fields := []struct {
		name string
		t    *tmpl.Template
		dst  *string
	}{{"text", a.text, &p.Message.Text}, {"username", a.username, &p.Message.Username}, {"icon_emoji", a.icon, &p.Message.IconEmoji}}
	for _, f := range fields {
		if f.t == nil {
			continue
		}
		if *f.dst, err = f.t.RenderWith(vars, Escape); err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
	}
	if a.blocks != nil {
		if p.Message.Blocks, err = a.blocks.render(vars); err != nil {
			return nil, fmt.Errorf("blocks%w", err)
		}
	}
	return outbound.JSON(p)
}
