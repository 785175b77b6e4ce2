package email

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/smtptest"
	"github.com/beacon-status/beacon/notifier"
)

// outcome is what SendBatch reported for one message.
type outcome struct {
	id  string
	err error
}

// batchRun records one SendBatch: every call of next, reach and done, in
// order.
type batchRun struct {
	calls    []string        // "next 3", "wait 3", "reach 3", "done 2"
	outcomes map[int]outcome // by index
	reached  map[int]bool    // reach was called
	reaches  atomic.Int64    // calls of reach, for the server's goroutines
}

// sendBatch runs SendBatch over ms with next answering gate(i, wait).
func sendBatch(t *testing.T, ctx context.Context, s *Sender, ms []notifier.Message, gate func(i int, wait bool) error) *batchRun {
	t.Helper()
	return newBatchRun().send(t, ctx, s, ms, gate)
}

func newBatchRun() *batchRun {
	return &batchRun{outcomes: map[int]outcome{}, reached: map[int]bool{}}
}

// reachFirst makes srv check, as each message arrives, that run's sender
// called reach for it before: the n-th message arrives after n reaches.
func (run *batchRun) reachFirst(t *testing.T, srv *smtptest.Server) {
	srv.OnReceive(func(n int) {
		if r := run.reaches.Load(); r < int64(n) {
			t.Errorf("message %d arrived after %d calls of reach", n, r)
		}
	})
}

// send runs SendBatch over ms with next answering gate(i, wait).
func (run *batchRun) send(t *testing.T, ctx context.Context, s *Sender, ms []notifier.Message, gate func(i int, wait bool) error) *batchRun {
	t.Helper()
	next := func(i int, wait bool) error {
		verb := "next"
		if wait {
			verb = "wait"
		}
		run.calls = append(run.calls, fmt.Sprintf("%s %d", verb, i))
		if gate == nil {
			return nil
		}
		return gate(i, wait)
	}
	reach := func(i int) {
		run.calls = append(run.calls, fmt.Sprintf("reach %d", i))
		if r := run.reached[i]; r {
			t.Errorf("message %d reached twice", i)
		}
		run.reached[i] = true
		run.reaches.Add(1)
	}
	done := func(i int, id string, err error) {
		run.calls = append(run.calls, fmt.Sprintf("done %d", i))
		if !run.reached[i] && err == nil {
			t.Errorf("message %d reported sent without reach", i)
		}
		if _, ok := run.outcomes[i]; ok {
			t.Errorf("message %d reported twice", i)
		}
		run.outcomes[i] = outcome{id, err}
	}
	s.SendBatch(ctx, ms, next, reach, done)
	return run
}

// messages returns n test messages to distinct recipients.
func messages(n int) []notifier.Message {
	ms := make([]notifier.Message, n)
	for i := range ms {
		ms[i] = testMessage(i)
		ms[i].To = fmt.Sprintf("user%d@example.org", i)
	}
	return ms
}

// checkSent asserts that the messages at indexes want were reported sent
// with their own Message-ID and arrived at srv, in order, once each.
func checkSent(t *testing.T, run *batchRun, ms []notifier.Message, srv *smtptest.Server, want ...int) {
	t.Helper()
	got := srv.Received(0)
	if len(got) != len(want) {
		t.Fatalf("server got %d messages, want %d", len(got), len(want))
	}
	for k, i := range want {
		o, ok := run.outcomes[i]
		if !ok || o.err != nil {
			t.Errorf("message %d: got %+v, want reported sent", i, o)
			continue
		}
		if o.id != ms[i].Headers["Message-ID"] {
			t.Errorf("message %d: got id %q, want %q", i, o.id, ms[i].Headers["Message-ID"])
		}
		if len(got[k].To) != 1 || got[k].To[0] != ms[i].To {
			t.Errorf("server's message %d went to %v, want %s", k, got[k].To, ms[i].To)
		}
		if !bytes.Contains(got[k].Data, []byte("Message-ID: "+ms[i].Headers["Message-ID"])) {
			t.Errorf("server's message %d does not carry message %d's Message-ID", k, i)
		}
	}
}

