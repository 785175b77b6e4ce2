package email

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

var _ notifier.BatchSender = (*Sender)(nil)

// SendBatch sends ms in order over one pooled connection. When the server
// offers PIPELINING, each message's final dot goes out in the same write
// as the next message's MAIL, RCPT and DATA, and their replies are read
// together: one round trip per message instead of two, as postfix's own
// SMTP client does (RFC 2920 lets a message's content start a group of
// commands). A message calls reach just before its final dot is written:
// until then it cannot arrive. Failures are those of Send, and a message
// whose connection fails under it is tried once more on a fresh one, as
// Send does.
func (s *Sender) SendBatch(ctx context.Context, ms []notifier.Message, next func(int, bool) error, reach func(int), done func(int, string, error)) {
	c, err := s.acquire(ctx)
	if err != nil {
		for i := range ms {
			if next(i, true) != nil {
				return
			}
			done(i, "", notifier.Temporary("", err))
		}
		return
	}
	defer s.release(c)
	b := &batch{s: s, c: c, ctx: ctx, reach: reach, done: done}
	for i := range b.bufs {
		b.bufs[i] = s.bufs.Get().(*[]byte)
	}
	defer func() {
		for _, bp := range b.bufs {
			if cap(*bp) <= maxPooledBuffer {
				s.bufs.Put(bp)
			}
		}
	}()
	b.stopWatch = c.watchContext(ctx)
	defer func() { b.stopWatch() }()

	var open *outgoing // accepted by the server: its content goes next
	for i, m := range ms {
		err := next(i, false)
		if errors.Is(err, notifier.ErrWouldWait) {
			// Nothing should sit unsent while the next message waits.
			if open != nil {
				b.finish(open)
				open = nil
			}
			err = next(i, true)
		}
		if err != nil {
			break
		}
		slot := 0
		if open != nil {
			slot = 1 - open.slot
		}
		o := b.compose(i, m, slot)
		switch {
		case o == nil:
		case open == nil:
			open = b.start(o)
		default:
			open = b.chain(open, o)
		}
	}
	if open != nil {
		b.finish(open)
	}
}

// batch is one SendBatch in progress. Messages alternate between two
// composing buffers: one holds the message whose content goes out next,
// the other the message being composed after it.
type batch struct {
	s         *Sender
	c         *conn
	ctx       context.Context
	reach     func(int)
	done      func(int, string, error)
	bufs      [2]*[]byte
	out       [2]outgoing // the message composed into each buffer
	stopWatch func()
}

// outgoing is a composed message of the batch.
type outgoing struct {
	i       int    // index in the batch
	to      string // the address as given, for errors
	env     envelope
	data    []byte // ready for DATA, in bufs[slot]
	slot    int
	reached bool // reach was called: its final dot may be written
}

// compose composes ms[i] into buffer slot, or reports it failed.
func (b *batch) compose(i int, m notifier.Message, slot int) *outgoing {
	bp := b.bufs[slot]
	data, env, err := b.s.compose((*bp)[:0], m, time.Now())
	if err != nil {
		b.done(i, "", notifier.Permanent("", fmt.Errorf("email: compose message to %s: %w", mask(m.To), err)))
		return nil
	}
	*bp = data[:0]
	b.out[slot] = outgoing{i: i, to: m.To, env: env, data: data, slot: slot}
	return &b.out[slot]
}

// place calls reach for o, once, before o's final dot is first written.
func (b *batch) place(o *outgoing) {
	if !o.reached {
		b.reach(o.i)
		o.reached = true
	}
}

// start opens o's transaction on its own: MAIL, RCPT and DATA in one
// write. It returns o when the server waits for o's content, nil when o
// has been dealt with already. Without PIPELINING o is sent as by Send.
func (b *batch) start(o *outgoing) *outgoing {
	c := b.c
	if err := c.ready(b.ctx); err != nil {
		b.alone(o, err) // one more dial, as Send makes
		return nil
	}
	if !c.pipelining {
		b.alone(o, nil)
		return nil
	}
	err := c.client.UpdateDeadline(c.timeout)
	if err == nil {
		err = c.write(c.appendCommands(nil, o.env))
	}
	if err == nil {
		err = c.readCommandReplies()
	}
	return b.opened(o, err)
}

// chain ends open's content with its final dot and, in the same write,
// opens o's transaction; both replies are read after. It returns o when
// the server waits for o's content.
func (b *batch) chain(open, o *outgoing) *outgoing {
	c := b.c
	b.place(open)
	err := c.client.UpdateDeadline(c.timeout)
	if err == nil {
		p := c.appendCommands(appendEnd(open.data), o.env)
		*b.bufs[open.slot] = p[:0]
		err = c.write(p)
	}
	if err == nil {
		err = c.readEndReply()
	}
	if err != nil && connFailed(err) {
		// Neither outcome is known: open alone on a fresh connection,
		// then o from the start.
		b.alone(open, err)
		return b.start(o)
	}
	b.ended(open, err)
	return b.opened(o, c.readCommandReplies())
}

// finish sends open's final dot alone and reads the reply.
func (b *batch) finish(open *outgoing) {
	c := b.c
	b.place(open)
	err := c.client.UpdateDeadline(c.timeout)
	if err == nil {
		err = c.write(appendEnd(open.data))
	}
	if err == nil {
		err = c.readEndReply()
	}
	if err != nil && connFailed(err) {
		b.alone(open, err)
		return
	}
	b.ended(open, err)
}

// opened deals with the replies to o's MAIL, RCPT and DATA: o when the
// server waits for its content, nil when o was refused or its connection
// failed (then o is tried once more, alone).
func (b *batch) opened(o *outgoing, err error) *outgoing {
	b.c.lastUsed = time.Now()
	if err == nil {
		return o
	}
	if connFailed(err) {
		b.alone(o, err)
		return nil
	}
	b.c.reset()
	b.report(o, err)
	return nil
}

// ended reports a message after the reply to its final dot: sent, or
// refused (which ends its transaction: no RSET is needed).
func (b *batch) ended(o *outgoing, err error) {
	b.c.lastUsed = time.Now()
	b.report(o, err)
}

// alone sends o by itself, as Send does: tried once more on a fresh
// connection if its connection fails. cause, when set, is such a failure
// of an attempt already made in the batch.
func (b *batch) alone(o *outgoing, cause error) {
	b.place(o)
	b.stopWatch() // c.send watches the context itself
	err := cause
	if err == nil {
		err = b.c.send(b.ctx, o.env, o.data)
	}
	if err != nil && connFailed(err) {
		b.c.drop()
		err = b.s.resend(b.ctx, b.c, o.to, o.env, o.data, err)
	}
	b.stopWatch = b.c.watchContext(b.ctx)
	b.report(o, err)
}

// report tells the caller how o went.
func (b *batch) report(o *outgoing, err error) {
	if err != nil {
		b.done(o.i, "", sendFailure(b.ctx, err, o.to))
		return
	}
	b.done(o.i, o.env.msgID, nil)
}
