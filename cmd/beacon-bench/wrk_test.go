package main

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests check the harness's arithmetic and parsing only: speed is
// never asserted.

const wrkOK = `Running 1s test @ http://127.0.0.1:18999/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.75ms  638.50us   5.82ms   70.22%
    Req/Sec     1.11k   123.21     1.40k    72.73%
  Latency Distribution
     50%    1.72ms
     75%    2.09ms
     90%    2.56ms
     99%    3.58ms
  1217 requests in 1.10s, 1.30MB read
  Socket errors: connect 0, read 2, write 0, timeout 0
Requests/sec:   1105.16
Transfer/sec:      1.18MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOK)
	if err != nil {
		t.Fatal(err)
	}
	if r.reqPerSec != 1105.16 || r.requests != 1217 || r.p50 != "1.72ms" || r.p99 != "3.58ms" {
		t.Errorf("parsed %+v", r)
	}
	if !strings.Contains(r.socketErrors, "read 2") {
		t.Errorf("socket errors %q", r.socketErrors)
	}
}

func TestParseWrkRejects(t *testing.T) {
	for name, out := range map[string]string{
		"errors":  strings.Replace(wrkOK, "Requests/sec:", "  Non-2xx or 3xx responses: 1217\nRequests/sec:", 1),
		"no rate": strings.Replace(wrkOK, "Requests/sec:   1105.16\n", "", 1),
		"empty":   "",
	} {
		if _, err := parseWrk(out); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestMedian(t *testing.T) {
	in := []float64{3, 1, 2}
	if m := median(in); m != 2 {
		t.Errorf("median = %v", m)
	}
	if !slices.Equal(in, []float64{3, 1, 2}) {
		t.Errorf("median reordered its input: %v", in)
	}
	if m := median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("even median = %v", m)
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing is not NaN")
	}
}

func TestWrkArgsBounded(t *testing.T) {
	o := options{threads: 2, conns: 64}
	got := strings.Join(wrkArgs(o, 10*time.Second, variant{name: "gzip", gzip: true}, "http://127.0.0.1:1/x"), " ")
	want := "-t 2 -c 64 -d 10s --timeout 5s --latency -H Accept-Encoding: gzip http://127.0.0.1:1/x"
	if got != want {
		t.Errorf("wrk args\n got %s\nwant %s", got, want)
	}
}

func TestOptionsCheck(t *testing.T) {
	good := options{duration: 10 * time.Second, warmup: 3 * time.Second, rounds: 3, threads: 2, conns: 64, variants: "plain,gzip", engines: "sqlite"}
	vs, engines, err := good.check()
	if err != nil || len(vs) != 2 || vs[0].gzip || !vs[1].gzip || vs[0].path != summaryPath || !slices.Equal(engines, []string{"sqlite"}) {
		t.Fatalf("check() = %v, %v, %v", vs, engines, err)
	}
	both := good
	both.engines = "postgres, sqlite"
	if _, engines, err := both.check(); err != nil || !slices.Equal(engines, []string{"postgres", "sqlite"}) {
		t.Fatalf("check() of both engines = %v, %v", engines, err)
	}
	pages := good
	pages.variants = "page, page-plain"
	vs, _, err = pages.check()
	if err != nil || len(vs) != 2 || !vs[0].gzip || vs[1].gzip || vs[0].path != "/" || vs[1].path != "/" {
		t.Fatalf("check() of the page variants = %v, %v", vs, err)
	}
	def := good
	def.variants = defaultVariants
	if vs, _, err := def.check(); err != nil || len(vs) != 3 || vs[2].name != "page" {
		t.Fatalf("check() of the default variants = %v, %v", vs, err)
	}
	for _, bad := range []func(o *options){
		func(o *options) { o.duration = 0 },
		func(o *options) { o.duration = time.Hour },
		func(o *options) { o.rounds = 0 },
		func(o *options) { o.conns = 1 },
		func(o *options) { o.variants = "brotli" },
		func(o *options) { o.engines = "mysql" },
		func(o *options) { o.engines = "sqlite,sqlite" },
		func(o *options) { o.engines, o.hold = "sqlite,postgres", true },
		func(o *options) { o.baseline, o.hold = "/tmp/beacon-old", true },
	} {
		o := good
		bad(&o)
		if _, _, err := o.check(); err == nil {
			t.Errorf("check accepted %+v", o)
		}
	}
}
