// Package smtptest runs a real SMTP server on 127.0.0.1 for tests: it
// records every message it accepts and refuses or cuts the next messages
// when told to. Only tests import it.
package smtptest

import (
	"errors"
	"io"
	"log"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// Mail is one message the server accepted.
type Mail struct {
	From string
	To   []string
	Data []byte
}

// fault is what the server does to one message: answer code at stage
// ("mail", "rcpt" or "data"), or hang up in the middle of DATA.
type fault struct {
	stage string
	code  int
	drop  bool
}

// Server is a running SMTP server; Host and Port are where it listens.
type Server struct {
	Host string
	Port int

	mu       sync.Mutex
	conns    int
	mails    []Mail
	attempts map[string]int // transactions that reached RCPT, by recipient
	faults   []fault
	// onReceive, when set, is called (without mu held) after each
	// accepted message with the number accepted so far.
	onReceive func(n int)
}

// Start starts a server that stops when the test ends.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s := &Server{attempts: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	tb.Cleanup(func() {
		_ = srv.Close()
		// Close misses a listener that Serve has not registered yet.
		_ = ln.Close()
		<-done
	})
	return s
}

// FailNext makes the next n messages fail with code at stage ("mail",
// "rcpt" or "data").
func (s *Server) FailNext(n int, stage string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{stage: stage, code: code})
	}
}

// DropNext makes the server hang up in the middle of the next n messages.
func (s *Server) DropNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{drop: true})
	}
}

// OnReceive sets a function called after each accepted message with the
// number accepted so far.
func (s *Server) OnReceive(fn func(n int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onReceive = fn
}

func (s *Server) nextFault() fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return fault{}
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f
}

// Received returns the accepted messages from index from on.
func (s *Server) Received(from int) []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	if from > len(s.mails) {
		return nil
	}
	return slices.Clone(s.mails[from:])
}

// Count returns how many messages the server accepted.
func (s *Server) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.mails)
}

// Tries returns how many transactions named rcpt as a recipient.
func (s *Server) Tries(rcpt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[rcpt]
}

// Connections returns how many connections the server accepted.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

type session struct {
	s     *Server
	conn  *smtp.Conn
	from  string
	to    []string
	fault fault
	// dropped is set once the session hung up: commands the client had
	// pipelined behind the cut, still in the server's buffer, count for
	// nothing.
	dropped bool
}

func reply(code int) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "test server says " + strconv.Itoa(code)}
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.dropped {
		return errDrop
	}
	ss.fault = ss.s.nextFault()
	if ss.fault.stage == "mail" {
		return reply(ss.fault.code)
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.dropped {
		return errDrop
	}
	ss.s.mu.Lock()
	ss.s.attempts[to]++
	ss.s.mu.Unlock()
	if ss.fault.stage == "rcpt" {
		return reply(ss.fault.code)
	}
	ss.to = append(ss.to, to)
	return nil
}

// errDrop is never seen by the client: the connection is closed first.
var errDrop = errors.New("dropped")

func (ss *session) Data(r io.Reader) error {
	if ss.fault.drop {
		// Read the start of the message, then die: the client sees the
		// connection vanish before the final reply.
		_, _ = io.ReadFull(r, make([]byte, 64))
		ss.conn.Conn().Close()
		ss.dropped = true
		return errDrop
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.fault.stage == "data" {
		return reply(ss.fault.code)
	}
	ss.s.mu.Lock()
	ss.s.mails = append(ss.s.mails, Mail{From: ss.from, To: ss.to, Data: data})
	n := len(ss.s.mails)
	hook := ss.s.onReceive
	ss.s.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to, ss.fault = "", nil, fault{} }
func (ss *session) Logout() error { return nil }
