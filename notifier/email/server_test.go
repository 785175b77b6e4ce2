package email

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
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testServer is a real SMTP server on 127.0.0.1 that records what it
// receives and can be told to misbehave for the next messages.
type testServer struct {
	Host string
	Port int

	// Set before start.
	implicitTLS bool        // TLS from the first byte
	startTLS    bool        // offer STARTTLS
	user, pass  string      // require AUTH with these
	mechs       []string    // mechanisms offered, default PLAIN
	discard     bool        // count messages without keeping them
	tlsConfig   *tls.Config // the server's certificate

	srv *smtp.Server
	ln  net.Listener

	mu       sync.Mutex
	conns    int // connections accepted
	live     map[net.Conn]bool
	messages []received
	count    int
	faults   []fault
	stalls   []chan struct{} // released when the test ends
}

// received is one message the server accepted.
type received struct {
	From string
	To   []string
	Data []byte
}

// fault is what the server does to one message.
type fault struct {
	stage   string // "mail", "rcpt" or "data": where to answer code
	code    int
	drop    bool          // close the connection in the middle of DATA
	stall   chan struct{} // hold DATA until closed
	stalled chan struct{} // closed once DATA is held
}

// newTestServer returns a plain server; adjust its fields, then start it.
func newTestServer(t testing.TB) *testServer {
	t.Helper()
	return &testServer{live: map[net.Conn]bool{}}
}

// startTestServer starts a plain server.
func startTestServer(t testing.TB) *testServer {
	t.Helper()
	s := newTestServer(t)
	s.start(t)
	return s
}

func (s *testServer) start(t testing.TB) {
	t.Helper()
	if s.tlsConfig == nil && (s.implicitTLS || s.startTLS) {
		s.tlsConfig = serverTLS(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln = &countingListener{Listener: ln, s: s}
	if s.implicitTLS {
		s.ln = tls.NewListener(s.ln, s.tlsConfig)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	s.Host = host
	s.Port, _ = strconv.Atoi(port)

	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{s: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.AllowInsecureAuth = !s.startTLS && !s.implicitTLS
	if s.startTLS {
		s.srv.TLSConfig = s.tlsConfig
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.srv.Serve(s.ln)
	}()
	t.Cleanup(func() {
		s.mu.Lock()
		for _, c := range s.stalls {
			close(c)
		}
		s.stalls = nil
		s.mu.Unlock()
		_ = s.srv.Close()
		_ = s.ln.Close() // in case Serve had not registered it yet
		<-done
	})
}

// failNext makes the next n messages fail with code at stage.
func (s *testServer) failNext(n int, stage string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{stage: stage, code: code})
	}
}

// dropNext makes the server hang up in the middle of the next n messages.
func (s *testServer) dropNext(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.faults = append(s.faults, fault{drop: true})
	}
}

// stallNext holds the next message's DATA until the test ends. The
// returned channel is closed once the server holds it.
func (s *testServer) stallNext() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := fault{stall: make(chan struct{}), stalled: make(chan struct{})}
	s.faults = append(s.faults, f)
	s.stalls = append(s.stalls, f.stall)
	return f.stalled
}

// stopListening refuses new connections, as a server that is down.
func (s *testServer) stopListening() { _ = s.ln.Close() }

// hangUpAll closes every open connection from the server's side, as a relay
// does with idle sessions.
func (s *testServer) hangUpAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.live {
		c.Close()
	}
}

func (s *testServer) connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns
}

func (s *testServer) received() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.messages...)
}

func (s *testServer) receivedCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.count
}

func (s *testServer) nextFault() fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.faults) == 0 {
		return fault{}
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f
}

// countingListener counts and tracks the connections it accepts.
type countingListener struct {
	net.Listener
	s *testServer
}

func (l *countingListener) Accept() (net.Conn, error) {
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
	s *testServer
}

func (c *trackedConn) Close() error {
	c.s.mu.Lock()
	delete(c.s.live, c.Conn)
	c.s.mu.Unlock()
	return c.Conn.Close()
}

