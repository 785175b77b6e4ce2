package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	netmail "net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/smtptest"
	"github.com/beacon-status/beacon/notifier"
)

const (
	testFrom     = "status@example.com"
	testFromName = "Example Status"
	testTo       = "john.doe@example.org"
)

// testSender returns a Sender for srv, closed when the test ends; adjust
// the config with mod.
func testSender(t testing.TB, srv *smtptest.Server, mod func(*Config)) *Sender {
	t.Helper()
	return testSenderLog(t, srv, nil, defaultMaxIdle, mod)
}

func testSenderLog(t testing.TB, srv *smtptest.Server, log *slog.Logger, maxIdle time.Duration, mod func(*Config)) *Sender {
	t.Helper()
	cfg := Config{
		Host:     srv.Host,
		Port:     srv.Port,
		TLS:      TLSNone,
		From:     testFrom,
		FromName: testFromName,
		Pool:     2,
		Timeout:  5 * time.Second,
	}
	switch {
	case srv.Opts.ImplicitTLS:
		cfg.TLS = TLSImplicit
	case srv.Opts.StartTLS:
		cfg.TLS = TLSStartTLS
	}
	if mod != nil {
		mod(&cfg)
	}
	var clientTLS *tls.Config
	if srv.TLS != nil {
		clientTLS = srv.ClientTLS()
	}
	s, err := newSender(cfg, log, clientTLS, maxIdle)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testMessage is a message with every header Beacon sets.
func testMessage(n int) notifier.Message {
	return notifier.Message{
		To:      testTo,
		Subject: fmt.Sprintf("[Example] Database outage — update %d", n),
		Text:    "We are investigating.\nhttps://status.example.com/incidents/1",
		HTML:    "<p>We are <b>investigating</b>.</p>",
		Headers: map[string]string{
			"Message-ID":            fmt.Sprintf("<incident-1-update-%d@status.example.com>", n),
			"In-Reply-To":           "<incident-1@status.example.com>",
			"References":            "<incident-1@status.example.com>",
			"List-Unsubscribe":      "<https://status.example.com/unsubscribe?t=abc>, <mailto:unsubscribe@example.com?subject=t-abc>",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		},
	}
}

// sendError asserts err is a *notifier.SendError and returns it.
func asSendError(t *testing.T, err error) *notifier.SendError {
	t.Helper()
	var se *notifier.SendError
	if !errors.As(err, &se) {
		t.Fatalf("got error %v (%T), want a *notifier.SendError", err, err)
	}
	return se
}

func TestSendDeliversMultipartMessage(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	m := testMessage(1)

	id, err := s.Send(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if want := m.Headers["Message-ID"]; id != want {
		t.Errorf("got id %q, want %q", id, want)
	}

	got := srv.Received(0)
	if len(got) != 1 {
		t.Fatalf("got %d messages, want 1", len(got))
	}
	if got[0].From != testFrom {
		t.Errorf("got envelope from %q, want %q", got[0].From, testFrom)
	}
	if len(got[0].To) != 1 || got[0].To[0] != testTo {
		t.Errorf("got envelope to %q, want [%s]", got[0].To, testTo)
	}

	msg, err := netmail.ReadMessage(bytes.NewReader(got[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	from, err := msg.Header.AddressList("From")
	if err != nil || len(from) != 1 {
		t.Fatalf("From %q: %v", msg.Header.Get("From"), err)
	}
	if from[0].Name != testFromName || from[0].Address != testFrom {
		t.Errorf("got From %q <%s>, want %q <%s>", from[0].Name, from[0].Address, testFromName, testFrom)
	}
	if got := msg.Header.Get("To"); got != "<"+testTo+">" && got != testTo {
		t.Errorf("got To %q, want %s", got, testTo)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("got Subject %q (%v), want %q", subject, err, m.Subject)
	}
	for key, want := range m.Headers {
		if got := msg.Header[textproto.CanonicalMIMEHeaderKey(key)]; len(got) != 1 || got[0] != want {
			t.Errorf("got %s %q, want exactly [%q]", key, got, want)
		}
	}

	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("got Content-Type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(p) // multipart decodes quoted-printable
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		parts[ct] = strings.ReplaceAll(string(body), "\r\n", "\n")
	}
	if len(parts) != 2 {
		t.Errorf("got parts %q, want text/plain and text/html", parts)
	}
	if got := parts["text/plain"]; got != m.Text {
		t.Errorf("got text part %q, want %q", got, m.Text)
	}
	if got := parts["text/html"]; got != m.HTML {
		t.Errorf("got html part %q, want %q", got, m.HTML)
	}
}

func TestSendTextOnly(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	m := testMessage(1)
	m.HTML = ""

	if _, err := s.Send(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(srv.Received(0)[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if ct, _, _ := mime.ParseMediaType(msg.Header.Get("Content-Type")); ct != "text/plain" {
		t.Errorf("got Content-Type %q, want text/plain", msg.Header.Get("Content-Type"))
	}
}

func TestSendGeneratesMessageID(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	m := testMessage(1)
	m.Headers = nil

	idPattern := regexp.MustCompile(`^<[a-z2-7]{26}@example\.com>$`)
	var ids []string
	for range 2 {
		id, err := s.Send(t.Context(), m)
		if err != nil {
			t.Fatal(err)
		}
		if !idPattern.MatchString(id) {
			t.Errorf("got Message-ID %q, want <random@example.com>", id)
		}
		ids = append(ids, id)
	}
	if ids[0] == ids[1] {
		t.Errorf("got the same Message-ID %q twice", ids[0])
	}
	for i, r := range srv.Received(0) {
		msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
		if err != nil {
			t.Fatal(err)
		}
		if got := msg.Header["Message-Id"]; len(got) != 1 || got[0] != ids[i] {
			t.Errorf("message %d: got Message-ID %q, want [%q]", i, got, ids[i])
		}
	}
}

func TestSendHeaderNamesAnyCase(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	m := testMessage(1)
	m.Headers = map[string]string{"message-id": "<lower@example.com>", "X-Beacon-Event": "42"}

	id, err := s.Send(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if id != "<lower@example.com>" {
		t.Errorf("got id %q, want <lower@example.com>", id)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(srv.Received(0)[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header["Message-Id"]; len(got) != 1 || got[0] != id {
		t.Errorf("got Message-ID %q, want exactly [%q]", got, id)
	}
	if got := msg.Header.Get("X-Beacon-Event"); got != "42" {
		t.Errorf("got X-Beacon-Event %q, want 42", got)
	}
}

func TestSendRejectsUnsendableMessage(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*notifier.Message)
	}{
		{"invalid recipient", func(m *notifier.Message) { m.To = "not an address" }},
		{"header injection", func(m *notifier.Message) { m.Headers["References"] = "<a@b>\r\nBcc: x@example.com" }},
		{"reserved header", func(m *notifier.Message) { m.Headers["Subject"] = "other" }},
		{"bad header name", func(m *notifier.Message) { m.Headers["Bad Name"] = "x" }},
	}
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testMessage(1)
			tt.mod(&m)
			_, err := s.Send(t.Context(), m)
			if se := asSendError(t, err); !se.Permanent {
				t.Errorf("got temporary %v, want permanent", err)
			}
		})
	}
	if n := srv.Count(); n != 0 {
		t.Errorf("server received %d messages, want 0", n)
	}
	if n := srv.Connections(); n != 0 {
		t.Errorf("got %d connections, want 0", n)
	}
}

func TestSendReusesConnections(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 2 })

	const workers, each = 4, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.Send(t.Context(), testMessage(w*each+i)); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := srv.Count(); got != workers*each {
		t.Errorf("got %d messages, want %d", got, workers*each)
	}
	if got := srv.Connections(); got > 2 {
		t.Errorf("got %d connections for %d messages, want at most 2", got, workers*each)
	}
}

func TestSendClassifiesReplies(t *testing.T) {
	tests := []struct {
		stage         string
		code          int
		wantPermanent bool
	}{
		{"mail", 451, false},
		// A refused sender is Beacon's configuration, not the recipient: temporary.
		{"mail", 550, false},
		{"rcpt", 450, false},
		{"rcpt", 452, false},
		{"rcpt", 550, true},
		{"rcpt", 553, true},
		{"data", 451, false},
		{"data", 554, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s %d", tt.stage, tt.code), func(t *testing.T) {
			srv := smtptest.Start(t)
			s := testSender(t, srv, func(c *Config) { c.Pool = 1 })
			srv.FailNext(1, tt.stage, tt.code)

			_, err := s.Send(t.Context(), testMessage(1))
			se := asSendError(t, err)
			if se.Permanent != tt.wantPermanent {
				t.Errorf("got Permanent %v, want %v (%v)", se.Permanent, tt.wantPermanent, err)
			}
			if want := fmt.Sprint(tt.code); se.Code != want {
				t.Errorf("got Code %q, want %q", se.Code, want)
			}
			if strings.Contains(err.Error(), testTo) {
				t.Errorf("error %q names the full recipient address", err)
			}
			var te *textproto.Error
			if !errors.As(err, &te) || te.Code != tt.code {
				t.Errorf("error %v does not wrap the server's reply %d", err, tt.code)
			}
			if got := srv.Count(); got != 0 {
				t.Errorf("refused message delivered %d times, want 0", got)
			}

			// No retry within Send, and the connection carries on.
			if _, err := s.Send(t.Context(), testMessage(2)); err != nil {
				t.Fatalf("next message: %v", err)
			}
			if got := srv.Count(); got != 1 {
				t.Errorf("got %d messages, want 1", got)
			}
			if got := srv.Connections(); got != 1 {
				t.Errorf("got %d connections, want 1 (the refusal should not cost the connection)", got)
			}
		})
	}
}

func TestSendResetsAfterRefusedData(t *testing.T) {
	srv := startDataRefuser(t, 1)
	s := testSender(t, &smtptest.Server{Host: srv.Host, Port: srv.Port}, func(c *Config) { c.Pool = 1 })

	_, err := s.Send(t.Context(), testMessage(1))
	if se := asSendError(t, err); !se.Permanent || se.Code != "554" {
		t.Errorf("got Permanent %v Code %q, want permanent 554 (%v)", se.Permanent, se.Code, err)
	}
	// go-mail leaves the transaction open after a refused DATA command;
	// without an RSET this relay answers the next MAIL with 503.
	if _, err := s.Send(t.Context(), testMessage(2)); err != nil {
		t.Fatalf("next message: %v", err)
	}
	if conns, delivered := srv.counts(); conns != 1 || delivered != 1 {
		t.Errorf("got %d connections and %d messages, want 1 and 1", conns, delivered)
	}
}

func TestSendRedialsAfterDropMidData(t *testing.T) {
	srv := smtptest.Start(t)
	logs := &syncBuffer{}
	s := testSenderLog(t, srv, slog.New(slog.NewTextHandler(logs, nil)), defaultMaxIdle, func(c *Config) { c.Pool = 1 })

	if _, err := s.Send(t.Context(), testMessage(1)); err != nil {
		t.Fatal(err)
	}
	srv.DropNext(1)
	m := testMessage(2)
	id, err := s.Send(t.Context(), m)
	if err != nil {
		t.Fatalf("got %v, want the message delivered on a new connection", err)
	}
	got := srv.Received(0)
	if len(got) != 2 {
		t.Fatalf("got %d messages, want 2", len(got))
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(got[1].Data))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Header.Get("Message-Id") != id || id != m.Headers["Message-ID"] {
		t.Errorf("got Message-ID %q, returned %q, want %q", msg.Header.Get("Message-Id"), id, m.Headers["Message-ID"])
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("got %d connections, want 2 (one redial)", n)
	}
	out := logs.String()
	if !strings.Contains(out, "redialling") || !strings.Contains(out, "j***@example.org") {
		t.Errorf("got logs %q, want a redial warning naming j***@example.org", out)
	}
	if strings.Contains(out, testTo) {
		t.Errorf("logs %q name the full recipient address", out)
	}
}

func TestSendDroppedTwiceIsTemporary(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 1 })
	srv.DropNext(2)

	_, err := s.Send(t.Context(), testMessage(1))
	if se := asSendError(t, err); se.Permanent || se.Code != "" {
		t.Errorf("got Permanent %v Code %q, want temporary without code (%v)", se.Permanent, se.Code, err)
	}
	if n := srv.Connections(); n != 2 {
		t.Errorf("got %d connections, want 2 (one try and one retry)", n)
	}
	if _, err := s.Send(t.Context(), testMessage(2)); err != nil {
		t.Fatalf("next message: %v", err)
	}
	if n := srv.Count(); n != 1 {
		t.Errorf("got %d messages, want 1", n)
	}
}

func TestSendRedialsStaleConnection(t *testing.T) {
	tests := []struct {
		name        string
		maxIdle     time.Duration
		wantWarning bool
	}{
		// Used within maxIdle: the send itself finds the connection
		// gone and spends its retry.
		{"recently used", time.Hour, true},
		// Idle too long: NOOP finds it gone before the message is sent.
		{"idle", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			logs := &syncBuffer{}
			s := testSenderLog(t, srv, slog.New(slog.NewTextHandler(logs, nil)), tt.maxIdle, func(c *Config) { c.Pool = 1 })
			if _, err := s.Send(t.Context(), testMessage(1)); err != nil {
				t.Fatal(err)
			}
			srv.HangUpAll()
			if _, err := s.Send(t.Context(), testMessage(2)); err != nil {
				t.Fatalf("got %v, want the message delivered on a new connection", err)
			}
			if n := srv.Count(); n != 2 {
				t.Errorf("got %d messages, want 2", n)
			}
			if n := srv.Connections(); n != 2 {
				t.Errorf("got %d connections, want 2", n)
			}
			if got := strings.Contains(logs.String(), "redialling"); got != tt.wantWarning {
				t.Errorf("got redial warning %v, want %v; logs: %q", got, tt.wantWarning, logs)
			}
		})
	}
}

func TestSendServerDown(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	srv.StopListening()

	_, err := s.Send(t.Context(), testMessage(1))
	if se := asSendError(t, err); se.Permanent {
		t.Errorf("got permanent %v, want temporary", err)
	}
}

func TestSendContextCanceledMidMessage(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 1; c.Timeout = time.Minute })
	srv.StallNext()

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Send(ctx, testMessage(1))
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Send took %s after its context ended, want it to stop at once", took)
	}
	if se := asSendError(t, err); se.Permanent {
		t.Errorf("got permanent %v, want temporary", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded", err)
	}
	if n := srv.Connections(); n != 1 {
		t.Errorf("got %d connections, want 1 (no retry after the context ended)", n)
	}

	if _, err := s.Send(t.Context(), testMessage(2)); err != nil {
		t.Fatalf("next message: %v", err)
	}
}

