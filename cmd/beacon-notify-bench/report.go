//go:build linux

package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/benchproc"
)

// write prints the results as Markdown for docs/BENCHMARKS.md.
func (r *report) write(w io.Writer) {
	m := r.machine
	built := "Beacon built from the tree at " + m.Commit
	if r.o.beaconBin != "" {
		built = "a prebuilt Beacon binary (" + r.o.beaconBin + "; the tree is at " + m.Commit + ")"
	}
	end := benchproc.LoadAverage()
	if end == "" {
		end = "?"
	}
	fmt.Fprintf(w, "\nMachine: %d CPUs (%s), %.1f GiB memory, Linux %s, %s; load average %s at the start, %s at the end (other work shares the machine); %s; %s.\n",
		m.CPUs, m.Model, m.MemGB, m.Kernel, m.Go, m.Load, end, built, m.Date)
	fmt.Fprintf(w, "Command: `go run ./cmd/beacon-notify-bench %s`\n", strings.Join(os.Args[1:], " "))

	if len(r.email) > 0 {
		r.writeEmail(w)
	}
	if s := r.sms; s != nil {
		x := s.Result
		fmt.Fprintf(w, "\n| SMS | configured rate /s | achieved rate /s (middle 80%%) | whole run /s | most in any 1 s | 429s provoked | API call ms |\n")
		fmt.Fprintf(w, "|---:|---:|---:|---:|---:|---:|---:|\n")
		fmt.Fprintf(w, "| %s | %g | %.2f (%+.1f%%) | %.2f | %.0f | %d | %.1f |\n",
			num(float64(x.Messages)), s.Configured, x.Steady, (x.Steady/s.Configured-1)*100, x.Overall, x.MaxWindow, x.Rejected, ms(s.APICall))
		fmt.Fprintf(w, "\nTargets (reported, not asserted): within 5%% of the setting %s; no 429 %s.\n",
			verdict(math.Abs(x.Steady/s.Configured-1) <= 0.05), verdict(x.Rejected == 0))
		fmt.Fprintf(w, "\n- %d SMS workers; the stand-in's token bucket: %g/s, burst %d. %d distinct recipients; first SMS %.0f ms after the POST, last %.1f s after the first; %d malformed requests%s; final SMS counts: sent %d, failed %d, pending %d.\n",
			s.Workers, s.StandinRate, s.StandinBurst, x.Distinct, ms(x.FirstAfter), x.Span.Seconds(), x.Bad, badNote(x.BadWhy),
			s.Final.Sent, s.Final.Failed, s.Final.Pending+s.Final.Sending)
	}
	if r.perfTop != "" {
		fmt.Fprintf(w, "\n<details><summary>perf, Beacon during the email run (%s)</summary>\n\n```\n%s```\n</details>\n", r.o.perf, r.perfTop)
	}
}

