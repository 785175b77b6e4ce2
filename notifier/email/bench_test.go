package email

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/beacon-status/beacon/internal/smtptest"
)

// BenchmarkSend measures messages through the loopback test server, which
// shares the CPUs with the sender: read the numbers as ratios.
func BenchmarkSend(b *testing.B) {
	b.Run("serial", func(b *testing.B) {
		srv := benchServer(b)
		s := testSender(b, srv, func(c *Config) { c.Pool = 1 })
		m := testMessage(1)
		for b.Loop() {
			if _, err := s.Send(b.Context(), m); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, srv)
	})
	for _, pool := range []int{2, 4, 8} {
		b.Run(fmt.Sprintf("pool=%d", pool), func(b *testing.B) {
			srv := benchServer(b)
			s := testSender(b, srv, func(c *Config) { c.Pool = pool })
			m := testMessage(1)
			// One goroutine per connection, whatever GOMAXPROCS is.
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism((pool + procs - 1) / procs)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := s.Send(b.Context(), m); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportRate(b, srv)
		})
	}
	// The same message through one go-mail client with its defaults:
	// go-mail's Msg (MIME-encoded by go-mail), NOOP before and RSET after
	// every message, no pipelining.
	b.Run("go-mail defaults", func(b *testing.B) {
		srv := benchServer(b)
		c, err := mail.NewClient(srv.Host, mail.WithPort(srv.Port), mail.WithTLSPolicy(mail.NoTLS))
		if err != nil {
			b.Fatal(err)
		}
		if err := c.DialWithContext(b.Context()); err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		for b.Loop() {
			m := testMessage(1)
			msg := mail.NewMsg()
			if err := msg.From(testFrom); err != nil {
				b.Fatal(err)
			}
			if err := msg.To(m.To); err != nil {
				b.Fatal(err)
			}
			msg.Subject(m.Subject)
			for k, v := range m.Headers {
				msg.SetGenHeader(mail.Header(k), v)
			}
			msg.SetBodyString(mail.TypeTextPlain, m.Text)
			msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
			if err := c.Send(msg); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, srv)
	})
}

// BenchmarkCompose measures writing one message of Beacon's size.
func BenchmarkCompose(b *testing.B) {
	srv := benchServer(b)
	s := testSender(b, srv, nil)
	m := testMessage(1)
	m.Text = strings.Repeat(m.Text+"\n", 20)
	m.HTML = strings.Repeat(`<p style="margin:0 0 6px;">We are <b>investigating</b> – and more.</p>`+"\n", 40)
	var buf []byte
	for b.Loop() {
		var err error
		buf, _, err = s.compose(buf[:0], m, time.Now())
		if err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func benchServer(b *testing.B) *smtptest.Server {
	srv := smtptest.StartWith(b, smtptest.Options{Discard: true})
	return srv
}

func reportRate(b *testing.B, srv *smtptest.Server) {
	b.ReportMetric(float64(srv.Count())/b.Elapsed().Seconds(), "msg/s")
	b.ReportMetric(float64(srv.Connections()), "conns")
}