func TestSendWaitsForFreeConnection(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 1; c.Timeout = time.Minute })
	stalled := srv.StallNext()

	sendCtx, cancelSend := context.WithCancel(t.Context())
	done := make(chan error)
	go func() {
		_, err := s.Send(sendCtx, testMessage(1))
		done <- err
	}()
	// The only connection is busy until cancelSend, so this one waits.
	<-stalled
	waitCtx, cancelWait := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancelWait()
	_, err := s.Send(waitCtx, testMessage(2))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("got %v, want context.DeadlineExceeded while waiting", err)
	}
	cancelSend()
	<-done
}

func TestSendConcurrent(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 4 })

	const workers, each = 8, 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	ids := map[string]bool{}
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				m := testMessage(w*each + i)
				m.Headers = nil
				id, err := s.Send(t.Context(), m)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				ids[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if got := srv.Count(); got != workers*each {
		t.Errorf("got %d messages, want %d", got, workers*each)
	}
	if len(ids) != workers*each {
		t.Errorf("got %d distinct Message-IDs, want %d", len(ids), workers*each)
	}
	if got := srv.Connections(); got > 4 {
		t.Errorf("got %d connections, want at most 4", got)
	}
}

func TestSendTLSAndAuth(t *testing.T) {
	tests := []struct {
		name     string
		implicit bool
		startTLS bool
		mechs    []string
	}{
		{name: "starttls plain", startTLS: true},
		{name: "starttls login", startTLS: true, mechs: []string{"LOGIN"}},
		{name: "implicit tls plain", implicit: true},
		{name: "implicit tls login", implicit: true, mechs: []string{"LOGIN"}},
		{name: "clear text to localhost", mechs: []string{"PLAIN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.StartWith(t, smtptest.Options{ImplicitTLS: tt.implicit, StartTLS: tt.startTLS,
				User: "beacon", Pass: "s3cret", Mechs: tt.mechs})
			logs := &syncBuffer{}
			s := testSenderLog(t, srv, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), defaultMaxIdle, func(c *Config) {
				c.Username, c.Password, c.Pool = "beacon", "s3cret", 1
			})
			for i := range 3 {
				if _, err := s.Send(t.Context(), testMessage(i)); err != nil {
					t.Fatal(err)
				}
			}
			if n := srv.Count(); n != 3 {
				t.Errorf("got %d messages, want 3", n)
			}
			if n := srv.Connections(); n != 1 {
				t.Errorf("got %d connections, want 1", n)
			}
			if strings.Contains(logs.String(), "s3cret") {
				t.Errorf("logs %q contain the password", logs)
			}
		})
	}
}

