package webhook

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

// The signing vector, computed outside Go with
//
//	printf '1700000000.{"page":{"id":"abc"}}' | openssl dgst -sha256 -hmac 's3cr3t'
const (
	vectorSecret    = "s3cr3t"
	vectorTimestamp = 1700000000
	vectorBody      = `{"page":{"id":"abc"}}`
	vectorSignature = "v1=e70eccd237d4e9caaf991191fcdc2cd8dba481fb58efbb14e2b30af0f54b9462"
)

func TestSign(t *testing.T) {
	if got := Sign(vectorSecret, vectorTimestamp, []byte(vectorBody)); got != vectorSignature {
		t.Errorf("Sign = %s, want %s", got, vectorSignature)
	}
}

func TestVerify(t *testing.T) {
	body := []byte(vectorBody)
	tests := []struct {
		name      string
		secret    string
		header    string
		timestamp int64
		body      []byte
		want      bool
	}{
		{"valid", vectorSecret, vectorSignature, vectorTimestamp, body, true},
		{"upper-case hex", vectorSecret, "v1=" + strings.ToUpper(vectorSignature[3:]), vectorTimestamp, body, true},
		{"wrong secret", "other", vectorSignature, vectorTimestamp, body, false},
		{"other timestamp", vectorSecret, vectorSignature, vectorTimestamp + 1, body, false},
		{"other body", vectorSecret, vectorSignature, vectorTimestamp, []byte(`{"page":{"id":"abd"}}`), false},
		{"no prefix", vectorSecret, vectorSignature[3:], vectorTimestamp, body, false},
		{"other scheme", vectorSecret, "v2=" + vectorSignature[3:], vectorTimestamp, body, false},
		{"truncated", vectorSecret, vectorSignature[:len(vectorSignature)-2], vectorTimestamp, body, false},
		{"not hex", vectorSecret, "v1=zz", vectorTimestamp, body, false},
		{"empty", vectorSecret, "", vectorTimestamp, body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.secret, tt.header, tt.timestamp, tt.body); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

// newSender returns a Sender whose clock reads vectorTimestamp.
func newSender(cfg Config) *Sender {
	s := New(cfg)
	s.now = func() time.Time { return time.Unix(vectorTimestamp, 0) }
	return s
}

// sendError asserts that err is a *notifier.SendError and returns it.
func sendError(t *testing.T, err error) *notifier.SendError {
	t.Helper()
	var se *notifier.SendError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want a *notifier.SendError", err, err)
	}
	return se
}

func TestSendSuccess(t *testing.T) {
	type received struct {
		method, contentType, userAgent, timestamp, signature string
		body                                                 []byte
		verified                                             bool
	}
	got := make(chan received, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		ts, _ := strconv.ParseInt(r.Header.Get(TimestampHeader), 10, 64)
		got <- received{
			method:      r.Method,
			contentType: r.Header.Get("Content-Type"),
			userAgent:   r.Header.Get("User-Agent"),
			timestamp:   r.Header.Get(TimestampHeader),
			signature:   r.Header.Get(SignatureHeader),
			body:        body,
			verified:    Verify(vectorSecret, r.Header.Get(SignatureHeader), ts, body),
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()

	s := newSender(Config{AllowPrivate: true})
	id, err := s.Send(context.Background(), notifier.Message{To: srv.URL + "/hook", Body: []byte(vectorBody), Secret: vectorSecret})
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if id != "" {
		t.Errorf("provider id = %q, want empty", id)
	}
	r := <-got
	if !r.verified {
		t.Errorf("receiver could not verify signature %q over timestamp %q", r.signature, r.timestamp)
	}
	if r.signature != vectorSignature {
		t.Errorf("signature = %s, want %s", r.signature, vectorSignature)
	}
	checks := []struct{ name, got, want string }{
		{"method", r.method, http.MethodPost},
		{"Content-Type", r.contentType, "application/json"},
		{"User-Agent", r.userAgent, DefaultUserAgent},
		{TimestampHeader, r.timestamp, strconv.Itoa(vectorTimestamp)},
		{"body", string(r.body), vectorBody},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
}

func TestSendUserAgent(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("User-Agent")
	}))
	defer srv.Close()

	s := New(Config{AllowPrivate: true, UserAgent: "Status-Example/2"})
	if _, err := s.Send(context.Background(), notifier.Message{To: srv.URL, Body: []byte("{}")}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if ua := <-got; ua != "Status-Example/2" {
		t.Errorf("User-Agent = %q, want %q", ua, "Status-Example/2")
	}
}

func TestSendStatus(t *testing.T) {
	tests := []struct {
		name           string
		status         int
		retryAfter     string
		wantPermanent  bool
		wantRetryAfter time.Duration
	}{
		{name: "moved permanently", status: http.StatusMovedPermanently},
		{name: "found", status: http.StatusFound},
		{name: "temporary redirect", status: http.StatusTemporaryRedirect},
		{name: "bad request", status: http.StatusBadRequest, wantPermanent: true},
		{name: "unauthorized", status: http.StatusUnauthorized, wantPermanent: true},
		{name: "not found", status: http.StatusNotFound, wantPermanent: true},
		{name: "gone", status: http.StatusGone, wantPermanent: true},
		{name: "request timeout without Retry-After", status: http.StatusRequestTimeout, wantRetryAfter: 30 * time.Second},
		{name: "too many requests", status: http.StatusTooManyRequests, retryAfter: "7", wantRetryAfter: 7 * time.Second},
		{name: "too many requests without Retry-After", status: http.StatusTooManyRequests, wantRetryAfter: 30 * time.Second},
		{name: "too many requests for a day", status: http.StatusTooManyRequests, retryAfter: "86400", wantRetryAfter: time.Hour},
		{name: "too many requests until a date", status: http.StatusTooManyRequests,
			retryAfter: time.Unix(vectorTimestamp+90, 0).UTC().Format(http.TimeFormat), wantRetryAfter: 90 * time.Second},
		{name: "internal server error", status: http.StatusInternalServerError},
		{name: "bad gateway", status: http.StatusBadGateway},
		{name: "service unavailable with Retry-After", status: http.StatusServiceUnavailable, retryAfter: "120", wantRetryAfter: 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var followed atomic.Int32
			mux := http.NewServeMux()
			mux.HandleFunc("/hook", func(w http.ResponseWriter, r *http.Request) {
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				if tt.status >= 300 && tt.status <= 399 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(tt.status)
			})
			mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
				followed.Add(1)
			})
			srv := httptest.NewServer(mux)
			defer srv.Close()

			s := newSender(Config{AllowPrivate: true})
			_, err := s.Send(context.Background(), notifier.Message{To: srv.URL + "/hook", Body: []byte("{}")})
			se := sendError(t, err)
			if se.Permanent != tt.wantPermanent {
				t.Errorf("Permanent = %v, want %v (err %v)", se.Permanent, tt.wantPermanent, err)
			}
			if want := strconv.Itoa(tt.status); se.Code != want {
				t.Errorf("Code = %q, want %q", se.Code, want)
			}
			if se.RetryAfter != tt.wantRetryAfter {
				t.Errorf("RetryAfter = %v, want %v", se.RetryAfter, tt.wantRetryAfter)
			}
			if n := followed.Load(); n != 0 {
				t.Errorf("redirect followed %d times, want 0", n)
			}
		})
	}
}

func TestSendTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release) // runs before srv.Close, so the handler never holds it up

	s := New(Config{AllowPrivate: true, Timeout: 100 * time.Millisecond})
	_, err := s.Send(context.Background(), notifier.Message{To: srv.URL, Body: []byte("{}")})
	se := sendError(t, err)
	if se.Permanent {
		t.Errorf("Permanent = true, want a temporary failure (err %v)", err)
	}
	if !strings.Contains(err.Error(), "no answer within 100ms") {
		t.Errorf("err = %q, want it to mention the timeout", err)
	}
}

func TestSendCanceled(t *testing.T) {
	var requests atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
	}))
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := New(Config{AllowPrivate: true})
	_, err := s.Send(ctx, notifier.Message{To: srv.URL, Body: []byte("{}")})
	se := sendError(t, err)
	if se.Permanent {
		t.Errorf("Permanent = true, want a temporary failure (err %v)", err)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want it to wrap context.Canceled", err)
	}
	if n := requests.Load(); n != 0 {
		t.Errorf("server got %d requests, want 0", n)
	}
}

// countingServer is a loopback server that counts the connections it
// accepts and the requests it answers.
type countingServer struct {
	*httptest.Server
	conns, requests atomic.Int32
}

func newCountingServer(t *testing.T) *countingServer {
	t.Helper()
	cs := &countingServer{}
	cs.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.requests.Add(1)
	}))
	cs.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			cs.conns.Add(1)
		}
	}
	cs.Start()
	t.Cleanup(cs.Close)
	return cs
}

