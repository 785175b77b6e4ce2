package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/benchproc"
)

// machine is what the report says about where it ran.
type machine struct {
	date, cpus, cpuModel, memory, kernel, goVersion, wrk, load string
}

func machineInfo(ctx context.Context, wrkPath string) machine {
	m := machine{
		date:      time.Now().UTC().Format("2006-01-02 15:04 MST"),
		cpus:      strconv.Itoa(runtime.NumCPU()),
		cpuModel:  orUnknown(benchproc.CPUModel()),
		memory:    "unknown",
		kernel:    orUnknown(benchproc.Kernel()),
		goVersion: benchproc.GoVersion(ctx),
		wrk:       "unknown",
		load:      orUnknown(benchproc.LoadAverage()),
	}
	if gib := benchproc.MemoryGiB(); gib > 0 {
		m.memory = fmt.Sprintf("%.1f GiB", gib)
	}
	// wrk -v prints its version and usage, and exits non-zero.
	out, _ := exec.Command(wrkPath, "-v").CombinedOutput()
	if line, _, _ := strings.Cut(string(out), "\n"); strings.HasPrefix(line, "wrk ") {
		m.wrk, _, _ = strings.Cut(line, " [")
	}
	return m
}

// orUnknown is s, or "unknown" if it is empty.
func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// report prints the Markdown section for docs/BENCHMARKS.md.
func report(w io.Writer, o options, m machine, engine string, sides []*side, res []variantResult) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("### Run of %s", m.date)
	p("")
	p("- Machine: %s CPUs, %s, %s RAM, Linux %s", m.cpus, m.cpuModel, m.memory, m.kernel)
	p("- Load average (1, 5, 15 min) before the measurement %s, after it %s", m.load, orUnknown(benchproc.LoadAverage()))
	p("- Toolchain: %s; load generator %s on the same machine", m.goVersion, m.wrk)
	for _, sd := range sides {
		p("- Beacon%s: %s, on %s", sideName(sides, sd), sd.bin.revision, engineTitle(engine))
	}
	p("- Command: `%s`", strings.Join(append([]string{"go run ./cmd/beacon-bench"}, flagsOf(o)...), " "))
	for _, sd := range sides {
		st := sd.st
		p("- Page%s: %d components (%d of them in %d groups), %d incidents (%d unresolved, %d updates in all), the charts of %d metrics with a day of data each; summary.json %d bytes plain, %d bytes gzip; / %d bytes plain, %d bytes gzip, %s",
			sideName(sides, sd), st.components, st.groups*seedPerGroup, st.groups, st.incidents, st.unresolved, st.updates, st.metrics, len(sd.summary.plain.body), len(sd.summary.gzip.body),
			len(sd.page.plain.body), len(sd.page.gzip.body), sd.pageNote)
	}
	order := "reference first in odd rounds and Beacon first in even ones"
	if len(sides) > 1 {
		order = "each Beacon's reference then that Beacon, the tree's pair first in odd rounds; even rounds run the whole sequence reversed"
	}
	p("- Load: wrk -t %d -c %d, %s warm-up per server and variant, then %d rounds of %s per server, %s",
		o.threads, o.conns, o.warmup, o.rounds, o.duration, order)
	p("")
	p("| Variant | Round | Reference req/s | Beacon req/s | Beacon / reference | Reference CPU µs/req | Beacon CPU µs/req |")
	p("|---|---:|---:|---:|---:|---:|---:|")
	for _, v := range res {
		for i, r := range v.rounds {
			p("| %s%s | %d | %.0f | %.0f | %.3f | %s | %s |", v.variant.label, sideName(sides, v.side), i+1,
				r.ref.reqPerSec, r.beacon.reqPerSec, r.ratio(), micros(r.ref.cpuPerReq), micros(r.beacon.cpuPerReq))
		}
	}
	p("")
	p("| Variant | Median reference req/s | Median Beacon req/s | Median of the rounds' Beacon / reference (target ≥ 0.8) | Median of the rounds' CPU-per-request reference / Beacon |")
	p("|---|---:|---:|---:|---:|")
	for _, v := range res {
		ref, beacon, ratio, cpu := v.medians()
		verdict := "met"
		if ratio < 0.8 {
			verdict = "not met"
		}
		cpuText := "n/a"
		if !math.IsNaN(cpu) {
			cpuText = fmt.Sprintf("%.3f", cpu)
		}
		p("| %s%s | %.0f | %.0f | **%.3f** (%s) | %s |", v.variant.label, sideName(sides, v.side), ref, beacon, ratio, verdict, cpuText)
	}
	if len(sides) > 1 {
		compare(p, res)
	}
}

