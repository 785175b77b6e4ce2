package notifier_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// checkMail checks that the SMTP server received exactly one message for
// each of the subscribers of event ev, and nothing else.
func checkMail(t *testing.T, f *fixture, ev int64, ids []string, addrs map[string]string) {
	t.Helper()
	got := map[string]int{}
	for _, m := range f.smtp.Received(0) {
		if len(m.To) != 1 {
			t.Errorf("got a message to %v, want one recipient", m.To)
			continue
		}
		sm := subjectPattern.FindStringSubmatch(string(m.Data))
		if sm == nil {
			t.Errorf("got a message without the test subject: %q", m.Data)
			continue
		}
		if sm[1] != strconv.FormatInt(ev, 10) {
			t.Errorf("got a message about event %s, want %d", sm[1], ev)
		}
		if addrs[sm[2]] != m.To[0] {
			t.Errorf("got the message for %s sent to %s, want %s", sm[2], m.To[0], addrs[sm[2]])
		}
		got[sm[2]]++
	}
	for _, id := range ids {
		if got[id] != 1 {
			t.Errorf("subscriber %s got %d messages, want 1", id, got[id])
		}
	}
	if len(got) != len(ids) {
		t.Errorf("got messages for %d subscribers, want %d", len(got), len(ids))
	}
}

func TestRunOnceSendsAndAcks(t *testing.T) {
	f := newFixture(t)
	ids, addrs := f.emailSubscribers(t, 8)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 3, MaxAttempts: 5, Lease: time.Minute}
	obs := &observer{}
	d := notifier.NewDispatcher(f.db, f.subs, f.renderer, f.senders, cfg, f.clock.Now, slog.New(slog.DiscardHandler), obs)
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)

	// Each step claims at most a batch, oldest first.
	for i, want := range []int{3, 3, 2, 0} {
		f.clock.Advance(time.Second)
		if got := runOnce(t, d, notifier.Email); got != want {
			t.Fatalf("step %d: claimed %d, want %d", i, got, want)
		}
		if got := len(f.smtp.Received(0)); got != min(8, 3*(i+1)) {
			t.Fatalf("step %d: server has %d messages, want %d", i, got, min(8, 3*(i+1)))
		}
	}
	ds := f.deliveries(t, "")
	for i, dl := range ds {
		if dl.State != "sent" || dl.Attempts != 1 || dl.ClaimedAt != nil || dl.LastError != "" {
			t.Errorf("got %+v, want sent after one attempt, unclaimed, no error", dl)
		}
		// Batches of 3 were sent at start+1s, +2s, +3s.
		if want := start.Add(time.Duration(i/3+1) * time.Second); dl.SentAt == nil || !dl.SentAt.Equal(want) {
			t.Errorf("delivery %d: got sent_at %v, want %s", dl.ID, dl.SentAt, want)
		}
		// The provider id is the Message-ID the message carried.
		if !strings.HasSuffix(dl.ProviderID, "@example.com>") || mailFor(t, f, dl.SubscriberID).Header.Get("Message-Id") != dl.ProviderID {
			t.Errorf("delivery %d: got provider id %q, want the Message-ID of the message sent", dl.ID, dl.ProviderID)
		}
	}
	checkMail(t, f, ev, ids, addrs)
	if got := obs.count(notifier.Email, notifier.OutcomeSent); got != 8 {
		t.Errorf("observer saw %d sent, want 8", got)
	}
	// The pool reuses its connections.
	if got := f.smtp.Connections(); got > 2 {
		t.Errorf("got %d SMTP connections for 8 messages through a pool of 2, want at most 2", got)
	}
}

