package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirewire/hirewire/engine/event"
	"github.com/hirewire/hirewire/engine/store"
)

// TestSQLiteAckedEventsSurviveKill runs a child process that ingests from
// many goroutines and prints each id once Ingest returned, kills it with
// SIGKILL mid-stream, and checks that every acknowledged event is stored.
func TestSQLiteAckedEventsSurviveKill(t *testing.T) {
	if path := os.Getenv("HIREWIRE_STORE_KILL_CHILD"); path != "" {
		ingestForever(path)
		return
	}
	path := filepath.Join(t.TempDir(), "hirewire.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteAckedEventsSurviveKill$")
	cmd.Env = append(os.Environ(), "HIREWIRE_STORE_KILL_CHILD="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	lines := bufio.NewScanner(out)
	for lines.Scan() && len(acked) < 2000 {
		if id, ok := strings.CutPrefix(lines.Text(), "acked "); ok {
			acked = append(acked, id)
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if len(acked) < 2000 {
		t.Fatalf("the child acknowledged only %d events", len(acked))
	}
	s, err := store.Open(t.Context(), "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range acked {
		if _, err := s.Event(t.Context(), id); err != nil {
			t.Fatalf("acknowledged event %s lost: %v", id, err)
		}
	}
}

// ingestForever is the child: it ingests until it is killed.
func ingestForever(path string) {
	s, err := store.Open(context.Background(), "sqlite:"+path)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := 0; ; i++ {
				now := time.Now()
				e := &event.Event{ID: event.NewID(now), Source: "hrmanager", Type: "CandidateUpdated",
					Body: []byte(`{}`), DedupKey: fmt.Sprint(w, "-", i), ReceivedAt: now}
				if _, _, err := s.Ingest(context.Background(), e, time.Minute, 0); err != nil {
					continue
				}
				mu.Lock()
				fmt.Println("acked", e.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}
