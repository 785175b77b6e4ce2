// Command beacon-bench measures how fast Beacon serves /api/v2/summary.json
// and the status page "/" against a minimal Fiber server that returns the
// same bytes from memory, both loaded by wrk in the same run on loopback.
//
// It builds cmd/beacon, starts it on a temporary data directory, seeds 50
// components (some in groups), 20 incidents and 3 displayed metrics with a
// day of data (their charts are on "/") through the management API,
// captures the summary and page bodies (plain and gzip), starts the
// reference server (this program's "ref" mode, in its own process) with
// those bytes, checks both answer byte for byte the same, then alternates
// wrk runs against the two and prints requests/s, the ratio
// beacon/reference per round and the median ratio as a Markdown table for
// docs/BENCHMARKS.md. It also reads
// each server's CPU time around every run: CPU per request is far steadier
// than requests/s on a shared machine where wrk and the server compete for
// the same cores.
//
// With -engines sqlite,postgres it does all of that once per engine, one
// after the other, each Beacon against a reference serving its own bytes:
// on PostgreSQL, Beacon runs on a database of a throwaway cluster the
// program starts (BEACON_DATABASE_URL).
//
// With -baseline BIN (an older commit's beacon) it seeds a second Beacon
// from that binary the same way, with a second reference serving that
// Beacon's bytes (the pages differ between commits), and every round
// loads all four in turn, the whole sequence reversed in every other
// round: each binary's ratio to its own reference is measured in the same
// minutes as the other's, so a change in the ratio is the binary's, not
// the machine's.
//
// Usage:
//
//	go run ./cmd/beacon-bench [-d 10s] [-warmup 3s] [-rounds 5] [-t 2] [-c 64] [-variants plain,gzip,page] [-engines sqlite]
//
// wrk must be installed (apt-get install wrk); the program installs nothing.
// Speed is reported, never asserted: the exit status says only whether the
// measurement ran.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/beacon-status/beacon/internal/benchproc"
	"github.com/beacon-status/beacon/internal/pgtest"
)

// The endpoints measured.
const (
	summaryPath = "/api/v2/summary.json"
	pagePath    = "/"
)

type options struct {
	duration  time.Duration
	warmup    time.Duration
	rounds    int
	threads   int
	conns     int
	beaconBin string
	baseline  string
	wrkBin    string
	variants  string
	engines   string
	hold      bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "ref" {
		if err := runRef(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "beacon-bench ref:", err)
			os.Exit(1)
		}
		return
	}
	var o options
	fs := flag.NewFlagSet("beacon-bench", flag.ContinueOnError)
	fs.DurationVar(&o.duration, "d", 10*time.Second, "duration of each measured wrk run")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "duration of the unmeasured warm-up run per server and variant")
	fs.IntVar(&o.rounds, "rounds", 5, "measured rounds; each runs the reference and Beacon once, in alternating order")
	fs.IntVar(&o.threads, "t", 2, "wrk threads")
	fs.IntVar(&o.conns, "c", 64, "wrk connections")
	fs.StringVar(&o.beaconBin, "beacon", "", "use this beacon binary instead of building ./cmd/beacon")
	fs.StringVar(&o.baseline, "baseline", "", "a second beacon binary (an older commit's) measured in the same run against a reference serving its own bytes, the rounds alternating between the two")
	fs.StringVar(&o.wrkBin, "wrk", "wrk", "wrk executable")
	fs.StringVar(&o.variants, "variants", defaultVariants, "comma-separated variants to measure: plain, gzip (summary.json without and with Accept-Encoding: gzip), page, page-plain (/ with and without it)")
	fs.StringVar(&o.engines, "engines", "sqlite", "engines to run Beacon on, one after the other: sqlite, postgres (a throwaway cluster the program starts; needs Debian's postgresql package)")
	fs.BoolVar(&o.hold, "hold", false, "after seeding, print both servers' addresses and wait for Ctrl-C instead of measuring (for profiling by hand)")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: go run ./cmd/beacon-bench [flags]\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "beacon-bench:", err)
		os.Exit(1)
	}
}