// TestAckRecordsEachSentDelivery: more than one statement's worth of sent
// deliveries are recorded each with its own provider id, and the last of
// the batch, which failed, is left to retry.
func TestAckRecordsEachSentDelivery(t *testing.T) {
	f := newFixture(t)
	ids, _ := f.emailSubscribers(t, 402)
	retried := slices.Max(ids) // fanned out, and so sent, last
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 500, MaxAttempts: 5, Lease: time.Minute}
	d := f.dispatcher(cfg, f.withSender(notifier.Email, senderFunc(func(_ context.Context, m notifier.Message) (string, error) {
		if strings.HasSuffix(m.Subject, " "+retried) {
			return "", notifier.Temporary("451", errors.New("try later"))
		}
		return "<" + m.Subject + ">", nil
	})))
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	f.clock.Advance(time.Second)
	if got := runOnce(t, d, notifier.Email); got != 402 {
		t.Fatalf("claimed %d, want 402", got)
	}
	for _, dl := range f.deliveries(t, "") {
		if dl.SubscriberID == retried {
			if dl.State != "pending" || dl.ProviderID != "" || dl.SentAt != nil || dl.ErrorCode != "451" {
				t.Errorf("got %+v, want pending for a retry, no provider id, error 451", dl)
			}
			continue
		}
		if want := "<" + subjectFor(dl.EventID, dl.SubscriberID) + ">"; dl.State != "sent" || dl.ProviderID != want {
			t.Errorf("delivery %d: got state %s, provider id %q; want sent, %q", dl.ID, dl.State, dl.ProviderID, want)
		}
		if dl.ClaimedAt != nil || dl.SentAt == nil || !dl.SentAt.Equal(f.clock.Now()) {
			t.Errorf("delivery %d: got claimed_at %v, sent_at %v; want none, %s", dl.ID, dl.ClaimedAt, dl.SentAt, f.clock.Now())
		}
	}
}

// TestAckKeepsOutcomeOrder: the audience hears of a batch's outcomes in
// the order they happened. A subscriber with two permanent failures whose
// first message of a batch is delivered and second bounces has one failure
// afterwards, not three (which would quarantine them).
func TestAckKeepsOutcomeOrder(t *testing.T) {
	f := newFixture(t)
	ids, _ := f.emailSubscribers(t, 1)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 10, MaxAttempts: 5, Lease: time.Minute}
	first := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc2"))
	d := f.dispatcher(cfg, f.withSender(notifier.Email, senderFunc(func(_ context.Context, m notifier.Message) (string, error) {
		if m.Subject == subjectFor(first, ids[0]) {
			return "<sent>", nil
		}
		return "", notifier.Permanent("550", errors.New("no such user"))
	})))
	fanOutAll(t, d)
	if _, err := f.db.Write.Exec(`UPDATE subscribers SET permanent_failures = 2`); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)
	if got := runOnce(t, d, notifier.Email); got != 2 {
		t.Fatalf("claimed %d, want 2", got)
	}
	if got := f.states(t); got["sent"] != 1 || got["failed"] != 1 {
		t.Errorf("got states %v, want 1 sent and 1 failed", got)
	}
	var n int
	if err := f.db.Read.QueryRow(`SELECT permanent_failures FROM subscribers WHERE id = ?`, ids[0]).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("got %d permanent failures, want 1", n)
	}
	if got := f.state(t, ids[0]); got != "active" {
		t.Errorf("got subscriber state %s, want active", got)
	}
}

func TestRunOnceWithoutSender(t *testing.T) {
	f := newFixture(t)
	d := f.dispatcher(testConfig(), map[notifier.Channel]notifier.Sender{notifier.Email: f.senders[notifier.Email]})
	if _, err := d.RunOnce(context.Background(), notifier.SMS); err == nil {
		t.Error("got nil, want an error for a channel without a sender")
	}
}

// errCrash is what crashingSender panics with, to stop RunOnce between its
// claim and its acknowledgement as a killed process would.
var errCrash = errors.New("simulated crash")

// crash runs one RunOnce whose sender dies on its first message, leaving
// the batch claimed and unacknowledged, by a replica that is gone.
func crash(t *testing.T, f *fixture, cfg notifier.Config, ch notifier.Channel) {
	t.Helper()
	cfg.Replica = "crashed"
	d := f.dispatcher(cfg, f.withSender(ch, senderFunc(func(context.Context, notifier.Message) (string, error) {
		panic(errCrash)
	})))
	defer func() {
		if r := recover(); r != errCrash {
			t.Fatalf("got %v, want the simulated crash", r)
		}
	}()
	_, _ = d.RunOnce(context.Background(), ch)
}