func TestSendBadCredentialsIsTemporary(t *testing.T) {
	srv := smtptest.StartWith(t, smtptest.Options{StartTLS: true, User: "beacon", Pass: "s3cret"})
	s := testSender(t, srv, func(c *Config) { c.Username, c.Password = "beacon", "wrong" })

	_, err := s.Send(t.Context(), testMessage(1))
	// Not the subscriber's fault: it must not count towards quarantine.
	if se := asSendError(t, err); se.Permanent {
		t.Errorf("got permanent %v, want temporary", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q contains the password", err)
	}
}

func TestSendStartTLSMandatory(t *testing.T) {
	srv := smtptest.Start(t) // offers no STARTTLS
	s := testSender(t, srv, func(c *Config) { c.TLS = TLSStartTLS })

	_, err := s.Send(t.Context(), testMessage(1))
	if se := asSendError(t, err); se.Permanent {
		t.Errorf("got permanent %v, want temporary", err)
	}
	if n := srv.Count(); n != 0 {
		t.Errorf("got %d messages sent without TLS, want 0", n)
	}
}

func TestSendUntrustedCertificate(t *testing.T) {
	srv := smtptest.StartWith(t, smtptest.Options{ImplicitTLS: true})
	cfg := Config{Host: srv.Host, Port: srv.Port, TLS: TLSImplicit, From: testFrom, Pool: 1}
	s, err := New(cfg, nil) // system roots: the test certificate is not trusted
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	_, err = s.Send(t.Context(), testMessage(1))
	if se := asSendError(t, err); se.Permanent {
		t.Errorf("got permanent %v, want temporary", err)
	}
	if n := srv.Count(); n != 0 {
		t.Errorf("got %d messages, want 0", n)
	}
}

func TestClose(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	if _, err := s.Send(t.Context(), testMessage(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	_, err := s.Send(t.Context(), testMessage(2))
	if !errors.Is(err, ErrClosed) {
		t.Errorf("got %v after Close, want ErrClosed", err)
	}
	if se := asSendError(t, err); se.Permanent {
		t.Errorf("got permanent %v, want temporary", err)
	}
}

func TestCloseConcurrentWithSend(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, func(c *Config) { c.Pool = 2 })

	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 20 {
				_, err := s.Send(t.Context(), testMessage(w*20+i))
				if err != nil && !errors.Is(err, ErrClosed) {
					t.Error(err)
				}
			}
		})
	}
	wg.Go(func() { s.Close() })
	wg.Go(func() { s.Close() })
	wg.Wait()
}

