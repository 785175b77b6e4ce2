package email

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"sync"
	"time"

	"github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// quitTimeout bounds the QUIT sent to each connection on Close.
const quitTimeout = 2 * time.Second

// errCanceled is what a dial reports when its context ended while it was
// connecting.
var errCanceled = errors.New("email: canceled while connecting")

// conn is one slot of the pool: a go-mail client, which holds the settings,
// and the SMTP connection it dialled, if any. A conn is used by one Send at
// a time; only the fields under mu are shared with a context watcher.
type conn struct {
	mc        *mail.Client
	addr      string
	implicit  bool // TLS from the first byte
	tlsConfig *tls.Config
	timeout   time.Duration
	maxIdle   time.Duration

	client     *smtp.Client // nil until dialled and after a drop
	lastUsed   time.Time
	pipelining bool // the server offers PIPELINING
	utf8       bool // the server offers SMTPUTF8

	mu    sync.Mutex
	raw   net.Conn // the TCP connection under client, closed to abort
	watch *watch   // the attempt in progress
}

// watch is one attempt's claim on the connection: a watcher that fires
// after its attempt ended must not close the next attempt's connection.
type watch struct{ aborted bool }

// newConn returns an undialled slot configured from cfg.
func newConn(cfg Config, tlsConfig *tls.Config, maxIdle time.Duration) (*conn, error) {
	c := &conn{
		addr:      net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)),
		implicit:  cfg.TLS == TLSImplicit,
		tlsConfig: tlsConfig,
		timeout:   cfg.Timeout,
		maxIdle:   maxIdle,
	}
	policy := mail.TLSMandatory
	if cfg.TLS != TLSStartTLS {
		// "tls" does its handshake in dialContext, so go-mail must not
		// try STARTTLS on top of it.
		policy = mail.NoTLS
	}
	opts := []mail.Option{
		mail.WithPort(cfg.Port),
		mail.WithTimeout(cfg.Timeout),
		mail.WithTLSPolicy(policy),
		mail.WithTLSConfig(tlsConfig),
		// The dialler is ours so that a cancelled context can close the
		// socket: go-mail's Send takes no context, and closing its
		// smtp.Client waits for the command in progress.
		mail.WithDialContextFunc(c.dialContext),
	}
	if cfg.Username != "" {
		opts = append(opts,
			mail.WithUsername(cfg.Username),
			mail.WithPassword(cfg.Password),
			// Not go-mail's auto-discovery: it never picks PLAIN or LOGIN
			// unless go-mail itself did the TLS handshake, and ours does
			// it for "tls". PLAIN and LOGIN still refuse to send the
			// password over clear text to anything but localhost.
			mail.WithOpportunisticSMTPAuth(mail.SMTPAuthPlain, mail.SMTPAuthLogin),
		)
	}
	mc, err := mail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("email: configure client: %w", err)
	}
	c.mc = mc
	return c, nil
}

// send delivers data over this slot's connection, dialling it first if
// needed. A connection-level failure drops the connection; a refusal
// resets the transaction so the connection can carry the next message.
func (c *conn) send(ctx context.Context, env envelope, data []byte) error {
	stop := c.watchContext(ctx)
	defer stop()
	if err := c.ready(ctx); err != nil {
		return err
	}
	err := c.transact(env, data)
	c.lastUsed = time.Now()
	if err == nil {
		return nil
	}
	if f, _ := classify(err); f == failConn || ctx.Err() != nil {
		c.drop()
		return err
	}
	// A refused MAIL, RCPT or DATA leaves a transaction open on some
	// servers; reset in every case.
	c.reset()
	return err
}

// ready makes sure the slot has a connection: an idle one is checked
// with NOOP first, a missing or dead one dialled.
func (c *conn) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.client != nil && time.Since(c.lastUsed) > c.maxIdle {
		// Servers close idle connections; find out now rather than
		// spending the message's one retry on it.
		if err := c.ping(); err != nil {
			c.drop()
		}
	}
	if c.client == nil {
		return c.dial(ctx)
	}
	return nil
}

// reset ends a refused transaction with RSET, or drops the connection if
// even that fails.
func (c *conn) reset() {
	if err := c.client.Reset(); err != nil {
		c.drop()
	}
}

// transact runs one SMTP mail transaction: MAIL, RCPT and DATA, then the
// message, which compose made ready for DATA (CRLF line ends, no line
// starting with a dot). It uses go-mail's connection and its text
// protocol reader but not its Send, which would encode the message again.
// When the server offers PIPELINING (RFC 2920), MAIL, RCPT and DATA go out
// together and their three replies are read after: one round trip instead
// of three, as postfix's own SMTP client does.
func (c *conn) transact(env envelope, data []byte) error {
	if err := c.client.UpdateDeadline(c.timeout); err != nil {
		return err
	}
	if c.pipelining {
		if err := c.write(c.appendCommands(nil, env)); err != nil {
			return err
		}
		if err := c.readCommandReplies(); err != nil {
			return err
		}
	} else {
		lines := c.appendCommands(nil, env)
		for _, step := range steps {
			n := bytes.Index(lines, []byte("\r\n")) + 2
			if err := c.write(lines[:n]); err != nil {
				return err
			}
			lines = lines[n:]
			if _, _, err := c.client.Text.ReadResponse(step.expect); err != nil {
				if !isReply(err) {
					return err
				}
				return &refusal{stage: step.stage, err: err}
			}
		}
	}
	if err := c.write(appendEnd(data)); err != nil {
		return err
	}
	return c.readEndReply()
}

