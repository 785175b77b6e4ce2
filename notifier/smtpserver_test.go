package notifier_test

import (
	"errors"
	"io"
	"log"
	"net"
	"strconv"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server on 127.0.0.1 that records every message
// it accepts and can be told to refuse or cut the next messages.
type smtpServer struct {
	Host string
	Port int

	mu       sync.Mutex
	conns    int
	messages []mailReceived
	faults   []smtpFault
	// onReceive, when set, is called (without mu held) after each accepted
	// message with the number accepted so far.
	onReceive func(n int)
}

// mailReceived is one message the server accepted.
type mailReceived struct {
	From string
	To   []string
	Data string
}

// smtpFault is what the server does to one message.
type smtpFault struct {
	stage string // "rcpt" or "data": where to answer code
	code  int
	drop  bool // hang up in the middle of DATA
}

func startSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	s := &smtpServer{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns++
		s.mu.Unlock()
		return &smtpSession{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		_ = srv.Close()
		// Close misses a listener that Serve has not registered yet.
		_ = ln.Close()
		<-done
	})
	return s
}

// failNext makes the next n messages fail with code at stage.
func (s *smtpServer) failNext(n int, stage string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, smtpFault{stage: stage, code: code})
	}
}

// dropNext makes the server hang up in the middle of the next message.
func (s *smtpServer) dropNext() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, smtpFault{drop: true})
}

func (s *smtpServer) nextFault() smtpFault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return smtpFault{}
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f
}

func (s *smtpServer) received() []mailReceived {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailReceived(nil), s.messages...)
}

func (s *smtpServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

type smtpSession struct {
	s     *smtpServer
	from  string
	to    []string
	fault smtpFault
	conn  *smtp.Conn
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	ss.fault = ss.s.nextFault()
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.fault.stage == "rcpt" {
		return smtpReply(ss.fault.code)
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	if ss.fault.drop {
		// Read the start of the message, then die: the client sees the
		// connection vanish before the final reply.
		_, _ = io.ReadFull(r, make([]byte, 64))
		ss.conn.Conn().Close()
		return errDrop
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.fault.stage == "data" {
		return smtpReply(ss.fault.code)
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, mailReceived{From: ss.from, To: ss.to, Data: string(data)})
	n := len(ss.s.messages)
	hook := ss.s.onReceive
	ss.s.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.to, ss.fault = "", nil, smtpFault{} }
func (ss *smtpSession) Logout() error { return nil }

// errDrop is never seen by the client: the connection is closed first.
var errDrop = errors.New("dropped")

func smtpReply(code int) error {
	return &smtp.SMTPError{
		Code:         code,
		EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0},
		Message:      "test server says " + strconv.Itoa(code),
	}
}
