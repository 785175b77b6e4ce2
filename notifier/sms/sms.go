// Package sms sends notifications by SMS through Twilio's Messages API,
// using github.com/twilio/twilio-go, and checks the signature of Twilio's
// inbound webhooks.
//
// twilio-go takes no context, never retries and always talks to
// api.twilio.com. Sender reaches the API through an HTTP client whose
// transport points requests at Config.APIURL and carries the caller's
// context, and it classifies failures as notifier.SendErrors so that the
// delivery worker decides about retries.
package sms

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	openapi "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/beacon-status/beacon/notifier"
)

var _ notifier.Sender = (*Sender)(nil)

// Sender sends SMS through Twilio. It is safe for concurrent use.
type Sender struct {
	cfg      Config // with defaults applied
	api      *url.URL
	maxPrice float32 // 0 when unset
	// transport is shared by every send so that connections are reused.
	transport http.RoundTripper
	validator client.RequestValidator
}

// New returns a Sender for cfg, or cfg's validation errors.
func New(cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sms: %w", err)
	}
	cfg = cfg.withDefaults()
	api, err := url.Parse(cfg.APIURL)
	if err != nil {
		return nil, fmt.Errorf("sms: %w", err) // unreachable: Validate parsed it
	}
	var maxPrice float32
	if cfg.MaxPrice != "" {
		p, err := strconv.ParseFloat(cfg.MaxPrice, 32)
		if err != nil {
			return nil, fmt.Errorf("sms: %w", err) // unreachable: Validate parsed it
		}
		maxPrice = float32(p)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// The default of 2 idle connections per host would close and re-handshake
	// connections as soon as more than two sends run at once.
	transport.MaxIdleConnsPerHost = 16
	return &Sender{
		cfg:       cfg,
		api:       api,
		maxPrice:  maxPrice,
		transport: transport,
		validator: client.NewRequestValidator(cfg.AuthToken),
	}, nil
}

// Send asks Twilio to send m.Text to m.To and returns the message SID.
// Failures are *notifier.SendErrors: temporary for rate limits, full sender
// queues, 5xx replies, network errors and timeouts; permanent for other
// 4xx replies, with Unsubscribe set when the recipient replied STOP (21610).
//
// ctx bounds the request: a done ctx sends nothing, and cancelling ctx
// abandons a request in flight, which Twilio may still have accepted. A
// caller that would rather let sends in flight finish on shutdown passes
// context.WithoutCancel(ctx); Config.Timeout still bounds them.
func (s *Sender) Send(ctx context.Context, m notifier.Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", notifier.Temporary("", fmt.Errorf("sms: send: %w", err))
	}
	if !e164Pattern.MatchString(m.To) {
		return "", notifier.Permanent("", fmt.Errorf("sms: recipient %s is not an E.164 number", mask(m.To)))
	}
	if m.Text == "" {
		return "", notifier.Permanent("", errors.New("sms: empty message"))
	}
	if m.StatusCallback != "" {
		if err := checkCallback(m.StatusCallback); err != nil {
			return "", notifier.Permanent("", fmt.Errorf("sms: status callback %q: %w", m.StatusCallback, err))
		}
	}

	params := &openapi.CreateMessageParams{}
	params.SetTo(m.To)
	if s.cfg.From != "" {
		params.SetFrom(s.cfg.From)
	} else {
		params.SetMessagingServiceSid(s.cfg.MessagingServiceSID)
	}
	params.SetBody(m.Text)
	if m.StatusCallback != "" {
		params.SetStatusCallback(m.StatusCallback)
	}
	if s.maxPrice > 0 {
		params.SetMaxPrice(s.maxPrice)
	}

	// Cancelling when the send is over also frees the connection of an
	// error reply, whose body twilio-go reads but never closes.
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	var reply reply
	msg, err := s.restClient(ctx, &reply).Api.CreateMessage(params)
	if err != nil {
		return "", classify(err, reply, m.To)
	}
	if msg.Sid == nil || *msg.Sid == "" {
		// Twilio may or may not have taken the message; retrying risks a
		// duplicate, giving up risks a lost notification: retry.
		return "", notifier.Temporary("", fmt.Errorf("sms: reply (http %d) has no message sid", reply.status))
	}
	return *msg.Sid, nil
}

// restClient returns a twilio-go client whose requests go to s.cfg.APIURL
// under ctx and report their reply in r. twilio-go has no per-call context,
// so the context has to live in the client: one client per send. Building
// one costs some microseconds; the connections are shared.
func (s *Sender) restClient(ctx context.Context, r *reply) *twilio.RestClient {
	c := &client.Client{
		Credentials: client.NewCredentials(s.cfg.AccountSID, s.cfg.AuthToken),
		HTTPClient: &http.Client{
			Transport: &rewriter{ctx: ctx, api: s.api, next: s.transport, reply: r},
			Timeout:   s.cfg.Timeout,
			// As twilio-go's own client: a redirect is an answer, not a
			// place to send credentials to.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	c.SetAccountSid(s.cfg.AccountSID)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}

// ValidSignature reports whether signature, an X-Twilio-Signature header,
// signs a webhook request to fullURL (as Twilio called it, query included)
// with form parameters params, using the account's auth token.
func (s *Sender) ValidSignature(fullURL string, params map[string]string, signature string) bool {
	if signature == "" {
		return false
	}
	return s.validator.Validate(fullURL, params, signature)
}

// reply is what the transport saw of Twilio's answer, which twilio-go drops:
// the HTTP status (its error carries the status from the JSON body, if any)
// and Retry-After.
type reply struct {
	status     int
	retryAfter string
}

// rewriter sends twilio-go's requests to api, keeping their path and query,
// under ctx.
type rewriter struct {
	ctx   context.Context
	api   *url.URL
	next  http.RoundTripper
	reply *reply
}

func (t *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	// Clone: a RoundTripper must not change the request it is given. The
	// request's own context is twilio-go's context.Background(); ctx carries
	// the caller's cancellation and the send's deadline, while
	// http.Client.Timeout still applies through the request's Cancel channel.
	r := req.Clone(t.ctx)
	r.URL.Scheme = t.api.Scheme
	r.URL.Host = t.api.Host
	r.Host = ""
	resp, err := t.next.RoundTrip(r)
	if err == nil {
		t.reply.status = resp.StatusCode
		t.reply.retryAfter = resp.Header.Get("Retry-After")
	}
	return resp, err
}

// checkCallback accepts absolute http(s) URLs, which is what Twilio calls.
func checkCallback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("not an absolute http(s) URL")
	}
	return nil
}

// retryAfter reads a Retry-After header, in seconds or as an HTTP date,
// and returns at least floor and at most maxRetryAfter.
func retryAfter(header string, now time.Time, floor time.Duration) time.Duration {
	d := floor
	if secs, err := strconv.Atoi(header); err == nil {
		d = max(d, time.Duration(secs)*time.Second)
	} else if t, err := http.ParseTime(header); err == nil {
		d = max(d, t.Sub(now))
	}
	return min(d, maxRetryAfter)
}
