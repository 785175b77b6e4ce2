package notifier

import (
	"sync"
	"testing"
	"time"
)

// TestYield: a fan-out waits for two group commits while the recorder has
// work, and not at all when it is idle or stopped.
func TestYield(t *testing.T) {
	r := &recorder{}
	r.work, r.space, r.turn = sync.NewCond(&r.mu), sync.NewCond(&r.mu), sync.NewCond(&r.mu)
	commit := func() {
		r.mu.Lock()
		r.commits++
		r.turn.Broadcast()
		r.mu.Unlock()
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		r.yield(2)
	}()
	// Let yield start waiting before the first commit ends (were it not
	// waiting yet, it would count from that commit on: a longer wait).
	time.Sleep(20 * time.Millisecond)
	commit()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-done:
		t.Fatal("yield returned after one group commit, want two")
	default:
	}
	commit()
	<-done

	r.mu.Lock()
	r.idle = true
	r.mu.Unlock()
	r.yield(2) // hangs when it waits for an idle recorder

	r.mu.Lock()
	r.idle, r.closed = false, true
	r.mu.Unlock()
	r.yield(2)
}
