package notifier

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/beacon-status/beacon/internal/store"
)

// Delivery is one claimed message: to whom, on which channel, and why.
type Delivery struct {
	ID           int64
	EventID      int64  // 0 for a direct message
	Event        *Event // the event, for PurposeEvent
	SubscriberID string
	Channel      Channel
	Purpose      Purpose
	Data         string
	Attempts     int // including this one
}

// Recipient is a subscriber who should hear about an event on a channel.
type Recipient struct {
	SubscriberID string
	Channel      Channel
}

// Audience knows the subscribers: who hears about an event, and what
// happens to a subscriber whose messages are delivered or fail. The
// subscribers package implements it; the methods run inside the
// dispatcher's transactions.
type Audience interface {
	// RecipientsTx returns up to limit active subscribers on channels who
	// follow a component of e (or every component), or its incident when
	// e.ToFollowers, in subscriber id order, starting after the id after.
	RecipientsTx(ctx context.Context, tx *sql.Tx, e Event, channels []Channel, after string, limit int) ([]Recipient, error)
	// DeliveredManyTx is told of delivered messages, a batch at a time, in
	// the order they were sent; failures are reported in order around
	// these batches.
	DeliveredManyTx(ctx context.Context, tx *sql.Tx, ds []Delivery) error
	// FailedTx is told of each failed attempt; final is true when no retry
	// will follow.
	FailedTx(ctx context.Context, tx *sql.Tx, d Delivery, e *SendError, final bool) error
}

// ErrSkip, returned by a Renderer for a delivery, cancels it without
// sending: its subscriber left, or its incident was deleted.
var ErrSkip = errors.New("notifier: nothing to send")

// Renderer turns claimed deliveries into messages, one result per
// delivery in the same order.
type Renderer interface {
	Render(ctx context.Context, ds []Delivery) []Rendered
}

// Rendered is a Renderer's result for one delivery: a message, or an error
// (ErrSkip to cancel; anything else fails the delivery permanently).
type Rendered struct {
	Message Message
	Err     error
}

// Observer is told the outcome of each send, for metrics.
type Observer interface {
	Observe(ch Channel, outcome Outcome, took time.Duration)
}

// Outcome is what happened to one attempt.
type Outcome string

// The outcomes.
const (
	OutcomeSent      Outcome = "sent"
	OutcomeRetry     Outcome = "retry"
	OutcomeFailed    Outcome = "failed"
	OutcomeCancelled Outcome = "cancelled"
)

// ChannelConfig sets one channel's workers and limits.
type ChannelConfig struct {
	Workers     int     // concurrent senders
	Batch       int     // deliveries claimed at once by a worker
	Rate        float64 // messages per second for the channel; 0 for no limit
	Burst       int     // token bucket size
	MaxAttempts int     // attempts before a temporarily failing message fails
	// Lease is how long a claim lasts before another worker may take the
	// delivery over; 0 derives it from the batch and the rate.
	Lease time.Duration
}

// Config sets the dispatcher's policy.
type Config struct {
	Channels map[Channel]ChannelConfig
	// SMSKeyMomentsOnly limits SMS to incident creation and resolution and
	// maintenance start and end.
	SMSKeyMomentsOnly bool
	FanOutBatch       int // most subscribers expanded per transaction
	// FanOutTime is how long a fan-out transaction inserts deliveries
	// before it commits what it has, so that staff writes wait little
	// (default 10 ms: each fan-out transaction stops the senders, who
	// then wait for their places, for its fixed cost as well as for its
	// rows, and 5 ms made more of them on a loaded machine).
	FanOutTime  time.Duration
	BackoffBase time.Duration // first retry delay
	BackoffMax  time.Duration // longest retry delay
	Poll        time.Duration // how often idle workers look for work
	// Replica is the owner recorded with each claim. Empty means the
	// database handle's replica id (store.DB.ReplicaID), by which other
	// replicas tell whether the claims' owner is alive; tests set another
	// to play a replica that died.
	Replica string
}