// failedWith asserts message i was reported failed, permanently or not,
// with the server's code.
func failedWith(t *testing.T, run *batchRun, i int, permanent bool, code string) {
	t.Helper()
	o, ok := run.outcomes[i]
	if !ok || o.err == nil {
		t.Fatalf("message %d: got %+v, want a failure", i, o)
	}
	se := asSendError(t, o.err)
	if se.Permanent != permanent || se.Code != code {
		t.Errorf("message %d: got Permanent %v Code %q, want %v %q (%v)", i, se.Permanent, se.Code, permanent, code, o.err)
	}
}

func TestSendBatchDeliversInOrderOverOneConnection(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 1 })
	ms := messages(30)

	run := newBatchRun()
	run.reachFirst(t, srv)
	run.send(t, t.Context(), s, ms, nil)
	srv.OnReceive(nil)
	checkSent(t, run, ms, srv, seq(0, 30)...)
	if n := srv.Connections(); n != 1 {
		t.Errorf("got %d connections, want 1", n)
	}
	// next(i) always precedes done(i); with pipelining, reach(i), just
	// before message i's final dot, and done(i) follow next(i+1), whose
	// commands shared its round trip: message i holds no place among the
	// unrecorded while its own commands go back and forth.
	want := []string{"next 0", "next 1", "reach 0", "done 0"}
	for i := 2; i < 30; i++ {
		want = append(want, fmt.Sprintf("next %d", i), fmt.Sprintf("reach %d", i-1), fmt.Sprintf("done %d", i-1))
	}
	want = append(want, "reach 29", "done 29")
	if got := strings.Join(run.calls, ", "); got != strings.Join(want, ", ") {
		t.Errorf("got calls\n%s\nwant\n%s", got, strings.Join(want, ", "))
	}

	// The connection is left ready for Send and for the next batch.
	if _, err := s.Send(t.Context(), testMessage(99)); err != nil {
		t.Fatal(err)
	}
	run = sendBatch(t, t.Context(), s, ms[:3], nil)
	if len(run.outcomes) != 3 || srv.Count() != 34 || srv.Connections() != 1 {
		t.Errorf("after the batch: got %d outcomes, %d messages, %d connections; want 3, 34, 1",
			len(run.outcomes), srv.Count(), srv.Connections())
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// A server that answers a message's final dot only once the next
// message's MAIL has arrived (or 300 ms have passed) proves that the two
// travel together: a client that waited for the reply first would leave
// every message but the last unchained.
func TestSendBatchPipelinesAcrossMessages(t *testing.T) {
	srv := startChainServer(t)
	s := testSender(t, &smtptest.Server{Host: srv.Host, Port: srv.Port}, func(c *Config) { c.Pool = 1 })

	run := sendBatch(t, t.Context(), s, messages(10), nil)
	for i := range 10 {
		if o := run.outcomes[i]; o.err != nil {
			t.Errorf("message %d: %v", i, o.err)
		}
	}
	chained, alone := srv.counts()
	if chained != 9 || alone != 1 {
		t.Errorf("got %d messages whose dot came with the next MAIL and %d alone, want 9 and 1 (the last)", chained, alone)
	}
}

func TestSendBatchRefusals(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 1 })
	srv.PassNext(1)
	srv.FailNext(1, "rcpt", 550) // 1: unknown user
	srv.PassNext(1)
	srv.FailNext(1, "data", 451) // 3: refused after its content
	srv.FailNext(1, "mail", 451) // 4: refused at MAIL
	srv.PassNext(1)
	srv.FailNext(1, "data", 554) // 6: the batch's last message
	ms := messages(7)

	run := sendBatch(t, t.Context(), s, ms, nil)
	checkSent(t, run, ms, srv, 0, 2, 5)
	failedWith(t, run, 1, true, "550")
	failedWith(t, run, 3, false, "451")
	failedWith(t, run, 4, false, "451")
	failedWith(t, run, 6, true, "554")
	if n := srv.Connections(); n != 1 {
		t.Errorf("got %d connections, want 1: refusals should not cost the connection", n)
	}
	for i, o := range run.outcomes {
		if o.err != nil && strings.Contains(o.err.Error(), ms[i].To) {
			t.Errorf("error %q names the full recipient address", o.err)
		}
	}
}

