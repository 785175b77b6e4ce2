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

	for _, e := range r.engines {
		one := r.on(e)
		if len(r.engines) > 1 {
			fmt.Fprintf(w, "\n#### %s\n", e.title())
		}
		if len(one.email) > 0 {
			one.writeEmail(w)
		}
		if len(one.probes) > 0 {
			one.writeProbes(w)
		}
		if len(one.kills) > 0 {
			one.writeKills(w)
		}
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

// on is the report of the runs on engine e only (the references are every
// run's).
func (r *report) on(e *engine) *report {
	one := *r
	one.engines = []*engine{e}
	one.email = slices.DeleteFunc(slices.Clone(r.email), func(x *emailResult) bool { return x.Engine != e.name })
	one.probes = slices.DeleteFunc(slices.Clone(r.probes), func(x *probeResult) bool { return x.Engine != e.name })
	one.kills = slices.DeleteFunc(slices.Clone(r.kills), func(x *killResult) bool { return x.Engine != e.name })
	return &one
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
	var allRows []row
	for _, e := range r.email {
		i := e.Round - 1
		x := row{e: e, ref: (r.refs[i].Default.Rate + r.refs[i+1].Default.Rate) / 2,
			refSized: (r.refs[i].Sized.Rate + r.refs[i+1].Sized.Rate) / 2}
		x.ratio = e.Rate / x.ref
		if sized {
			x.ratioSzd = e.Rate / x.refSized
		}
		allRows = append(allRows, x)
	}
	fmt.Fprintf(w, "\n| binary | subscribers | sessions | smtp-source msg/s | Beacon msg/s | ratio | API call ms | peak RSS MB |")
	if sized {
		fmt.Fprintf(w, " smtp-source -l %d msg/s | ratio to it |", r.o.payload)
	}
	fmt.Fprintf(w, "\n|---|---:|---:|---:|---:|---:|---:|---:|")
	if sized {
		fmt.Fprintf(w, "---:|---:|")
	}
	fmt.Fprintln(w)
	for _, x := range allRows {
		fmt.Fprintf(w, "| %s, round %d | %s | %d | %s | %s | %.2f | %.1f | %.0f |", x.e.Label, x.e.Round, num(float64(x.e.Subscribers)), r.o.sessions, num(x.ref),
			num(x.e.Rate), x.ratio, ms(x.e.APICall), float64(x.e.PeakRSSKB)/1024)
		if sized {
			fmt.Fprintf(w, " %s | %.2f |", num(x.refSized), x.ratioSzd)
		}
		fmt.Fprintln(w)
	}
	for _, label := range labels(allRows, func(x row) string { return x.e.Label }) {
		var rows []row
		for _, x := range allRows {
			if x.e.Label == label {
				rows = append(rows, x)
			}
		}
		if len(rows) < 2 {
			continue
		}
		med := func(f func(row) float64) float64 {
			v := make([]float64, len(rows))
			for i, x := range rows {
				v[i] = f(x)
			}
			return median(v)
		}
		fmt.Fprintf(w, "| %s, median of %d | | | %s | %s | %.2f | %.1f | %.0f |", label, len(rows), num(med(func(x row) float64 { return x.ref })),
			num(med(func(x row) float64 { return x.e.Rate })), med(func(x row) float64 { return x.ratio }),
			med(func(x row) float64 { return ms(x.e.APICall) }), med(func(x row) float64 { return float64(x.e.PeakRSSKB) / 1024 }))
		if sized {
			fmt.Fprintf(w, " %s | %.2f |", num(med(func(x row) float64 { return x.refSized })), med(func(x row) float64 { return x.ratioSzd }))
		}
		fmt.Fprintln(w)
	}
	var rows []row // the tree's: the targets are for it
	for _, x := range allRows {
		if isTree(x.e.Label) {
			rows = append(rows, x)
		}
	}
	worstRatio, worstAPI, worstRSS := math.Inf(1), time.Duration(0), int64(0)
	for _, x := range rows {
		worstRatio = min(worstRatio, x.ratio)
		worstAPI = max(worstAPI, x.e.APICall)
		worstRSS = max(worstRSS, x.e.PeakRSSKB)
	}
	fmt.Fprintf(w, "\nTargets (reported, not asserted; worst round): ratio ≥ 0.5 %s; API call < 100 ms %s; peak RSS < 200 MB %s.\n",
		verdict(worstRatio >= 0.5), verdict(worstAPI < 100*time.Millisecond), verdict(worstRSS < 200*1024))
	if len(r.o.languages) > 1 {
		r.writeLanguages(w)
	}

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
		fmt.Fprintf(w, "- Beacon (%s) round %d, timed from just before the POST: first message at the sink after %.0f ms, the %s-th after %.2f s; all recorded as sent in the API after %.2f s. The sink counted %s messages (%d beyond one per subscriber) of %.0f bytes; email deliveries: sent %d, failed %d, cancelled %d, left pending %d. Beacon used %.1f s of CPU (%.0f µs per message; the sink %.0f µs); mean SMTP send (beacon_send_duration_seconds) %.2f ms, so the %d email workers spent %.0f%% of the run sending. The warm-up POST (notifying no one) took %.1f ms. Peak RSS is VmHWM of `beacon serve` (highest VmRSS sampled every 100 ms: %.0f MB).\n",
			e.Label, e.Round, ms(e.FirstMessage), num(float64(e.Subscribers)), e.LastMessage.Seconds(), e.RecordedSent.Seconds(),
			num(float64(e.SinkTotal)), e.SinkTotal-e.Subscribers, e.Bytes, e.Final.Sent, e.Final.Failed, e.Final.Cancelled, e.Final.Pending+e.Final.Sending,
			e.CPU.Seconds(), perMsg(e.CPU, e.Subscribers), perMsg(e.SinkCPU, e.Subscribers), ms(e.MeanSend),
			r.o.sessions, 100*e.MeanSend.Seconds()*float64(e.Final.Sent)/(float64(r.o.sessions)*e.LastMessage.Seconds()),
			ms(e.WarmAPICall), float64(e.SampledRSSKB)/1024)
	}
	fmt.Fprintf(w, "- The subscribers were imported with `beacon subscribers import` before the server started (%.1f s for %s), once, and the %s copied for each round.\n",
		r.email[0].ImportTook.Seconds(), num(float64(r.o.subscribers)), r.engines[0].seedNote())
}

