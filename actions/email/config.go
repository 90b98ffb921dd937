package email

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"
)

// The TLS modes of the smtp section: how a connection to the server is
// secured.
const (
	// StartTLS connects in plain text and upgrades with STARTTLS, which the
	// server must offer (usually port 587).
	StartTLS = "starttls"
	// ImplicitTLS speaks TLS from the first byte (usually port 465).
	ImplicitTLS = "tls"
	// NoTLS sends in plain text, for a relay on the same host or network.
	NoTLS = "none"
)

// DefaultTimeout bounds connecting and every SMTP command when Config.Timeout
// is zero.
const DefaultTimeout = 30 * time.Second

// Config is the smtp section of hirewire.yaml. Its fields match the
// engine's configuration one for one, so that one converts to the other.
type Config struct {
	// Host is the SMTP server's name or address.
	Host string `yaml:"host"`
	// Port defaults to 587 for starttls, 465 for tls and 25 for none.
	Port int `yaml:"port"`
	// TLS is starttls (the default), tls or none.
	TLS string `yaml:"tls"`
	// Username and Password log in with AUTH when Username is set; without
	// TLS only to a loopback host.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// From is the default sender, e.g. "Recruiting <recruiting@example.com>".
	From string `yaml:"from"`
	// Timeout bounds connecting and each SMTP command (default 30s).
	Timeout time.Duration `yaml:"timeout"`
}

// String describes the configuration without its password.
func (c Config) String() string {
	pw := ""
	if c.Password != "" {
		pw = "<redacted>"
	}
	return fmt.Sprintf("smtp{host:%s port:%d tls:%s username:%s password:%s from:%s timeout:%s}",
		c.Host, c.Port, c.TLS, c.Username, pw, c.From, c.Timeout)
}

// GoString is String, so that %#v does not print the password either.
func (c Config) GoString() string { return c.String() }

// WithDefaults fills in the TLS mode, the port that goes with it and the
// timeout.
func (c Config) WithDefaults() Config {
	if c.TLS == "" {
		c.TLS = StartTLS
	}
	if c.Port == 0 {
		c.Port = map[string]int{StartTLS: 587, ImplicitTLS: 465, NoTLS: 25}[c.TLS]
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// Validate reports every problem of a defaulted Config at once.
func (c Config) Validate() error {
	var errs []error
	if c.Host == "" {
		errs = append(errs, errors.New("smtp.host is required"))
	}
	if c.Port < 1 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("smtp.port %d is out of range", c.Port))
	}
	switch c.TLS {
	case StartTLS, ImplicitTLS, NoTLS:
	default:
		errs = append(errs, fmt.Errorf("smtp.tls %q is not one of starttls, tls, none", c.TLS))
	}
	if c.Timeout < 0 {
		errs = append(errs, errors.New("smtp.timeout must not be negative"))
	}
	if c.From != "" {
		if _, err := ParseAddress(c.From); err != nil {
			errs = append(errs, fmt.Errorf("smtp.from: %w", err))
		}
	}
	if c.Username != "" && c.TLS == NoTLS && !isLoopback(c.Host) {
		errs = append(errs, errors.New("smtp.username needs tls: starttls or tls unless the host is loopback"))
	}
	return errors.Join(errs...)
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Option changes how a Mailer (and the kinds built on it) works.
type Option func(*Mailer)

// WithTLSConfig sets the TLS configuration used to reach the server, e.g.
// to trust a private CA. Its ServerName defaults to Config.Host.
func WithTLSConfig(c *tls.Config) Option { return func(m *Mailer) { m.tls = c } }

// WithClock sets the clock that dates messages (default time.Now).
func WithClock(now func() time.Time) Option { return func(m *Mailer) { m.now = now } }

// WithHelloName sets the name sent with EHLO (default "localhost").
func WithHelloName(name string) Option { return func(m *Mailer) { m.hello = name } }

// defaultFrom parses Config.From, which validate has checked; nil when unset.
func (c Config) defaultFrom() *mail.Address {
	if c.From == "" {
		return nil
	}
	a, err := ParseAddress(c.From)
	if err != nil {
		return nil
	}
	return a
}
