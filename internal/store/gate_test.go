package store

import (
	"context"
	"testing"
	"time"
)

// TestGateForegroundFirst: with background transactions queued, a foreground
// one that arrives later goes next.
func TestGateForegroundFirst(t *testing.T) {
	var g gate
	ctx := context.Background()
	if err := g.enter(ctx, false); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 4)
	wait := func(name string, fg bool) {
		if err := g.enter(ctx, fg); err != nil {
			t.Error(err)
			return
		}
		order <- name
		g.leave()
	}
	go wait("bg1", false)
	waitQueued(t, &g, 1)
	go wait("bg2", false)
	waitQueued(t, &g, 2)
	go wait("fg", true)
	waitQueued(t, &g, 3)
	g.leave()
	for _, want := range []string{"fg", "bg1", "bg2"} {
		if got := <-order; got != want {
			t.Fatalf("entered %s, want %s", got, want)
		}
	}
}

// TestGateCancel: a waiter whose context ends leaves the queue, and the gate
// still passes to the others.
func TestGateCancel(t *testing.T) {
	var g gate
	if err := g.enter(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- g.enter(ctx, true) }()
	waitQueued(t, &g, 1)
	cancel()
	if err := <-done; err == nil {
		t.Fatal("enter with a cancelled context succeeded")
	}
	g.leave()
	entered := make(chan error)
	go func() { entered <- g.enter(context.Background(), false) }()
	select {
	case err := <-entered:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the gate stayed shut after its holder left and the only waiter gave up")
	}
}

func waitQueued(t *testing.T, g *gate, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		g.mu.Lock()
		got := len(g.foreground) + len(g.background)
		g.mu.Unlock()
		if got == n {
			return
		}
	}
	t.Fatalf("never saw %d waiters", n)
}