// sideName names sd in the report when there is more than one side.
func sideName(sides []*side, sd *side) string {
	if len(sides) < 2 {
		return ""
	}
	return " (" + sd.bin.label + ")"
}

// compare prints, for each variant, the tree's ratio over the baseline's,
// round by round: both ran in the same round, so the machine's drift
// between rounds cancels out.
func compare(p func(string, ...any), res []variantResult) {
	p("")
	p("| Variant | Round | tree: Beacon / reference | baseline: Beacon / reference | tree ÷ baseline | CPU µs/req, tree · baseline |")
	p("|---|---:|---:|---:|---:|---|")
	for _, tree := range res {
		if tree.side.bin.label != "tree" {
			continue
		}
		var base *variantResult
		for i := range res {
			if res[i].variant == tree.variant && res[i].side.bin.label == "baseline" {
				base = &res[i]
			}
		}
		if base == nil {
			continue
		}
		var quot, treeRatios, baseRatios []float64
		for i, t := range tree.rounds {
			b := base.rounds[i]
			q := t.ratio() / b.ratio()
			quot, treeRatios, baseRatios = append(quot, q), append(treeRatios, t.ratio()), append(baseRatios, b.ratio())
			p("| %s | %d | %.3f | %.3f | %.3f | %s · %s |", tree.variant.label, i+1, t.ratio(), b.ratio(), q, micros(t.beacon.cpuPerReq), micros(b.beacon.cpuPerReq))
		}
		p("| %s | median (spread) | %.3f (%.3f–%.3f) | %.3f (%.3f–%.3f) | **%.3f** (%.3f–%.3f) | |", tree.variant.label,
			median(treeRatios), slices.Min(treeRatios), slices.Max(treeRatios), median(baseRatios), slices.Min(baseRatios), slices.Max(baseRatios),
			median(quot), slices.Min(quot), slices.Max(quot))
	}
}

// engineTitle says where Beacon kept its data.
func engineTitle(engine string) string {
	if engine == "postgres" {
		return "PostgreSQL (a throwaway cluster on a Unix socket, default durability)"
	}
	return "SQLite"
}

// micros formats a CPU time per request in microseconds.
func micros(d time.Duration) string {
	if d <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Microsecond))
}

// flagsOf is the command line that reproduces o, defaults left out.
func flagsOf(o options) []string {
	var f []string
	if o.duration != 10*time.Second {
		f = append(f, "-d "+o.duration.String())
	}
	if o.warmup != 3*time.Second {
		f = append(f, "-warmup "+o.warmup.String())
	}
	if o.rounds != 5 {
		f = append(f, fmt.Sprintf("-rounds %d", o.rounds))
	}
	if o.threads != 2 {
		f = append(f, fmt.Sprintf("-t %d", o.threads))
	}
	if o.conns != 64 {
		f = append(f, fmt.Sprintf("-c %d", o.conns))
	}
	if o.variants != defaultVariants {
		f = append(f, "-variants "+o.variants)
	}
	if o.engines != "sqlite" {
		f = append(f, "-engines "+o.engines)
	}
	if o.beaconBin != "" {
		f = append(f, "-beacon "+o.beaconBin)
	}
	if o.baseline != "" {
		f = append(f, "-baseline "+o.baseline)
	}
	return f
}
