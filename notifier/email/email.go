// Package email sends notifications by SMTP through go-mail, over a small
// pool of connections kept open between messages.
//
// Each pooled connection carries one message at a time. A connection that
// fails (network error, timeout, 421) is dropped and the message is tried
// once more on a fresh one; a 4xx reply is a temporary failure and a 5xx
// reply a permanent one, both returned as *notifier.SendError without a
// retry here: the notifier's outbox schedules retries.
package email

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/notifier"
)

// defaultMaxIdle is how long a pooled connection may sit unused before
// Send checks it with NOOP. Relays close idle sessions after anything from
// tens of seconds to several minutes.
const defaultMaxIdle = 10 * time.Second

// maxPooledBuffer is the largest composing buffer kept for reuse: a rare
// huge message should not pin its memory.
const maxPooledBuffer = 256 << 10

// Sender sends email over a pool of SMTP connections. It is safe for
// concurrent use; at most Config.Pool messages are in flight at once.
type Sender struct {
	cfg   Config
	log   *slog.Logger
	slots chan *conn // idle slots; a Send holds one while it sends
	from  atomic.Pointer[sender]
	bufs  sync.Pool // of *[]byte, for composing messages

	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

var _ notifier.Sender = (*Sender)(nil)

// sender is who messages come from: the envelope's bare address and the
// From header with the display name.
type sender struct{ addr, header string }

func newIdentity(addr, name string) *sender {
	// The name is usually the page's, which a database from before names
	// were checked may hold with control characters.
	return &sender{addr: addr, header: (&netmail.Address{Name: chars.CleanLine(name), Address: addr}).String()}
}

// SetFrom changes the sender of the messages composed from now on; addr
// must be a bare address and name one line, as in Config.
func (s *Sender) SetFrom(addr, name string) error {
	switch {
	case !ValidFrom(addr):
		return fmt.Errorf("email: set sender: %q is not a bare address like status@example.com", addr)
	case !ValidFromName(name):
		return errors.New("email: set sender: the name must be a single line")
	}
	s.from.Store(newIdentity(addr, name))
	return nil
}

// New returns a Sender for cfg. It does not connect: each pooled connection
// is dialled when first needed. log may be nil.
func New(cfg Config, log *slog.Logger) (*Sender, error) {
	return newSender(cfg, log, nil, defaultMaxIdle)
}

// newSender is New with the TLS settings and idle limit tests need.
func newSender(cfg Config, log *slog.Logger, tlsConfig *tls.Config, maxIdle time.Duration) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("email: invalid config: %w", err)
	}
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	} else {
		tlsConfig = tlsConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = cfg.Host
	}

	s := &Sender{
		cfg:   cfg,
		log:   log.With("smtp_host", cfg.Host, "smtp_port", cfg.Port),
		slots: make(chan *conn, cfg.Pool),
		done:  make(chan struct{}),
	}
	s.from.Store(newIdentity(cfg.From, cfg.FromName))
	s.bufs.New = func() any { b := make([]byte, 0, 8<<10); return &b }
	for range cfg.Pool {
		c, err := newConn(cfg, tlsConfig, maxIdle)
		if err != nil {
			return nil, err
		}
		s.slots <- c
	}
	return s, nil
}

// Send delivers m and returns the Message-ID it carried: m's own
// "Message-ID" header if set (completed with the sender address's domain
// when it has none), otherwise a new one. Failures are
// *notifier.SendError: Permanent for a 5xx reply or a message that cannot
// be sent, temporary otherwise, with the reply code when there is one.
func (s *Sender) Send(ctx context.Context, m notifier.Message) (string, error) {
	bp := s.bufs.Get().(*[]byte)
	defer s.bufs.Put(bp)
	data, env, err := s.compose((*bp)[:0], m, time.Now())
	if err != nil {
		return "", notifier.Permanent("", fmt.Errorf("email: compose message to %s: %w", mask(m.To), err))
	}
	if cap(data) <= maxPooledBuffer {
		*bp = data[:0] // keep the grown buffer for the next message
	}
	c, err := s.acquire(ctx)
	if err != nil {
		return "", notifier.Temporary("", err)
	}
	defer s.release(c)

	if err := c.send(ctx, env, data); err != nil {
		if connFailed(err) {
			err = s.resend(ctx, c, m.To, env, data, err)
		}
		if err != nil {
			return "", sendFailure(ctx, err, m.To)
		}
	}
	return env.msgID, nil
}

// resend tries a message once more, on a fresh connection, after its
// connection failed under it: gone stale, or cut mid-message. After a cut
// that came after the server took the message, this can deliver it twice,
// which beats losing it. Nothing is tried once ctx is done.
func (s *Sender) resend(ctx context.Context, c *conn, to string, env envelope, data []byte, cause error) error {
	if ctx.Err() != nil {
		return cause
	}
	s.log.Warn("email: connection failed, redialling", "to", mask(to), "err", redact(cause.Error(), to))
	c.drop()
	return c.send(ctx, env, data)
}

// sendFailure is a failed send's error for the notifier, saying so when ctx
// ended it.
func sendFailure(ctx context.Context, err error, to string) error {
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = fmt.Errorf("%w: %w", ctxErr, err)
	}
	return sendError(err, to)
}

// acquire waits for a free slot.
func (s *Sender) acquire(ctx context.Context) (*conn, error) {
	select {
	case <-s.done:
		return nil, ErrClosed
	case <-ctx.Done():
		return nil, fmt.Errorf("email: wait for a connection: %w", ctx.Err())
	case c := <-s.slots:
		select {
		case <-s.done:
			s.slots <- c // for Close to collect
			return nil, ErrClosed
		default:
			return c, nil
		}
	}
}

func (s *Sender) release(c *conn) { s.slots <- c }

// Close waits for the messages in flight, then ends every pooled
// connection with QUIT. Send fails with ErrClosed afterwards. Close may be
// called more than once.
func (s *Sender) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		for range cap(s.slots) {
			c := <-s.slots
			c.quit()
		}
	})
	return nil
}
