package subscribers_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// bulkPage is a page with two subscribers of every type in every state,
// so that a request can name one of a pair and leave the other.
type bulkPage struct {
	f *fixture
	// ids by "mode/state/n", n being 0 or 1.
	ids map[string]string
	// row describes each id: its mode and state before any action.
	row map[string][2]string
}

func newBulkPage(t *testing.T) *bulkPage {
	t.Helper()
	p := &bulkPage{f: newFixture(t, roomy), ids: map[string]string{}, row: map[string][2]string{}}
	ctx := context.Background()
	k := 0
	for _, mode := range []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook} {
		for _, st := range []subscribers.State{subscribers.Active, subscribers.Unconfirmed, subscribers.Quarantined, subscribers.Unsubscribed} {
			for n := range 2 {
				k++
				addr := map[notifier.Channel]string{
					notifier.Email:   fmt.Sprintf("s%02d@example.com", k),
					notifier.SMS:     fmt.Sprintf("+120255501%02d", k),
					notifier.Webhook: fmt.Sprintf("https://hooks.example.com/%02d", k),
				}[mode]
				sub := p.f.subscribe(t, subscribers.Signup{Mode: mode, Address: addr, SkipConfirmation: st != subscribers.Unconfirmed}).Subscriber
				switch st {
				case subscribers.Quarantined:
					if _, err := p.f.db.Write.ExecContext(ctx, `UPDATE subscribers SET state = 'quarantined', quarantined_at = ? WHERE id = ?`,
						store.FormatTime(start), sub.ID); err != nil {
						t.Fatal(err)
					}
				case subscribers.Unsubscribed:
					if err := p.f.svc.Unsubscribe(ctx, sub.ID); err != nil {
						t.Fatal(err)
					}
				}
				key := fmt.Sprintf("%s/%s/%d", mode, st, n)
				p.ids[key] = sub.ID
				p.row[sub.ID] = [2]string{string(mode), string(st)}
			}
		}
	}
	if _, err := p.f.db.Write.ExecContext(ctx, `CREATE TABLE bulk_page_saved AS SELECT * FROM subscribers`); err != nil {
		t.Fatal(err)
	}
	return p
}

