package subscribers_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// The service is the dispatcher's Audience.
var _ notifier.Audience = (*subscribers.Service)(nil)

// fail tells the service that a delivery to id on ch failed with e.
func fail(t *testing.T, f *fixture, id string, ch notifier.Channel, e *notifier.SendError) {
	t.Helper()
	f.inTx(t, func(tx *sql.Tx) error {
		return f.svc.FailedTx(context.Background(), tx, notifier.Delivery{ID: 1, SubscriberID: id, Channel: ch, Purpose: notifier.PurposeEvent, Attempts: 1}, e, true)
	})
}

// deliver tells the service that a delivery to id on ch for purpose was
// delivered.
func deliver(t *testing.T, f *fixture, id string, ch notifier.Channel, purpose notifier.Purpose) {
	t.Helper()
	f.inTx(t, func(tx *sql.Tx) error {
		return f.svc.DeliveredManyTx(context.Background(), tx, []notifier.Delivery{{ID: 1, SubscriberID: id, Channel: ch, Purpose: purpose, Attempts: 1}})
	})
}

// recipients returns the ids RecipientsTx gives for e on channels, walking
// every page of size limit.
func recipients(t *testing.T, f *fixture, e notifier.Event, channels []notifier.Channel, limit int) []string {
	t.Helper()
	var ids []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("RecipientsTx never ran out of recipients")
		}
		var page []notifier.Recipient
		f.inTx(t, func(tx *sql.Tx) error {
			var err error
			page, err = f.svc.RecipientsTx(context.Background(), tx, e, channels, after, limit)
			return err
		})
		if len(page) > limit {
			t.Fatalf("RecipientsTx returned %d recipients, limit %d", len(page), limit)
		}
		for _, r := range page {
			if !slices.Contains(channels, r.Channel) {
				t.Errorf("recipient %s on channel %s, asked for %v", r.SubscriberID, r.Channel, channels)
			}
			ids = append(ids, r.SubscriberID)
		}
		if len(page) < limit {
			return ids
		}
		after = page[len(page)-1].SubscriberID
	}
}

func TestRecipientsTx(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	a := f.component(t, "A")
	b := f.component(t, "B")
	c := f.component(t, "C")

	all := f.active(t, notifier.Email, "all@example.com")
	onlyA := f.active(t, notifier.Email, "a@example.com", a.ID)
	onlyB := f.active(t, notifier.Email, "b@example.com", b.ID)
	aAndB := f.active(t, notifier.Email, "ab@example.com", a.ID, b.ID)
	pending := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "pending@example.com"}).Subscriber
	left := f.active(t, notifier.Email, "left@example.com")
	mustDo(t, f.svc.Unsubscribe(ctx, left.ID))
	bounced := f.active(t, notifier.Email, "bounced@example.com")
	quarantine(t, f, bounced.ID, notifier.Email)
	smsA := f.active(t, notifier.SMS, "+14155550123", a.ID)
	smsAll := f.active(t, notifier.SMS, "+14155550124")
	hookB := f.active(t, notifier.Webhook, "https://example.com/b", b.ID)
	hookPending := f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: "https://example.com/p"}).Subscriber
	_, _ = pending, hookPending

	ids := func(subs ...subscribers.Subscriber) []string {
		out := []string{}
		for _, s := range subs {
			out = append(out, s.ID)
		}
		return sorted(out)
	}
	email := []notifier.Channel{notifier.Email}
	every := []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook}
	tests := []struct {
		name     string
		comps    []string
		channels []notifier.Channel
		want     []string
	}{
		{"component A by email", []string{a.ID}, email, ids(all, onlyA, aAndB)},
		{"component B by email", []string{b.ID}, email, ids(all, onlyB, aAndB)},
		{"components A and B by email", []string{a.ID, b.ID}, email, ids(all, onlyA, onlyB, aAndB)},
		{"component C by email", []string{c.ID}, email, ids(all)},
		{"no components by email", nil, email, ids(all, onlyA, onlyB, aAndB)},
		{"component A on every channel", []string{a.ID}, every, ids(all, onlyA, aAndB, smsA, smsAll)},
		{"component B on every channel", []string{b.ID}, every, ids(all, onlyB, aAndB, smsAll, hookB)},
		{"no components on every channel", []string{}, every, ids(all, onlyA, onlyB, aAndB, smsA, smsAll, hookB)},
		{"webhooks only", []string{c.ID}, []notifier.Channel{notifier.Webhook}, ids()},
		{"unknown component", []string{"nosuchthing0"}, every, ids(all, smsAll)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := notifier.Event{ID: 7, Kind: notifier.IncidentUpdated, ComponentIDs: tt.comps, DeliverNotifications: true}
			for _, limit := range []int{1, 2, 3, 1000} {
				got := recipients(t, f, e, tt.channels, limit)
				if got == nil {
					got = []string{}
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("limit %d: recipients = %v, want %v (active only, in id order)", limit, got, tt.want)
				}
			}
			// CountAudience counts the same people, by channel.
			want := map[notifier.Channel]int{}
			for _, id := range tt.want {
				want[f.get(t, id).Mode]++
			}
			counts, err := f.svc.CountAudience(ctx, e, tt.channels)
			if err != nil || !reflect.DeepEqual(counts, want) {
				t.Errorf("CountAudience = %v, %v; want %v", counts, err, want)
			}
		})
	}

	t.Run("no channels", func(t *testing.T) {
		if got := recipients(t, f, notifier.Event{ID: 7}, nil, 10); len(got) != 0 {
			t.Errorf("recipients = %v, want none", got)
		}
	})
	t.Run("after the last id", func(t *testing.T) {
		last := slices.Max(ids(all, onlyA, onlyB, aAndB, smsA, smsAll, hookB))
		var page []notifier.Recipient
		f.inTx(t, func(tx *sql.Tx) error {
			var err error
			page, err = f.svc.RecipientsTx(ctx, tx, notifier.Event{ID: 7}, every, last, 10)
			return err
		})
		if len(page) != 0 {
			t.Errorf("recipients after %s = %v, want none", last, page)
		}
	})
}

