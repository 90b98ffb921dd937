// Package emailtest runs a real SMTP server in the test process, so that
// the email and calendar kinds are tested against a peer that speaks the
// protocol: it records every envelope and message it accepts.
package emailtest

import (
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hirewire/hirewire/actions/email"
)

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	Data []byte
	// Auth is the username the client logged in with, if any.
	Auth string
}

// Options shape the server.
type Options struct {
	// TLS makes the server offer STARTTLS with a self-signed certificate
	// for 127.0.0.1; Server.ClientTLS trusts it.
	TLS bool
	// ImplicitTLS makes the server speak TLS from the first byte (with TLS's
	// certificate) instead of offering STARTTLS.
	ImplicitTLS bool
	// Username and Password, when set, are required before MAIL.
	Username, Password string
	// Mechanisms lists the AUTH mechanisms offered (default PLAIN).
	Mechanisms []string
	// RcptError and DataError, when set, answer RCPT or DATA.
	RcptError, DataError *smtp.SMTPError
}

// Server is a running SMTP server on 127.0.0.1.
type Server struct {
	Host string
	Port int
	// ClientTLS trusts the server's certificate (nil without Options.TLS).
	ClientTLS *tls.Config

	opts Options
	mu   sync.Mutex
	msgs []Received
}

// NewServer starts a server that stops when the test ends.
func NewServer(t testing.TB, o Options) *Server {
	t.Helper()
	if len(o.Mechanisms) == 0 {
		o.Mechanisms = []string{sasl.Plain}
	}
	s := &Server{opts: o}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{srv: s}, nil
	}))
	srv.Domain = "localhost"
	var serverTLS *tls.Config
	if o.TLS || o.ImplicitTLS {
		serverTLS, s.ClientTLS = selfSigned(t)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening: %v", err)
	}
	if o.ImplicitTLS {
		l = tls.NewListener(l, serverTLS)
	} else {
		srv.TLSConfig = serverTLS
	}
	host, port, _ := net.SplitHostPort(l.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(l)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		_ = l.Close() // in case Serve had not registered it yet
		<-served
	})
	return s
}

// Config returns an smtp section that reaches the server: implicit TLS,
// STARTTLS or plain text, as the server speaks.
func (s *Server) Config() email.Config {
	c := email.Config{Host: s.Host, Port: s.Port, TLS: email.NoTLS, From: "Recruiting <recruiting@example.com>"}
	switch {
	case s.opts.ImplicitTLS:
		c.TLS = email.ImplicitTLS
	case s.opts.TLS:
		c.TLS = email.StartTLS
	}
	return c
}

// Messages returns what the server accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

func (s *Server) add(r Received) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, r)
}

// session is one SMTP transaction.
type session struct {
	srv  *Server
	auth string
	cur  Received
}

var _ smtp.AuthSession = (*session)(nil)

func (s *session) AuthMechanisms() []string {
	if s.srv.opts.Username == "" {
		return nil
	}
	return s.srv.opts.Mechanisms
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != s.srv.opts.Username || pass != s.srv.opts.Password {
			return smtp.ErrAuthFailed
		}
		s.auth = user
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.opts.Username != "" && s.auth == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = Received{From: from, Auth: s.auth}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if e := s.srv.opts.RcptError; e != nil {
		return e
	}
	s.cur.To = append(s.cur.To, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if e := s.srv.opts.DataError; e != nil {
		return e
	}
	s.cur.Data = b
	s.srv.add(s.cur)
	return nil
}

func (s *session) Reset()        { s.cur = Received{} }
func (s *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks.
type loginServer struct {
	check func(user, pass string) error
	step  int
	user  string
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if resp != nil {
			l.user = string(resp)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(resp)
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(l.user, string(resp))
	}
}