// Dispatcher expands events into deliveries and runs the channel workers.
type Dispatcher struct {
	db       *store.DB
	audience Audience
	renderer Renderer
	senders  map[Channel]Sender
	limiters map[Channel]*rate.Limiter
	cfg      Config
	now      func() time.Time
	log      *slog.Logger
	observer Observer
	replica  string
	// gatherFor is the longest a group of outcomes gathers before its
	// commit: maxGather, which tests lengthen.
	gatherFor time.Duration
	// noSentLog keeps Run from keeping a sent log, for the tests of the
	// places without one (as on PostgreSQL).
	noSentLog bool
	wake      *signal // new events: the fan-out
	// wakes has a signal per channel with a sender, for its workers: a
	// fan-out wakes only the channels it created deliveries for, since
	// every woken worker claims, and an idle channel's claims would cost
	// the recorder's commits a statement each for nothing.
	wakes map[Channel]*signal
	// smsKeyOnly starts as Config.SMSKeyMomentsOnly; staff may change it
	// while the server runs (SetSMSKeyMomentsOnly).
	smsKeyOnly atomic.Bool

	mu        sync.Mutex
	events    map[int64]Event        // events are immutable: cached while in use
	deadSince map[string]time.Time   // replicas found dead, since when (ReleaseClaims)
	logged    map[string]loggedError // the last failure of each kind logged (logError)
}

// SetSMSKeyMomentsOnly changes whether SMS go out only at the key moments
// (creation, resolution, maintenance start and end) for events fanned out
// from now on.
func (d *Dispatcher) SetSMSKeyMomentsOnly(on bool) { d.smsKeyOnly.Store(on) }

// NewDispatcher returns a dispatcher for the channels that have a sender;
// channels without one get no deliveries.
func NewDispatcher(db *store.DB, audience Audience, renderer Renderer, senders map[Channel]Sender, cfg Config,
	now func() time.Time, log *slog.Logger, observer Observer) *Dispatcher {
	if cfg.FanOutBatch <= 0 {
		cfg.FanOutBatch = 500
	}
	if cfg.FanOutTime <= 0 {
		cfg.FanOutTime = 10 * time.Millisecond
	}
	if cfg.BackoffBase <= 0 {
		cfg.BackoffBase = 30 * time.Second
	}
	if cfg.BackoffMax <= 0 {
		cfg.BackoffMax = time.Hour
	}
	if cfg.Poll <= 0 {
		cfg.Poll = time.Second
	}
	if cfg.Replica == "" {
		cfg.Replica = db.ReplicaID()
	}
	d := &Dispatcher{db: db, audience: audience, renderer: renderer, senders: senders, cfg: cfg, now: now, log: log,
		observer: observer, replica: cfg.Replica, gatherFor: maxGather, wake: newSignal(), wakes: map[Channel]*signal{}, limiters: map[Channel]*rate.Limiter{}, events: map[int64]Event{},
		deadSince: map[string]time.Time{}, logged: map[string]loggedError{}}
	d.smsKeyOnly.Store(cfg.SMSKeyMomentsOnly)
	for ch := range senders {
		d.wakes[ch] = newSignal()
		cc := d.channel(ch)
		if cc.Rate > 0 {
			d.limiters[ch] = rate.NewLimiter(rate.Limit(cc.Rate), max(cc.Burst, 1))
		}
	}
	return d
}

// channel returns ch's settings with defaults filled in.
func (d *Dispatcher) channel(ch Channel) ChannelConfig {
	cc := d.cfg.Channels[ch]
	cc.Workers = max(cc.Workers, 1)
	cc.Batch = max(cc.Batch, 1)
	if cc.MaxAttempts <= 0 {
		cc.MaxAttempts = 10
	}
	if cc.Lease <= 0 {
		cc.Lease = 2 * time.Minute
		if cc.Rate > 0 {
			// Every worker's batch may wait on the shared bucket.
			need := time.Duration(float64(cc.Workers*cc.Batch)/cc.Rate*float64(time.Second)) * 3
			cc.Lease = max(cc.Lease, need)
		}
	}
	return cc
}

// Wake tells the dispatcher that new events or deliveries may be waiting.
func (d *Dispatcher) Wake() {
	d.wake.broadcast()
	for _, s := range d.wakes {
		s.broadcast()
	}
}

// channelsFor decides which channels hear about e.
func (d *Dispatcher) channelsFor(e Event) []Channel {
	if !e.DeliverNotifications {
		return nil
	}
	var want []Channel
	switch e.Kind {
	case ComponentStatusChanged:
		// Component-only changes go to webhooks, as Statuspage does.
		want = []Channel{Webhook}
	case IncidentCreated, IncidentResolved, MaintenanceScheduled, MaintenanceStarted, MaintenanceCompleted:
		want = append([]Channel{Email, SMS, Webhook}, Chats...)
	default:
		// Chat channels hear what email hears.
		want = append([]Channel{Email, Webhook}, Chats...)
		if !d.smsKeyOnly.Load() && e.Kind != PostmortemPublished {
			want = append(want, SMS)
		}
	}
	out := want[:0]
	for _, ch := range want {
		if _, ok := d.senders[ch]; ok {
			out = append(out, ch)
		}
	}
	return out
}

