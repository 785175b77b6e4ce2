//go:build linux

package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"syscall"
	"time"

	"github.com/beacon-status/beacon/internal/benchproc"
)

// killResult is one SIGKILL of beacon serve mid-delivery and its restart.
type killResult struct {
	Label       string
	Engine      string
	Kill        int
	Subscribers int
	Target      int // messages at the sink that set off the kill
	AtKill      int // messages at the sink when the signal went
	Settled     int // messages at the sink once the socket buffers drained
	Recorded    int // deliveries recorded as sent at the kill
	Claimed     int // deliveries claimed at the kill
	Total       int // messages at the sink once every delivery was recorded as sent
	Duplicates  int // Total - Subscribers
}

// killPoint is where kill k of n strikes: spread evenly over 20–80% of the
// messages, in an order that alternates early and late kills.
func killPoint(k, subscribers int) int {
	frac := 0.2 + 0.6*float64((k*7)%20)/19
	return max(1, int(frac*float64(subscribers)))
}

// runKill posts an incident to a copy of seed, SIGKILLs the server once
// the sink has counted a share of the messages, reads what the database
// holds, restarts the server on the same data and waits until every
// delivery is recorded as sent: the messages the sink counted beyond one
// per subscriber are the duplicates the kill caused.
func runKill(ctx context.Context, g *benchproc.Group, pf postfix, seed *emailSeed, bin binary, dir string, o options, k int) (*killResult, error) {
	res := &killResult{Label: bin.title(), Engine: bin.eng.name, Kill: k, Subscribers: o.killSubs, Target: killPoint(k, o.killSubs)}
	data, err := sinkAndData(ctx, g, pf, "smtp-sink (kill)", seed, bin, dir, o.killSessions)
	if err != nil {
		return nil, err
	}
	defer data.stop()
	sk := data.sk
	start := func() (*beacon, error) {
		b, err := newBeacon(bin.path, dir, data.vars)
		if err != nil {
			return nil, err
		}
		b.key = seed.key
		return b, b.serve(ctx, g)
	}
	b, err := start()
	if err != nil {
		return nil, err
	}
	sk.expect(res.Target)
	incident, _, _, err := b.postIncident(ctx, true)
	if err != nil {
		b.p.Stop(5 * time.Second)
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, o.emailTimeout)
	_, err = sk.wait(wctx, func(int) error { return b.p.Exited() })
	cancel()
	if err != nil {
		b.p.Stop(5 * time.Second)
		return nil, fmt.Errorf("kill %d (%s): %w", k, bin.name(), err)
	}
	b.p.StopWith(syscall.SIGKILL, 5*time.Second)
	res.AtKill, _ = sk.received()
	time.Sleep(300 * time.Millisecond) // what was on the wire arrives
	res.Settled, _ = sk.received()
	if res.Recorded, res.Claimed, err = countDeliveries(ctx, bin.eng, dir, data.db); err != nil {
		return nil, err
	}

	if b, err = start(); err != nil {
		return nil, err
	}
	defer b.p.Stop(15 * time.Second)
	if _, _, err := b.waitSent(ctx, incident, "email", o.killSubs, o.emailTimeout); err != nil {
		return nil, fmt.Errorf("kill %d (%s) after the restart: %w", k, bin.name(), err)
	}
	time.Sleep(time.Second) // anything more is a duplicate
	res.Total, _ = sk.received()
	res.Duplicates = res.Total - res.Subscribers
	logf("kill %d (%s): killed at %d messages (%d once settled), %d recorded as sent, %d claimed; %d duplicates after the restart",
		k, bin.name(), res.AtKill, res.Settled, res.Recorded, res.Claimed, res.Duplicates)
	return res, nil
}

