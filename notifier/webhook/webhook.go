// Package webhook delivers notifications to subscribers' webhook endpoints:
// an HTTP POST of Statuspage's JSON payload, signed with an HMAC of the
// subscriber's secret. The endpoint must answer 2xx within the timeout;
// redirects are not followed and count as failures, as with Statuspage.
//
// Because a subscriber picks the URL, every connection is checked as it is
// made: unless Config.AllowPrivate, Beacon connects only to global unicast
// addresses outside every block of IANA's special-purpose address
// registries (see ErrForbiddenAddress), whatever the name resolved to when
// the subscriber signed up.
package webhook

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

// Defaults for Config.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultUserAgent = "Beacon-Webhook/1"
)

// The request headers that carry the signature.
const (
	TimestampHeader = "X-Beacon-Timestamp"
	SignatureHeader = "X-Beacon-Signature"
)

const (
	// maxResponseBody is how much of an answer is read (and discarded)
	// before the connection is let go.
	maxResponseBody = 64 << 10
	// defaultRetryAfter and maxRetryAfter bound the wait asked for by a
	// 408 or 429.
	defaultRetryAfter = 30 * time.Second
	maxRetryAfter     = time.Hour
)

// Config configures a Sender.
type Config struct {
	// AllowPrivate lets webhooks reach addresses outside global unicast
	// (loopback, private, link-local, shared, documentation and the other
	// special-purpose blocks): for tests and for deployments whose
	// subscribers are all on the same private network.
	AllowPrivate bool
	// Resolver looks up webhook hosts as they are dialled, so that the
	// addresses judged are the ones connected to; net.DefaultResolver when
	// nil. While private addresses are allowed nothing is judged and the
	// dialer resolves names itself.
	Resolver Resolver
	// Timeout bounds a whole delivery, from connecting to reading the
	// answer; DefaultTimeout when zero.
	Timeout time.Duration
	// UserAgent is sent with every request; DefaultUserAgent when empty.
	UserAgent string
}

// Sender posts webhook notifications. It is safe for concurrent use and
// reuses connections across sends.
type Sender struct {
	// allowPrivate starts as Config.AllowPrivate; SetAllowPrivate changes
	// it for the deliveries made from then on, which pick strict or
	// permissive by it.
	allowPrivate atomic.Bool
	strict       *http.Client // judges every address
	permissive   *http.Client // judges none
	timeout      time.Duration
	userAgent    string
	now          func() time.Time
}

var _ notifier.Sender = (*Sender)(nil)

// New returns a Sender for cfg.
func New(cfg Config) *Sender {
	return newWithDial(cfg, nil)
}

// newWithDial is New with the function that opens connections: nil for a
// net.Dialer, or a test's recorder. Either way it is handed only addresses
// already judged (guardedDial).
func newWithDial(cfg Config, dial dialFunc) *Sender {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	s := &Sender{timeout: cfg.Timeout, userAgent: cfg.UserAgent, now: time.Now}
	s.allowPrivate.Store(cfg.AllowPrivate)
	s.strict = newClient(false, cfg, dial)
	s.permissive = newClient(true, cfg, dial)
	return s
}