func (o options) check() ([]variant, []string, error) {
	if o.duration < time.Second || o.duration > 5*time.Minute {
		return nil, nil, errors.New("-d must be between 1s and 5m")
	}
	if o.warmup < 0 || o.warmup > time.Minute {
		return nil, nil, errors.New("-warmup must be between 0 and 1m")
	}
	if o.rounds < 1 || o.rounds > 20 {
		return nil, nil, errors.New("-rounds must be between 1 and 20")
	}
	if o.threads < 1 || o.conns < o.threads || o.conns > 1000 {
		return nil, nil, errors.New("-t must be at least 1 and -c between -t and 1000")
	}
	var vs []variant
	for _, name := range strings.Split(o.variants, ",") {
		v, ok := knownVariants[strings.TrimSpace(name)]
		if !ok {
			return nil, nil, fmt.Errorf("unknown variant %q (want plain, gzip, page or page-plain)", name)
		}
		vs = append(vs, v)
	}
	var engines []string
	for _, name := range strings.Split(o.engines, ",") {
		name = strings.TrimSpace(name)
		if name != "sqlite" && name != "postgres" || slices.Contains(engines, name) {
			return nil, nil, fmt.Errorf("-engines: %q is not sqlite or postgres, or is named twice", name)
		}
		engines = append(engines, name)
	}
	if o.hold && (len(engines) > 1 || o.baseline != "") {
		return nil, nil, errors.New("-hold takes one engine and no -baseline")
	}
	return vs, engines, nil
}

// variant is one request measured: an endpoint, without or with
// Accept-Encoding: gzip.
type variant struct {
	name  string // as -variants names it
	label string // as the report names it
	path  string
	gzip  bool
}

const defaultVariants = "plain,gzip,page"

var knownVariants = map[string]variant{
	"plain":      {name: "plain", label: "summary.json plain", path: summaryPath},
	"gzip":       {name: "gzip", label: "summary.json gzip", path: summaryPath, gzip: true},
	"page":       {name: "page", label: "/ gzip", path: pagePath, gzip: true},
	"page-plain": {name: "page-plain", label: "/ plain", path: pagePath},
}

