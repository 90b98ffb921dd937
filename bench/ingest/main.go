// Command ingest measures durable webhook ingest against a bare net/http
// handler that answers 202 without storing anything, in the same run, and
// prints events/s of both and their ratio.
//
// Each round posts ~300-byte HR Manager events from concurrent keep-alive
// clients for a fixed time; bare and durable rounds alternate so that drift
// of a noisy machine hits both alike, and medians are reported.
//
//	go run ./bench/ingest -clients 64 -duration 5s -rounds 3
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hirewire/hirewire/engine/config"
	"github.com/hirewire/hirewire/engine/ingest"
	"github.com/hirewire/hirewire/engine/store"
)

func main() {
	clients := flag.Int("clients", 64, "concurrent keep-alive clients")
	duration := flag.Duration("duration", 5*time.Second, "length of one round")
	rounds := flag.Int("rounds", 3, "rounds of each handler")
	storeURL := flag.String("store", "", "store URL (default: SQLite in a temp dir)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file; samples carry the label handler=bare or handler=durable")
	flag.Parse()
	if *cpuProfile != "" {
		stop, err := startProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		defer stop()
	}
	if err := run(*clients, *duration, *rounds, *storeURL); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// startProfile starts CPU profiling into path and returns what stops it.
func startProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

func run(clients int, d time.Duration, rounds int, storeURL string) error {
	ctx := context.Background()
	if storeURL == "" {
		dir, err := os.MkdirTemp("", "hirewire-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		storeURL = "sqlite:" + filepath.Join(dir, "bench.db")
	}
	st, err := store.Open(ctx, storeURL)
	if err != nil {
		return err
	}
	defer st.Close()
	durable := ingest.New(ingest.Options{
		Source: "hrmanager", Secret: "s3cret", SecretField: "WebhookSecret", DedupWindow: 10 * time.Minute,
		OrderBy: config.DefaultOrderBy, MaxBody: config.DefaultMaxBody, Store: st,
	})
	bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"id":"01KB0000000000000000000000"}` + "\n"))
	})
	var seq atomic.Int64
	var bareRates, durRates []float64
	fmt.Printf("clients=%d round=%s rounds=%d store=%s\n", clients, d, rounds, storeURL)
	for i := 0; i < rounds; i++ {
		b, err := labelled("bare", func() (result, error) { return round(bare, clients, d, &seq) })
		if err != nil {
			return err
		}
		s, err := labelled("durable", func() (result, error) { return round(durable, clients, d, &seq) })
		if err != nil {
			return err
		}
		bareRates, durRates = append(bareRates, b.rate), append(durRates, s.rate)
		fmt.Printf("round %d: bare %.0f events/s (%.1f cores), durable %.0f events/s (%.1f cores), ratio %.2f\n",
			i+1, b.rate, b.cores, s.rate, s.cores, s.rate/b.rate)
	}
	mb, md := median(bareRates), median(durRates)
	fmt.Printf("median: bare %.0f events/s, durable %.0f events/s, ratio %.2f\n", mb, md, md/mb)
	return nil
}

// labelled runs f with the profiler label handler=name, which the
// goroutines it starts inherit (go tool pprof -tagfocus handler=durable).
func labelled(name string, f func() (result, error)) (res result, err error) {
	pprof.Do(context.Background(), pprof.Labels("handler", name), func(context.Context) {
		res, err = f()
	})
	return res, err
}

// result is what one round measured: accepted events per second, and how
// many cores the process kept busy meanwhile (a durable round well below
// the cores of the machine waits on the disk, not on the CPU).
type result struct{ rate, cores float64 }

// round serves h on loopback and posts to it for d.
func round(h http.Handler, clients int, d time.Duration, seq *atomic.Int64) (result, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(l)
	defer srv.Close()
	url := "http://" + l.Addr().String() + "/hooks/hrmanager"
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var ok, failed atomic.Int64
	stop := time.Now().Add(d)
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if post(client, url, seq.Add(1)) {
					ok.Add(1)
				} else {
					failed.Add(1)
				}
			}
		}()
	}
	start, cpu0 := time.Now(), cpuTime()
	wg.Wait()
	secs := time.Since(start).Seconds()
	if f := failed.Load(); f > 0 {
		return result{}, fmt.Errorf("%d requests failed", f)
	}
	return result{rate: float64(ok.Load()) / secs, cores: (cpuTime() - cpu0).Seconds() / secs}, nil
}

// post sends one ~300-byte event; ids differ so that none is a duplicate.
func post(c *http.Client, url string, n int64) bool {
	body := fmt.Appendf(nil, `{"Message":{"EventType":"CandidateUpdated","CandidateId":%d,"ProjectId":143568,"AdvertisementId":55012},"DepartmentId":18960,"CustomerId":1885,"Origin":"hr-manager-webhook","Environment":"production","Region":"eu-north","Product":"talentech-recruiter","Channel":"webhooks-v2","WebhookSecret":"s3cret"}`, n)
	resp, err := c.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusAccepted
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