// steps are the commands that open a mail transaction, in order, with
// the reply each wants.
var steps = [3]struct {
	stage  string
	expect int
}{{"mail", 250}, {"rcpt", 25}, {"data", 354}}

// appendCommands appends the MAIL, RCPT and DATA lines for env to buf.
func (c *conn) appendCommands(buf []byte, env envelope) []byte {
	buf = append(buf, "MAIL FROM:<"...)
	buf = append(buf, env.from...)
	buf = append(buf, '>')
	if c.utf8 && (!isASCII(env.from) || !isASCII(env.to)) {
		buf = append(buf, " SMTPUTF8"...)
	}
	buf = append(buf, "\r\nRCPT TO:<"...)
	buf = append(buf, env.to...)
	buf = append(buf, ">\r\nDATA\r\n"...)
	return buf
}

// readCommandReplies reads the replies to a pipelined MAIL, RCPT and DATA.
// It returns the first refusal, if any, or a failure of the connection. A
// server that accepted DATA although it refused the sender or the
// recipient gets an empty message, which it must refuse too (RFC 2920,
// section 3.1).
func (c *conn) readCommandReplies() error {
	t := c.client.Text
	var refused error
	for _, step := range steps {
		_, _, err := t.ReadResponse(step.expect)
		if err == nil {
			if step.stage == "data" && refused != nil {
				if err := c.write([]byte(".\r\n")); err != nil {
					return err
				}
				if _, _, err := t.ReadResponse(250); err != nil && !isReply(err) {
					return err
				}
			}
			continue
		}
		if !isReply(err) {
			return err
		}
		if refused == nil {
			refused = &refusal{stage: step.stage, err: err}
		}
	}
	return refused
}

// readEndReply reads the reply to a message's final dot.
func (c *conn) readEndReply() error {
	if _, _, err := c.client.Text.ReadResponse(250); err != nil {
		if !isReply(err) {
			return err
		}
		return &refusal{stage: "message", err: err}
	}
	return nil
}

// write sends p at once: one write call, as long as nothing else waits in
// the connection's buffer.
func (c *conn) write(p []byte) error {
	w := c.client.Text.W
	if _, err := w.Write(p); err != nil {
		return err
	}
	return w.Flush()
}

// appendEnd ends a composed message for DATA: a line break if the message
// lacks its last one, then the lone dot.
func appendEnd(data []byte) []byte {
	if !bytes.HasSuffix(data, []byte("\r\n")) {
		data = append(data, "\r\n"...)
	}
	return append(data, ".\r\n"...)
}

// isReply reports whether err is an SMTP reply rather than a failure of
// the connection.
func isReply(err error) bool {
	var te *textproto.Error
	return errors.As(err, &te)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// dial connects, greets, starts TLS and authenticates.
func (c *conn) dial(ctx context.Context) error {
	client, err := c.mc.DialToSMTPClientWithContext(ctx)
	if err != nil {
		// go-mail leaves the socket open when EHLO or STARTTLS fail.
		c.closeRaw()
		return fmt.Errorf("dial %s: %w", c.addr, err)
	}
	c.client = client
	c.lastUsed = time.Now()
	c.pipelining, _ = client.Extension("PIPELINING")
	c.utf8, _ = client.Extension("SMTPUTF8")
	return nil
}

// dialContext is go-mail's dialler: it records the TCP connection so that
// watchContext can close it, and does the handshake for implicit TLS.
func (c *conn) dialContext(ctx context.Context, network, _ string) (net.Conn, error) {
	var d net.Dialer
	raw, err := d.DialContext(ctx, network, c.addr)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	aborted := c.watch != nil && c.watch.aborted
	if !aborted {
		c.raw = raw
	}
	c.mu.Unlock()
	if aborted {
		raw.Close()
		return nil, errCanceled
	}
	if !c.implicit {
		return raw, nil
	}
	// Returned as *tls.Conn, unwrapped: go-mail's smtp.Client looks at
	// that type to know the connection is encrypted before sending a
	// password.
	tc := tls.Client(raw, c.tlsConfig)
	if err := tc.HandshakeContext(ctx); err != nil {
		c.closeRaw()
		return nil, err
	}
	return tc, nil
}

// watchContext closes the connection if ctx ends before the returned stop
// is called, which makes any blocked read or write return at once.
func (c *conn) watchContext(ctx context.Context) (stop func()) {
	w := &watch{}
	c.mu.Lock()
	c.watch = w
	c.mu.Unlock()
	stopAfter := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		w.aborted = true
		if c.watch == w && c.raw != nil {
			c.raw.Close()
		}
	})
	return func() {
		stopAfter()
		c.mu.Lock()
		c.watch = nil
		c.mu.Unlock()
	}
}

// ping checks an idle connection with NOOP.
func (c *conn) ping() error {
	// go-mail only extends the deadline after its own NOOP, so a
	// connection idle for longer than the timeout would always fail it.
	if err := c.client.UpdateDeadline(c.timeout); err != nil {
		return err
	}
	return c.client.Noop()
}

// drop closes the connection without QUIT: it is broken or in an unknown
// state. The next send dials again.
func (c *conn) drop() {
	if c.client != nil {
		_ = c.client.Close()
		c.client = nil
	}
	c.closeRaw()
}

// closeRaw closes the TCP connection, if any.
func (c *conn) closeRaw() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.raw != nil {
		_ = c.raw.Close()
		c.raw = nil
	}
}

// quit ends the session politely and closes the connection. A server that
// already hung up makes QUIT fail, which is of no interest on the way out.
func (c *conn) quit() {
	if c.client != nil {
		if err := c.client.UpdateDeadline(quitTimeout); err == nil {
			_ = c.client.Quit()
		}
	}
	c.drop()
}
