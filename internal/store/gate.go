package store

import (
	"context"
	"sync"
)

// gate orders the transactions that share SQLite's one writer connection.
// database/sql hands a freed connection to a random waiter, so a staff write
// queued behind a fan-out's stream of transactions waited for any number of
// them. Through the gate, a waiting foreground transaction goes before every
// waiting background one: it waits for the transaction in progress and the
// foreground ones queued before it, never for the background backlog.
type gate struct {
	mu         sync.Mutex
	busy       bool
	foreground []chan struct{}
	background []chan struct{}
}

// enter waits for the gate, in the foreground lane when fg is set. It returns
// ctx's error, not holding the gate, when ctx ends first.
func (g *gate) enter(ctx context.Context, fg bool) error {
	g.mu.Lock()
	if !g.busy {
		g.busy = true
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	lane := &g.background
	if fg {
		lane = &g.foreground
	}
	*lane = append(*lane, ch)
	g.mu.Unlock()

	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		for i, c := range *lane {
			if c == ch {
				*lane = append((*lane)[:i], (*lane)[i+1:]...)
				g.mu.Unlock()
				return ctx.Err()
			}
		}
		g.mu.Unlock()
		// Handed the gate while giving up: pass it on.
		g.leave()
		return ctx.Err()
	}
}

// leave hands the gate to the first foreground waiter, else to the first
// background one, else frees it.
func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, lane := range []*[]chan struct{}{&g.foreground, &g.background} {
		if len(*lane) > 0 {
			ch := (*lane)[0]
			*lane = (*lane)[1:]
			close(ch)
			return
		}
	}
	g.busy = false
}