func TestSendRefusesPrivateAtConnect(t *testing.T) {
	srv := newCountingServer(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	tests := []struct {
		name, url, wantMsg string
	}{
		{"IP literal", srv.URL + "/hooks/SECRETTOKEN", "refused: 127.0.0.1 is a private address"},
		// localhost resolves through /etc/hosts: no DNS query leaves the
		// machine, and the check still sees the address it resolved to.
		{"name resolving to loopback", "http://localhost:" + strconv.Itoa(port) + "/hooks/SECRETTOKEN", "is a private address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{})
			_, err := s.Send(context.Background(), notifier.Message{To: tt.url, Body: []byte("{}")})
			se := sendError(t, err)
			if !se.Permanent {
				t.Errorf("Permanent = false, want true (err %v)", err)
			}
			if !errors.Is(err, ErrForbiddenAddress) {
				t.Errorf("err = %v, want it to wrap ErrForbiddenAddress", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantMsg)
			}
			if strings.Contains(err.Error(), "SECRETTOKEN") {
				t.Errorf("err = %q, want it not to repeat the URL", err)
			}
			// Refused while dialling, not by a check before it.
			var opErr *net.OpError
			if !errors.As(err, &opErr) || opErr.Op != "dial" {
				t.Errorf("err = %v, want a refusal from the dialer", err)
			}
		})
	}
	if n := srv.requests.Load(); n != 0 {
		t.Errorf("server got %d requests, want 0", n)
	}

	// Connections are accepted in order, so once a permitted request has
	// been answered, any connection the refused sends had made would have
	// been counted too.
	if _, err := New(Config{AllowPrivate: true}).Send(context.Background(), notifier.Message{To: srv.URL, Body: []byte("{}")}); err != nil {
		t.Fatalf("Send with AllowPrivate: %v", err)
	}
	if n := srv.conns.Load(); n != 1 {
		t.Errorf("server accepted %d connections, want 1 (the permitted send's)", n)
	}
}

func TestSendInvalidURL(t *testing.T) {
	tests := []struct{ name, url string }{
		{"empty", ""},
		{"ftp", "ftp://127.0.0.1/hook"},
		{"userinfo", "http://user:pass@127.0.0.1/hook"},
		{"no host", "http:///hook"},
		{"too long", "http://127.0.0.1/" + strings.Repeat("a", MaxURLLength)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{AllowPrivate: true})
			_, err := s.Send(context.Background(), notifier.Message{To: tt.url, Body: []byte("{}")})
			se := sendError(t, err)
			if !se.Permanent {
				t.Errorf("Permanent = false, want true (err %v)", err)
			}
			if !errors.Is(err, ErrInvalidURL) {
				t.Errorf("err = %v, want it to wrap ErrInvalidURL", err)
			}
		})
	}
}

func TestSendErrorOmitsURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	}))
	defer srv.Close()
	// A port nothing listens on: the listener is closed before the send.
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for _, to := range []string{srv.URL + "/hooks/SECRETTOKEN", closedURL + "/hooks/SECRETTOKEN"} {
		_, err := New(Config{AllowPrivate: true}).Send(context.Background(), notifier.Message{To: to, Body: []byte("{}")})
		if err == nil {
			t.Fatalf("Send(%s) succeeded, want an error", to)
		}
		if strings.Contains(err.Error(), "SECRETTOKEN") {
			t.Errorf("err = %q, want it not to repeat the URL", err)
		}
	}
}