// releaseDead runs d.ReleaseClaims as a replica's checks do, until want
// claims of dead replicas are released: on SQLite at once; on PostgreSQL,
// where a replica found dead may only have lost its lock's connection, the
// first check finds it dead and releases nothing, and the next, once it
// has been dead for a minute, releases its claims.
func releaseDead(t *testing.T, f *fixture, d *notifier.Dispatcher, want int) {
	t.Helper()
	ctx := context.Background()
	if f.db.Engine() == store.Postgres {
		if n, err := d.ReleaseClaims(ctx); err != nil || n != 0 {
			t.Fatalf("ReleaseClaims on finding the replica dead: got %d, %v; want 0, nil", n, err)
		}
		f.clock.Advance(59 * time.Second)
		if n, err := d.ReleaseClaims(ctx); err != nil || n != 0 {
			t.Fatalf("ReleaseClaims, the replica dead for 59 s: got %d, %v; want 0, nil", n, err)
		}
		f.clock.Advance(time.Second)
	}
	if n, err := d.ReleaseClaims(ctx); err != nil || n != want {
		t.Fatalf("ReleaseClaims: got %d, %v; want %d, nil", n, err, want)
	}
}

func TestClaimLeaseAndRecovery(t *testing.T) {
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 4, MaxAttempts: 5, Lease: time.Minute}

	t.Run("claimed deliveries are invisible until the lease expires", func(t *testing.T) {
		f := newFixture(t)
		ids, addrs := f.emailSubscribers(t, 4)
		d := f.dispatcher(cfg, nil)
		ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
		fanOutAll(t, d)
		crash(t, f, cfg, notifier.Email)

		for _, dl := range f.deliveries(t, "") {
			if dl.State != "pending" || dl.Attempts != 1 || dl.ClaimedAt == nil || !dl.NextAttemptAt.Equal(start.Add(time.Minute)) {
				t.Errorf("after the crash: got %+v, want pending, claimed, 1 attempt, leased until %s", dl, start.Add(time.Minute))
			}
		}
		if got := runOnce(t, d, notifier.Email); got != 0 {
			t.Errorf("during the lease: claimed %d, want 0", got)
		}
		f.clock.Advance(59 * time.Second)
		if got := runOnce(t, d, notifier.Email); got != 0 {
			t.Errorf("just before the lease expires: claimed %d, want 0", got)
		}
		f.clock.Advance(time.Second)
		if got := runOnce(t, d, notifier.Email); got != 4 {
			t.Errorf("once the lease expired: claimed %d, want 4", got)
		}
		for _, dl := range f.deliveries(t, "") {
			if dl.State != "sent" || dl.Attempts != 2 {
				t.Errorf("got %+v, want sent on the second attempt", dl)
			}
		}
		checkMail(t, f, ev, ids, addrs)
	})

	t.Run("ReleaseClaims hands them back before the lease ends", func(t *testing.T) {
		f := newFixture(t)
		cfg := testConfig()
		cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 4, MaxAttempts: 5, Lease: time.Hour}
		ids, addrs := f.emailSubscribers(t, 6)
		d := f.dispatcher(cfg, nil)
		ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
		fanOutAll(t, d)
		crash(t, f, cfg, notifier.Email)
		f.clock.Advance(time.Second)

		// A fresh dispatcher, as after a restart.
		d = f.dispatcher(cfg, nil)
		releaseDead(t, f, d, 4)
		for _, dl := range f.deliveries(t, "") {
			if dl.ClaimedAt != nil || dl.NextAttemptAt.After(f.clock.Now()) {
				t.Errorf("after release: got %+v, want unclaimed and due", dl)
			}
		}
		if got := runUntilIdle(t, d, notifier.Email); got != 6 {
			t.Errorf("claimed %d after the release, want 6", got)
		}
		checkMail(t, f, ev, ids, addrs)
		if n, err := d.ReleaseClaims(context.Background()); err != nil || n != 0 {
			t.Errorf("ReleaseClaims with nothing claimed: got %d, %v; want 0, nil", n, err)
		}
	})

	t.Run("a second worker does not take a batch in progress", func(t *testing.T) {
		f := newFixture(t)
		ids, addrs := f.emailSubscribers(t, 6)
		ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
		var d *notifier.Dispatcher
		nested := -1 // what the other worker claimed; -1 until it ran
		mailer := f.senders[notifier.Email]
		d = f.dispatcher(cfg, f.withSender(notifier.Email, senderFunc(func(ctx context.Context, m notifier.Message) (string, error) {
			if nested < 0 {
				// Another worker runs while this one sends: it takes
				// what is left, never what this one holds.
				nested = 0
				n, err := d.RunOnce(ctx, notifier.Email)
				if err != nil {
					t.Error(err)
				}
				nested = n
			}
			return mailer.Send(ctx, m)
		})))
		fanOutAll(t, d)
		if got := runOnce(t, d, notifier.Email); got != 4 {
			t.Fatalf("claimed %d, want 4", got)
		}
		if nested != 2 {
			t.Errorf("the other worker claimed %d, want the 2 not held", nested)
		}
		checkMail(t, f, ev, ids, addrs)
	})
}

