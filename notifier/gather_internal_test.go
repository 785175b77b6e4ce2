package notifier

import (
	"context"
	"database/sql"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/testutil"
)

// TestGather: the recorder lets a group grow while messages are on their
// way, and commits without waiting once it holds groupTarget outcomes, or
// nothing is on its way, or a sender waits for a place, or a worker for
// its batch, or when it is closed, or after gatherFor.
func TestGather(t *testing.T) {
	newRecorder := func(gatherFor time.Duration) *recorder {
		r := &recorder{gatherFor: gatherFor, target: groupTarget}
		r.work, r.space, r.turn = sync.NewCond(&r.mu), sync.NewCond(&r.mu), sync.NewCond(&r.mu)
		r.reserved = 2 // two messages on their way
		r.add(result{}, false)
		return r
	}
	gather := func(r *recorder) <-chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			r.mu.Lock()
			r.gather()
			r.mu.Unlock()
		}()
		return done
	}
	gathering := func(t *testing.T, r *recorder, done <-chan struct{}) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			r.mu.Lock()
			g := r.gathering
			r.mu.Unlock()
			if g {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the recorder never started gathering")
			}
		}
		time.Sleep(20 * time.Millisecond)
		select {
		case <-done:
			t.Fatal("gather returned while the group could still grow")
		default:
		}
	}
	returns := func(t *testing.T, done <-chan struct{}) {
		t.Helper()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("gather did not return")
		}
	}

	tests := []struct {
		name string
		end  func(r *recorder)
	}{
		{"the group reaches groupTarget", func(r *recorder) {
			for range groupTarget - 1 {
				r.add(result{}, false)
			}
		}},
		{"the last message on its way is reported", func(r *recorder) {
			r.add(result{outcome: OutcomeSent}, true)
			r.add(result{outcome: OutcomeSent}, true)
		}},
		{"the last message on its way is not sent", func(r *recorder) {
			r.unreserve()
			r.unreserve()
		}},
		{"a worker asks for a batch", func(r *recorder) { r.claim(Email, ChannelConfig{Batch: 1}) }},
		{"the recorder is closed", func(r *recorder) {
			r.mu.Lock()
			r.closed = true
			r.work.Signal()
			r.mu.Unlock()
		}},
		{"a sender waits for a place", func(r *recorder) {
			r.mu.Lock()
			r.reserved = maxUnrecorded // every place taken
			r.mu.Unlock()
			go r.reserve()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder(time.Hour)
			done := gather(r)
			gathering(t, r, done)
			tt.end(r)
			returns(t, done)
			r.mu.Lock()
			r.closed = true // lets the waiting sender go
			r.space.Broadcast()
			r.mu.Unlock()
		})
	}

	t.Run("nothing on its way", func(t *testing.T) {
		r := newRecorder(time.Hour)
		r.reserved = 0
		returns(t, gather(r))
	})
	t.Run("gatherFor passes", func(t *testing.T) {
		r := newRecorder(50 * time.Millisecond)
		began := time.Now()
		returns(t, gather(r))
		if took := time.Since(began); took < 50*time.Millisecond {
			t.Errorf("gather returned after %v, want gatherFor, 50ms", took)
		}
	})
}

// TestRecorderGathers: with messages on their way, the recorder waits
// for their outcomes and commits them in one group with the outcome that
// came first, instead of committing that one alone.
func TestRecorderGathers(t *testing.T) {
	db := testutil.OpenDB(t, Migrations())
	aud := &groupsAudience{}
	d := NewDispatcher(db, aud, nil, nil, Config{}, time.Now, slog.New(slog.DiscardHandler), nil)
	d.gatherFor = time.Hour
	r := d.startRecorder(context.Background(), nil, nil)
	defer func() {
		if err := r.close(); err != nil {
			t.Error(err)
		}
	}()
	sent := func(id int64) result {
		return result{d: Delivery{ID: id, SubscriberID: "s1", Channel: Email}, outcome: OutcomeSent}
	}
	for range 3 {
		r.reserve()
	}
	r.add(sent(1), true)
	time.Sleep(50 * time.Millisecond) // time enough to commit it alone, were it not waiting
	r.add(sent(2), true)
	r.add(sent(3), true)
	r.yield(1) // until the group is committed
	if got := aud.sizes(); !slices.Equal(got, []int{3}) {
		t.Errorf("groups committed: %v, want one of 3", got)
	}
}

// groupsAudience records the size of each group of delivered messages.
type groupsAudience struct {
	mu     sync.Mutex
	groups []int
}

func (a *groupsAudience) RecipientsTx(context.Context, *sql.Tx, Event, []Channel, string, int) ([]Recipient, error) {
	return nil, nil
}

func (a *groupsAudience) DeliveredManyTx(_ context.Context, _ *sql.Tx, ds []Delivery) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.groups = append(a.groups, len(ds))
	return nil
}

func (a *groupsAudience) FailedTx(context.Context, *sql.Tx, Delivery, *SendError, bool) error {
	return nil
}

func (a *groupsAudience) sizes() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.groups)
}