// writeEmail prints one row per round: smtp-source's rate is the mean of
// the runs just before and just after the round.
func (r *report) writeEmail(w io.Writer) {
	sized := r.o.payload > 0
	type row struct {
		e               *emailResult
		ref, refSized   float64
		ratio, ratioSzd float64
	}
	var rows []row
	for i, e := range r.email {
		x := row{e: e, ref: (r.refs[i].Default.Rate + r.refs[i+1].Default.Rate) / 2,
			refSized: (r.refs[i].Sized.Rate + r.refs[i+1].Sized.Rate) / 2}
		x.ratio = e.Rate / x.ref
		if sized {
			x.ratioSzd = e.Rate / x.refSized
		}
		rows = append(rows, x)
	}
	fmt.Fprintf(w, "\n| subscribers | sessions | smtp-source msg/s | Beacon msg/s | ratio | API call ms | peak RSS MB |")
	if sized {
		fmt.Fprintf(w, " smtp-source -l %d msg/s | ratio to it |", r.o.payload)
	}
	fmt.Fprintf(w, "\n|---:|---:|---:|---:|---:|---:|---:|")
	if sized {
		fmt.Fprintf(w, "---:|---:|")
	}
	fmt.Fprintln(w)
	for _, x := range rows {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %.2f | %.1f | %.0f |", num(float64(x.e.Subscribers)), r.o.sessions, num(x.ref),
			num(x.e.Rate), x.ratio, ms(x.e.APICall), float64(x.e.PeakRSSKB)/1024)
		if sized {
			fmt.Fprintf(w, " %s | %.2f |", num(x.refSized), x.ratioSzd)
		}
		fmt.Fprintln(w)
	}
	if len(rows) > 1 {
		med := func(f func(row) float64) float64 {
			v := make([]float64, len(rows))
			for i, x := range rows {
				v[i] = f(x)
			}
			return median(v)
		}
		fmt.Fprintf(w, "| median of %d | | %s | %s | %.2f | %.1f | %.0f |", len(rows), num(med(func(x row) float64 { return x.ref })),
			num(med(func(x row) float64 { return x.e.Rate })), med(func(x row) float64 { return x.ratio }),
			med(func(x row) float64 { return ms(x.e.APICall) }), med(func(x row) float64 { return float64(x.e.PeakRSSKB) / 1024 }))
		if sized {
			fmt.Fprintf(w, " %s | %.2f |", num(med(func(x row) float64 { return x.refSized })), med(func(x row) float64 { return x.ratioSzd }))
		}
		fmt.Fprintln(w)
	}
	worstRatio, worstAPI, worstRSS := math.Inf(1), time.Duration(0), int64(0)
	for _, x := range rows {
		worstRatio = min(worstRatio, x.ratio)
		worstAPI = max(worstAPI, x.e.APICall)
		worstRSS = max(worstRSS, x.e.PeakRSSKB)
	}
	fmt.Fprintf(w, "\nTargets (reported, not asserted; worst round): ratio ≥ 0.5 %s; API call < 100 ms %s; peak RSS < 200 MB %s.\n",
		verdict(worstRatio >= 0.5), verdict(worstAPI < 100*time.Millisecond), verdict(worstRSS < 200*1024))

	var def, szd []string
	for _, ref := range r.refs {
		def = append(def, fmt.Sprintf("%s msg/s (%.0f µs CPU/msg)", num(ref.Default.Rate), perMsg(ref.Default.CPU, ref.Default.Messages)))
		if sized {
			szd = append(szd, fmt.Sprintf("%s msg/s (%.0f µs CPU/msg)", num(ref.Sized.Rate), perMsg(ref.Sized.CPU, ref.Sized.Messages)))
		}
	}
	fmt.Fprintf(w, "\n- smtp-source `-s %d -m %d -d` (one session per connection kept open for the next message), run before and after each Beacon round; the rate shown is the mean of the two around the round. Default message: %s; the sink read %.0f bytes per message.\n",
		r.o.sessions, r.o.subscribers, strings.Join(def, ", "), r.refs[0].Default.Bytes)
	if sized {
		fmt.Fprintf(w, "- The same with `-l %d`, so that the sink reads about as many bytes per message as from Beacon: %s; the sink read %.0f bytes per message.\n",
			r.o.payload, strings.Join(szd, ", "), r.refs[0].Sized.Bytes)
	}
	for _, e := range r.email {
		fmt.Fprintf(w, "- Beacon round %d, timed from just before the POST: first message at the sink after %.0f ms, the %s-th after %.2f s; all recorded as sent in the API after %.2f s. The sink counted %s messages (%d beyond one per subscriber) of %.0f bytes; email deliveries: sent %d, failed %d, cancelled %d, left pending %d. Beacon used %.1f s of CPU (%.0f µs per message; the sink %.0f µs); mean SMTP send (beacon_send_duration_seconds) %.2f ms, so the %d email workers spent %.0f%% of the run sending. The warm-up POST (notifying no one) took %.1f ms. Peak RSS is VmHWM of `beacon serve` (highest VmRSS sampled every 100 ms: %.0f MB).\n",
			e.Round, ms(e.FirstMessage), num(float64(e.Subscribers)), e.LastMessage.Seconds(), e.RecordedSent.Seconds(),
			num(float64(e.SinkTotal)), e.SinkTotal-e.Subscribers, e.Bytes, e.Final.Sent, e.Final.Failed, e.Final.Cancelled, e.Final.Pending+e.Final.Sending,
			e.CPU.Seconds(), perMsg(e.CPU, e.Subscribers), perMsg(e.SinkCPU, e.Subscribers), ms(e.MeanSend),
			r.o.sessions, 100*e.MeanSend.Seconds()*float64(e.Final.Sent)/(float64(r.o.sessions)*e.LastMessage.Seconds()),
			ms(e.WarmAPICall), float64(e.SampledRSSKB)/1024)
	}
	fmt.Fprintf(w, "- The subscribers were imported with `beacon subscribers import` before the server started (%.1f s for %s), once, and the data directory copied for each round.\n",
		r.email[0].ImportTook.Seconds(), num(float64(r.o.subscribers)))
}

func perMsg(d time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(d.Microseconds()) / float64(n)
}

func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}

func badNote(why string) string {
	if why == "" {
		return ""
	}
	return " (" + why + ")"
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// num formats a count or rate with thousands separators.
func num(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[0] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
