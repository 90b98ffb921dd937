package email_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/hirewire/hirewire/actions"
	"github.com/hirewire/hirewire/actions/email"
	"github.com/hirewire/hirewire/actions/email/emailtest"
)

const simpleMail = "to: \"{{ candidate.Email }}\"\nsubject: Hello\ntext: Hi\n"

func TestSMTPRepliesDecideRetry(t *testing.T) {
	cases := []struct {
		name      string
		opts      emailtest.Options
		permanent bool
	}{
		{"451 on RCPT is retried", emailtest.Options{RcptError: &smtp.SMTPError{Code: 451, Message: "try again later"}}, false},
		{"550 on RCPT is permanent", emailtest.Options{RcptError: &smtp.SMTPError{Code: 550, Message: "no such user"}}, true},
		{"452 on DATA is retried", emailtest.Options{DataError: &smtp.SMTPError{Code: 452, Message: "mailbox full"}}, false},
		{"554 on DATA is permanent", emailtest.Options{DataError: &smtp.SMTPError{Code: 554, Message: "rejected"}}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			srv := emailtest.NewServer(t, c.opts)
			k := newKind(t, srv.Config())
			err := send(t, k, mustCompile(t, k, simpleMail), vars(t, nil), "01JERR")
			if err == nil {
				t.Fatal("Send succeeded")
			}
			if got := actions.IsPermanent(err); got != c.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, c.permanent)
			}
			if len(srv.Messages()) != 0 {
				t.Error("a message was accepted")
			}
		})
	}
}

func TestConnectionErrorsAreRetried(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().(*net.TCPAddr)
	_ = l.Close() // nothing listens there now
	k := newKind(t, email.Config{Host: "127.0.0.1", Port: addr.Port, TLS: email.NoTLS, From: "a@example.com"})
	err = send(t, k, mustCompile(t, k, simpleMail), vars(t, nil), "01JREFUSED")
	if err == nil || actions.IsPermanent(err) {
		t.Fatalf("Send = %v, want a retryable error", err)
	}
}

func TestSilentServerTimesOut(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { close(done); _ = l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		<-done // accept, never greet
		_ = c.Close()
	}()
	port := l.Addr().(*net.TCPAddr).Port
	cfg := email.Config{Host: "127.0.0.1", Port: port, TLS: email.NoTLS, From: "a@example.com", Timeout: 50 * time.Millisecond}
	k := newKind(t, cfg)
	err = send(t, k, mustCompile(t, k, simpleMail), vars(t, nil), "01JSILENT")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || actions.IsPermanent(err) {
		t.Fatalf("Send = %v, want a retryable timeout", err)
	}
}

func TestCancelledContext(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{})
	k := newKind(t, srv.Config())
	payload, err := mustCompile(t, k, simpleMail).Render(vars(t, nil))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = k.Send(ctx, actions.Message{ID: "01JCANCEL", Payload: payload, Attempt: 1})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send = %v, want context.Canceled", err)
	}
}

func TestSTARTTLSWithAuth(t *testing.T) {
	for _, mech := range []string{sasl.Plain, sasl.Login} {
		t.Run(mech, func(t *testing.T) {
			srv := emailtest.NewServer(t, emailtest.Options{TLS: true, Username: "hirewire", Password: "s3cret-pw", Mechanisms: []string{mech}})
			cfg := srv.Config()
			cfg.Username, cfg.Password = "hirewire", "s3cret-pw"
			k := newKind(t, cfg, email.WithTLSConfig(srv.ClientTLS))
			if err := send(t, k, mustCompile(t, k, simpleMail), vars(t, nil), "01JTLS"); err != nil {
				t.Fatalf("Send: %v", err)
			}
			if got, _ := only(t, srv); got.Auth != "hirewire" {
				t.Errorf("server saw login %q", got.Auth)
			}
		})
	}
}

func TestImplicitTLSWithAuth(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{ImplicitTLS: true, Username: "hirewire", Password: "pw"})
	cfg := srv.Config()
	cfg.Username, cfg.Password = "hirewire", "pw"
	k := newKind(t, cfg, email.WithTLSConfig(srv.ClientTLS))
	if err := send(t, k, mustCompile(t, k, simpleMail), vars(t, nil), "01JIMPLICIT"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got, _ := only(t, srv); got.Auth != "hirewire" {
		t.Errorf("server saw login %q", got.Auth)
	}
}

func TestWrongPasswordIsPermanentAndNotShown(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{TLS: true, Username: "hirewire", Password: "right"})
	cfg := srv.Config()
	cfg.Username, cfg.Password = "hirewire", "wrong-pa55word"
	k := newKind(t, cfg, email.WithTLSConfig(srv.ClientTLS))
	err := send(t, k, mustCompile(t, k, simpleMail), vars(t, nil), "01JAUTH")
	if err == nil || !actions.IsPermanent(err) {
		t.Fatalf("Send = %v, want a permanent error", err)
	}
	if strings.Contains(err.Error(), "wrong-pa55word") {
		t.Errorf("error shows the password: %v", err)
	}
}

func TestUntrustedCertificateFails(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{TLS: true})
	k := newKind(t, srv.Config()) // system roots do not trust the test CA
	err := send(t, k, mustCompile(t, k, simpleMail), vars(t, nil), "01JCERT")
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Send = %v, want a certificate error", err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("a message was accepted")
	}
}

func TestStartTLSRequired(t *testing.T) {
	srv := emailtest.NewServer(t, emailtest.Options{}) // no STARTTLS
	cfg := srv.Config()
	cfg.TLS = email.StartTLS
	k := newKind(t, cfg)
	err := send(t, k, mustCompile(t, k, simpleMail), vars(t, nil), "01JPLAIN")
	if err == nil || !actions.IsPermanent(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("Send = %v, want a permanent STARTTLS error", err)
	}
}