func TestMask(t *testing.T) {
	tests := []struct{ in, want string }{
		{"john@example.com", "j***@example.com"},
		{"émile@example.fr", "é***@example.fr"},
		{"@example.com", "***"},
		{"no-at-sign", "***"},
		{"", "***"},
	}
	for _, tt := range tests {
		if got := mask(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for a logger and a test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSetFrom changes the sender of a running Sender: the envelope, the
// From header and generated Message-IDs follow; an invalid sender is
// refused and the old one stays.
func TestSetFrom(t *testing.T) {
	srv := smtptest.Start(t)
	s := testSender(t, srv, nil)
	m := testMessage(1)
	m.Headers = nil
	if err := s.SetFrom("not an address", "x"); err == nil {
		t.Error("SetFrom accepted an invalid address")
	}
	if err := s.SetFrom("alerts@status.example.org", "Example Alerts"); err != nil {
		t.Fatal(err)
	}
	id, err := s.Send(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	r := srv.Received(0)[0]
	msg, err := netmail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("From"); got != `"Example Alerts" <alerts@status.example.org>` {
		t.Errorf("From = %q", got)
	}
	if r.From != "alerts@status.example.org" || !strings.HasSuffix(id, "@status.example.org>") {
		t.Errorf("envelope from %q, Message-ID %q", r.From, id)
	}
}