// observer records outcomes.
type observer struct {
	mu  sync.Mutex
	got map[notifier.Channel]map[notifier.Outcome]int
}

func (o *observer) Observe(ch notifier.Channel, outcome notifier.Outcome, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.got == nil {
		o.got = map[notifier.Channel]map[notifier.Outcome]int{}
	}
	if o.got[ch] == nil {
		o.got[ch] = map[notifier.Outcome]int{}
	}
	o.got[ch][outcome]++
}

func (o *observer) count(ch notifier.Channel, outcome notifier.Outcome) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.got[ch][outcome]
}

func TestShutdownReleasesTheRest(t *testing.T) {
	f := newFixture(t)
	ids, addrs := f.emailSubscribers(t, 5)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 5, MaxAttempts: 5, Lease: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	mailer := f.senders[notifier.Email]
	calls := 0
	d := f.dispatcher(cfg, f.withSender(notifier.Email, senderFunc(func(sctx context.Context, m notifier.Message) (string, error) {
		calls++
		// SIGTERM arrives while the first message is on its way: it is
		// still finished.
		cancel()
		return mailer.Send(sctx, m)
	})))
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	f.clock.Advance(time.Second)

	n, err := d.RunOnce(ctx, notifier.Email)
	if err != nil || n != 5 {
		t.Fatalf("RunOnce: got %d, %v; want 5 claimed, nil", n, err)
	}
	if calls != 1 {
		t.Errorf("got %d sends, want 1", calls)
	}
	if got := len(f.smtp.Received(0)); got != 1 {
		t.Fatalf("server got %d messages, want 1", got)
	}
	if sent := f.deliveries(t, "state = 'sent'"); len(sent) != 1 || sent[0].Attempts != 1 {
		t.Errorf("got sent %+v, want one, after one attempt", sent)
	}
	for _, dl := range f.deliveries(t, "state <> 'sent'") {
		if dl.State != "pending" || dl.Attempts != 0 || dl.ClaimedAt != nil || dl.NextAttemptAt.After(f.clock.Now()) || dl.LastError != "" {
			t.Errorf("got %+v, want released: pending, 0 attempts, unclaimed, due now, no error", dl)
		}
	}

	// The next run (after a restart) sends the rest at once.
	d = f.dispatcher(cfg, nil)
	if got := runUntilIdle(t, d, notifier.Email); got != 4 {
		t.Errorf("next run claimed %d, want 4", got)
	}
	checkMail(t, f, ev, ids, addrs)
}

// With the real email sender, which sends a batch with SMTP pipelining,
// SIGTERM during the first message finishes what is on the wire by then:
// the first message and the second, whose commands went out with the
// first one's end. The rest are released.
func TestShutdownFinishesThePipeline(t *testing.T) {
	f := newFixture(t)
	ids, addrs := f.emailSubscribers(t, 5)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Batch: 5, MaxAttempts: 5, Lease: time.Minute}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.smtp.OnReceive(func(n int) {
		if n == 1 {
			cancel()
		}
	})
	d := f.dispatcher(cfg, nil)
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)
	f.clock.Advance(time.Second)

	n, err := d.RunOnce(ctx, notifier.Email)
	if err != nil || n != 5 {
		t.Fatalf("RunOnce: got %d, %v; want 5 claimed, nil", n, err)
	}
	if got := len(f.smtp.Received(0)); got != 2 {
		t.Fatalf("server got %d messages, want 2", got)
	}
	if got := f.states(t); got["sent"] != 2 || got["pending"] != 3 {
		t.Errorf("got states %v, want 2 sent and 3 pending", got)
	}
	for _, dl := range f.deliveries(t, "state <> 'sent'") {
		if dl.Attempts != 0 || dl.ClaimedAt != nil || dl.LastError != "" {
			t.Errorf("got %+v, want released: 0 attempts, unclaimed, no error", dl)
		}
	}
	f.smtp.OnReceive(nil)
	if got := runUntilIdle(t, f.dispatcher(cfg, nil), notifier.Email); got != 3 {
		t.Errorf("next run claimed %d, want 3", got)
	}
	checkMail(t, f, ev, ids, addrs)
}