// A server that opens DATA although it refused the recipient (RFC 2920
// 3.1) gets an empty message, which it refuses; the batch carries on over
// the same connection.
func TestSendBatchDataOpenedAfterRefusal(t *testing.T) {
	srv := &laxServer{}
	srv.Host, srv.Port = listenLoopback(t, srv.serve)
	s := testSender(t, &smtptest.Server{Host: srv.Host, Port: srv.Port}, func(c *Config) { c.Pool = 1 })
	ms := messages(3)
	ms[1].To = "refused@example.org"

	run := sendBatch(t, t.Context(), s, ms, nil)
	failedWith(t, run, 1, true, "550")
	for _, i := range []int{0, 2} {
		if o := run.outcomes[i]; o.err != nil {
			t.Errorf("message %d: %v", i, o.err)
		}
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.conns != 1 || srv.delivered != 2 || srv.empty != 1 {
		t.Errorf("got %d connections, %d messages and %d empty ones, want 1, 2 and 1", srv.conns, srv.delivered, srv.empty)
	}
}

// laxServer offers PIPELINING, refuses recipients named "refused@…" and
// answers DATA with 354 whatever happened before.
type laxServer struct {
	Host string
	Port int

	mu                      sync.Mutex
	conns, delivered, empty int
}

func (l *laxServer) serve(c net.Conn) {
	defer c.Close()
	l.mu.Lock()
	l.conns++
	l.mu.Unlock()
	text := textproto.NewConn(c)
	_ = text.PrintfLine("220 localhost ready")
	rcpts := 0
	for {
		line, err := text.ReadLine()
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
		reply := "250 ok"
		switch verb {
		case "EHLO":
			reply = "250-localhost\r\n250 PIPELINING"
		case "RCPT":
			if strings.Contains(line, "refused@") {
				reply = "550 5.1.1 no such user"
			} else {
				rcpts++
			}
		case "DATA":
			_ = text.PrintfLine("354 go ahead")
			data, err := text.ReadDotBytes()
			if err != nil {
				return
			}
			l.mu.Lock()
			if rcpts == 0 && len(data) == 0 {
				l.empty++
				reply = "554 5.5.1 no valid recipients"
			} else {
				l.delivered++
			}
			l.mu.Unlock()
			rcpts = 0
		case "RSET":
			rcpts = 0
		case "QUIT":
			_ = text.PrintfLine("221 bye")
			return
		}
		if err := text.PrintfLine("%s", reply); err != nil {
			return
		}
	}
}

// Without PIPELINING each message goes as Send sends it, one command at a
// time: a refused DATA command is reset and the connection carries on.
func TestSendBatchNoPipelining(t *testing.T) {
	srv := startDataRefuser(t, 1) // offers no extensions at all
	s := testSender(t, &smtptest.Server{Host: srv.Host, Port: srv.Port}, func(c *Config) { c.Pool = 1 })

	run := sendBatch(t, t.Context(), s, messages(4), nil)
	failedWith(t, run, 0, true, "554")
	for i := 1; i < 4; i++ {
		if o := run.outcomes[i]; o.err != nil {
			t.Errorf("message %d: %v", i, o.err)
		}
	}
	if conns, delivered := srv.counts(); conns != 1 || delivered != 3 {
		t.Errorf("got %d connections and %d messages, want 1 and 3", conns, delivered)
	}
}

func TestSendBatchRedialsAfterDrop(t *testing.T) {
	tests := []struct {
		name      string
		drops     int
		wantConns int
		wantSent  []int
	}{
		// Message 2's connection is cut mid-DATA: it is sent again on a
		// new connection, and the batch carries on there.
		{"once", 1, 2, []int{0, 1, 2, 3, 4}},
		// Cut again on the new connection: message 2 fails for now, and
		// the batch carries on over a third connection.
		{"twice", 2, 3, []int{0, 1, 3, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			logs := &syncBuffer{}
			s := testSenderLog(t, srv, slog.New(slog.NewTextHandler(logs, nil)), defaultMaxIdle, func(c *Config) { c.Pool = 1 })
			srv.PassNext(2)
			srv.DropNext(tt.drops)
			ms := messages(5)

			run := sendBatch(t, t.Context(), s, ms, nil)
			checkSent(t, run, ms, srv, tt.wantSent...)
			if tt.drops == 2 {
				failedWith(t, run, 2, false, "")
			}
			if n := srv.Connections(); n != tt.wantConns {
				t.Errorf("got %d connections, want %d", n, tt.wantConns)
			}
			if out := logs.String(); !strings.Contains(out, "redialling") || !strings.Contains(out, "u***@example.org") {
				t.Errorf("got logs %q, want a redial warning naming u***@example.org", out)
			}
		})
	}
}

// A connection cut under the batch's last message, or a 421 ("closing
// the channel") in the middle of a batch, costs the message one more try
// on a fresh connection; the batch carries on there.
func TestSendBatchConnectionLostMidBatch(t *testing.T) {
	tests := []struct {
		name string
		plan func(srv *smtptest.Server) // for messages 0 to 2
	}{
		{"cut under the last message", func(srv *smtptest.Server) { srv.PassNext(2); srv.DropNext(1) }},
		{"421 to RCPT", func(srv *smtptest.Server) { srv.PassNext(1); srv.FailNext(1, "rcpt", 421) }},
		{"421 after the content", func(srv *smtptest.Server) { srv.PassNext(1); srv.FailNext(1, "data", 421) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			s := testSender(t, srv, func(c *Config) { c.Pool = 1 })
			tt.plan(srv)
			ms := messages(3)

			run := sendBatch(t, t.Context(), s, ms, nil)
			checkSent(t, run, ms, srv, 0, 1, 2)
			if n := srv.Connections(); n != 2 {
				t.Errorf("got %d connections, want 2", n)
			}
		})
	}
}

// A connection that fails while it is being set up is dialled once more,
// as Send does.
func TestSendBatchRedialsFailedConnect(t *testing.T) {
	srv := smtptest.Start(t)
	front := startHangUpFirst(t, srv)
	s := testSender(t, &smtptest.Server{Host: front.Host, Port: front.Port}, func(c *Config) { c.Pool = 1 })
	ms := messages(2)

	run := sendBatch(t, t.Context(), s, ms, nil)
	checkSent(t, run, ms, srv, 0, 1)
	if n := front.accepted.Load(); n != 2 {
		t.Errorf("got %d connections, want 2 (the first hung up before the greeting)", n)
	}
}

// hangUpFirst listens on loopback, hangs up on the first connection at
// once and relays the others to a server.
type hangUpFirst struct {
	Host     string
	Port     int
	accepted atomic.Int32
}

func startHangUpFirst(t *testing.T, to *smtptest.Server) *hangUpFirst {
	t.Helper()
	h := &hangUpFirst{}
	h.Host, h.Port = listenLoopback(t, func(c net.Conn) {
		defer c.Close()
		if h.accepted.Add(1) == 1 {
			return
		}
		up, err := net.Dial("tcp", net.JoinHostPort(to.Host, strconv.Itoa(to.Port)))
		if err != nil {
			return
		}
		defer up.Close()
		go func() {
			_, _ = io.Copy(up, c)
			up.Close()
		}()
		_, _ = io.Copy(c, up)
	})
	return h
}

// A message that must wait (a rate limit) never holds the previous one's
// final dot: the previous message is finished and reported before next
// is asked to wait.
func TestSendBatchWaitsWithNothingOnTheWire(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 1 })
	ms := messages(3)

	run := sendBatch(t, t.Context(), s, ms, func(i int, wait bool) error {
		if i > 0 && !wait {
			return notifier.ErrWouldWait
		}
		return nil
	})
	checkSent(t, run, ms, srv, 0, 1, 2)
	want := "next 0, next 1, reach 0, done 0, wait 1, next 2, reach 1, done 1, wait 2, reach 2, done 2"
	if got := strings.Join(run.calls, ", "); got != want {
		t.Errorf("got calls\n%s\nwant\n%s", got, want)
	}
}

