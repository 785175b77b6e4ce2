package email

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/wneessen/go-mail"
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
	// The same message through one go-mail client with its defaults: NOOP
	// before and RSET after every message.
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
		s := testSender(b, srv, nil) // only to compose
		for b.Loop() {
			msg, _, err := s.compose(testMessage(1))
			if err != nil {
				b.Fatal(err)
			}
			if err := c.Send(msg); err != nil {
				b.Fatal(err)
			}
		}
		reportRate(b, srv)
	})
}

func benchServer(b *testing.B) *testServer {
	srv := newTestServer(b)
	srv.discard = true
	srv.start(b)
	return srv
}

func reportRate(b *testing.B, srv *testServer) {
	b.ReportMetric(float64(srv.receivedCount())/b.Elapsed().Seconds(), "msg/s")
	b.ReportMetric(float64(srv.connections()), "conns")
}