// With a rate of one message per 1000 s and a bucket of one, the second
// message of a batch cannot be sent before a one-minute deadline: the
// limiter refuses at once, and the message is released, not sent. Without
// the limiter both would go out. The lease covers the batch at that rate.
func TestRateLimiterIsWired(t *testing.T) {
	// Both ways a sender can be driven: one Send at a time, and the email
	// sender's own SendBatch.
	for _, batch := range []bool{false, true} {
		t.Run(fmt.Sprintf("batch %v", batch), func(t *testing.T) {
			f := newFixture(t)
			f.emailSubscribers(t, 2)
			cfg := testConfig()
			cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 1, Batch: 2, Rate: 0.001, Burst: 1, MaxAttempts: 5}
			var leases []time.Time
			senders := f.senders
			if !batch {
				mailer := f.senders[notifier.Email]
				senders = f.withSender(notifier.Email, senderFunc(func(ctx context.Context, m notifier.Message) (string, error) {
					for _, dl := range f.deliveries(t, "claimed_at IS NOT NULL") {
						leases = append(leases, dl.NextAttemptAt)
					}
					return mailer.Send(ctx, m)
				}))
			}
			d := f.dispatcher(cfg, senders)
			f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
			fanOutAll(t, d)

			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			n, err := d.RunOnce(ctx, notifier.Email)
			if err != nil || n != 2 {
				t.Fatalf("RunOnce: got %d, %v; want 2, nil", n, err)
			}
			if got := f.states(t); got["sent"] != 1 || got["pending"] != 1 {
				t.Errorf("got states %v, want 1 sent and 1 pending", got)
			}
			if got := len(f.smtp.Received(0)); got != 1 {
				t.Errorf("server got %d messages, want 1", got)
			}
			if batch {
				return
			}
			// Lease: 2 messages at 0.001/s, times 3 = 6000 s.
			want := start.Add(6000 * time.Second)
			if len(leases) != 2 || !leases[0].Equal(want) || !leases[1].Equal(want) {
				t.Errorf("got leases %v, want both until %s", leases, want)
			}
		})
	}
}

// Under a rate limit the email sender's batch waits for each message's
// turn and sends it: every message of the batch goes in one run.
func TestRateLimitedBatchWaitsItsTurn(t *testing.T) {
	f := newFixture(t)
	ids, addrs := f.emailSubscribers(t, 3)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 1, Batch: 3, Rate: 50, Burst: 1, MaxAttempts: 5}
	obs := &observer{}
	d := notifier.NewDispatcher(f.db, f.subs, f.renderer, f.senders, cfg, f.clock.Now, slog.New(slog.DiscardHandler), obs)
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, d)

	if n := runOnce(t, d, notifier.Email); n != 3 {
		t.Fatalf("claimed %d, want 3", n)
	}
	if got := f.states(t); got["sent"] != 3 {
		t.Errorf("got states %v, want all 3 sent in one run", got)
	}
	if got := obs.count(notifier.Email, notifier.OutcomeSent); got != 3 {
		t.Errorf("observed %d sent, want 3", got)
	}
	checkMail(t, f, ev, ids, addrs)
}