func TestDeliveredManyTx(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		mode    notifier.Channel
		address string
		from    subscribers.State
		purpose notifier.Purpose
		want    subscribers.State
	}{
		{"webhook test delivery confirms", notifier.Webhook, "https://example.com/h", subscribers.Unconfirmed, notifier.PurposeConfirm, subscribers.Active},
		{"webhook event delivery does not confirm", notifier.Webhook, "https://example.com/h", subscribers.Unconfirmed, notifier.PurposeEvent, subscribers.Unconfirmed},
		{"webhook test delivery does not revive", notifier.Webhook, "https://example.com/h", subscribers.Unsubscribed, notifier.PurposeConfirm, subscribers.Unsubscribed},
		{"webhook test delivery does not lift quarantine", notifier.Webhook, "https://example.com/h", subscribers.Quarantined, notifier.PurposeConfirm, subscribers.Quarantined},
		{"slack test message confirms", notifier.Slack, "https://hooks.slack.com/services/T/B/x", subscribers.Unconfirmed, notifier.PurposeConfirm, subscribers.Active},
		{"google chat test message confirms", notifier.GoogleChat, "https://chat.googleapis.com/v1/spaces/S/messages?key=k&token=t", subscribers.Unconfirmed, notifier.PurposeConfirm, subscribers.Active},
		{"discord event message does not confirm", notifier.Discord, "https://discord.com/api/webhooks/1/t", subscribers.Unconfirmed, notifier.PurposeEvent, subscribers.Unconfirmed},
		{"teams test message does not lift quarantine", notifier.Teams, "https://example.logic.azure.com/workflows/w", subscribers.Quarantined, notifier.PurposeConfirm, subscribers.Quarantined},
		{"email confirmation sent does not confirm", notifier.Email, "jane@example.com", subscribers.Unconfirmed, notifier.PurposeConfirm, subscribers.Unconfirmed},
		{"sms code sent does not confirm", notifier.SMS, "+14155550123", subscribers.Unconfirmed, notifier.PurposeConfirm, subscribers.Unconfirmed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			id := f.subscribe(t, subscribers.Signup{Mode: tt.mode, Address: tt.address}).Subscriber.ID
			switch tt.from {
			case subscribers.Unsubscribed:
				mustDo(t, f.svc.Unsubscribe(ctx, id))
			case subscribers.Quarantined:
				quarantine(t, f, id, tt.mode)
			}
			f.clock.Advance(time.Minute)
			deliver(t, f, id, tt.mode, tt.purpose)
			got := f.get(t, id)
			if got.State != tt.want {
				t.Errorf("state = %s, want %s", got.State, tt.want)
			}
			if tt.want == subscribers.Active && (got.ConfirmedAt == nil || !got.ConfirmedAt.Equal(f.clock.Now())) {
				t.Errorf("ConfirmedAt = %v, want %v", got.ConfirmedAt, f.clock.Now())
			}
		})
	}
}

