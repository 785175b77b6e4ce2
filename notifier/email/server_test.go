package email

import (
	"net"
	"net/textproto"
	"strconv"
	"strings"
	"sync"
	"testing"
)

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
