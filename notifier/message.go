package notifier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Channel is a way of reaching a subscriber.
type Channel string

// The channels. The chat channels post to a platform's incoming webhook,
// in its own message format (notifier/chat).
const (
	Email      Channel = "email"
	SMS        Channel = "sms"
	Webhook    Channel = "webhook"
	Slack      Channel = "slack"
	Teams      Channel = "teams"
	Discord    Channel = "discord"
	Mattermost Channel = "mattermost"
	GoogleChat Channel = "google_chat"
)

// Chats are the chat channels, in the order forms list them.
var Chats = []Channel{Slack, Teams, Discord, Mattermost, GoogleChat}

// Valid reports whether c is a known channel.
func (c Channel) Valid() bool { return c == Email || c == SMS || c == Webhook || c.Chat() }

// Chat reports whether c is a chat channel.
func (c Channel) Chat() bool {
	return c == Slack || c == Teams || c == Discord || c == Mattermost || c == GoogleChat
}

// Label is c's name for people: "Email", "Microsoft Teams".
func (c Channel) Label() string {
	switch c {
	case SMS:
		return "SMS"
	case Teams:
		return "Microsoft Teams"
	case GoogleChat:
		return "Google Chat"
	}
	if c == "" {
		return ""
	}
	return strings.ToUpper(string(c[:1])) + string(c[1:])
}

// Message is one rendered notification for one recipient, ready for a
// channel's Sender.
type Message struct {
	// To is the email address, the E.164 phone number or the webhook URL.
	To string
	// Subject, Text and HTML make an email; Text alone makes an SMS.
	Subject string
	Text    string
	HTML    string
	// TextLayout and HTMLLayout, when set, stand for Text and HTML: an
	// email's parts shared by every recipient of an event, with Values in
	// their holes. TextBody and HTMLBody read a message's parts whichever
	// way they are given.
	TextLayout, HTMLLayout *Layout
	Values                 []string
	// Headers are extra email headers (Message-ID, In-Reply-To, References,
	// List-Unsubscribe, List-Unsubscribe-Post).
	Headers map[string]string
	// Body is a webhook's JSON payload; Secret the key it is signed with.
	Body   []byte
	Secret string
	// StatusCallback, for SMS, is where the provider reports delivery.
	StatusCallback string
}

// TextBody returns the text part: Text, or TextLayout filled with Values.
func (m Message) TextBody() string {
	if m.TextLayout != nil {
		return m.TextLayout.Fill(m.Values)
	}
	return m.Text
}

// HTMLBody returns the HTML part: HTML, or HTMLLayout filled with Values.
func (m Message) HTMLBody() string {
	if m.HTMLLayout != nil {
		return m.HTMLLayout.Fill(m.Values)
	}
	return m.HTML
}

// Layout is text shared by many messages with holes for what differs
// between them, such as a subscriber's links: Pieces[0], the value for
// Holes[0], Pieces[1], … Pieces[len(Holes)]. A renderer makes one per
// event so that a sender can prepare the shared text once (Derived)
// instead of once per recipient. It must not change once a message uses
// it.
type Layout struct {
	Pieces []string
	Holes  []int // indexes into a message's Values

	derived sync.Map
}

// Fill returns the text with values in the holes.
func (l *Layout) Fill(values []string) string {
	n := 0
	for _, p := range l.Pieces {
		n += len(p)
	}
	for _, h := range l.Holes {
		n += len(values[h])
	}
	var b strings.Builder
	b.Grow(n)
	for i, h := range l.Holes {
		b.WriteString(l.Pieces[i])
		b.WriteString(values[h])
	}
	b.WriteString(l.Pieces[len(l.Pieces)-1])
	return b.String()
}

// Derived returns what derive makes of l for key, made once and kept with
// l for as long as l lives.
func (l *Layout) Derived(key any, derive func(*Layout) any) any {
	if v, ok := l.derived.Load(key); ok {
		return v
	}
	v, _ := l.derived.LoadOrStore(key, derive(l))
	return v
}