// TestDeliveredManyTxResetsFailures: one call resets the permanent
// failures of every subscriber in it, more than one statement's worth,
// including a subscriber listed twice, and of nobody else.
func TestDeliveredManyTxResetsFailures(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	var ds []notifier.Delivery
	for i := range 501 {
		id := f.active(t, notifier.Email, fmt.Sprintf("u%04d@example.com", i)).ID
		ds = append(ds, notifier.Delivery{ID: int64(i + 1), SubscriberID: id, Channel: notifier.Email, Purpose: notifier.PurposeEvent, Attempts: 1})
	}
	ds = append(ds, ds[0])
	other := f.active(t, notifier.Email, "other@example.com").ID
	f.inTx(t, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE subscribers SET permanent_failures = 2`)
		return err
	})
	f.inTx(t, func(tx *sql.Tx) error { return f.svc.DeliveredManyTx(ctx, tx, ds) })

	var reset, kept int
	if err := f.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE permanent_failures = 0), COUNT(*) FILTER (WHERE permanent_failures = 2)
		FROM subscribers`).Scan(&reset, &kept); err != nil {
		t.Fatal(err)
	}
	if reset != 501 || kept != 1 {
		t.Errorf("got %d subscribers reset and %d kept, want 501 and 1", reset, kept)
	}
	fail(t, f, other, notifier.Email, &notifier.SendError{Permanent: true, Code: "550", Err: errors.New("no such user")})
	if got := f.state(t, other); got != subscribers.Quarantined {
		t.Errorf("subscriber outside the batch: state = %s after a third failure, want %s", got, subscribers.Quarantined)
	}
}

func TestFailedTx(t *testing.T) {
	perm := &notifier.SendError{Permanent: true, Code: "550", Err: errors.New("no such user")}
	temp := &notifier.SendError{Code: "451", Err: errors.New("try later")}
	stop := &notifier.SendError{Permanent: true, Unsubscribe: true, Code: "21610", Err: errors.New("unsubscribed recipient")}
	gone := &notifier.SendError{Permanent: true, Gone: true, Code: "404", Err: errors.New("no_service")}
	refused := &notifier.SendError{Permanent: true, Code: "400", Err: errors.New("invalid_payload")}
	busy := &notifier.SendError{Code: "429", RetryAfter: 30 * time.Second, Err: errors.New("rate limited")}
	type step struct {
		advance time.Duration
		fail    *notifier.SendError // nil for a delivery
		times   int
	}
	tests := []struct {
		name    string
		mode    notifier.Channel
		address string
		steps   []step
		want    subscribers.State
	}{
		{"sms STOP unsubscribes", notifier.SMS, "+14155550123", []step{{fail: stop, times: 1}}, subscribers.Unsubscribed},
		{"email unsubscribe flag", notifier.Email, "jane@example.com", []step{{fail: stop, times: 1}}, subscribers.Unsubscribed},
		{"sms permanent quarantines", notifier.SMS, "+14155550123", []step{{fail: perm, times: 1}}, subscribers.Quarantined},
		{"sms temporary does not", notifier.SMS, "+14155550123", []step{{fail: temp, times: 20}}, subscribers.Active},
		{"email permanent once", notifier.Email, "jane@example.com", []step{{fail: perm, times: 1}}, subscribers.Active},
		{"email permanent twice", notifier.Email, "jane@example.com", []step{{fail: perm, times: 2}}, subscribers.Active},
		{"email permanent three times", notifier.Email, "jane@example.com", []step{{fail: perm, times: 3}}, subscribers.Quarantined},
		{"email permanent three times a week apart", notifier.Email, "jane@example.com", []step{{fail: perm, times: 1}, {advance: 7 * 24 * time.Hour, fail: perm, times: 1}, {advance: 7 * 24 * time.Hour, fail: perm, times: 1}}, subscribers.Quarantined},
		{"email temporary does not", notifier.Email, "jane@example.com", []step{{fail: temp, times: 20}}, subscribers.Active},
		{"email success in between resets", notifier.Email, "jane@example.com", []step{{fail: perm, times: 2}, {times: 1}, {fail: perm, times: 2}}, subscribers.Active},
		{"email success in between, then a third", notifier.Email, "jane@example.com", []step{{fail: perm, times: 2}, {times: 1}, {fail: perm, times: 3}}, subscribers.Quarantined},
		{"webhook 9 failures", notifier.Webhook, "https://example.com/h", []step{{fail: temp, times: 5}, {fail: perm, times: 4}}, subscribers.Active},
		{"webhook 10 temporary failures", notifier.Webhook, "https://example.com/h", []step{{fail: temp, times: 10}}, subscribers.Quarantined},
		{"webhook 10 mixed failures", notifier.Webhook, "https://example.com/h", []step{{fail: temp, times: 5}, {fail: perm, times: 5}}, subscribers.Quarantined},
		{"webhook 10 failures within 59 minutes", notifier.Webhook, "https://example.com/h", []step{{fail: temp, times: 5}, {advance: 59 * time.Minute, fail: temp, times: 5}}, subscribers.Quarantined},
		{"webhook failures older than an hour", notifier.Webhook, "https://example.com/h", []step{{fail: temp, times: 9}, {advance: time.Hour, fail: temp, times: 9}}, subscribers.Active},
		{"slack gone quarantines at once", notifier.Slack, "https://hooks.slack.com/services/T/B/x", []step{{fail: gone, times: 1}}, subscribers.Quarantined},
		{"discord gone quarantines at once", notifier.Discord, "https://discord.com/api/webhooks/1/t", []step{{fail: gone, times: 1}}, subscribers.Quarantined},
		{"mattermost refused payload 9 times", notifier.Mattermost, "https://mm.example.com/hooks/x", []step{{fail: refused, times: 9}}, subscribers.Active},
		{"teams 10 failures", notifier.Teams, "https://example.logic.azure.com/workflows/w", []step{{fail: temp, times: 5}, {fail: refused, times: 5}}, subscribers.Quarantined},
		{"google chat 9 failures", notifier.GoogleChat, "https://chat.googleapis.com/v1/spaces/S/messages", []step{{fail: temp, times: 9}}, subscribers.Active},
		{"slack asked to wait 20 times", notifier.Slack, "https://hooks.slack.com/services/T/B/x", []step{{fail: busy, times: 20}}, subscribers.Active},
		{"discord asked to wait, then 9 failures", notifier.Discord, "https://discord.com/api/webhooks/1/t", []step{{fail: busy, times: 5}, {fail: temp, times: 9}}, subscribers.Active},
		{"webhook asked to wait 20 times", notifier.Webhook, "https://example.com/h", []step{{fail: busy, times: 20}}, subscribers.Active},
		{"webhook failures older than an hour, then a tenth", notifier.Webhook, "https://example.com/h", []step{{fail: temp, times: 9}, {advance: time.Hour, fail: temp, times: 10}}, subscribers.Quarantined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, roomy)
			id := f.active(t, tt.mode, tt.address).ID
			for _, s := range tt.steps {
				f.clock.Advance(s.advance)
				for i := 0; i < s.times; i++ {
					if s.fail == nil {
						deliver(t, f, id, tt.mode, notifier.PurposeEvent)
					} else {
						fail(t, f, id, tt.mode, s.fail)
					}
				}
			}
			got := f.get(t, id)
			if got.State != tt.want {
				t.Errorf("state = %s, want %s", got.State, tt.want)
			}
			if (got.QuarantinedAt != nil) != (tt.want == subscribers.Quarantined) {
				t.Errorf("QuarantinedAt = %v with state %s", got.QuarantinedAt, got.State)
			}
			if (got.UnsubscribedAt != nil) != (tt.want == subscribers.Unsubscribed) {
				t.Errorf("UnsubscribedAt = %v with state %s", got.UnsubscribedAt, got.State)
			}
		})
	}
}

