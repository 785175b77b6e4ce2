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
	"context"
	"fmt"
	"net/http"
	"strconv"
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

// defaultRetryAfter is the wait after a 408 or 429 that does not say.
const defaultRetryAfter = 30 * time.Second

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
// reuses connections across sends. Its Client, with the address policy
// and SetAllowPrivate, is the one the chat senders share.
type Sender struct {
	*Client
}

var _ notifier.Sender = (*Sender)(nil)

// New returns a Sender for cfg.
func New(cfg Config) *Sender {
	return newWithDial(cfg, nil)
}

// newWithDial is New with the function that opens connections (see
// newClientWithDial).
func newWithDial(cfg Config, dial dialFunc) *Sender {
	return &Sender{Client: newClientWithDial(cfg, dial)}
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
	ts := s.now().Unix()
	header := http.Header{}
	header.Set(TimestampHeader, strconv.FormatInt(ts, 10))
	header.Set(SignatureHeader, Sign(m.Secret, ts, m.Body))
	ans, err := s.Post(ctx, m.To, header, m.Body)
	if err != nil {
		return "", err
	}
	return "", s.classify(ans)
}

// classify turns an answer into nil or a *notifier.SendError.
func (s *Sender) classify(resp Answer) error {
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
		se.RetryAfter = RetryAfter(resp.Header.Get("Retry-After"), s.now(), defaultRetryAfter)
		return se
	case code >= 400 && code <= 499:
		return notifier.Permanent(status, err)
	case code >= 500 && code <= 599:
		// A 503 may say when to come back; when it does not, the
		// caller's backoff decides.
		se := notifier.Temporary(status, err)
		se.RetryAfter = RetryAfter(resp.Header.Get("Retry-After"), s.now(), 0)
		return se
	}
	return notifier.Temporary(status, err)
}
