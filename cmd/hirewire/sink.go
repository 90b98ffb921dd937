package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-smtp"
)

// runSink receives what actions send — HTTP requests (forwards, Slack) and
// mails (email, calendar) — and prints them, so rules can be tried without
// real destinations. The examples point their targets at it.
func runSink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sink", stderr)
	httpAddr := fs.String("http", "127.0.0.1:9090", "HTTP address to receive forwards and Slack posts")
	smtpAddr := fs.String("smtp", "127.0.0.1:2525", "SMTP address to receive mails (empty: none)")
	if err := parse(fs, args); err != nil {
		return err
	}
	out := &lockedWriter{w: stdout}
	srv := &http.Server{Addr: *httpAddr, Handler: sinkHandler(out), ReadHeaderTimeout: 5 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- srv.ListenAndServe() }()
	var ms *smtp.Server
	if *smtpAddr != "" {
		ms = smtp.NewServer(&sinkBackend{out: out})
		ms.Addr, ms.Domain, ms.AllowInsecureAuth = *smtpAddr, "localhost", true
		go func() { errc <- ms.ListenAndServe() }()
	}
	fmt.Fprintf(out, "sink: HTTP on %s, SMTP on %s; Ctrl-C to stop\n", *httpAddr, *smtpAddr)
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	if ms != nil {
		ms.Close()
	}
	return srv.Close()
}

func sinkHandler(out io.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var hdr []string
		for k, v := range r.Header {
			hdr = append(hdr, k+": "+strings.Join(v, ", "))
		}
		sort.Strings(hdr)
		fmt.Fprintf(out, "--- HTTP %s %s\n%s\n\n%s\n", r.Method, r.URL, strings.Join(hdr, "\n"), body)
		w.Write([]byte("ok"))
	})
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

type sinkBackend struct{ out io.Writer }

func (b *sinkBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &sinkSession{out: b.out}, nil
}

type sinkSession struct {
	out  io.Writer
	from string
	to   []string
}

func (s *sinkSession) Reset()        { s.from, s.to = "", nil }
func (s *sinkSession) Logout() error { return nil }

func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }

func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *sinkSession) Data(r io.Reader) error {
	msg, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return err
	}
	fmt.Fprintf(s.out, "--- MAIL from %s to %s\n%s\n", s.from, strings.Join(s.to, ", "), msg)
	return nil
}
