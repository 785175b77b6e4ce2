package web

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/testutil"
)

// openAccounts is an accounts store on a real SQLite file.
func openAccounts(t *testing.T) *accounts.Store {
	t.Helper()
	db := testutil.OpenDB(t, accounts.Migrations())
	return accounts.NewStore(db, time.Now, accounts.Config{})
}

// TestAuditWriterHandsOver: while the server runs, entries are handed to
// the writer and all written, in batches, by the time it stops.
func TestAuditWriterHandsOver(t *testing.T) {
	store := openAccounts(t)
	at := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	w := NewAudit(store, slog.New(slog.NewTextHandler(io.Discard, nil)), func() time.Time { return at })
	w.Start()
	// Once started, entries wait for the writer instead of being written
	// by the request.
	w.record(context.Background(), accounts.Entry{At: at, Actor: "test", Action: "x", Target: "first"})
	if log, err := store.Audit(context.Background(), 0, 10); err != nil || len(log) != 0 {
		t.Fatalf("before the writer ran the audit log has %d entries (%v), want 0", len(log), err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				w.record(context.Background(), accounts.Entry{At: at, Actor: "test", Action: "x", Target: fmt.Sprint(i, "-", j)})
			}
		})
	}
	wg.Wait()
	stop()
	<-done
	log, err := store.Audit(context.Background(), 0, 1000)
	if err != nil || len(log) != 401 {
		t.Fatalf("audit log has %d entries (%v), want 401", len(log), err)
	}
}
