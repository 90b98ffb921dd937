package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"time"
)

// Mailer sends messages over SMTP as its Config says. It is safe for
// concurrent use: every Send opens a connection of its own.
type Mailer struct {
	cfg   Config
	from  *mail.Address
	tls   *tls.Config
	now   func() time.Time
	hello string
}

// NewMailer checks cfg, fills in its defaults (starttls, the port that goes
// with the TLS mode, a 30s timeout) and returns a Mailer.
func NewMailer(cfg Config, opts ...Option) (*Mailer, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := &Mailer{cfg: cfg, from: cfg.defaultFrom(), now: time.Now, hello: "localhost"}
	for _, o := range opts {
		o(m)
	}
	return m, nil
}

// Now returns the time on the Mailer's clock.
func (m *Mailer) Now() time.Time { return m.now() }

// From returns the default sender (smtp.from), or nil when none is set.
func (m *Mailer) From() *mail.Address { return m.from }

// Send delivers msg, a complete RFC 5322 message with CRLF line endings, from
// the envelope sender to every recipient. It returns a short detail on
// success. SMTP replies 5xx and configuration problems are
// actions.Permanent; 4xx replies, network errors and timeouts are worth
// retrying.
func (m *Mailer) Send(ctx context.Context, from string, to []string, msg []byte) (string, error) {
	if len(to) == 0 {
		return "", permanent(errors.New("no recipients"))
	}
	s, err := m.open(ctx)
	if err != nil {
		return "", classify(ctx, "connecting to smtp server", err)
	}
	defer s.close()
	if err := m.authenticate(s.c); err != nil {
		return "", classify(ctx, "authenticating", err)
	}
	if err := transact(s.c, from, to, msg); err != nil {
		return "", classify(ctx, "sending", err)
	}
	_ = s.c.Quit() // the message is accepted; a failed QUIT changes nothing
	return fmt.Sprintf("accepted by %s for %d recipient(s)", m.addr(), len(to)), nil
}

// Destination names the SMTP server every message goes to.
func (m *Mailer) Destination() string { return "smtp://" + m.addr() }

// addr is the server's host:port.
func (m *Mailer) addr() string {
	return net.JoinHostPort(m.cfg.Host, strconv.Itoa(m.cfg.Port))
}

// session is one SMTP connection; stop undoes the context watch.
type session struct {
	c    *smtp.Client
	stop func() bool
}

func (s *session) close() {
	s.stop()
	_ = s.c.Close()
}

// open dials the server, secures the connection as configured and says
// EHLO. Cancelling ctx closes the connection, which ends any command.
func (m *Mailer) open(ctx context.Context) (*session, error) {
	d := net.Dialer{Timeout: m.cfg.Timeout}
	raw, err := d.DialContext(ctx, "tcp", m.addr())
	if err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	c, err := m.handshake(ctx, &deadlineConn{Conn: raw, timeout: m.cfg.Timeout})
	if err != nil {
		stop()
		_ = raw.Close()
		return nil, err
	}
	return &session{c: c, stop: stop}, nil
}

// handshake secures conn as configured (implicit TLS or STARTTLS) and
// greets the server.
func (m *Mailer) handshake(ctx context.Context, conn net.Conn) (*smtp.Client, error) {
	if m.cfg.TLS == ImplicitTLS {
		tc := tls.Client(conn, m.tlsConfig())
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("tls handshake: %w", err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, m.cfg.Host)
	if err != nil {
		return nil, err
	}
	if err := c.Hello(m.hello); err != nil {
		return nil, err
	}
	if m.cfg.TLS != StartTLS {
		return c, nil
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return nil, permanent(errors.New("server does not offer STARTTLS (set smtp.tls)"))
	}
	if err := c.StartTLS(m.tlsConfig()); err != nil {
		return nil, fmt.Errorf("starttls: %w", err)
	}
	return c, nil
}

// tlsConfig returns a copy of the configured TLS settings that checks the
// server's name.
func (m *Mailer) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if m.tls != nil {
		c = m.tls.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = m.cfg.Host
	}
	return c
}

// transact runs MAIL, RCPT for every recipient and DATA.
func transact(c *smtp.Client, from string, to []string, msg []byte) error {
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("rcpt to %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	return nil
}