// FanOutOnce expands one batch of the oldest event not yet fanned out into
// deliveries and returns how many it created. The batch, the cursor that
// remembers where it stopped and the deliveries commit together, and a
// unique index turns any repeat into a no-op, so a fan-out cut short by a
// crash resumes without duplicates. The transaction stays short so that
// staff writes queued behind it wait little: at most FanOutBatch
// recipients, and no more rows once it has inserted for FanOutTime. Across
// replicas one fans out at a time; the others find no work.
func (d *Dispatcher) FanOutOnce(ctx context.Context) (created int, more bool, err error) {
	woken := map[Channel]bool{} // the channels given deliveries
	err = d.db.BackgroundTx(ctx, func(tx *sql.Tx) error {
		created, more = 0, false
		if ok, err := d.db.TryXactLock(ctx, tx, "notifier.fanout"); err != nil || !ok {
			return err
		}
		var e Event
		var idsJSON, cursor string
		err := tx.QueryRowContext(ctx, `SELECT id, kind, COALESCE(incident_id, ''), COALESCE(update_id, ''), COALESCE(component_id, ''),
			COALESCE(old_status, ''), COALESCE(new_status, ''), component_ids, deliver_notifications, to_followers, created_at, fanout_cursor
			FROM notification_events WHERE fanned_out_at IS NULL ORDER BY id LIMIT 1`).
			Scan(&e.ID, &e.Kind, &e.IncidentID, &e.UpdateID, &e.ComponentID, &e.OldStatus, &e.NewStatus, &idsJSON,
				&e.DeliverNotifications, &e.ToFollowers, store.Time(&e.CreatedAt), &cursor)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("notifier: next event: %w", err)
		}
		if err := decodeIDs(idsJSON, &e.ComponentIDs); err != nil {
			return fmt.Errorf("notifier: event %d: %w", e.ID, err)
		}
		more = true
		now := store.FormatTime(d.now())
		channels := d.channelsFor(e)
		var recips []Recipient
		if len(channels) > 0 {
			recips, err = d.audience.RecipientsTx(ctx, tx, e, channels, cursor, d.cfg.FanOutBatch)
			if err != nil {
				return err
			}
		}
		began := time.Now()
		clear(woken)
		done := 0 // recipients given a delivery
		for done < len(recips) && (done == 0 || time.Since(began) < d.cfg.FanOutTime) {
			chunk := recips[done:min(done+fanOutChunk, len(recips))]
			n, err := d.insertDeliveries(ctx, tx, e.ID, chunk, now)
			if err != nil {
				return err
			}
			created += n
			done += len(chunk)
			if n > 0 {
				for _, r := range chunk {
					woken[r.Channel] = true
				}
			}
		}
		if done == len(recips) && len(recips) < d.cfg.FanOutBatch {
			_, err = tx.ExecContext(ctx, `UPDATE notification_events SET fanned_out_at = ?, fanout_cursor = '' WHERE id = ?`, now, e.ID)
		} else {
			_, err = tx.ExecContext(ctx, `UPDATE notification_events SET fanout_cursor = ? WHERE id = ?`, recips[done-1].SubscriberID, e.ID)
		}
		if err != nil {
			return fmt.Errorf("notifier: fan out event %d: %w", e.ID, err)
		}
		return nil
	})
	if err != nil {
		return 0, false, err
	}
	for ch := range woken {
		if s := d.wakes[ch]; s != nil {
			s.broadcast()
		}
	}
	return created, more, nil
}

// fanOutChunk is how many deliveries one INSERT creates; FanOutTime is
// checked between them.
const fanOutChunk = 50

// fanOutYield is how many group commits of outcomes go before each fan-out
// transaction while messages are being sent. Taking turns one for one, a
// group commit waited for a whole fan-out transaction, and since only
// maxUnrecorded messages may wait for their commit, so did the senders:
// a 100,000-email fan-out halved the sending rate while it ran. Fanning
// out 500 recipients every third transaction still keeps well ahead of the
// senders.
const fanOutYield = 2