// writeProbes prints the api phase: incident updates' latency idle and
// during a fan-out.
func (r *report) writeProbes(w io.Writer) {
	fmt.Fprintf(w, "\n| binary | subscribers | updates idle | idle p50 / p90 / p99 ms | updates during delivery | during p50 / p90 / p99 / max ms | delivery msg/s |\n")
	fmt.Fprintf(w, "|---|---:|---:|---|---:|---|---:|\n")
	for _, p := range r.probes {
		fmt.Fprintf(w, "| %s | %s | %d | %.1f / %.1f / %.1f | %d | %.1f / %.1f / %.1f / %.1f | %s |\n", p.Label, num(float64(p.Subscribers)),
			len(p.Idle), ms(pct(p.Idle, 50)), ms(pct(p.Idle, 90)), ms(pct(p.Idle, 99)),
			len(p.During), ms(pct(p.During, 50)), ms(pct(p.During, 90)), ms(pct(p.During, 99)), ms(pct(p.During, 100)), num(p.Rate))
	}
	worst := time.Duration(0)
	for _, p := range r.probes {
		if isTree(p.Label) {
			worst = max(worst, pct(p.During, 99))
		}
	}
	fmt.Fprintf(w, "\nTarget (reported, not asserted): an update answers in under 100 ms at p99 during the delivery %s.\n", verdict(worst < 100*time.Millisecond))
	fmt.Fprintf(w, "\n- `PATCH /api/v1/pages/{id}/incidents/{id}` (a new update, `deliver_notifications: false`) one after another with %s between them: 100 with nothing else running, then from the POST of an incident that notifies every subscriber until the sink counted the last message. Messages at the sink at the end:", r.o.probeEvery)
	for _, p := range r.probes {
		fmt.Fprintf(w, " %s %s;", p.Label, num(float64(p.Total)))
	}
	fmt.Fprintln(w)
}

// writeKills prints the kill phase: duplicates per SIGKILL.
func (r *report) writeKills(w io.Writer) {
	fmt.Fprintf(w, "\n| binary | kills | subscribers | workers | duplicates per kill: min / median / mean / max | unrecorded at the kill (settled − recorded): median / max |\n")
	fmt.Fprintf(w, "|---|---:|---:|---:|---|---|\n")
	for _, label := range labels(r.kills, func(k *killResult) string { return k.Label }) {
		var dups, unrec []float64
		for _, k := range r.kills {
			if k.Label == label {
				dups = append(dups, float64(k.Duplicates))
				unrec = append(unrec, float64(k.Settled-k.Recorded))
			}
		}
		if len(dups) == 0 {
			continue
		}
		mean := 0.0
		for _, d := range dups {
			mean += d / float64(len(dups))
		}
		fmt.Fprintf(w, "| %s | %d | %s | %d | %.0f / %.0f / %.1f / %.0f | %.0f / %.0f |\n", label, len(dups), num(float64(r.kills[0].Subscribers)), r.o.killSessions,
			slices.Min(dups), median(slices.Clone(dups)), mean, slices.Max(dups), median(slices.Clone(unrec)), slices.Max(unrec))
	}
	fmt.Fprintf(w, "\n- Each kill: a copy of the seed %s, `beacon serve` with `BEACON_SMTP_POOL=%d`, one incident notifying every subscriber, SIGKILL once the sink counted a share of the messages (20–80%%, spread over the kills), the database read, a restart on the same data, and a wait until every delivery is recorded as sent; duplicates are the sink's messages beyond one per subscriber.\n", r.engines[0].seedNote(), r.o.killSessions)
	fmt.Fprintf(w, "\n<details><summary>every kill</summary>\n\n| binary | kill | at the kill | settled | recorded sent | claimed | duplicates |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, k := range r.kills {
		fmt.Fprintf(w, "| %s | %d | %d | %d | %d | %d | %d |\n", k.Label, k.Kill, k.AtKill, k.Settled, k.Recorded, k.Claimed, k.Duplicates)
	}
	fmt.Fprintf(w, "\n</details>\n")
}