func TestValidateURL(t *testing.T) {
	tests := []struct {
		name         string
		url          string
		allowPrivate bool
		wantErr      error // nil means valid
	}{
		// A real name would need DNS, so only its form is checked.
		{name: "https name, form only", url: "https://hooks.example.com/beacon", allowPrivate: true},
		{name: "public IPv4 literal", url: "http://93.184.216.34/hook"},
		{name: "public IPv6 literal", url: "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/hook"},
		{name: "ftp", url: "ftp://93.184.216.34/hook", wantErr: ErrInvalidURL},
		{name: "no scheme", url: "93.184.216.34/hook", wantErr: ErrInvalidURL},
		{name: "missing host", url: "http:///hook", wantErr: ErrInvalidURL},
		{name: "opaque", url: "http:hook", wantErr: ErrInvalidURL},
		{name: "userinfo", url: "http://user:pass@93.184.216.34/hook", wantErr: ErrInvalidURL},
		{name: "user only", url: "http://user@93.184.216.34/hook", wantErr: ErrInvalidURL},
		{name: "port zero", url: "http://93.184.216.34:0/hook", wantErr: ErrInvalidURL},
		{name: "port too large", url: "http://93.184.216.34:70000/hook", wantErr: ErrInvalidURL},
		{name: "too long", url: "https://93.184.216.34/" + strings.Repeat("a", MaxURLLength), wantErr: ErrInvalidURL},
		{name: "unparseable", url: "http://[::1/hook", wantErr: ErrInvalidURL},
		{name: "loopback", url: "http://127.0.0.1/hook", wantErr: ErrForbiddenAddress},
		{name: "loopback elsewhere in 127/8", url: "http://127.1.2.3:8080/hook", wantErr: ErrForbiddenAddress},
		{name: "IPv6 loopback", url: "http://[::1]/hook", wantErr: ErrForbiddenAddress},
		{name: "RFC 1918", url: "http://10.0.0.1/hook", wantErr: ErrForbiddenAddress},
		{name: "RFC 1918 172.16/12", url: "http://172.16.5.4/hook", wantErr: ErrForbiddenAddress},
		{name: "RFC 1918 192.168/16", url: "http://192.168.1.1/hook", wantErr: ErrForbiddenAddress},
		{name: "unique local IPv6", url: "http://[fd00::1]/hook", wantErr: ErrForbiddenAddress},
		{name: "cloud metadata", url: "http://169.254.169.254/latest/meta-data/", wantErr: ErrForbiddenAddress},
		{name: "IPv6 link-local", url: "http://[fe80::1]/hook", wantErr: ErrForbiddenAddress},
		{name: "IPv4-mapped loopback", url: "http://[::ffff:127.0.0.1]/hook", wantErr: ErrForbiddenAddress},
		{name: "IPv4-mapped private", url: "http://[::ffff:10.1.2.3]/hook", wantErr: ErrForbiddenAddress},
		{name: "localhost", url: "http://localhost/hook", wantErr: ErrForbiddenAddress},
		{name: "localhost with port", url: "http://localhost:8080/hook", wantErr: ErrForbiddenAddress},
		{name: "CGNAT", url: "http://100.64.0.1/hook", wantErr: ErrForbiddenAddress},
		{name: "unspecified", url: "http://0.0.0.0/hook", wantErr: ErrForbiddenAddress},
		{name: "multicast", url: "http://224.0.0.1/hook", wantErr: ErrForbiddenAddress},
		{name: "loopback allowed", url: "http://127.0.0.1/hook", allowPrivate: true},
		{name: "localhost allowed", url: "http://localhost:8080/hook", allowPrivate: true},
		{name: "ftp refused even when private is allowed", url: "ftp://127.0.0.1/hook", allowPrivate: true, wantErr: ErrInvalidURL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := ValidateURL(ctx, tt.url, tt.allowPrivate)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Errorf("ValidateURL(%q) = %v, want nil", tt.url, err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("ValidateURL(%q) = %v, want an error wrapping %v", tt.url, err, tt.wantErr)
			}
		})
	}
}

