package notifier_test

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

// BenchmarkDispatch measures what the dispatcher itself costs per email
// delivery: the fan-out, the claims, the renderer's subscriber reads and
// the acknowledgements, all in SQLite, with a sender that sends nothing.
// One op is an event fanned out to 5,000 subscribers and delivered by 8
// workers in batches of 200, as Beacon's defaults for a large page; the
// figure to compare is ns/delivery.
func BenchmarkDispatch(b *testing.B) {
	const subscribers = 5000
	f := newFixture(b)
	f.emailSubscribers(b, subscribers)
	cfg := testConfig()
	cfg.FanOutBatch = 1000
	cfg.Channels[notifier.Email] = notifier.ChannelConfig{Workers: 8, Batch: 200, MaxAttempts: 5, Lease: time.Minute}
	sender := &nullSender{}
	d := notifier.NewDispatcher(f.db, f.subs, messageIDs{f.renderer}, f.withSender(notifier.Email, sender), cfg, f.clock.Now,
		slog.New(slog.DiscardHandler), nil)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.Run(ctx)
	}()
	defer func() {
		cancel()
		<-stopped
	}()

	cpu0 := cpuTime(b)
	b.ResetTimer()
	for i := range b.N {
		ev := f.addEvent(b, incidentEvent(notifier.IncidentUpdated, "inc1"))
		d.Wake()
		for {
			var pending int
			err := f.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM deliveries WHERE event_id = ? AND state <> 'sent'`, ev).Scan(&pending)
			if err != nil {
				b.Fatal(err)
			}
			if pending == 0 && sender.sent.Load() == int64(subscribers*(i+1)) {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
	b.StopTimer()
	deliveries := float64(b.N * subscribers)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/delivery")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/deliveries, "cpu-ns/delivery")
}

// cpuTime is the CPU time the process has used, user and system: on a
// shared machine a steadier figure than the time elapsed.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// messageIDs gives each message a Message-ID as Beacon's renderer does.
type messageIDs struct{ notifier.Renderer }

func (r messageIDs) Render(ctx context.Context, ds []notifier.Delivery) []notifier.Rendered {
	out := r.Renderer.Render(ctx, ds)
	for i, d := range ds {
		out[i].Message.Headers = map[string]string{
			"Message-ID": "<event-" + strconv.FormatInt(d.EventID, 10) + "." + d.SubscriberID + "@status.example.com>"}
	}
	return out
}

// nullSender accepts every message at once, through SendBatch as the
// email sender does, and returns its Message-ID as the email sender does.
type nullSender struct{ sent atomic.Int64 }

func (s *nullSender) Send(_ context.Context, m notifier.Message) (string, error) {
	s.sent.Add(1)
	return m.Headers["Message-ID"], nil
}

func (s *nullSender) SendBatch(ctx context.Context, ms []notifier.Message, next func(int, bool) error, reach func(int), done func(int, string, error)) {
	for i, m := range ms {
		if err := next(i, true); err != nil {
			return
		}
		reach(i)
		id, err := s.Send(ctx, m)
		done(i, id, err)
	}
}