// reset puts every subscriber back as newBulkPage left it and empties the
// delivery queue, so that one page serves every case of a table (making a
// page costs two dozen durable commits).
func (p *bulkPage) reset(t *testing.T) {
	t.Helper()
	if _, err := p.f.db.Write.Exec(`UPDATE subscribers SET (state, updated_at, confirmed_at, quarantined_at, unsubscribed_at, permanent_failures) =
		(SELECT state, updated_at, confirmed_at, quarantined_at, unsubscribed_at, permanent_failures FROM bulk_page_saved s WHERE s.id = subscribers.id)`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.f.db.Write.Exec(`DELETE FROM deliveries`); err != nil {
		t.Fatal(err)
	}
}

// states returns every subscriber's id and state as stored.
func (p *bulkPage) states(t *testing.T) map[string]string {
	t.Helper()
	rows, err := p.f.db.Read.Query(`SELECT id, state FROM subscribers`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id, st string
		if err := rows.Scan(&id, &st); err != nil {
			t.Fatal(err)
		}
		out[id] = st
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// confirmations returns the ids with a confirmation queued, and how many.
func (p *bulkPage) confirmations(t *testing.T) map[string]int {
	t.Helper()
	rows, err := p.f.db.Read.Query(`SELECT subscriber_id FROM deliveries WHERE purpose = 'confirm'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		out[id]++
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// firstOfEachPair returns the ids of the "…/0" subscribers, which a
// request by list names, and a made-up id.
func (p *bulkPage) firstOfEachPair() []string {
	var out []string
	for key, id := range p.ids {
		if strings.HasSuffix(key, "/0") {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return append(out, "zzzzzzzzzzzz")
}

// TestBulkTouchesExactlyWhatItNames runs every action × selector (all or
// a list) × type × state on a page holding every type in every state and
// compares the whole set of (id, state) before and after: each request
// changes exactly the rows it names and no other.
func TestBulkTouchesExactlyWhatItNames(t *testing.T) {
	// The states each action touches, written out here rather than taken
	// from BulkStates, so the test checks the documented rule.
	type key struct {
		action subscribers.BulkAction
		all    bool
		state  string
	}
	touches := map[key][]string{}
	for _, all := range []bool{true, false} {
		touches[key{subscribers.BulkUnsubscribe, all, "all"}] = []string{"active", "unconfirmed", "quarantined"}
		touches[key{subscribers.BulkReactivate, all, "all"}] = []string{"quarantined", "unsubscribed"}
		touches[key{subscribers.BulkResendConfirmation, all, "all"}] = []string{"unconfirmed"}
		touches[key{subscribers.BulkResendConfirmation, all, ""}] = []string{"unconfirmed"}
		for _, st := range []string{"active", "unconfirmed", "quarantined"} {
			touches[key{subscribers.BulkUnsubscribe, all, st}] = []string{st}
		}
		for _, st := range []string{"quarantined", "unsubscribed"} {
			touches[key{subscribers.BulkReactivate, all, st}] = []string{st}
		}
		touches[key{subscribers.BulkResendConfirmation, all, "unconfirmed"}] = []string{"unconfirmed"}
	}
	// The defaults: "all" is Statuspage's (active, quarantined); a list
	// of ids reaches every state the action applies to.
	touches[key{subscribers.BulkUnsubscribe, true, ""}] = []string{"active"}
	touches[key{subscribers.BulkUnsubscribe, false, ""}] = []string{"active", "unconfirmed", "quarantined"}
	touches[key{subscribers.BulkReactivate, true, ""}] = []string{"quarantined"}
	touches[key{subscribers.BulkReactivate, false, ""}] = []string{"quarantined", "unsubscribed"}

	p := newBulkPage(t)
	keys := slices.SortedFunc(maps.Keys(touches), func(a, b key) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	for _, k := range keys {
		for _, typ := range []string{"", "email", "sms", "webhook", "slack", "teams", "integration_partner"} {
			selector := "list"
			if k.all {
				selector = "all"
			}
			name := fmt.Sprintf("%s/%s/type=%s/state=%s", k.action, selector, typ, k.state)
			t.Run(name, func(t *testing.T) {
				p.reset(t)
				before := p.states(t)
				confBefore := p.confirmations(t)
				b := subscribers.Bulk{Action: k.action, All: k.all, Type: typ, State: k.state}
				named := map[string]bool{}
				if !k.all {
					b.IDs = p.firstOfEachPair()
					for _, id := range b.IDs {
						named[id] = true
					}
				}
				res, err := p.f.svc.BulkApply(context.Background(), b)
				if err != nil {
					t.Fatalf("BulkApply: %v", err)
				}

				// The rows the request names, worked out from the
				// fixture's own record of each row.
				var want []string
				for id, r := range p.row {
					if (k.all || named[id]) && (typ == "" || typ == r[0]) && slices.Contains(touches[k], r[1]) {
						want = append(want, id)
					}
				}
				slices.Sort(want)

				after := p.states(t)
				confAfter := p.confirmations(t)
				var changed []string
				for id, st := range after {
					if k.action == subscribers.BulkResendConfirmation {
						if st != before[id] {
							t.Errorf("%s (%v) went from %s to %s on a resend", id, p.row[id], before[id], st)
						}
						if confAfter[id] != confBefore[id] {
							changed = append(changed, id)
							if confAfter[id] != confBefore[id]+1 {
								t.Errorf("%s got %d confirmations, want 1", id, confAfter[id]-confBefore[id])
							}
						}
						continue
					}
					wantState := map[subscribers.BulkAction]string{subscribers.BulkUnsubscribe: "unsubscribed", subscribers.BulkReactivate: "active"}[k.action]
					if st != before[id] {
						changed = append(changed, id)
						if st != wantState {
							t.Errorf("%s (%v) became %s, want %s", id, p.row[id], st, wantState)
						}
					} else if slices.Contains(want, id) {
						t.Errorf("%s (%v) is still %s, want %s", id, p.row[id], st, wantState)
					}
				}
				slices.Sort(changed)
				if !slices.Equal(changed, want) {
					t.Errorf("changed %d rows %v\nwant %d rows %v", len(changed), describe(p, changed), len(want), describe(p, want))
				}
				if res.Changed != len(want) {
					t.Errorf("result says %d changed, want %d", res.Changed, len(want))
				}
				if len(after) != len(before) {
					t.Errorf("%d subscribers after, %d before", len(after), len(before))
				}
				if !k.all {
					if !slices.Equal(res.NotFound, []string{"zzzzzzzzzzzz"}) {
						t.Errorf("not found %v, want the made-up id", res.NotFound)
					}
					if got, wantSkipped := len(res.Skipped), len(b.IDs)-1-len(want); got != wantSkipped {
						t.Errorf("skipped %d ids, want %d", got, wantSkipped)
					}
				}
			})
		}
	}
}

// describe names ids by their fixture row, for failure messages.
func describe(p *bulkPage, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, p.row[id][0]+"/"+p.row[id][1])
	}
	slices.Sort(out)
	return out
}

func TestBulkRefusals(t *testing.T) {
	p := newBulkPage(t)
	some := p.firstOfEachPair()[:3]
	tooMany := make([]string, subscribers.MaxBulkIDs+1)
	for i := range tooMany {
		tooMany[i] = some[0]
	}
	for _, tc := range []struct {
		name  string
		bulk  subscribers.Bulk
		field string
	}{
		{"unknown type", subscribers.Bulk{Action: subscribers.BulkUnsubscribe, All: true, Type: "fax"}, "type"},
		{"type in capitals", subscribers.Bulk{Action: subscribers.BulkUnsubscribe, All: true, Type: "EMAIL"}, "type"},
		{"unknown state", subscribers.Bulk{Action: subscribers.BulkUnsubscribe, All: true, State: "happy"}, "state"},
		{"unsubscribe the unsubscribed", subscribers.Bulk{Action: subscribers.BulkUnsubscribe, All: true, State: "unsubscribed"}, "state"},
		{"reactivate the active", subscribers.Bulk{Action: subscribers.BulkReactivate, IDs: some, State: "active"}, "state"},
		{"reactivate the unconfirmed", subscribers.Bulk{Action: subscribers.BulkReactivate, All: true, State: "unconfirmed"}, "state"},
		{"resend to the active", subscribers.Bulk{Action: subscribers.BulkResendConfirmation, IDs: some, State: "active"}, "state"},
		{"resend to the quarantined", subscribers.Bulk{Action: subscribers.BulkResendConfirmation, All: true, State: "quarantined"}, "state"},
		{"no ids", subscribers.Bulk{Action: subscribers.BulkUnsubscribe, IDs: []string{}}, "subscribers"},
		{"too many ids", subscribers.Bulk{Action: subscribers.BulkUnsubscribe, IDs: tooMany}, "subscribers"},
		{"an empty id", subscribers.Bulk{Action: subscribers.BulkUnsubscribe, IDs: []string{some[0], ""}}, "subscribers"},
		{"a huge id", subscribers.Bulk{Action: subscribers.BulkUnsubscribe, IDs: []string{strings.Repeat("x", 65)}}, "subscribers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, confBefore := p.states(t), p.confirmations(t)
			_, err := p.f.svc.BulkApply(context.Background(), tc.bulk)
			if got := validationField(err); got != tc.field {
				t.Errorf("error %v (field %q), want a ValidationError on %q", err, got, tc.field)
			}
			if after := p.states(t); !maps.Equal(after, before) {
				t.Errorf("a refused request changed states")
			}
			if after := p.confirmations(t); !maps.Equal(after, confBefore) {
				t.Errorf("a refused request queued confirmations")
			}
		})
	}
}

// TestBulkResendIsBounded checks that a resend selecting more than
// MaxBulkResend rows is refused whole: no confirmation is queued.
func TestBulkResendIsBounded(t *testing.T) {
	f := newFixture(t, roomy)
	now := store.FormatTime(start)
	if _, err := f.db.Write.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO subscribers (id, mode, address, state, secret, created_at, updated_at)
		SELECT 'u' || CAST(10000000000 + i AS TEXT), 'email', 'u' || CAST(i AS TEXT) || '@example.com', 'unconfirmed', 'x', ?, ? FROM n`,
		subscribers.MaxBulkResend+1, now, now); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.BulkApply(context.Background(), subscribers.Bulk{Action: subscribers.BulkResendConfirmation, All: true})
	if validationField(err) != "subscribers" {
		t.Fatalf("resend to %d: %v, want a ValidationError on subscribers", subscribers.MaxBulkResend+1, err)
	}
	if n := f.totalDeliveries(t); n != 0 {
		t.Errorf("%d deliveries queued by a refused resend, want 0", n)
	}
	// Narrowed below the bound by type, the same request goes through.
	res, err := f.svc.BulkApply(context.Background(), subscribers.Bulk{Action: subscribers.BulkResendConfirmation, All: true, Type: "sms"})
	if err != nil || res.Changed != 0 {
		t.Errorf("resend to SMS only: %+v, %v; want 0 changed", res, err)
	}
}

// TestBulkUnsubscribeAllManyRows checks "all" on many rows: every active
// row is unsubscribed by the one statement, and the rest keep their state.
func TestBulkUnsubscribeAllManyRows(t *testing.T) {
	f := newFixture(t, roomy)
	now := store.FormatTime(start)
	const n = 20_000
	if _, err := f.db.Write.Exec(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO subscribers (id, mode, address, state, secret, created_at, updated_at)
		SELECT 'a' || CAST(10000000000 + i AS TEXT), 'email', 'a' || CAST(i AS TEXT) || '@example.com', CASE WHEN i % 4 = 0 THEN 'unconfirmed' ELSE 'active' END, 'x', ?, ? FROM n`,
		n, now, now); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.BulkApply(context.Background(), subscribers.Bulk{Action: subscribers.BulkUnsubscribe, All: true, Type: "email"})
	if err != nil || res.Changed != n*3/4 {
		t.Fatalf("unsubscribe all: %+v, %v; want %d changed", res, err, n*3/4)
	}
	var active, unconfirmed int
	if err := f.db.Read.QueryRow(`SELECT COUNT(*) FILTER (WHERE state = 'active'), COUNT(*) FILTER (WHERE state = 'unconfirmed') FROM subscribers`).
		Scan(&active, &unconfirmed); err != nil {
		t.Fatal(err)
	}
	if active != 0 || unconfirmed != n/4 {
		t.Errorf("after: %d active, %d unconfirmed; want 0 and %d", active, unconfirmed, n/4)
	}
}
