package main

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/benchproc"
)

// target is one server under load.
type target struct {
	name string // "ref" or "beacon"
	base string // http://host:port
	proc *benchproc.Proc
}

// wrkResult is what one wrk run measured.
type wrkResult struct {
	reqPerSec    float64
	requests     int64
	p50, p99     string // as wrk prints them
	socketErrors string // wrk's line, if it printed one
	// cpuPerReq is the server's CPU time (user and system, all threads)
	// during the run divided by the requests: steadier than requests/s
	// when the load generator and the server share two cores. Zero when
	// it could not be read.
	cpuPerReq time.Duration
}

// round is one reference run followed by one Beacon run.
type round struct {
	ref, beacon wrkResult
}

func (r round) ratio() float64 { return r.beacon.reqPerSec / r.ref.reqPerSec }

// cpuRatio is the reference's CPU per request over Beacon's, or NaN: the
// throughput ratio a CPU-bound server alone on the machine would show,
// comparable to ratio but far less sensitive to what else runs.
func (r round) cpuRatio() float64 {
	if r.ref.cpuPerReq <= 0 || r.beacon.cpuPerReq <= 0 {
		return math.NaN()
	}
	return float64(r.ref.cpuPerReq) / float64(r.beacon.cpuPerReq)
}

// variantResult is every round of one variant on one side.
type variantResult struct {
	variant variant
	side    *side
	rounds  []round
}

func (v variantResult) medians() (ref, beacon, ratio, cpuRatio float64) {
	var refs, beacons, ratios, cpuRatios []float64
	for _, r := range v.rounds {
		refs = append(refs, r.ref.reqPerSec)
		beacons = append(beacons, r.beacon.reqPerSec)
		ratios = append(ratios, r.ratio())
		if c := r.cpuRatio(); !math.IsNaN(c) {
			cpuRatios = append(cpuRatios, c)
		}
	}
	return median(refs), median(beacons), median(ratios), median(cpuRatios)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

// measure warms every side's two targets up, then runs each of them once
// a round for o.rounds rounds, for each variant in turn.
func measure(ctx context.Context, o options, wrkPath string, variants []variant, sides []*side, logf func(string, ...any)) ([]variantResult, error) {
	type run struct {
		sd *side
		t  target
	}
	var seq []run // one round: each side's reference, then its Beacon
	for _, sd := range sides {
		seq = append(seq, run{sd, sd.ref}, run{sd, sd.beacon})
	}
	var out []variantResult
	for _, v := range variants {
		if o.warmup > 0 {
			for _, r := range seq {
				logf("%s: warm-up %s (%s) for %s", v.label, r.t.name, r.sd.bin.label, o.warmup)
				if _, err := runWrk(ctx, wrkPath, o, o.warmup, v, r.t); err != nil {
					return nil, err
				}
			}
		}
		results := make([]variantResult, len(sides))
		for j, sd := range sides {
			results[j] = variantResult{variant: v, side: sd, rounds: make([]round, o.rounds)}
		}
		for i := range o.rounds {
			// ABBA order: the sequence reversed in even rounds (the
			// reference first in odd rounds, Beacon first in even ones),
			// so a drift in the machine's load favours no server.
			order := seq
			if i%2 == 1 {
				order = slices.Clone(seq)
				slices.Reverse(order)
			}
			for _, r := range order {
				res, err := runWrk(ctx, wrkPath, o, o.duration, v, r.t)
				if err != nil {
					return nil, err
				}
				logf("%s round %d: %-6s (%s) %10.0f req/s  p50 %s  p99 %s  CPU %s/req %s", v.label, i+1, r.t.name, r.sd.bin.label, res.reqPerSec, res.p50, res.p99, res.cpuPerReq, res.socketErrors)
				rd := &results[slices.Index(sides, r.sd)].rounds[i]
				if r.t.name == "ref" {
					rd.ref = res
				} else {
					rd.beacon = res
				}
			}
			for _, vr := range results {
				rd := vr.rounds[i]
				logf("%s round %d (%s): ratio beacon/ref %.3f, CPU-per-request ratio ref/beacon %.3f", v.label, i+1, vr.side.bin.label, rd.ratio(), rd.cpuRatio())
			}
		}
		out = append(out, results...)
	}
	return out, nil
}

// wrkArgs is the wrk command line for one run.
func wrkArgs(o options, d time.Duration, v variant, url string) []string {
	secs := max(1, int(math.Round(d.Seconds())))
	args := []string{"-t", strconv.Itoa(o.threads), "-c", strconv.Itoa(o.conns), "-d", strconv.Itoa(secs) + "s", "--timeout", "5s", "--latency"}
	for _, h := range v.headers() {
		args = append(args, "-H", h)
	}
	return append(args, url)
}

func runWrk(ctx context.Context, wrkPath string, o options, d time.Duration, v variant, t target) (wrkResult, error) {
	if err := t.proc.Exited(); err != nil {
		return wrkResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	cmd := benchproc.Command(ctx, wrkPath, wrkArgs(o, d, v, t.base+v.path)...)
	cpu0, cpuErr := benchproc.CPUTime(t.proc.Pid())
	out, err := cmd.CombinedOutput()
	cpu1, cpuErr1 := benchproc.CPUTime(t.proc.Pid())
	if ctx.Err() != nil {
		return wrkResult{}, fmt.Errorf("wrk against %s: %w", t.name, context.Cause(ctx))
	}
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk against %s: %w\n%s", t.name, err, out)
	}
	if err := t.proc.Exited(); err != nil {
		return wrkResult{}, err
	}
	res, err := parseWrk(string(out))
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk against %s: %w\n%s", t.name, err, out)
	}
	if cpuErr == nil && cpuErr1 == nil {
		res.cpuPerReq = (cpu1 - cpu0) / time.Duration(res.requests)
	}
	return res, nil
}

// parseWrk reads wrk's report. A run with any non-2xx/3xx answer is an
// error: it would measure something other than the summary.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	haveRate := false
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		switch {
		case strings.HasPrefix(line, "Requests/sec:") && len(f) == 2:
			v, err := strconv.ParseFloat(f[1], 64)
			if err != nil {
				return r, fmt.Errorf("requests/sec %q: %w", f[1], err)
			}
			r.reqPerSec, haveRate = v, true
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("request count %q: %w", f[0], err)
			}
			r.requests = n
		case len(f) == 2 && f[0] == "50%":
			r.p50 = f[1]
		case len(f) == 2 && f[0] == "99%":
			r.p99 = f[1]
		case strings.HasPrefix(line, "Socket errors:"):
			r.socketErrors = "(" + line + ")"
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			return r, fmt.Errorf("server answered with errors: %s", line)
		}
	}
	if !haveRate || r.requests == 0 {
		return r, fmt.Errorf("no requests measured")
	}
	return r, nil
}