// When next stops the batch, what is on the wire is finished and nothing
// after is sent or reported; the connection carries on.
func TestSendBatchStops(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 1 })
	ms := messages(6)
	stop := errors.New("stop")

	run := sendBatch(t, t.Context(), s, ms, func(i int, _ bool) error {
		if i == 3 {
			return stop
		}
		return nil
	})
	checkSent(t, run, ms, srv, 0, 1, 2)
	if len(run.outcomes) != 3 {
		t.Errorf("got %d outcomes, want 3", len(run.outcomes))
	}
	if _, err := s.Send(t.Context(), ms[5]); err != nil || srv.Connections() != 1 {
		t.Errorf("next message: %v over %d connections, want sent over the same one", err, srv.Connections())
	}
}

// A message that cannot be composed fails alone.
func TestSendBatchUnsendableMessage(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 1 })
	ms := messages(4)
	ms[1].To = "not an address"
	ms[2].Headers = map[string]string{"Subject": "twice"}

	run := sendBatch(t, t.Context(), s, ms, nil)
	checkSent(t, run, ms, srv, 0, 3)
	failedWith(t, run, 1, true, "")
	failedWith(t, run, 2, true, "")
}

// A context that ends mid-batch aborts the message held by a stalled
// server at once; what next still lets go fails with the context's error.
func TestSendBatchContextCanceled(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 1; c.Timeout = time.Minute })
	srv.PassNext(2)
	srv.StallNext() // message 2
	ms := messages(6)

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	run := sendBatch(t, ctx, s, ms, func(int, bool) error { return ctx.Err() })
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("SendBatch took %s after its context ended, want it to stop at once", took)
	}
	checkSent(t, run, ms, srv, 0, 1)
	for _, i := range []int{2, 3} {
		o := run.outcomes[i]
		if !errors.Is(o.err, context.DeadlineExceeded) || asSendError(t, o.err).Permanent {
			t.Errorf("message %d: got %v, want a temporary failure for the context's deadline", i, o.err)
		}
	}
	if len(run.outcomes) != 4 {
		t.Errorf("got %d outcomes, want 4 (none after next refused)", len(run.outcomes))
	}
	if n := srv.Connections(); n != 1 {
		t.Errorf("got %d connections, want 1 (no retry after the context ended)", n)
	}
}