// insertDeliveries creates the pending deliveries of event to rs in one
// statement, skipping those that exist, and returns how many it created.
func (d *Dispatcher) insertDeliveries(ctx context.Context, tx *sql.Tx, event int64, rs []Recipient, now string) (int, error) {
	var q strings.Builder
	q.WriteString(`INSERT INTO deliveries (event_id, subscriber_id, channel, purpose, state, next_attempt_at, created_at, updated_at) VALUES `)
	args := make([]any, 0, 2+2*len(rs))
	args = append(args, event, now)
	for i, r := range rs {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "(?1, ?%d, ?%d, 'event', 'pending', ?2, ?2, ?2)", 3+2*i, 4+2*i)
		args = append(args, r.SubscriberID, r.Channel)
	}
	q.WriteString(` ON CONFLICT DO NOTHING`)
	res, err := tx.ExecContext(ctx, q.String(), args...)
	if err != nil {
		return 0, fmt.Errorf("notifier: fan out event %d: %w", event, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("notifier: fan out event %d: %w", event, err)
	}
	return int(n), nil
}

// claimTx leases up to cc.Batch due deliveries of ch to this replica.
// The one UPDATE … RETURNING matches the deliveries_due index, so claims
// stay cheap however long the queue; on PostgreSQL it skips the rows
// another replica is claiming at that moment.
func (d *Dispatcher) claimTx(ctx context.Context, tx *sql.Tx, ch Channel, cc ChannelConfig) ([]Delivery, error) {
	now := d.now()
	rows, err := tx.QueryContext(ctx, `UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, claimed_at = ?, claimed_by = ?, updated_at = ?
		WHERE id IN (SELECT id FROM deliveries WHERE channel = ? AND state = 'pending' AND next_attempt_at <= ?
			ORDER BY next_attempt_at, id LIMIT ?`+d.db.SkipLocked()+`)
		RETURNING id, COALESCE(event_id, 0), subscriber_id, purpose, data, attempts`,
		store.FormatTime(now.Add(cc.Lease)), store.FormatTime(now), d.replica, store.FormatTime(now), ch, store.FormatTime(now), cc.Batch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ds []Delivery
	for rows.Next() {
		dl := Delivery{Channel: ch}
		if err := rows.Scan(&dl.ID, &dl.EventID, &dl.SubscriberID, &dl.Purpose, &dl.Data, &dl.Attempts); err != nil {
			return nil, err
		}
		ds = append(ds, dl)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// RETURNING gives no order; send oldest first.
	slices.SortFunc(ds, func(a, b Delivery) int { return cmp.Compare(a.ID, b.ID) })
	return ds, nil
}

// result is what happened to one claimed delivery.
type result struct {
	d          Delivery
	outcome    Outcome
	providerID string
	err        *SendError
	released   bool // never attempted: handed back at shutdown
	// unsent is set for a failure without a send (the renderer failed, or
	// the delivery was given up after crashes): it is Beacon's failure,
	// not the recipient's, so the audience is not told of it.
	unsent bool
	logged bool // in the sent log (sentlog.go)
}

// RunOnce claims one batch of ch, sends it and records the outcomes. It
// returns how many deliveries it claimed. When ctx is cancelled midway, the
// message being sent is finished and the rest are released for the next
// run.
func (d *Dispatcher) RunOnce(ctx context.Context, ch Channel) (int, error) {
	if _, ok := d.senders[ch]; !ok {
		return 0, fmt.Errorf("notifier: no sender for %s", ch)
	}
	if err := d.own(ctx); err != nil {
		return 0, err
	}
	rec := d.startRecorder(ctx, nil, nil)
	c := <-rec.claim(ch, d.channel(ch))
	err := c.err
	if err == nil && len(c.ds) > 0 {
		err = d.handle(ctx, ch, c, rec)
	}
	return len(c.ds), errors.Join(err, rec.close())
}

// worker runs batches of ch until ctx is done: it asks the recorder for a
// batch, which the next group commit claims, and sends it. A worker holds
// one batch at a time, so a kill leaves at most a batch per worker
// claimed.
func (d *Dispatcher) worker(ctx context.Context, ch Channel, rec *recorder) {
	cc := d.channel(ch)
	d.loop(ctx, string(ch)+" worker", d.wakes[ch], func() (bool, error) {
		if d.lockLost() {
			return false, nil // until the replica lock is back
		}
		c := <-rec.claim(ch, cc)
		if c.err != nil || len(c.ds) == 0 {
			return false, c.err
		}
		return true, d.handle(ctx, ch, c, rec)
	})
}

// handle sends a claimed batch of ch, handing each outcome to rec as it
// comes.
func (d *Dispatcher) handle(ctx context.Context, ch Channel, c claimed, rec *recorder) error {
	if ctx.Err() != nil {
		// Stopped as the claim committed: hand the batch back unrendered
		// (rendering with a cancelled context would fail it).
		for _, dl := range c.ds {
			rec.add(result{d: dl, released: true}, false)
		}
		return nil
	}
	return d.process(ctx, ch, d.channel(ch), c, rec)
}

// process renders and sends a claimed batch, handing each outcome to rec.
func (d *Dispatcher) process(ctx context.Context, ch Channel, cc ChannelConfig, c claimed, rec *recorder) error {
	ds := c.ds
	if err := d.loadEvents(ctx, ds); err != nil {
		return err // the claims lapse with their lease
	}
	var toRender []Delivery
	for _, dl := range ds {
		if dl.Attempts > cc.MaxAttempts {
			// Claimed too often without an outcome (crashes mid-send).
			rec.add(result{d: dl, outcome: OutcomeFailed, unsent: true,
				err: Permanent("", errors.New("gave up after the maximum number of attempts"))}, false)
			continue
		}
		toRender = append(toRender, dl)
	}
	rendered := d.renderer.Render(ctx, toRender)
	var msgs []Message
	var sendable []Delivery // the delivery of each of msgs
	for k, dl := range toRender {
		rd := rendered[k]
		switch {
		case errors.Is(rd.Err, ErrSkip):
			rec.add(result{d: dl, outcome: OutcomeCancelled}, false)
		case rd.Err != nil && ctx.Err() != nil:
			// Most likely the renderer's queries, cut short by the
			// shutdown: nothing wrong with the delivery.
			rec.add(result{d: dl, released: true}, false)
		case rd.Err != nil:
			rec.add(result{d: dl, outcome: OutcomeFailed, err: Permanent("", rd.Err), unsent: true}, false)
		default:
			msgs = append(msgs, rd.Message)
			sendable = append(sendable, dl)
		}
	}
	if len(msgs) > 0 {
		// Half the lease leaves the messages started before then time to
		// finish and be recorded before another replica may claim them.
		d.send(ctx, ch, cc, msgs, sendable, c.at.Add(cc.Lease/2), rec)
	}
	return nil
}

// send sends msgs, the messages of ds, and hands each outcome to rec as
// soon as the server answers. A message starts only with a token of the
// channel's rate limit, before until, and while this replica holds its
// replica lock; it takes its place among the recorder's unrecorded
// messages when it can first reach its recipient (reach), so that a
// message whose commands are still going back and forth holds none. Once
// ctx is done no further message starts; a message already started is
// finished, since cutting it off would risk a message that arrives but is
// recorded as unsent. Messages never started are released.
func (d *Dispatcher) send(ctx context.Context, ch Channel, cc ChannelConfig, msgs []Message, ds []Delivery, until time.Time, rec *recorder) {
	limiter := d.limiters[ch]
	starts := make([]time.Time, len(msgs))
	reserved := make([]bool, len(msgs)) // holding a place, not yet reported
	next := func(j int, wait bool) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.lockLost() {
			return errLockLost
		}
		if time.Now().After(until) {
			return errLeaseEnding
		}
		switch {
		case limiter == nil:
		case !wait:
			if !limiter.Allow() {
				return ErrWouldWait
			}
		default:
			if err := limiter.Wait(ctx); err != nil {
				return err
			}
		}
		starts[j] = time.Now()
		return nil
	}
	reach := func(j int) {
		if !reserved[j] {
			rec.reserve()
			reserved[j] = true
		}
	}
	reported := make([]bool, len(msgs))
	done := func(j int, providerID string, err error) {
		reported[j] = true
		r := result{d: ds[j], providerID: providerID, outcome: OutcomeSent}
		if err != nil {
			r.err = Classify(err)
			r.outcome = OutcomeRetry
			if r.err.Permanent || r.d.Attempts >= cc.MaxAttempts {
				r.outcome = OutcomeFailed
			}
		}
		if d.observer != nil {
			d.observer.Observe(ch, r.outcome, time.Since(starts[j]))
		}
		rec.add(r, reserved[j])
		reserved[j] = false
	}
	// The shutdown does not cut a batch short (next stops it between
	// messages); a bound as generous as one message's still applies.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(len(msgs))*sendBatchTimeout)
	defer cancel()
	sendBatch(bctx, d.senders[ch], msgs, next, reach, done)
	for j, ok := range reported {
		if reserved[j] {
			rec.unreserve()
		}
		if !ok {
			rec.add(result{d: ds[j], released: true}, false)
		}
	}
}

// backoff is exponential from BackoffBase, capped at BackoffMax, with
// equal jitter so that a burst of failures does not retry in lockstep, and
// never shorter than the provider asked for.
func (d *Dispatcher) backoff(attempt int, atLeast time.Duration) time.Duration {
	// Doubling stops at the cap: shifting a long base by the attempt
	// number would overflow into a negative delay.
	delay := d.cfg.BackoffBase
	for i := 1; i < attempt && delay < d.cfg.BackoffMax; i++ {
		delay *= 2
	}
	delay = min(delay, d.cfg.BackoffMax)
	delay = delay/2 + rand.N(delay/2+1)
	return max(delay, atLeast)
}

// deadFor is how long a replica must have been found dead before its
// claims are released (on PostgreSQL). A live replica whose replica lock's
// connection fails looks dead to the others at once, but it notices within
// two of the store's lock pings (10 s), then starts no further message and
// finishes those it started: a minute lets those finish and be recorded
// rather than sent again by another replica.
const deadFor = time.Minute

// ReleaseClaims hands back the deliveries claimed by replicas that are no
// longer running, so that they are sent again at once instead of when
// their lease ends, and returns how many. A live replica's claims stay its
// own: on PostgreSQL a replica is alive while it holds its replica lock
// (store.ReplicaAlive), and one found without it is given deadFor before
// its claims go; on SQLite, where one server owns the database, every
// claim but this process's is a leftover of one that died.
func (d *Dispatcher) ReleaseClaims(ctx context.Context) (int, error) {
	var owners []string
	rows, err := d.db.Read.QueryContext(ctx, `SELECT DISTINCT claimed_by FROM deliveries WHERE state = 'pending' AND claimed_at IS NOT NULL`)
	if err != nil {
		return 0, fmt.Errorf("notifier: release claims: %w", err)
	}
	for rows.Next() {
		var owner string
		if err := rows.Scan(&owner); err != nil {
			rows.Close()
			return 0, fmt.Errorf("notifier: release claims: %w", err)
		}
		owners = append(owners, owner)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("notifier: release claims: %w", err)
	}
	now := d.now()
	d.mu.Lock()
	seen := d.deadSince // owners not found dead this time start over
	d.deadSince = map[string]time.Time{}
	d.mu.Unlock()
	total := 0
	for _, owner := range owners {
		alive, err := d.db.ReplicaAlive(ctx, owner)
		if err != nil {
			return total, fmt.Errorf("notifier: release claims: %w", err)
		}
		if alive {
			continue
		}
		if d.db.Engine() == store.Postgres {
			since, ok := seen[owner]
			if !ok {
				since = now
			}
			d.mu.Lock()
			d.deadSince[owner] = since
			d.mu.Unlock()
			if now.Sub(since) < deadFor {
				continue
			}
		}
		var n int64
		err = d.db.BackgroundTx(ctx, func(tx *sql.Tx) error {
			stamp := store.FormatTime(now)
			res, err := tx.ExecContext(ctx, `UPDATE deliveries SET next_attempt_at = ?, claimed_at = NULL
				WHERE state = 'pending' AND claimed_at IS NOT NULL AND claimed_by = ?`, stamp, owner)
			if err != nil {
				return err
			}
			n, err = res.RowsAffected()
			return err
		})
		if err != nil {
			return total, fmt.Errorf("notifier: release claims of %s: %w", owner, err)
		}
		total += int(n)
	}
	return total, nil
}

// releaseEvery is how often a replica on PostgreSQL looks for claims of
// replicas that died, besides at start: a dead replica's claims go back
// between deadFor and deadFor plus two of these after it died. (Each
// look is one SELECT DISTINCT over the pending deliveries.)
const releaseEvery = 10 * time.Second

// Run fans out events and runs every channel's workers until ctx is done,
// then waits for them to finish what they hold and for their outcomes to
// be recorded. Several replicas may run on one PostgreSQL database: each
// claims its own deliveries, one fans out an event at a time, and a
// channel with a rate limit sends from one replica at a time. Run claims
// nothing until this replica holds its replica lock (store.HoldReplicaLock),
// which it keeps until the database is closed: a replica's claims are its
// own until then, whatever Run is doing.
func (d *Dispatcher) Run(ctx context.Context) {
	if err := d.own(ctx); err != nil {
		return // ctx ended, or the database was closed
	}
	// Before any claim is handed back: the messages the log lists
	// reached their recipients, and the log is emptied before it is
	// appended to again.
	for {
		_, err := d.RecordSentLog(ctx)
		if err == nil {
			break
		}
		d.logError("sent log", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(d.cfg.Poll):
		}
	}
	d.releaseDead(ctx)
	var log *sentLog
	if !d.noSentLog {
		var err error
		if log, err = openSentLog(d.db); err != nil {
			d.logError("sent log", err) // places are then kept until each commit, as on PostgreSQL
		} else if log != nil {
			defer log.close()
		}
	}
	rec := d.startRecorder(ctx, func(err error) { d.logError("record outcomes", err) }, log)
	var wg sync.WaitGroup
	wg.Go(func() {
		d.loop(ctx, "fan-out", d.wake, func() (bool, error) {
			rec.yield(fanOutYield)
			_, more, err := d.FanOutOnce(ctx)
			return more, err
		})
	})
	if d.db.Engine() == store.Postgres {
		wg.Go(func() {
			t := time.NewTicker(releaseEvery)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					d.releaseDead(ctx)
				}
			}
		})
	}
	for ch := range d.senders {
		workers := func(ctx context.Context) {
			var chWG sync.WaitGroup
			for range d.channel(ch).Workers {
				chWG.Go(func() { d.worker(ctx, ch, rec) })
			}
			chWG.Wait()
		}
		if d.limiters[ch] != nil && d.db.Engine() == store.Postgres {
			wg.Go(func() { d.sendAlone(ctx, ch, workers) })
		} else {
			wg.Go(func() { workers(ctx) })
		}
	}
	wg.Wait()
	_ = rec.close() // it reported its errors
}