// session is one SMTP session with the test server.
type session struct {
	s      *testServer
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

func (ss *session) AuthMechanisms() []string {
	if ss.s.user == "" {
		return nil
	}
	if len(ss.s.mechs) == 0 {
		return []string{sasl.Plain}
	}
	return ss.s.mechs
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if user != ss.s.user || pass != ss.s.pass {
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
		return errDropped
	}
	if ss.s.user != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.fault = ss.s.nextFault()
	if ss.fault.stage == "mail" {
		return replyError(ss.fault.code)
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.dropped {
		return errDropped
	}
	if ss.fault.stage == "rcpt" {
		return replyError(ss.fault.code)
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	f := ss.fault
	switch {
	case f.drop:
		_, _ = io.ReadFull(r, make([]byte, 64))
		ss.conn.Conn().Close()
		ss.dropped = true
		return errDropped
	case f.stall != nil:
		close(f.stalled)
		<-f.stall
		return replyError(451)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if f.stage == "data" {
		return replyError(f.code)
	}
	ss.s.mu.Lock()
	ss.s.count++
	if !ss.s.discard {
		ss.s.messages = append(ss.s.messages, received{From: ss.from, To: ss.to, Data: data})
	}
	ss.s.mu.Unlock()
	return nil
}

// errDropped is never seen by the client: the connection is closed first.
var errDropped = errors.New("dropped")

func (ss *session) Reset() {
	ss.from, ss.to, ss.fault = "", nil, fault{}
}

func (ss *session) Logout() error { return nil }

// replyError is an SMTP reply with code and a matching enhanced code.
func replyError(code int) error {
	return &smtp.SMTPError{
		Code:         code,
		EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0},
		Message:      "test server says " + strconv.Itoa(code),
	}
}

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
func serverTLS(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
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
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
}

// clientTLS returns a client configuration trusting the server's
// certificate.
func (s *testServer) clientTLS() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(s.tlsConfig.Certificates[0].Leaf)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// dataRefuser speaks just enough SMTP to refuse the DATA command itself
// (go-smtp can only refuse after the message) and, like a strict relay, to
// refuse a new MAIL while a transaction is open.
type dataRefuser struct {
	Host string
	Port int

	mu        sync.Mutex
	conns     int
	refuse    int // DATA commands still to refuse
	delivered int
}

func startDataRefuser(t *testing.T, refuse int) *dataRefuser {
	t.Helper()
	d := &dataRefuser{refuse: refuse}
	d.Host, d.Port = listenLoopback(t, func(c net.Conn) {
		d.mu.Lock()
		d.conns++
		d.mu.Unlock()
		d.serve(c)
	})
	return d
}

// listenLoopback accepts connections on 127.0.0.1 and serves each on its
// own goroutine until the test ends.
func listenLoopback(t *testing.T, serve func(net.Conn)) (host string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serve(c) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	host, p, _ := net.SplitHostPort(ln.Addr().String())
	port, _ = strconv.Atoi(p)
	return host, port
}

func (d *dataRefuser) serve(c net.Conn) {
	defer c.Close()
	text := textproto.NewConn(c)
	_ = text.PrintfLine("220 localhost ready")
	open := false
	for {
		line, err := text.ReadLine()
		if err != nil {
			return
		}
		verb, _, _ := strings.Cut(strings.ToUpper(line), " ")
		reply := "250 ok"
		switch verb {
		case "MAIL":
			if open {
				reply = "503 5.5.1 nested MAIL command"
			}
			open = true
		case "RSET":
			open = false
		case "DATA":
			d.mu.Lock()
			refuse := d.refuse > 0
			d.refuse--
			d.mu.Unlock()
			if refuse {
				reply = "554 5.5.1 no valid recipients"
				break
			}
			_ = text.PrintfLine("354 go ahead")
			if _, err := text.ReadDotBytes(); err != nil {
				return
			}
			d.mu.Lock()
			d.delivered++
			d.mu.Unlock()
			open = false
		case "QUIT":
			_ = text.PrintfLine("221 bye")
			return
		}
		if err := text.PrintfLine("%s", reply); err != nil {
			return
		}
	}
}

func (d *dataRefuser) counts() (conns, delivered int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conns, d.delivered
}