func TestFailedTxLeavesUnsubscribedAlone(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook} {
		t.Run(string(mode), func(t *testing.T) {
			f := newFixture(t, roomy)
			address := map[notifier.Channel]string{notifier.Email: "jane@example.com", notifier.SMS: "+14155550123", notifier.Webhook: "https://example.com/h"}[mode]
			id := f.active(t, mode, address).ID
			mustDo(t, f.svc.Unsubscribe(ctx, id))
			quarantine(t, f, id, mode)
			if got := f.state(t, id); got != subscribers.Unsubscribed {
				t.Errorf("state = %s, want unsubscribed: a failure never turns a departure into a quarantine", got)
			}
		})
	}
}

// TestReactivatedWebhookStartsAfresh checks that staff reactivating a
// quarantined webhook gives it a clean slate: the failures that
// quarantined it do not count again.
func TestReactivatedWebhookStartsAfresh(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	temp := &notifier.SendError{Code: "503", Err: errors.New("unavailable")}
	id := f.active(t, notifier.Webhook, "https://example.com/h").ID
	for i := 0; i < 10; i++ {
		fail(t, f, id, notifier.Webhook, temp)
	}
	if got := f.state(t, id); got != subscribers.Quarantined {
		t.Fatalf("after 10 failures: state = %s, want quarantined", got)
	}
	f.clock.Advance(5 * time.Minute)
	mustDo(t, f.svc.Reactivate(ctx, id))
	for i := 0; i < 9; i++ {
		fail(t, f, id, notifier.Webhook, temp)
	}
	if got := f.state(t, id); got != subscribers.Active {
		t.Errorf("9 failures after reactivation: state = %s, want active", got)
	}
	fail(t, f, id, notifier.Webhook, temp)
	if got := f.state(t, id); got != subscribers.Quarantined {
		t.Errorf("10 failures after reactivation: state = %s, want quarantined", got)
	}
}