func (v variant) headers() []string {
	if v.gzip {
		return []string{"Accept-Encoding: gzip"}
	}
	return nil
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	variants, engines, err := o.check()
	if err != nil {
		return err
	}
	wrkPath, err := exec.LookPath(o.wrkBin)
	if err != nil {
		return fmt.Errorf("wrk not found (%v); install it first, for example:\n\n\tsudo apt-get update && sudo apt-get install -y wrk", err)
	}
	logf := func(format string, args ...any) { fmt.Fprintf(stderr, "# "+format+"\n", args...) }

	tmp, err := os.MkdirTemp("", "beacon-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	tree := binary{label: "tree", path: o.beaconBin, revision: "binary " + o.beaconBin}
	if tree.path == "" {
		tree.path = filepath.Join(tmp, "beacon")
		logf("building ./cmd/beacon")
		if tree.revision, err = buildBeacon(ctx, tree.path, stderr); err != nil {
			return err
		}
	}
	bins := []binary{tree}
	if o.baseline != "" {
		bins = append(bins, binary{label: "baseline", path: o.baseline, revision: "binary " + o.baseline})
	}
	var pg *pgtest.Cluster
	if slices.Contains(engines, "postgres") {
		logf("postgres: starting a cluster")
		// PostgreSQL's default durability, as a production server has.
		if pg, err = pgtest.Launch(true); err != nil {
			return err
		}
		defer pg.Stop()
	}
	for i, engine := range engines {
		if i > 0 {
			fmt.Fprintln(stdout) // between the engines' reports
		}
		for i := range bins {
			bins[i].dbURL = ""
			if engine == "postgres" {
				db := "bench_" + bins[i].label
				if _, err := pg.Exec("postgres", "CREATE DATABASE "+db+" TEMPLATE template0"); err != nil {
					return err
				}
				bins[i].dbURL = pg.URL(db)
			}
		}
		if err := runOn(ctx, o, engine, bins, wrkPath, variants, filepath.Join(tmp, engine), stdout, stderr, logf); err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
	}
	return nil
}

// binary is a Beacon binary under measurement: the tree's or -baseline.
type binary struct {
	label    string // "tree" or "baseline"
	path     string
	revision string // as the report names it
	dbURL    string // its PostgreSQL database on that engine, or ""
}

// side is one Beacon, seeded, and the reference serving its bytes.
type side struct {
	bin           binary
	beacon, ref   target
	st            seedStats
	summary, page responses
	pageNote      string // whether "/" kept its bytes through the run
}

// runOn seeds a Beacon of each binary on engine (SQLite in a data
// directory under tmp, or its PostgreSQL database), measures each against
// a reference serving the same bytes, and prints the report.
func runOn(ctx context.Context, o options, engine string, bins []binary, wrkPath string, variants []variant, tmp string, stdout, stderr io.Writer, logf func(string, ...any)) error {
	procs := &benchproc.Group{Log: logf}
	defer procs.StopAll()
	var sides []*side
	for _, b := range bins {
		sd, err := setUp(ctx, procs, b, filepath.Join(tmp, b.label), stderr, logf)
		if err != nil {
			return fmt.Errorf("%s: %w", b.label, err)
		}
		sides = append(sides, sd)
	}
	if o.hold {
		sd := sides[0]
		logf("holding: beacon %s, reference %s (paths %s and %s); Ctrl-C to stop", sd.beacon.base, sd.ref.base, summaryPath, pagePath)
		<-ctx.Done()
		return nil
	}

	m := machineInfo(ctx, wrkPath)
	res, err := measure(ctx, o, wrkPath, variants, sides, logf)
	if err != nil {
		return err
	}
	for _, sd := range sides {
		if err := sd.checkAfter(ctx, logf); err != nil {
			return fmt.Errorf("%s: %w", sd.bin.label, err)
		}
	}
	report(stdout, o, m, engine, sides, res)
	return nil
}

// setUp starts a Beacon of bin on a data directory under tmp, seeds it,
// captures its summary and page, and starts a reference serving those
// bytes.
func setUp(ctx context.Context, procs *benchproc.Group, bin binary, tmp string, stderr io.Writer, logf func(string, ...any)) (*side, error) {
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	sd := &side{bin: bin}
	dataDir := filepath.Join(tmp, "data")
	beaconAddr, err := benchproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	env := beaconEnv(beaconAddr, dataDir)
	if bin.dbURL != "" {
		env = append(env, "BEACON_DATABASE_URL="+bin.dbURL)
	}
	key, err := createKey(ctx, bin.path, env)
	if err != nil {
		return nil, err
	}
	beacon, err := procs.Start(ctx, "beacon ("+bin.label+")", serverCmd(stderr, bin.path, env, "serve"))
	if err != nil {
		return nil, err
	}
	sd.beacon = target{name: "beacon", base: "http://" + beaconAddr, proc: beacon}
	if err := waitReady(ctx, beacon, sd.beacon.base+"/healthz"); err != nil {
		return nil, err
	}
	logf("beacon (%s) pid %d on %s; seeding", bin.label, beacon.Pid(), sd.beacon.base)
	seedStart := time.Now()
	if sd.st, err = seed(ctx, sd.beacon.base, key); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	st := sd.st
	logf("seeded %d components in %d groups, %d incidents (%d unresolved, %d updates), %d metrics (%d points) in %s",
		st.components, st.groups, st.incidents, st.unresolved, st.updates, st.metrics, st.points, time.Since(seedStart).Round(time.Millisecond))

	if sd.summary, err = fetchBoth(ctx, sd.beacon.base+summaryPath); err != nil {
		return nil, fmt.Errorf("beacon summary: %w", err)
	}
	if err := checkSummary(sd.summary.plain.body, st); err != nil {
		return nil, err
	}
	logf("summary.json: %d bytes plain, %d bytes gzip, Content-Type %q", len(sd.summary.plain.body), len(sd.summary.gzip.body), sd.summary.plain.contentType)
	if sd.page, err = fetchBoth(ctx, sd.beacon.base+pagePath); err != nil {
		return nil, fmt.Errorf("beacon page: %w", err)
	}
	if err := checkPage(sd.page.plain, st); err != nil {
		return nil, err
	}
	logf("/: %d bytes plain, %d bytes gzip, Content-Type %q", len(sd.page.plain.body), len(sd.page.gzip.body), sd.page.plain.contentType)

	// The reference server, in its own process, with the same bytes.
	var routes []refRoute
	for i, doc := range []struct {
		path string
		r    responses
	}{{summaryPath, sd.summary}, {pagePath, sd.page}} {
		rt := refRoute{Path: doc.path, ContentType: doc.r.plain.contentType,
			Body: filepath.Join(tmp, fmt.Sprintf("body%d", i)), Gzip: filepath.Join(tmp, fmt.Sprintf("body%d.gz", i))}
		if err := os.WriteFile(rt.Body, doc.r.plain.body, 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(rt.Gzip, doc.r.gzip.body, 0o600); err != nil {
			return nil, err
		}
		routes = append(routes, rt)
	}
	manifest, err := json.Marshal(routes)
	if err != nil {
		return nil, err
	}
	routesFile := filepath.Join(tmp, "routes.json")
	if err := os.WriteFile(routesFile, manifest, 0o600); err != nil {
		return nil, err
	}
	refAddr, err := benchproc.FreeAddr()
	if err != nil {
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	ref, err := procs.Start(ctx, "ref ("+bin.label+")", serverCmd(stderr, self, os.Environ(), "ref", "-addr", refAddr, "-routes", routesFile))
	if err != nil {
		return nil, err
	}
	sd.ref = target{name: "ref", base: "http://" + refAddr, proc: ref}
	if err := waitReady(ctx, ref, sd.ref.base+summaryPath); err != nil {
		return nil, err
	}
	for _, doc := range []struct {
		path string
		r    responses
	}{{summaryPath, sd.summary}, {pagePath, sd.page}} {
		got, err := fetchBoth(ctx, sd.ref.base+doc.path)
		if err != nil {
			return nil, fmt.Errorf("reference %s: %w", doc.path, err)
		}
		if err := sameResponses(doc.r, got); err != nil {
			return nil, fmt.Errorf("reference server does not answer %s as Beacon does: %w", doc.path, err)
		}
	}
	logf("reference pid %d on %s answers the same bytes", ref.Pid(), sd.ref.base)
	return sd, nil
}

// checkAfter checks that the summary has not changed under load (no
// rebuild, same bytes) and notes whether the page has: its snapshot is
// rebuilt once a minute, and today's bar of a component in an open
// incident grows with the clock.
func (sd *side) checkAfter(ctx context.Context, logf func(string, ...any)) error {
	after, err := fetchBoth(ctx, sd.beacon.base+summaryPath)
	if err != nil {
		return fmt.Errorf("beacon summary after the load: %w", err)
	}
	if err := sameResponses(sd.summary, after); err != nil {
		return fmt.Errorf("beacon's summary changed during the run: %w", err)
	}
	afterPage, err := fetchBoth(ctx, sd.beacon.base+pagePath)
	if err != nil {
		return fmt.Errorf("beacon page after the load: %w", err)
	}
	sd.pageNote = "the same bytes after the run"
	if err := sameResponses(sd.page, afterPage); err != nil {
		sd.pageNote = fmt.Sprintf("rebuilt during the run as the clock moved (%d bytes gzip after it)", len(afterPage.gzip.body))
		if err := checkPage(afterPage.plain, sd.st); err != nil {
			return fmt.Errorf("beacon page after the load: %w", err)
		}
	}
	logf("/ (%s): %s", sd.bin.label, sd.pageNote)
	return nil
}

// buildBeacon builds ./cmd/beacon of the module this program belongs to
// and says which revision it built.
func buildBeacon(ctx context.Context, out string, stderr io.Writer) (string, error) {
	root, err := benchproc.ModuleRoot(ctx)
	if err != nil {
		return "", err
	}
	if err := benchproc.BuildBeacon(ctx, root, out, stderr); err != nil {
		return "", err
	}
	commit, dirty := benchproc.GitRevision(ctx, root)
	switch {
	case commit == "":
		return "unknown", nil
	case dirty:
		return "commit " + commit + " with uncommitted changes", nil
	}
	return "commit " + commit, nil
}

// beaconEnv is the environment of every beacon process: the parent's minus
// any BEACON_ setting, plus the benchmark's own.
func beaconEnv(addr, dataDir string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BEACON_") {
			env = append(env, kv)
		}
	}
	return append(env,
		"BEACON_ADDR="+addr,
		"BEACON_DATA_DIR="+dataDir,
		"BEACON_BASE_URL=http://"+addr,
		"BEACON_PAGE_NAME=Beacon benchmark",
		"BEACON_LOG_LEVEL=warn",
		// Seeding sends ~150 management requests in a burst.
		"BEACON_API_RATE_LIMIT=10000",
		"BEACON_API_BURST=10000",
		"BEACON_SHUTDOWN_TIMEOUT=5s",
	)
}

func createKey(ctx context.Context, bin string, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "apikey", "create", "--name", "beacon-bench")
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("beacon apikey create: %w: %s", err, stderr.String())
	}
	key := strings.TrimSpace(string(out))
	if key == "" || strings.ContainsAny(key, " \n") {
		return "", fmt.Errorf("beacon apikey create printed %q, not one key", out)
	}
	return key, nil
}