func TestControlRefusesUnparseableAddress(t *testing.T) {
	for _, addr := range []string{"", "example.com:443", "127.0.0.1"} {
		if err := control("tcp", addr, nil); !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("control(%q) = %v, want a refusal", addr, err)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		def    time.Duration
		want   time.Duration
	}{
		{"absent", "", 30 * time.Second, 30 * time.Second},
		{"absent without default", "", 0, 0},
		{"seconds", "7", 30 * time.Second, 7 * time.Second},
		{"zero", "0", 30 * time.Second, 0},
		{"capped", "3601", 30 * time.Second, time.Hour},
		{"huge", "99999999999999999", 30 * time.Second, time.Hour},
		{"negative", "-5", 30 * time.Second, 30 * time.Second},
		{"garbage", "soon", 30 * time.Second, 30 * time.Second},
		{"date", now.Add(2 * time.Minute).Format(http.TimeFormat), 30 * time.Second, 2 * time.Minute},
		{"date far ahead", now.Add(48 * time.Hour).Format(http.TimeFormat), 30 * time.Second, time.Hour},
		{"date passed", now.Add(-time.Minute).Format(http.TimeFormat), 30 * time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RetryAfter(tt.header, now, tt.def); got != tt.want {
				t.Errorf("RetryAfter(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

// endless is a reader of far more than maxResponseBody bytes (it ends,
// so that a broken drain fails rather than hangs) that counts what is read
// from it.
type endless struct{ n int }

func (r *endless) Read(p []byte) (int, error) {
	if r.n >= 100*maxResponseBody {
		return 0, io.EOF
	}
	r.n += len(p)
	return len(p), nil
}

func TestDrainIsBounded(t *testing.T) {
	r := &endless{}
	drain(r)
	if r.n != maxResponseBody {
		t.Errorf("drain read %d bytes, want %d", r.n, maxResponseBody)
	}
}

// TestSetAllowPrivate changes the rule on a running sender: a loopback
// receiver refused, then allowed, then refused again without reusing the
// connection opened while it was allowed.
func TestSetAllowPrivate(t *testing.T) {
	srv := newCountingServer(t)
	s := New(Config{})
	send := func() error {
		_, err := s.Send(context.Background(), notifier.Message{To: srv.URL, Body: []byte("{}")})
		return err
	}
	if err := send(); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("before: %v, want ErrForbiddenAddress", err)
	}
	s.SetAllowPrivate(true)
	if err := send(); err != nil {
		t.Fatalf("allowed: %v", err)
	}
	s.SetAllowPrivate(false)
	if err := send(); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("after: %v, want ErrForbiddenAddress", err)
	}
	if n := srv.requests.Load(); n != 1 {
		t.Errorf("server got %d requests, want 1", n)
	}
}

// TestSetAllowPrivateMidDelivery forbids private addresses while a
// delivery to a loopback receiver is on the wire: the connection it used
// goes back to a pool when it ends, and must not carry the next delivery.
func TestSetAllowPrivateMidDelivery(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			close(arrived)
			<-release
		}
	}))
	t.Cleanup(srv.Close)
	s := New(Config{AllowPrivate: true})
	send := func() error {
		_, err := s.Send(context.Background(), notifier.Message{To: srv.URL, Body: []byte("{}")})
		return err
	}
	first := make(chan error, 1)
	go func() { first <- send() }()
	<-arrived
	s.SetAllowPrivate(false)
	// Another delivery starts meanwhile (and is refused): in one pool, it
	// would let the first one's connection back in as idle.
	if err := send(); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("delivery during the change: %v, want ErrForbiddenAddress", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("delivery on the wire while the rule changed: %v", err)
	}
	if err := send(); !errors.Is(err, ErrForbiddenAddress) {
		t.Fatalf("next delivery: %v, want ErrForbiddenAddress", err)
	}
	if n := requests.Load(); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
}

// TestPostAnswers posts through the Client alone, as the chat senders do:
// the answer's status, headers and the start of its body come back
// whatever the status, with the caller's headers sent beside Beacon's.
func TestPostAnswers(t *testing.T) {
	long := strings.Repeat("x", 3*maxAnswerBody)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Extra") != "1" || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != DefaultUserAgent {
			w.WriteHeader(http.StatusTeapot)
			return
		}
		w.Header().Set("Retry-After", "3")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, long)
	}))
	t.Cleanup(srv.Close)
	c := NewClient(Config{AllowPrivate: true})
	ans, err := c.Post(context.Background(), srv.URL, http.Header{"X-Extra": {"1"}}, []byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if ans.StatusCode != http.StatusTooManyRequests || ans.Header.Get("Retry-After") != "3" || string(ans.Body) != long[:maxAnswerBody] {
		t.Errorf("answer %d %q with %d bytes, want 429, Retry-After 3 and the first %d bytes", ans.StatusCode, ans.Header.Get("Retry-After"), len(ans.Body), maxAnswerBody)
	}
	if _, err := c.Post(context.Background(), "ftp://example.com/x", nil, nil); !errors.Is(err, ErrInvalidURL) || !sendError(t, err).Permanent {
		t.Errorf("ftp URL: %v, want a permanent ErrInvalidURL", err)
	}
}