// Sender sends messages on one channel. It returns the provider's id for
// the message when it has one (a Twilio message SID), and a *SendError
// classifying any failure.
type Sender interface {
	Send(ctx context.Context, m Message) (providerID string, err error)
}

// A BatchSender is a Sender that can send several messages together,
// overlapping them where its protocol allows: SMTP's PIPELINING lets one
// message's end and the next message's commands share a round trip.
type BatchSender interface {
	Sender
	// SendBatch sends ms in order. Before message i starts it calls
	// next(i, false), which answers ErrWouldWait rather than block (a rate
	// limit); the sender then finishes what it has on the wire and calls
	// next(i, true), which may block. Any other error from next stops the
	// batch: message i and those after it are neither sent nor reported.
	// Just before it writes what lets message i reach its recipient (an
	// email's final dot, or the whole of a message sent alone) it calls
	// reach(i), which may block: message i takes its place among the
	// unrecorded messages then, not while its commands are still going
	// back and forth. done(i, providerID, err) reports, exactly once, each
	// message that next let go, with Send's results; it may come after
	// next(i+1, …).
	SendBatch(ctx context.Context, ms []Message, next func(i int, wait bool) error, reach func(i int), done func(i int, providerID string, err error))
}

// ErrWouldWait is what a BatchSender's next answers when the message may
// go only after a wait.
var ErrWouldWait = errors.New("notifier: the next message must wait")

// sendBatchTimeout bounds each message of a sender without SendBatch.
const sendBatchTimeout = 2 * time.Minute

// sendBatch sends ms through s: in one SendBatch when s has it, otherwise
// one Send at a time, each bounded by sendBatchTimeout, its place taken
// just before it goes (a request may arrive as soon as it is sent).
func sendBatch(ctx context.Context, s Sender, ms []Message, next func(int, bool) error, reach func(int), done func(int, string, error)) {
	if bs, ok := s.(BatchSender); ok {
		bs.SendBatch(ctx, ms, next, reach, done)
		return
	}
	for i, m := range ms {
		if err := next(i, true); err != nil {
			return
		}
		reach(i)
		mctx, cancel := context.WithTimeout(ctx, sendBatchTimeout)
		id, err := s.Send(mctx, m)
		cancel()
		done(i, id, err)
	}
}

// SendError classifies a failed send, which decides what happens next: a
// temporary failure is retried with backoff, a permanent one is not and
// counts towards quarantining the subscriber.
type SendError struct {
	Permanent bool
	// Code is the provider's error code when there is one ("550", "21610").
	Code string
	// RetryAfter, when set, is the least time to wait before retrying.
	RetryAfter time.Duration
	// Unsubscribe is set when the recipient asked the provider to stop
	// (Twilio 21610): the subscriber is unsubscribed, not quarantined.
	Unsubscribe bool
	// Gone is set when the address no longer exists (a chat webhook that
	// was deleted answers 404 or 410): the subscriber is quarantined at
	// once.
	Gone bool
	Err  error
}

func (e *SendError) Error() string {
	kind := "temporary"
	if e.Permanent {
		kind = "permanent"
	}
	if e.Code != "" {
		return fmt.Sprintf("%s failure (code %s): %v", kind, e.Code, e.Err)
	}
	return fmt.Sprintf("%s failure: %v", kind, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// Temporary wraps err as a failure worth retrying.
func Temporary(code string, err error) *SendError { return &SendError{Code: code, Err: err} }

// Permanent wraps err as a failure not worth retrying.
func Permanent(code string, err error) *SendError {
	return &SendError{Permanent: true, Code: code, Err: err}
}

// Classify returns err as a *SendError, treating unclassified errors
// (network failures, timeouts) as temporary.
func Classify(err error) *SendError {
	var se *SendError
	if errors.As(err, &se) {
		return se
	}
	return &SendError{Err: err}
}