// countDeliveries reads the email deliveries recorded as sent and those
// claimed from a killed server's database: the file in dir, or database db
// on PostgreSQL (where the killed server's transactions end as its
// connections close).
func countDeliveries(ctx context.Context, e *engine, dir, db string) (sent, claimed int, err error) {
	st, err := e.openStore(ctx, dir, db)
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	err = st.Read.QueryRowContext(ctx, `SELECT COUNT(*) FILTER (WHERE state = 'sent'), COUNT(*) FILTER (WHERE state = 'pending' AND claimed_at IS NOT NULL)
		FROM deliveries WHERE channel = 'email'`).Scan(&sent, &claimed)
	return sent, claimed, err
}

// probeResult is the api phase: incident updates posted through the API,
// first with nothing else running, then while an incident's fan-out to
// every subscriber and its delivery run.
type probeResult struct {
	Label       string
	Engine      string
	Subscribers int
	Idle        []time.Duration
	During      []time.Duration
	LastMessage time.Duration // from the notifying POST to the sink's Nth message
	Rate        float64
	Total       int // messages at the sink at the end
}

// runProbe measures how long staff writes wait behind a fan-out.
func runProbe(ctx context.Context, g *benchproc.Group, pf postfix, seed *emailSeed, bin binary, dir string, o options) (*probeResult, error) {
	res := &probeResult{Label: bin.title(), Engine: bin.eng.name, Subscribers: o.subscribers}
	data, err := sinkAndData(ctx, g, pf, "smtp-sink (api)", seed, bin, dir, o.sessions)
	if err != nil {
		return nil, err
	}
	defer data.stop()
	sk := data.sk
	b, err := newBeacon(bin.path, dir, data.vars)
	if err != nil {
		return nil, err
	}
	b.key = seed.key
	if err := b.serve(ctx, g); err != nil {
		return nil, err
	}
	defer b.p.Stop(15 * time.Second)
	probe, _, _, err := b.postIncident(ctx, false)
	if err != nil {
		return nil, err
	}
	update := func(i int) (time.Duration, error) {
		body := map[string]any{"incident": map[string]any{"status": "investigating", "body": fmt.Sprintf("Probe %d", i),
			"deliver_notifications": false}}
		began := time.Now()
		err := b.do(ctx, http.MethodPatch, "/api/v1/pages/"+b.page+"/incidents/"+probe, body, nil)
		return time.Since(began), err
	}
	logf("api (%s): 100 incident updates with nothing else running", bin.name())
	for i := range 100 {
		took, err := update(i)
		if err != nil {
			return nil, err
		}
		res.Idle = append(res.Idle, took)
		time.Sleep(o.probeEvery)
	}

	sk.expect(o.subscribers)
	_, _, posted, err := b.postIncident(ctx, true)
	if err != nil {
		return nil, err
	}
	logf("api (%s): posting incident updates every %s while %d messages go out", bin.name(), o.probeEvery, o.subscribers)
	for i := 0; ; i++ {
		select {
		case <-sk.hit:
		default:
			took, err := update(1000 + i)
			if err != nil {
				return nil, err
			}
			res.During = append(res.During, took)
			if err := b.p.Exited(); err != nil {
				return nil, err
			}
			if time.Since(posted) > o.emailTimeout {
				n, _ := sk.received()
				return nil, fmt.Errorf("api (%s): %d of %d messages after %s", bin.name(), n, o.subscribers, o.emailTimeout)
			}
			time.Sleep(o.probeEvery)
			continue
		}
		break
	}
	sk.mu.Lock()
	res.LastMessage = sk.reached.Sub(posted)
	sk.mu.Unlock()
	res.Rate = float64(o.subscribers) / res.LastMessage.Seconds()
	time.Sleep(time.Second)
	res.Total, _ = sk.received()
	logf("api (%s): %d updates during %.1f s of delivery (%.0f msg/s): p50 %.1f ms, p99 %.1f ms, max %.1f ms", bin.name(),
		len(res.During), res.LastMessage.Seconds(), res.Rate, ms(pct(res.During, 50)), ms(pct(res.During, 99)), ms(pct(res.During, 100)))
	return res, nil
}

// pct is the p-th percentile of ds (nearest rank).
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[min(max(i, 0), len(s)-1)]
}