// own takes this replica's replica lock when the dispatcher claims under
// the database's replica id (tests play other replicas under other ids),
// waiting until it is held.
func (d *Dispatcher) own(ctx context.Context) error {
	if d.replica != d.db.ReplicaID() {
		return nil
	}
	return d.db.HoldReplicaLock(ctx)
}

// errLockLost stops a batch whose replica lost its replica lock: the other
// replicas may soon take its claims over.
var errLockLost = errors.New("notifier: this replica's lock on the database was lost")

// errLeaseEnding stops a batch that has taken half its lease: the rest go
// back to the queue, for any worker of any replica.
var errLeaseEnding = errors.New("notifier: the claim's lease is ending")

// lockLost reports whether the dispatcher claims as this replica and its
// replica lock is not held at the moment.
func (d *Dispatcher) lockLost() bool {
	return d.replica == d.db.ReplicaID() && !d.db.ReplicaLockHeld()
}

// releaseDead runs ReleaseClaims and logs what it did.
func (d *Dispatcher) releaseDead(ctx context.Context) {
	if n, err := d.ReleaseClaims(ctx); err != nil && ctx.Err() == nil {
		d.logError("release claims", err)
	} else if n > 0 {
		d.log.Info("released deliveries claimed by a replica that stopped", "count", n)
	}
}

