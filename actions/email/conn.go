package email

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/smtp"
	"net/textproto"
	"slices"
	"strings"
	"time"

	"github.com/hirewire/hirewire/actions"
)

// deadlineConn gives every read and write its own deadline, so that each
// SMTP command times out on its own while a long session may still go on.
type deadlineConn struct {
	net.Conn
	timeout time.Duration
}

func (c *deadlineConn) Read(b []byte) (int, error) {
	if err := c.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *deadlineConn) Write(b []byte) (int, error) {
	if err := c.SetWriteDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}

// authenticate logs in when a username is set, with PLAIN if the server
// offers it, else LOGIN. NewMailer has made sure that credentials only
// travel over TLS or to a loopback host.
func (m *Mailer) authenticate(c *smtp.Client) error {
	if m.cfg.Username == "" {
		return nil
	}
	ok, offered := c.Extension("AUTH")
	if !ok {
		return permanent(errors.New("server does not offer AUTH"))
	}
	mechs := strings.Fields(strings.ToUpper(offered))
	var a smtp.Auth
	switch {
	case slices.Contains(mechs, "PLAIN"):
		a = &plainAuth{user: m.cfg.Username, pass: m.cfg.Password}
	case slices.Contains(mechs, "LOGIN"):
		a = &loginAuth{user: m.cfg.Username, pass: m.cfg.Password}
	default:
		return permanent(fmt.Errorf("server offers no supported AUTH mechanism (%s)", offered))
	}
	return c.Auth(a)
}

// plainAuth is AUTH PLAIN (RFC 4616). Unlike smtp.PlainAuth it leaves the
// TLS check to NewMailer, which also allows every loopback address.
type plainAuth struct{ user, pass string }

func (a *plainAuth) Start(*smtp.ServerInfo) (string, []byte, error) {
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a *plainAuth) Next(_ []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected challenge after AUTH PLAIN")
	}
	return nil, nil
}

// loginAuth is the AUTH LOGIN of older and Microsoft servers.
type loginAuth struct{ user, pass string }

func (a *loginAuth) Start(*smtp.ServerInfo) (string, []byte, error) { return "LOGIN", nil, nil }

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(challenge))) {
	case "username:":
		return []byte(a.user), nil
	case "password:":
		return []byte(a.pass), nil
	}
	return nil, errors.New("unexpected AUTH LOGIN challenge")
}

// permanent marks a failure that retrying will not fix.
func permanent(err error) error { return actions.Permanent(err) }

// classify wraps err with what was being done and decides whether it is
// worth retrying: SMTP 5xx replies are permanent, 4xx replies, network
// errors and timeouts are not.
func classify(ctx context.Context, doing string, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s: %w", doing, ctx.Err())
	}
	wrapped := fmt.Errorf("%s: %w", doing, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return actions.Permanent(wrapped)
	}
	return wrapped
}