// writeLanguages compares, round by round, each binary's rate with its
// subscribers spread over the most languages against the fewest: both ran
// in the same round, one just after the other. The ratio of Beacon's CPU
// per message is given beside it: on a shared machine it is far steadier
// than the rate, and the rate of a CPU-bound fan-out follows it.
func (r *report) writeLanguages(w io.Writer) {
	few, most := slices.Min(r.o.languages), slices.Max(r.o.languages)
	type pair struct{ few, most *emailResult }
	pairs := map[string]map[int]*pair{} // by binary (tree, baseline), then round
	var bins []string
	for _, e := range r.email {
		if e.Languages != few && e.Languages != most {
			continue
		}
		bin, _, _ := strings.Cut(e.Label, ",")
		if pairs[bin] == nil {
			pairs[bin] = map[int]*pair{}
			bins = append(bins, bin)
		}
		p := pairs[bin][e.Round]
		if p == nil {
			p = &pair{}
			pairs[bin][e.Round] = p
		}
		if e.Languages == few {
			p.few = e
		} else {
			p.most = e
		}
	}
	fmt.Fprintf(w, "\n| binary | round | %s msg/s | %s msg/s | ratio | CPU µs/msg, %d · %d | bytes/msg at the sink, %d · %d |\n", languages(few), languages(most), few, most, few, most)
	fmt.Fprintf(w, "|---|---:|---:|---:|---:|---|---|\n")
	treeRatio := math.NaN()
	for _, bin := range bins {
		var ratios, cpuRatios []float64
		for round := 1; round <= r.o.rounds; round++ {
			p := pairs[bin][round]
			if p == nil || p.few == nil || p.most == nil {
				continue
			}
			ratio := p.most.Rate / p.few.Rate
			ratios = append(ratios, ratio)
			cpuRatios = append(cpuRatios, p.few.CPU.Seconds()/p.most.CPU.Seconds())
			fmt.Fprintf(w, "| %s | %d | %s | %s | %.2f | %.0f · %.0f | %.0f · %.0f |\n", bin, round, num(p.few.Rate), num(p.most.Rate), ratio,
				perMsg(p.few.CPU, p.few.Subscribers), perMsg(p.most.CPU, p.most.Subscribers), p.few.Bytes, p.most.Bytes)
		}
		if len(ratios) == 0 {
			continue
		}
		m := median(ratios)
		fmt.Fprintf(w, "| %s | median of %d | | | **%.2f** (%.2f–%.2f) | %s over %s: %.2f (%.2f–%.2f) | |\n", bin, len(ratios), m, slices.Min(ratios), slices.Max(ratios),
			languages(few), languages(most), median(cpuRatios), slices.Min(cpuRatios), slices.Max(cpuRatios))
		if isTree(bin) {
			treeRatio = m
		}
	}
	if !math.IsNaN(treeRatio) {
		fmt.Fprintf(w, "\nTarget (reported, not asserted): %s at ≥ 0.90 of %s (median of the tree's paired rounds) %s.\n", languages(most), languages(few), verdict(treeRatio >= 0.90))
	}
}

// languages says "1 language" or "7 languages".
func languages(n int) string {
	if n == 1 {
		return "1 language"
	}
	return fmt.Sprintf("%d languages", n)
}

// labels returns the distinct labels of xs in their first order.
func labels[T any](xs []T, label func(T) string) []string {
	var out []string
	for _, x := range xs {
		if l := label(x); !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// isTree says whether label is the tree's binary's (the targets are for
// it), with or without its languages.
func isTree(label string) bool { return label == "tree" || strings.HasPrefix(label, "tree,") }

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