func TestSendBatchServerDown(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	srv.StopListening()

	run := sendBatch(t, t.Context(), s, messages(3), nil)
	for i := range 3 {
		failedWith(t, run, i, false, "")
	}
}

func TestSendBatchAfterClose(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	s.Close()

	run := sendBatch(t, t.Context(), s, messages(2), nil)
	for i := range 2 {
		if o := run.outcomes[i]; !errors.Is(o.err, ErrClosed) {
			t.Errorf("message %d: got %v, want ErrClosed", i, o.err)
		}
	}
}

// chainServer is a minimal SMTP server offering PIPELINING that, after a
// message's final dot, waits up to 300 ms for the next command before
// answering, and counts whether it came.
type chainServer struct {
	Host string
	Port int

	mu             sync.Mutex
	chained, alone int
}

func startChainServer(t *testing.T) *chainServer {
	t.Helper()
	s := &chainServer{}
	s.Host, s.Port = listenLoopback(t, s.serve)
	return s
}

func (s *chainServer) serve(c net.Conn) {
	defer c.Close()
	text := textproto.NewConn(c)
	_ = text.PrintfLine("220 localhost ready")
	var pending string // a line read while waiting after a dot
	for {
		line := pending
		pending = ""
		if line == "" {
			var err error
			if line, err = text.ReadLine(); err != nil {
				return
			}
		}
		verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
		switch verb {
		case "EHLO":
			_ = text.PrintfLine("250-localhost\r\n250 PIPELINING")
		case "DATA":
			_ = text.PrintfLine("354 go ahead")
			if _, err := text.ReadDotBytes(); err != nil {
				return
			}
			_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			next, err := text.ReadLine()
			_ = c.SetReadDeadline(time.Time{})
			s.mu.Lock()
			if err == nil {
				s.chained++
				pending = next
			} else {
				s.alone++
			}
			s.mu.Unlock()
			var ne net.Error
			if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
				return
			}
			_ = text.PrintfLine("250 ok")
		case "QUIT":
			_ = text.PrintfLine("221 bye")
			return
		default:
			_ = text.PrintfLine("250 ok")
		}
	}
}

func (s *chainServer) counts() (chained, alone int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chained, s.alone
}