// sendAlone runs workers for as long as this replica holds ch's sender
// lock, and waits for the lock whenever another replica holds it: the
// channel's rate limit (Twilio's per sender) then holds across replicas.
// When the holder dies its lock goes with its connection, and a waiting
// replica takes over within Poll. While the lock is held elsewhere the
// waiting replica looks through a pooled connection (store.Held), opening
// a connection of its own only to take it.
func (d *Dispatcher) sendAlone(ctx context.Context, ch Channel, workers func(context.Context)) {
	name := "notifier:sender:" + string(ch)
	for ctx.Err() == nil {
		var l *store.Lock
		busy, err := d.db.Held(ctx, name)
		if err == nil && !busy {
			l, err = d.db.TryLock(ctx, name)
		}
		if err != nil && ctx.Err() == nil {
			d.logError("sender lock of "+string(ch), err)
		}
		if l == nil {
			timer := time.NewTimer(d.cfg.Poll)
			select {
			case <-ctx.Done():
			case <-timer.C:
			}
			timer.Stop()
			continue
		}
		held, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-l.Lost():
			case <-held.Done():
			}
			cancel()
		}()
		workers(held)
		cancel()
		l.Release()
	}
}

// logError logs a failure of the dispatcher's background work. While the
// database is down every worker fails every Poll: the same failure is
// logged once a minute, with the count of repeats left out.
func (d *Dispatcher) logError(what string, err error) {
	d.mu.Lock()
	last, now := d.logged[what], time.Now()
	same := last.err == err.Error()
	if same && now.Sub(last.at) < time.Minute {
		last.repeats++
		d.logged[what] = last
		d.mu.Unlock()
		return
	}
	d.logged[what] = loggedError{err: err.Error(), at: now}
	d.mu.Unlock()
	if same && last.repeats > 0 {
		d.log.Error("notifier: "+what, "err", err, "repeats", last.repeats)
		return
	}
	d.log.Error("notifier: "+what, "err", err)
}