// newClient returns the HTTP client of one address policy. The two
// policies keep separate connection pools: a connection opened while
// private addresses were allowed can then never carry a delivery made
// after they were forbidden, whatever it was doing at the moment the
// setting changed.
func newClient(allowPrivate bool, cfg Config, dial dialFunc) *http.Client {
	if dial == nil {
		dialer := &net.Dialer{Timeout: cfg.Timeout, KeepAlive: 30 * time.Second}
		if !allowPrivate {
			// The last check, on each address the dialer tries.
			dialer.Control = control
		}
		dial = dialer.DialContext
	}
	transport := &http.Transport{
		// No proxy, and deliberately not http.ProxyFromEnvironment: the
		// address check must see the receiver's address, and a proxy
		// named by HTTP_PROXY would connect on our behalf to anything.
		Proxy:                  nil,
		DialContext:            guardedDial(allowPrivate, cfg.Resolver, dial),
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    10 * time.Second,
		MaxIdleConns:           100,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: maxResponseBody,
		// The answer is discarded, so there is no point asking for it
		// compressed.
		DisableCompression: true,
	}
	return &http.Client{
		Transport: transport,
		// A redirect is a failure (Statuspage's rule), and following one
		// would let a public endpoint point us elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// SetAllowPrivate lets (or stops) webhooks reaching addresses outside
// global unicast (loopback, private, link-local and the other
// special-purpose blocks) from the next delivery on. Deliveries then go
// through the other policy's client, so no connection made under the old
// rule is reused; the old client's idle connections are closed.
func (s *Sender) SetAllowPrivate(allow bool) {
	s.allowPrivate.Store(allow)
	s.client(!allow).CloseIdleConnections()
}

// client returns the client of the given policy.
func (s *Sender) client(allowPrivate bool) *http.Client {
	if allowPrivate {
		return s.permissive
	}
	return s.strict
}

// Send posts m.Body to the URL m.To, signed with m.Secret, and returns ""
// when the endpoint answers 2xx. Failures are *notifier.SendError:
//   - 3xx, 5xx, timeouts and network errors are temporary;
//   - 408 and 429 are temporary with RetryAfter from the Retry-After header
//     (30s when absent, at most an hour);
//   - other 4xx, an unusable URL and a refused address are permanent.
//
// Errors never include the URL, which often carries the receiver's secret
// token.
func (s *Sender) Send(ctx context.Context, m notifier.Message) (string, error) {
	if _, err := parseURL(m.To); err != nil {
		return "", notifier.Permanent("", fmt.Errorf("webhook: %w", err))
	}
	errTimeout := fmt.Errorf("no answer within %s", s.timeout)
	ctx, cancel := context.WithTimeoutCause(ctx, s.timeout, errTimeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.To, bytes.NewReader(m.Body))
	if err != nil {
		return "", notifier.Permanent("", fmt.Errorf("webhook: build request: %w", ErrInvalidURL))
	}
	ts := s.now().Unix()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", s.userAgent)
	req.Header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	req.Header.Set(SignatureHeader, Sign(m.Secret, ts, m.Body))

	resp, err := s.client(s.allowPrivate.Load()).Do(req)
	if err != nil {
		return "", requestError(err, context.Cause(ctx), errTimeout)
	}
	// The status is the answer; the body is read only so that the
	// connection can be reused, and a failure to read it changes nothing.
	drain(resp.Body)
	resp.Body.Close()
	return "", s.classify(resp)
}

// requestError classifies err, a failure to get an answer at all; cause is
// why the request's context ended, if it did, and errTimeout the cause
// that means the Sender's own timeout.
func requestError(err, cause, errTimeout error) error {
	// Drop the *url.Error, whose message repeats the URL.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	switch {
	case errors.Is(err, ErrForbiddenAddress):
		return notifier.Permanent("", fmt.Errorf("webhook: %w", err))
	case cause == errTimeout:
		return notifier.Temporary("", fmt.Errorf("webhook: %w: %w", errTimeout, err))
	}
	return notifier.Temporary("", fmt.Errorf("webhook: %w", err))
}

// classify turns an answer into nil or a *notifier.SendError.
func (s *Sender) classify(resp *http.Response) error {
	code := resp.StatusCode
	if code >= 200 && code <= 299 {
		return nil
	}
	status := strconv.Itoa(code)
	err := fmt.Errorf("webhook: endpoint answered %s", resp.Status)
	switch {
	case code >= 300 && code <= 399:
		return notifier.Temporary(status, fmt.Errorf("%w (redirects are not followed)", err))
	case code == http.StatusRequestTimeout || code == http.StatusTooManyRequests:
		se := notifier.Temporary(status, err)
		se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now(), defaultRetryAfter)
		return se
	case code >= 400 && code <= 499:
		return notifier.Permanent(status, err)
	case code >= 500 && code <= 599:
		// A 503 may say when to come back; when it does not, the
		// caller's backoff decides.
		se := notifier.Temporary(status, err)
		se.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), s.now(), 0)
		return se
	}
	return notifier.Temporary(status, err)
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date,
// relative to now. It returns def when the header is absent or unreadable
// and never more than maxRetryAfter.
func retryAfter(header string, now time.Time, def time.Duration) time.Duration {
	if header == "" {
		return def
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(header, 10, 64); err == nil {
		if secs < 0 {
			return def
		}
		if secs > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(header); err == nil {
		d = t.Sub(now)
	} else {
		return def
	}
	return min(max(d, 0), maxRetryAfter)
}

// drain reads and discards at most maxResponseBody bytes of r.
func drain(r io.Reader) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r, maxResponseBody))
}
