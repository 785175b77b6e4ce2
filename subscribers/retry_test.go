package subscribers_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// TestUseCasesRunAgain: on PostgreSQL a transaction that loses a
// serialization conflict runs again from its top. Every transaction here
// runs twice (the first run rolled back), and each use case still reports
// what the committed run did, not the sum of both.
func TestUseCasesRunAgain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	f.db.ForceRetries(true)

	res, err := f.svc.Import(ctx, strings.NewReader("mode,address\nemail,a@example.com\nemail,b@example.com\nsms,+14155550123\n"), false)
	if err != nil || res != (subscribers.ImportResult{Created: 3, Confirmed: true}) {
		t.Errorf("import: %+v, %v; want 3 created", res, err)
	}
	res, err = f.svc.Import(ctx, strings.NewReader("mode,address\nemail,a@example.com\n"), false)
	if err != nil || res != (subscribers.ImportResult{Existing: 1, Confirmed: true}) {
		t.Errorf("import again: %+v, %v; want 1 existing", res, err)
	}

	list, err := f.svc.List(ctx, subscribers.Filter{Mode: notifier.Email, SortField: "address"})
	if err != nil || len(list) != 2 {
		t.Fatalf("list: %+v, %v", list, err)
	}
	const nobody = "zzzzzzzzzzzz"
	bulk, err := f.svc.BulkApply(ctx, subscribers.Bulk{Action: subscribers.BulkReactivate, IDs: []string{list[0].ID, nobody}})
	if err != nil || bulk.Changed != 0 || !slices.Equal(bulk.NotFound, []string{nobody}) || !slices.Equal(bulk.Skipped, []string{list[0].ID}) {
		t.Errorf("bulk reactivate: %+v, %v; want %s not found and %s skipped, once each", bulk, err, nobody, list[0].ID)
	}

}