// loggedError is the last failure logged for one kind of work.
type loggedError struct {
	err     string
	at      time.Time
	repeats int
}

// loop runs step while it finds work, then waits for a wake-up on wake or
// the poll interval.
func (d *Dispatcher) loop(ctx context.Context, name string, wake *signal, step func() (bool, error)) {
	for ctx.Err() == nil {
		wait := wake.wait()
		busy, err := step()
		if err != nil && ctx.Err() == nil {
			d.logError(name, err)
			busy = false
		}
		if busy {
			continue
		}
		timer := time.NewTimer(d.cfg.Poll)
		select {
		case <-ctx.Done():
		case <-wait:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// loadEvents attaches events to deliveries, from the cache or the table.
func (d *Dispatcher) loadEvents(ctx context.Context, ds []Delivery) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range ds {
		if ds[i].EventID == 0 {
			continue
		}
		e, ok := d.events[ds[i].EventID]
		if !ok {
			var idsJSON string
			err := d.db.Read.QueryRowContext(ctx, `SELECT id, kind, COALESCE(incident_id, ''), COALESCE(update_id, ''), COALESCE(component_id, ''),
				COALESCE(old_status, ''), COALESCE(new_status, ''), component_ids, deliver_notifications, created_at
				FROM notification_events WHERE id = ?`, ds[i].EventID).
				Scan(&e.ID, &e.Kind, &e.IncidentID, &e.UpdateID, &e.ComponentID, &e.OldStatus, &e.NewStatus, &idsJSON,
					&e.DeliverNotifications, store.Time(&e.CreatedAt))
			if err != nil {
				return fmt.Errorf("notifier: load event %d: %w", ds[i].EventID, err)
			}
			if err := decodeIDs(idsJSON, &e.ComponentIDs); err != nil {
				return err
			}
			if len(d.events) > 1000 {
				clear(d.events)
			}
			d.events[e.ID] = e
		}
		ds[i].Event = &e
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// signal wakes every waiter at once: each wait returns a channel that is
// closed by the next broadcast.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) broadcast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}

// RecordProviderStatus records a delivery report from the provider (a
// Twilio StatusCallback) for the message it knows as providerID. A message
// the carrier could not deliver fails the delivery; a dead or landline
// number (codes 30003, 30005, 30006) counts as a permanent failure, which
// quarantines the subscriber. It reports whether the message was found.
func (d *Dispatcher) RecordProviderStatus(ctx context.Context, providerID, status, code string) (bool, error) {
	found := false
	err := d.db.BackgroundTx(ctx, func(tx *sql.Tx) error {
		found = false
		var dl Delivery
		err := tx.QueryRowContext(ctx, `SELECT id, COALESCE(event_id, 0), subscriber_id, channel, purpose, attempts FROM deliveries WHERE channel = 'sms' AND provider_id = ?`, providerID).
			Scan(&dl.ID, &dl.EventID, &dl.SubscriberID, &dl.Channel, &dl.Purpose, &dl.Attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("notifier: provider status of %s: %w", providerID, err)
		}
		found = true
		stamp := store.FormatTime(d.now())
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET provider_status = ?, updated_at = ? WHERE id = ?`, truncate(status, 40), stamp, dl.ID); err != nil {
			return fmt.Errorf("notifier: provider status of %s: %w", providerID, err)
		}
		if status != "failed" && status != "undelivered" {
			return nil
		}
		se := &SendError{Code: truncate(code, 20), Err: fmt.Errorf("the carrier reported the message %s", status)}
		switch code {
		case "30003", "30005", "30006":
			se.Permanent = true
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET state = 'failed', error_code = ?, last_error = ?, updated_at = ? WHERE id = ?`,
			se.Code, se.Error(), stamp, dl.ID); err != nil {
			return fmt.Errorf("notifier: provider status of %s: %w", providerID, err)
		}
		return d.audience.FailedTx(ctx, tx, dl, se, true)
	})
	return found, err
}
