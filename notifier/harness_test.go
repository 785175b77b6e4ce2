package notifier_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/smtptest"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/chat"
	"github.com/beacon-status/beacon/notifier/email"
	"github.com/beacon-status/beacon/notifier/sms"
	"github.com/beacon-status/beacon/notifier/webhook"
	"github.com/beacon-status/beacon/subscribers"
)

// start is where the fake clock starts.
var start = time.Date(2025, time.June, 1, 12, 0, 0, 0, time.UTC)

// fixture is a migrated database with real components and subscribers
// services, a real SMTP server, webhook receiver and Twilio stand-in, and
// real senders pointed at them.
type fixture struct {
	db       *store.DB
	clock    *testutil.Clock
	outbox   *notifier.Outbox
	comps    *components.Service
	subs     *subscribers.Service
	smtp     *smtptest.Server
	hooks    *hookServer
	twilio   *twilioStandIn
	renderer *testRenderer
	senders  map[notifier.Channel]notifier.Sender
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureOn(t, testutil.OpenDB(t, migrationSets()...))
}

// migrationSets are the schema the fixture needs.
func migrationSets() []store.Migrations {
	return []store.Migrations{notifier.Migrations(), components.Migrations(), subscribers.Migrations()}
}

// newFixtureOn is newFixture on a database of the caller's.
func newFixtureOn(t testing.TB, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, clock: testutil.NewClock(start), outbox: notifier.NewOutbox(db)}
	f.comps = components.NewService(db, f.outbox, f.clock.Now, nil)
	var err error
	f.subs, err = subscribers.NewService(context.Background(), db, f.comps, f.outbox, f.clock.Now, subscribers.Config{
		SMSCountries: []string{"US"},
		ValidateURL: func(ctx context.Context, raw string) error {
			return webhook.ValidateURL(ctx, raw, true)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.renderer = &testRenderer{subs: f.subs}

	f.smtp = smtptest.Start(t)
	mailer, err := email.New(email.Config{Host: f.smtp.Host, Port: f.smtp.Port, TLS: email.TLSNone,
		From: "status@example.com", FromName: "Example Status", Pool: 2, Timeout: 10 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mailer.Close() })

	f.hooks = startHookServer(t)
	f.twilio = startTwilioStandIn(t)
	texter, err := sms.New(sms.Config{AccountSID: twilioSID, AuthToken: twilioToken, From: "+15005550006",
		APIURL: f.twilio.URL, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f.senders = map[notifier.Channel]notifier.Sender{
		notifier.Email:   mailer,
		notifier.Webhook: webhook.New(webhook.Config{AllowPrivate: true, Timeout: 10 * time.Second}),
		notifier.SMS:     texter,
		notifier.Slack:   chat.New(notifier.Slack, webhook.NewClient(webhook.Config{AllowPrivate: true, Timeout: 10 * time.Second})),
	}
	return f
}

// testConfig is a dispatcher configuration with small, explicit numbers.
func testConfig() notifier.Config {
	cc := notifier.ChannelConfig{Workers: 1, Batch: 10, MaxAttempts: 5, Lease: time.Minute}
	return notifier.Config{
		Channels:    map[notifier.Channel]notifier.ChannelConfig{notifier.Email: cc, notifier.SMS: cc, notifier.Webhook: cc},
		FanOutBatch: 100,
		BackoffBase: 10 * time.Second,
		BackoffMax:  80 * time.Second,
	}
}

// dispatcher returns a dispatcher over the fixture's senders, or over
// senders when given.
func (f *fixture) dispatcher(cfg notifier.Config, senders map[notifier.Channel]notifier.Sender) *notifier.Dispatcher {
	if senders == nil {
		senders = f.senders
	}
	return notifier.NewDispatcher(f.db, f.subs, f.renderer, senders, cfg, f.clock.Now, slog.New(slog.DiscardHandler), nil)
}

// runInBackground runs d until the test ends, then stops it and waits
// for it to finish what it holds.
func runInBackground(t *testing.T, d *notifier.Dispatcher) {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
}

// component creates an operational component.
func (f *fixture) component(t *testing.T, name string) string {
	t.Helper()
	c, err := f.comps.Create(context.Background(), components.Input{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// subscribe makes an active subscriber of mode at address, following
// componentIDs (all when none).
func (f *fixture) subscribe(t testing.TB, mode notifier.Channel, address string, componentIDs ...string) string {
	t.Helper()
	res, err := f.subs.Subscribe(context.Background(), subscribers.Signup{Mode: mode, Address: address,
		ComponentIDs: componentIDs, SkipConfirmation: true})
	if err != nil {
		t.Fatalf("subscribe %s %s: %v", mode, address, err)
	}
	if res.Subscriber.State != subscribers.Active {
		t.Fatalf("subscribe %s: got state %s, want active", address, res.Subscriber.State)
	}
	return res.Subscriber.ID
}

// emailSubscribers makes n active email subscribers and returns their ids
// and addresses, in id order.
func (f *fixture) emailSubscribers(t testing.TB, n int) (ids []string, addrs map[string]string) {
	t.Helper()
	addrs = map[string]string{}
	for i := range n {
		addr := fmt.Sprintf("user%03d@example.com", i)
		id := f.subscribe(t, notifier.Email, addr)
		ids = append(ids, id)
		addrs[id] = addr
	}
	slices.Sort(ids)
	return ids, addrs
}

// addEvent writes e to the outbox in its own transaction and returns its
// id.
func (f *fixture) addEvent(t testing.TB, e notifier.Event) int64 {
	t.Helper()
	ctx := context.Background()
	if e.CreatedAt.IsZero() {
		e.CreatedAt = f.clock.Now()
	}
	var id int64
	err := f.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := f.outbox.AddTx(ctx, tx, e); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT MAX(id) FROM notification_events`).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// incidentEvent is an incident event that notifies.
func incidentEvent(kind notifier.EventKind, incidentID string, componentIDs ...string) notifier.Event {
	return notifier.Event{Kind: kind, IncidentID: incidentID, UpdateID: incidentID + "-u", ComponentIDs: componentIDs,
		DeliverNotifications: true}
}

// fanOutAll runs FanOutOnce until it reports no more work and returns the
// deliveries created.
func fanOutAll(t *testing.T, d *notifier.Dispatcher) int {
	t.Helper()
	total := 0
	for range 10000 {
		n, more, err := d.FanOutOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		total += n
		if !more {
			return total
		}
	}
	t.Fatal("fan-out never finished")
	return 0
}

// runOnce runs one worker step and fails the test on error.
func runOnce(t *testing.T, d *notifier.Dispatcher, ch notifier.Channel) int {
	t.Helper()
	n, err := d.RunOnce(context.Background(), ch)
	if err != nil {
		t.Fatalf("RunOnce(%s): %v", ch, err)
	}
	return n
}

// runUntilIdle runs worker steps on ch until one claims nothing.
func runUntilIdle(t *testing.T, d *notifier.Dispatcher, ch notifier.Channel) int {
	t.Helper()
	total := 0
	for range 1000 {
		n := runOnce(t, d, ch)
		if n == 0 {
			return total
		}
		total += n
	}
	t.Fatal("workers never ran out of work")
	return 0
}

// deliveryRow is one row of the deliveries table.
type deliveryRow struct {
	ID             int64
	EventID        int64
	SubscriberID   string
	Channel        notifier.Channel
	Purpose        string
	State          string
	Attempts       int
	NextAttemptAt  time.Time
	ClaimedAt      *time.Time
	ProviderID     string
	ProviderStatus string
	ErrorCode      string
	LastError      string
	SentAt         *time.Time
}

// deliveries returns the deliveries matching the SQL condition where.
func (f *fixture) deliveries(t *testing.T, where string, args ...any) []deliveryRow {
	t.Helper()
	q := `SELECT id, COALESCE(event_id, 0), subscriber_id, channel, purpose, state, attempts, next_attempt_at, claimed_at,
		COALESCE(provider_id, ''), COALESCE(provider_status, ''), error_code, last_error, sent_at FROM deliveries`
	if where != "" {
		q += ` WHERE ` + where
	}
	q += ` ORDER BY id`
	rows, err := f.db.Read.QueryContext(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []deliveryRow
	for rows.Next() {
		var r deliveryRow
		if err := rows.Scan(&r.ID, &r.EventID, &r.SubscriberID, &r.Channel, &r.Purpose, &r.State, &r.Attempts,
			store.Time(&r.NextAttemptAt), store.OptTime(&r.ClaimedAt), &r.ProviderID, &r.ProviderStatus,
			&r.ErrorCode, &r.LastError, store.OptTime(&r.SentAt)); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// only returns the single delivery matching where.
func (f *fixture) only(t *testing.T, where string, args ...any) deliveryRow {
	t.Helper()
	ds := f.deliveries(t, where, args...)
	if len(ds) != 1 {
		t.Fatalf("got %d deliveries where %s %v, want 1: %+v", len(ds), where, args, ds)
	}
	return ds[0]
}

// states counts deliveries by state.
func (f *fixture) states(t *testing.T) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, d := range f.deliveries(t, "") {
		out[d.State]++
	}
	return out
}

// state returns a subscriber's state.
func (f *fixture) state(t *testing.T, id string) subscribers.State {
	t.Helper()
	s, err := f.subs.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s.State
}

// testRenderer is the message formatter for these tests: one message per
// delivery, addressed from the subscriber's record, with a subject naming
// the event and the subscriber. It skips subscribers who are not active,
// as Beacon's own renderer does.
type testRenderer struct {
	subs *subscribers.Service
	// fail, when set, makes Render fail the deliveries it returns an error
	// for.
	fail func(d notifier.Delivery) error
}

func (r *testRenderer) Render(ctx context.Context, ds []notifier.Delivery) []notifier.Rendered {
	out := make([]notifier.Rendered, len(ds))
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.SubscriberID
	}
	subs, err := r.subs.GetMany(ctx, ids)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	for i, d := range ds {
		if r.fail != nil {
			if err := r.fail(d); err != nil {
				out[i].Err = err
				continue
			}
		}
		// Events go to active subscribers, confirmations to those who
		// have not confirmed yet.
		want := subscribers.Active
		subject := subjectFor(d.EventID, d.SubscriberID)
		if d.Purpose == notifier.PurposeConfirm {
			want = subscribers.Unconfirmed
			subject = "confirm " + d.SubscriberID + " " + d.Data
		}
		sub, ok := subs[d.SubscriberID]
		if !ok || sub.State != want {
			out[i].Err = notifier.ErrSkip
			continue
		}
		switch d.Channel {
		case notifier.Email:
			out[i].Message = notifier.Message{To: sub.Address, Subject: subject, Text: subject + "\n", HTML: "<p>" + subject + "</p>"}
		case notifier.SMS:
			out[i].Message = notifier.Message{To: sub.Address, Text: subject}
		case notifier.Webhook:
			body, _ := json.Marshal(map[string]any{"subject": subject, "subscriber_id": d.SubscriberID})
			out[i].Message = notifier.Message{To: sub.Address, Body: body, Secret: sub.Secret}
		}
	}
	return out
}

func subjectFor(eventID int64, subscriberID string) string {
	return fmt.Sprintf("event %d for %s", eventID, subscriberID)
}

// subjectPattern finds subjectFor's text in a received message.
var subjectPattern = regexp.MustCompile(`Subject: event (\d+) for ([0-9a-z]+)`)

// hookServer is a webhook receiver on loopback that records each request
// and answers 2xx, or the statuses it was told to answer next.
type hookServer struct {
	URL string

	mu       sync.Mutex
	requests []hookRequest
	next     []hookReply
	down     map[string]int // path: status answered to every request
	// onRequest, when set, is called (without mu held) after each request
	// is answered.
	onRequest func()
}

type hookRequest struct {
	Path      string
	Body      []byte
	Timestamp string
	Signature string
}

type hookReply struct {
	status     int
	retryAfter string
}

func startHookServer(t testing.TB) *hookServer {
	t.Helper()
	h := &hookServer{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.requests = append(h.requests, hookRequest{Path: r.URL.Path, Body: body,
			Timestamp: r.Header.Get(webhook.TimestampHeader), Signature: r.Header.Get(webhook.SignatureHeader)})
		reply := hookReply{status: http.StatusNoContent}
		switch {
		case h.down[r.URL.Path] != 0:
			reply.status = h.down[r.URL.Path]
		case len(h.next) > 0:
			reply = h.next[0]
			h.next = h.next[1:]
		}
		hook := h.onRequest
		h.mu.Unlock()
		if reply.retryAfter != "" {
			w.Header().Set("Retry-After", reply.retryAfter)
		}
		w.WriteHeader(reply.status)
		if hook != nil {
			hook()
		}
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// failNext answers status to the next n requests.
func (h *hookServer) failNext(n, status int, retryAfter string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for range n {
		h.next = append(h.next, hookReply{status: status, retryAfter: retryAfter})
	}
}

// failAlways answers status to every request to path from now on.
func (h *hookServer) failAlways(path string, status int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down == nil {
		h.down = map[string]int{}
	}
	h.down[path] = status
}

func (h *hookServer) received() []hookRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookRequest(nil), h.requests...)
}

const (
	twilioSID   = "AC0123456789abcdef0123456789abcdef"
	twilioToken = "f00dfeedf00dfeedf00dfeedf00dfeed"
)

// twilioStandIn speaks the Messages API's wire format: a form-encoded POST
// with Basic auth answered by 201 and a JSON message with a fresh SID.
type twilioStandIn struct {
	URL string

	mu     sync.Mutex
	sent   []twilioMessage
	faults []twilioFault // answers to the next requests
}

// twilioFault is a Twilio error answer.
type twilioFault struct {
	status, code int
	retryAfter   string
}

type twilioMessage struct {
	SID, To, Body string
}

var twilioPath = regexp.MustCompile(`^/2010-04-01/Accounts/(AC[0-9a-f]{32})/Messages\.json$`)

func startTwilioStandIn(t testing.TB) *twilioStandIn {
	t.Helper()
	s := &twilioStandIn{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		if r.Method != http.MethodPost || !twilioPath.MatchString(r.URL.Path) || !ok || user != twilioSID || pass != twilioToken {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"code": 20003, "message": "Authenticate", "status": 401}`)
			return
		}
		if err := r.ParseForm(); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		if len(s.faults) > 0 {
			fault := s.faults[0]
			s.faults = s.faults[1:]
			s.mu.Unlock()
			if fault.retryAfter != "" {
				w.Header().Set("Retry-After", fault.retryAfter)
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(fault.status)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": fault.code, "message": "test error",
				"more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", fault.code), "status": fault.status})
			return
		}
		sid := fmt.Sprintf("SM%032x", len(s.sent)+1)
		s.sent = append(s.sent, twilioMessage{SID: sid, To: r.PostForm.Get("To"), Body: r.PostForm.Get("Body")})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{
			"account_sid": twilioSID, "api_version": "2010-04-01", "body": r.PostForm.Get("Body"),
			"direction": "outbound-api", "from": r.PostForm.Get("From"), "to": r.PostForm.Get("To"),
			"num_segments": "1", "sid": sid, "status": "queued",
			"uri": "/2010-04-01/Accounts/" + twilioSID + "/Messages/" + sid + ".json",
		})
	}))
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	return s
}

// failNext answers the next request with a Twilio error.
func (s *twilioStandIn) failNext(status, code int, retryAfter string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, twilioFault{status: status, code: code, retryAfter: retryAfter})
}

func (s *twilioStandIn) messages() []twilioMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]twilioMessage(nil), s.sent...)
}

// senderFunc adapts a function to notifier.Sender, to wrap a real sender
// with test plumbing.
type senderFunc func(ctx context.Context, m notifier.Message) (string, error)

func (f senderFunc) Send(ctx context.Context, m notifier.Message) (string, error) { return f(ctx, m) }

// withSender returns the fixture's senders with ch replaced by s.
func (f *fixture) withSender(ch notifier.Channel, s notifier.Sender) map[notifier.Channel]notifier.Sender {
	out := map[notifier.Channel]notifier.Sender{}
	for k, v := range f.senders {
		out[k] = v
	}
	out[ch] = s
	return out
}