// Run fans out and sends on every channel until stopped, and at start
// releases what a previous process left claimed.
func TestRun(t *testing.T) {
	f := newFixture(t)
	ids, addrs := f.emailSubscribers(t, 12)
	f.subscribe(t, notifier.Webhook, f.hooks.URL+"/a")
	f.subscribe(t, notifier.Webhook, f.hooks.URL+"/b")
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 3, Batch: 2, MaxAttempts: 5, Lease: time.Hour}
	cfg.FanOutBatch = 5
	ev := f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	// A previous process fanned out and died holding a batch, whose lease
	// (an hour) would otherwise delay it.
	fanOutAll(t, f.dispatcher(cfg, nil))
	crash(t, f, cfg, notifier.Email)
	if f.db.Engine() == store.Postgres {
		// Run's first check finds the crashed replica dead; its check a
		// minute later would release the claims: played here.
		releaseDead(t, f, f.dispatcher(cfg, nil), 2)
	}

	// Run is stopped once every message has arrived; it returns only
	// after its workers recorded what they sent.
	arrived := make(chan struct{}, 64)
	f.smtp.OnReceive(func(int) { arrived <- struct{}{} })
	f.hooks.mu.Lock()
	f.hooks.onRequest = func() { arrived <- struct{}{} }
	f.hooks.mu.Unlock()

	d := f.dispatcher(cfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	// Whatever happens, Run stops before the fixture is torn down.
	t.Cleanup(func() {
		cancel()
		<-done
	})
	timeout := time.After(30 * time.Second)
	for i := range len(ids) + 2 {
		select {
		case <-arrived:
		case <-done:
			t.Fatal("Run returned before it was stopped")
		case <-timeout:
			t.Fatalf("only %d of %d messages arrived", i, len(ids)+2)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	if got := f.states(t); got["sent"] != 14 || len(got) != 1 {
		t.Errorf("got states %v, want 14 sent", got)
	}
	checkMail(t, f, ev, ids, addrs)
	if got := len(f.hooks.received()); got != 2 {
		t.Errorf("webhook receiver got %d requests, want 2", got)
	}
}

// mailFor returns the one message the SMTP server received for subscriber
// id.
func mailFor(t *testing.T, f *fixture, id string) *mail.Message {
	t.Helper()
	var found []string
	for _, m := range f.smtp.Received(0) {
		if sm := subjectPattern.FindStringSubmatch(string(m.Data)); sm != nil && sm[2] == id {
			found = append(found, string(m.Data))
		}
	}
	if len(found) != 1 {
		t.Fatalf("got %d messages for %s, want 1", len(found), id)
	}
	msg, err := mail.ReadMessage(strings.NewReader(found[0]))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// TestRunStopsBetweenBatches stops Run as the last message of the
// worker's first batch arrives: that message is finished and recorded,
// the worker claims no further batch, and nothing is left claimed.
func TestRunStopsBetweenBatches(t *testing.T) {
	f := newFixture(t)
	f.emailSubscribers(t, 10)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 1, Batch: 2, MaxAttempts: 5, Lease: time.Hour}
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	fanOutAll(t, f.dispatcher(cfg, nil))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.smtp.OnReceive(func(n int) {
		if n == 2 {
			cancel()
		}
	})
	d := f.dispatcher(cfg, map[notifier.Channel]notifier.Sender{notifier.Email: f.senders[notifier.Email]})
	done := make(chan struct{})
	go func() {
		defer close(done)
		d.Run(ctx)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	got := f.states(t)
	if got["sent"] != 2 || got["pending"] != 8 || len(got) != 2 {
		t.Errorf("got states %v, want 2 sent and 8 pending", got)
	}
	var claimed int
	if err := f.db.Read.QueryRow(`SELECT COUNT(*) FROM deliveries WHERE claimed_at IS NOT NULL`).Scan(&claimed); err != nil {
		t.Fatal(err)
	}
	if claimed != 0 {
		t.Errorf("%d deliveries left claimed, want 0", claimed)
	}
}

// TestRunOnceReleasesWhatShutdownCutShort: deliveries whose rendering
// failed because the context ended are handed back, not failed.
func TestRunOnceReleasesWhatShutdownCutShort(t *testing.T) {
	f := newFixture(t)
	f.emailSubscribers(t, 3)
	cfg := testConfig()
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 1, Batch: 10, MaxAttempts: 5, Lease: time.Hour}
	f.addEvent(t, incidentEvent(notifier.IncidentCreated, "inc1"))
	d := f.dispatcher(cfg, nil)
	fanOutAll(t, d)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.renderer.fail = func(notifier.Delivery) error {
		cancel()
		return context.Canceled
	}
	n, err := d.RunOnce(ctx, notifier.Email)
	if err != nil || n != 3 {
		t.Fatalf("RunOnce: got %d, %v; want 3, nil", n, err)
	}
	if got := f.states(t); got["pending"] != 3 || len(got) != 1 {
		t.Errorf("got states %v, want 3 pending", got)
	}
}
