package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/outbound"
)

// Destination is the origin (scheme and host) of the payload's webhook;
// the webhook's path, a secret, is left out.
func (k *Kind) Destination(payload json.RawMessage) string {
	var p struct {
		Webhook string `json:"webhook"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return ""
	}
	return outbound.Origin(p.Webhook)
}

// Send posts the message to the webhook. Slack answers 200 "ok"; 429 and
// 5xx are retried (honouring Retry-After); other answers such as 400
// invalid_payload or 404 channel_not_found are permanent and keep Slack's
// text. The webhook URL, a secret, only ever appears redacted.
func (k *Kind) Send(ctx context.Context, m actions.Message) (string, error) {
	var p Payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		return "", actions.Permanent(fmt.Errorf("decoding slack payload: %w", err))
	}
	body, err := outbound.JSON(p.Message)
	if err != nil {
		return "", actions.Permanent(fmt.Errorf("encoding slack message: %w", err))
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.Webhook, bytes.NewReader(body))
	if err != nil {
		return "", actions.Permanent(fmt.Errorf("posting to slack %s: invalid webhook url", outbound.Redact(p.Webhook)))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "hirewire")
	resp, err := outbound.Do(ctx, k.Client, req)
	if errors.Is(err, outbound.ErrRefused) {
		return "", actions.Permanent(err)
	}
	if err != nil {
		return "", err
	}
	return outbound.Result(resp, "slack "+outbound.Redact(p.Webhook), k.Now())
}
