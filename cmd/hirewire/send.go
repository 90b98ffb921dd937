package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hirewire/hirewire/engine/config"
	"github.com/hirewire/hirewire/engine/ingest"
)

// setFlags collects repeated -set NAME=VALUE flags.
type setFlags map[string]any

func (s setFlags) String() string { return fmt.Sprint(map[string]any(s)) }

func (s setFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return errors.New("want NAME=VALUE")
	}
	if n, err := strconv.ParseInt(val, 10, 64); err == nil {
		s[k] = n // HR Manager sends ids as numbers
	} else {
		s[k] = val
	}
	return nil
}

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("send", stderr)
	cfgPath := fs.String("config", "hirewire.yaml", "config of the router (for its address and secret)")
	typ := fs.String("type", "", "EventType, e.g. CandidateHired")
	file := fs.String("file", "", "send this webhook body (JSON) instead of building one")
	url := fs.String("url", "", "webhook URL (default: from the config's listen and source path)")
	sets := setFlags{}
	fs.Var(sets, "set", "a Message field NAME=VALUE (repeatable), e.g. -set CandidateId=987654")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		return err
	}
	src := cfg.Source()
	body, err := sendBody(*file, *typ, sets, src)
	if err != nil {
		return err
	}
	target := *url
	if target == "" {
		target = "http://" + dialable(cfg.Listen) + src.Path
	}
	key, _ := ingest.DecodeKey(src.SigningKey) // config.Load checked it
	return post(ctx, target, body, key, stdout)
}

// sendBody builds the HR Manager envelope with the configured secret.
func sendBody(file, typ string, sets setFlags, src *config.Source) ([]byte, error) {
	env := map[string]any{}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &env); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	msg, _ := env["Message"].(map[string]any)
	if msg == nil {
		msg = map[string]any{}
	}
	if typ != "" {
		msg["EventType"] = typ
	}
	for k, v := range sets {
		msg[k] = v
	}
	if msg["EventType"] == nil {
		return nil, errors.New("-type is required (or -file with Message.EventType)")
	}
	env["Message"] = msg
	if src.Secret != "" {
		env[src.SecretField] = src.Secret
	}
	return json.Marshal(env)
}

// post sends body, signed as Talentech signs webhooks when key is set.
func post(ctx context.Context, url string, body, key []byte, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if key != nil {
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		req.Header.Set(ingest.SignatureHeader, base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	fmt.Fprintf(stdout, "%s %s", resp.Status, answer)
	if resp.StatusCode >= 300 {
		return exitError{1}
	}
	return nil
}

// dialable turns a listen address (":8080") into one to dial.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

// Ensure flag.Value is satisfied.
var _ flag.Value = setFlags{}
