package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os/exec"
	"runtime"
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
func report(w io.Writer, o options, m machine, engine, revision string, st seedStats, summary, page responses, pageNote string, res []variantResult) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("### Run of %s", m.date)
	p("")
	p("- Machine: %s CPUs, %s, %s RAM, Linux %s", m.cpus, m.cpuModel, m.memory, m.kernel)
	p("- Load average (1, 5, 15 min) before the measurement %s, after it %s", m.load, orUnknown(benchproc.LoadAverage()))
	p("- Toolchain: %s; load generator %s on the same machine", m.goVersion, m.wrk)
	p("- Beacon: %s, on %s", revision, engineTitle(engine))
	p("- Command: `%s`", strings.Join(append([]string{"go run ./cmd/beacon-bench"}, flagsOf(o)...), " "))
	p("- Page: %d components (%d of them in %d groups), %d incidents (%d unresolved, %d updates in all), the charts of %d metrics with a day of data each; summary.json %d bytes plain, %d bytes gzip; / %d bytes plain, %d bytes gzip, %s",
		st.components, st.groups*seedPerGroup, st.groups, st.incidents, st.unresolved, st.updates, st.metrics, len(summary.plain.body), len(summary.gzip.body),
		len(page.plain.body), len(page.gzip.body), pageNote)
	p("- Load: wrk -t %d -c %d, %s warm-up per server and variant, then %d rounds of %s per server, reference first in odd rounds and Beacon first in even ones",
		o.threads, o.conns, o.warmup, o.rounds, o.duration)
	p("")
	p("| Variant | Round | Reference req/s | Beacon req/s | Beacon / reference | Reference CPU µs/req | Beacon CPU µs/req |")
	p("|---|---:|---:|---:|---:|---:|---:|")
	for _, v := range res {
		for i, r := range v.rounds {
			p("| %s | %d | %.0f | %.0f | %.3f | %s | %s |", v.variant.label, i+1,
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
		p("| %s | %.0f | %.0f | **%.3f** (%s) | %s |", v.variant.label, ref, beacon, ratio, verdict, cpuText)
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
	return f
}
