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

const (
	// maxResponseBody is how much of an answer is read (and, past
	// maxAnswerBody, discarded) before the connection is let go.
	maxResponseBody = 64 << 10
	// maxAnswerBody is how much of an answer Post keeps for its caller:
	// enough for a platform's error ("invalid_payload", Discord's JSON).
	maxAnswerBody = 4 << 10
	// maxRetryAfter bounds the wait an endpoint may ask for.
	maxRetryAfter = time.Hour
)

// Client makes the requests of every delivery to an address a subscriber
// chose: Beacon's webhooks, and the chat platforms' incoming webhooks
// (notifier/chat). It applies the address policy of this package to each
// connection, follows no redirect and uses no proxy. It is safe for
// concurrent use and reuses connections.
type Client struct {
	// allowPrivate starts as Config.AllowPrivate; SetAllowPrivate changes
	// it for the requests made from then on, which pick strict or
	// permissive by it.
	allowPrivate atomic.Bool
	strict       *http.Client // judges every address
	permissive   *http.Client // judges none
	timeout      time.Duration
	userAgent    string
	now          func() time.Time
}

// NewClient returns a Client for cfg.
func NewClient(cfg Config) *Client { return newClientWithDial(cfg, nil) }

// newClientWithDial is NewClient with the function that opens
// connections: nil for a net.Dialer, or a test's recorder. Either way it
// is handed only addresses already judged (guardedDial).
func newClientWithDial(cfg Config, dial dialFunc) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	c := &Client{timeout: cfg.Timeout, userAgent: cfg.UserAgent, now: time.Now}
	c.allowPrivate.Store(cfg.AllowPrivate)
	c.strict = newHTTPClient(false, cfg, dial)
	c.permissive = newHTTPClient(true, cfg, dial)
	return c
}

// newHTTPClient returns the HTTP client of one address policy. The two
// policies keep separate connection pools: a connection opened while
// private addresses were allowed can then never carry a delivery made
// after they were forbidden, whatever it was doing at the moment the
// setting changed.
func newHTTPClient(allowPrivate bool, cfg Config, dial dialFunc) *http.Client {
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
		// Answers are short, so there is no point asking for them
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

// SetAllowPrivate lets (or stops) requests reaching addresses outside
// global unicast (loopback, private, link-local and the other
// special-purpose blocks) from the next one on. Requests then go through
// the other policy's client, so no connection made under the old rule is
// reused; the old client's idle connections are closed.
func (c *Client) SetAllowPrivate(allow bool) {
	c.allowPrivate.Store(allow)
	c.client(!allow).CloseIdleConnections()
}

// client returns the client of the given policy.
func (c *Client) client(allowPrivate bool) *http.Client {
	if allowPrivate {
		return c.permissive
	}
	return c.strict
}

// Answer is an endpoint's answer to Post.
type Answer struct {
	StatusCode int
	Status     string // "404 Not Found"
	Header     http.Header
	// Body is the start of the answer's body, at most 4 KiB.
	Body []byte
}

// Post posts body as JSON to rawURL, with header's fields besides
// Content-Type and User-Agent, within the Client's timeout, and returns
// the answer, whatever its status. When no answer comes the error is a
// *notifier.SendError: permanent for an unusable URL or a refused address,
// temporary for a timeout or a network failure. Errors never include the
// URL, which often carries the receiver's secret token.
func (c *Client) Post(ctx context.Context, rawURL string, header http.Header, body []byte) (Answer, error) {
	if _, err := parseURL(rawURL); err != nil {
		return Answer{}, notifier.Permanent("", fmt.Errorf("webhook: %w", err))
	}
	errTimeout := fmt.Errorf("no answer within %s", c.timeout)
	ctx, cancel := context.WithTimeoutCause(ctx, c.timeout, errTimeout)
	defer cancel()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return Answer{}, notifier.Permanent("", fmt.Errorf("webhook: build request: %w", ErrInvalidURL))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", c.userAgent)

	resp, err := c.client(c.allowPrivate.Load()).Do(req)
	if err != nil {
		return Answer{}, requestError(err, context.Cause(ctx), errTimeout)
	}
	// A failure to read the body changes nothing: the status is the
	// answer. The rest is read only so that the connection can be reused.
	start, _ := io.ReadAll(io.LimitReader(resp.Body, maxAnswerBody))
	drain(resp.Body)
	resp.Body.Close()
	return Answer{StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: start}, nil
}

// requestError classifies err, a failure to get an answer at all; cause is
// why the request's context ended, if it did, and errTimeout the cause
// that means the Client's own timeout.
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

// RetryAfter reads a Retry-After header, in seconds or as an HTTP date,
// relative to now. It returns def when the header is absent or unreadable
// and never more than an hour.
func RetryAfter(header string, now time.Time, def time.Duration) time.Duration {
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
