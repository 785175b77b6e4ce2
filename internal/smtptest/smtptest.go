// Package smtptest runs a real SMTP server on 127.0.0.1 for tests: it
// records every message it accepts and refuses, cuts or holds the next
// messages when told to; it can speak TLS (from the first byte or after
// STARTTLS) and require AUTH. Only tests import it.
package smtptest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Mail is one message the server accepted.
type Mail struct {
	From string
	To   []string
	Data []byte
}

// Options set up a server before it starts.
type Options struct {
	ImplicitTLS bool     // TLS from the first byte
	StartTLS    bool     // offer STARTTLS
	User, Pass  string   // require AUTH with these
	Mechs       []string // mechanisms offered; PLAIN when empty
	Discard     bool     // count messages without keeping them
}

// fault is what the server does to one message: nothing, answer code at
// stage ("mail", "rcpt" or "data"), hang up in the middle of DATA, or hold
// DATA until the test ends.
type fault struct {
	stage   string
	code    int
	drop    bool
	stall   chan struct{} // closed when the test ends
	stalled chan struct{} // closed once DATA is held
}

// Server is a running SMTP server; Host and Port are where it listens.
type Server struct {
	Host string
	Port int
	// Opts are the options it was started with; TLS its configuration
	// (with a fresh self-signed certificate) when it speaks TLS.
	Opts Options
	TLS  *tls.Config

	ln net.Listener

	mu       sync.Mutex
	conns    int
	live     map[net.Conn]bool
	mails    []Mail
	count    int
	attempts map[string]int // transactions that reached RCPT, by recipient
	faults   []fault
	stalls   []chan struct{}
	// onReceive, when set, is called (without mu held) after each
	// accepted message with the number accepted so far.
	onReceive func(n int)
}

// Start starts a plain server that stops when the test ends.
func Start(tb testing.TB) *Server { return StartWith(tb, Options{}) }

// StartWith starts a server set up by o that stops when the test ends.
func StartWith(tb testing.TB, o Options) *Server {
	tb.Helper()
	s := &Server{Opts: o, live: map[net.Conn]bool{}, attempts: map[string]int{}}
	if o.ImplicitTLS || o.StartTLS {
		s.TLS = serverTLS(tb)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)
	s.ln = &trackingListener{Listener: ln, s: s}
	if o.ImplicitTLS {
		s.ln = tls.NewListener(s.ln, s.TLS)
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = !o.ImplicitTLS && !o.StartTLS
	if o.StartTLS {
		srv.TLSConfig = s.TLS
	}
	srv.ErrorLog = log.New(io.Discard, "", 0)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(s.ln)
	}()
	tb.Cleanup(func() {
		s.mu.Lock()
		for _, c := range s.stalls {
			close(c)
		}
		s.stalls = nil
		s.mu.Unlock()
		_ = srv.Close()
		// Close misses a listener that Serve has not registered yet.
		_ = s.ln.Close()
		<-done
	})
	return s
}

// PassNext lets the next n messages through: the faults asked for after
// it apply to the messages after them.
func (s *Server) PassNext(n int) { s.plan(n, fault{}) }

// FailNext makes the next n messages fail with code at stage ("mail",
// "rcpt" or "data").
func (s *Server) FailNext(n int, stage string, code int) { s.plan(n, fault{stage: stage, code: code}) }

// DropNext makes the server hang up in the middle of the next n messages.
func (s *Server) DropNext(n int) { s.plan(n, fault{drop: true}) }

// StallNext holds the next message's DATA until the test ends. The
// returned channel is closed once the server holds it.
func (s *Server) StallNext() <-chan struct{} {
	f := fault{stall: make(chan struct{}), stalled: make(chan struct{})}
	s.mu.Lock()
	s.stalls = append(s.stalls, f.stall)
	s.mu.Unlock()
	s.plan(1, f)
	return f.stalled
}

func (s *Server) plan(n int, f fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, f)
	}
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

// OnReceive sets a function called after each accepted message with the
// number accepted so far.
func (s *Server) OnReceive(fn func(n int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onReceive = fn
}

// StopListening refuses new connections, as a server that is down.
func (s *Server) StopListening() { _ = s.ln.Close() }

// HangUpAll closes every open connection from the server's side, as a
// relay does with idle sessions.
func (s *Server) HangUpAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.live {
		c.Close()
	}
}

// Received returns the accepted messages from index from on (none with
// Discard).
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
	return s.count
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

// ClientTLS returns a client configuration trusting the server's
// certificate.
func (s *Server) ClientTLS() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(s.TLS.Certificates[0].Leaf)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// trackingListener counts and tracks the connections it accepts.
type trackingListener struct {
	net.Listener
	s *Server
}

func (l *trackingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.s.mu.Lock()
	l.s.conns++
	l.s.live[c] = true
	l.s.mu.Unlock()
	return &trackedConn{Conn: c, s: l.s}, nil
}

type trackedConn struct {
	net.Conn
	s *Server
}

func (c *trackedConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.live, c.Conn)
	c.s.mu.Unlock()
	return c.Conn.Close()
}

// session is one SMTP session with the server.
type session struct {
	s      *Server
	conn   *smtp.Conn
	authed bool
	from   string
	to     []string
	fault  fault
	// dropped is set once the session hung up: commands the client had
	// pipelined behind the cut, still in the server's buffer, count for
	// nothing.
	dropped bool
}

func reply(code int) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: "test server says " + strconv.Itoa(code)}
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.Opts.User == "" {
		return nil
	}
	if len(ss.s.Opts.Mechs) == 0 {
		return []string{sasl.Plain}
	}
	return ss.s.Opts.Mechs
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != ss.s.Opts.User || pass != ss.s.Opts.Pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.dropped {
		return errDrop
	}
	if ss.s.Opts.User != "" && !ss.authed {
		return smtp.ErrAuthRequired
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
	switch f := ss.fault; {
	case f.drop:
		// Read the start of the message, then die: the client sees the
		// connection vanish before the final reply.
		_, _ = io.ReadFull(r, make([]byte, 64))
		ss.conn.Conn().Close()
		ss.dropped = true
		return errDrop
	case f.stall != nil:
		close(f.stalled)
		<-f.stall
		return reply(451)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if ss.fault.stage == "data" {
		return reply(ss.fault.code)
	}
	ss.s.mu.Lock()
	ss.s.count++
	if !ss.s.Opts.Discard {
		ss.s.mails = append(ss.s.mails, Mail{From: ss.from, To: ss.to, Data: data})
	}
	n := ss.s.count
	hook := ss.s.onReceive
	ss.s.mu.Unlock()
	if hook != nil {
		hook(n)
	}
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to, ss.fault = "", nil, fault{} }
func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl no longer
// provides.
type loginServer struct {
	check      func(user, pass string) error
	step       int
	user, pass string
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	l.step++
	switch l.step {
	case 1:
		if response != nil {
			l.user = string(response)
			l.step++
			return []byte("Password:"), false, nil
		}
		return []byte("Username:"), false, nil
	case 2:
		l.user = string(response)
		return []byte("Password:"), false, nil
	case 3:
		l.pass = string(response)
		return nil, true, l.check(l.user, l.pass)
	}
	return nil, false, errors.New("unexpected response")
}

// serverTLS returns a TLS configuration with a fresh self-signed
// certificate for 127.0.0.1 and localhost.
func serverTLS(tb testing.TB) *tls.Config {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "beacon test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
}
