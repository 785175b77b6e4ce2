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
	if o.hold && len(engines) > 1 {
		return nil, nil, errors.New("-hold takes one engine")
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

	bin, revision := o.beaconBin, "binary "+o.beaconBin
	if bin == "" {
		bin = filepath.Join(tmp, "beacon")
		logf("building ./cmd/beacon")
		if revision, err = buildBeacon(ctx, bin, stderr); err != nil {
			return err
		}
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
		var dbURL string
		if engine == "postgres" {
			if _, err := pg.Exec("postgres", "CREATE DATABASE bench TEMPLATE template0"); err != nil {
				return err
			}
			dbURL = pg.URL("bench")
		}
		if err := runOn(ctx, o, engine, dbURL, bin, revision, wrkPath, variants, filepath.Join(tmp, engine), stdout, stderr, logf); err != nil {
			return fmt.Errorf("%s: %w", engine, err)
		}
	}
	return nil
}

// runOn seeds a Beacon on engine (SQLite in a data directory under tmp, or
// the PostgreSQL database at dbURL), measures it against a reference
// serving the same bytes, and prints the report.
func runOn(ctx context.Context, o options, engine, dbURL, bin, revision, wrkPath string, variants []variant, tmp string, stdout, stderr io.Writer, logf func(string, ...any)) error {
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return err
	}
	procs := &benchproc.Group{Log: logf}
	defer procs.StopAll()

	// Beacon, seeded.
	dataDir := filepath.Join(tmp, "data")
	beaconAddr, err := benchproc.FreeAddr()
	if err != nil {
		return err
	}
	env := beaconEnv(beaconAddr, dataDir)
	if dbURL != "" {
		env = append(env, "BEACON_DATABASE_URL="+dbURL)
	}
	key, err := createKey(ctx, bin, env)
	if err != nil {
		return err
	}
	beacon, err := procs.Start(ctx, "beacon", serverCmd(stderr, bin, env, "serve"))
	if err != nil {
		return err
	}
	beaconURL := "http://" + beaconAddr
	if err := waitReady(ctx, beacon, beaconURL+"/healthz"); err != nil {
		return err
	}
	logf("beacon pid %d on %s; seeding", beacon.Pid(), beaconURL)
	seedStart := time.Now()
	st, err := seed(ctx, beaconURL, key)
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	logf("seeded %d components in %d groups, %d incidents (%d unresolved, %d updates), %d metrics (%d points) in %s",
		st.components, st.groups, st.incidents, st.unresolved, st.updates, st.metrics, st.points, time.Since(seedStart).Round(time.Millisecond))

	want, err := fetchBoth(ctx, beaconURL+summaryPath)
	if err != nil {
		return fmt.Errorf("beacon summary: %w", err)
	}
	if err := checkSummary(want.plain.body, st); err != nil {
		return err
	}
	logf("summary.json: %d bytes plain, %d bytes gzip, Content-Type %q", len(want.plain.body), len(want.gzip.body), want.plain.contentType)
	wantPage, err := fetchBoth(ctx, beaconURL+pagePath)
	if err != nil {
		return fmt.Errorf("beacon page: %w", err)
	}
	if err := checkPage(wantPage.plain, st); err != nil {
		return err
	}
	logf("/: %d bytes plain, %d bytes gzip, Content-Type %q", len(wantPage.plain.body), len(wantPage.gzip.body), wantPage.plain.contentType)

	// The reference server, in its own process, with the same bytes.
	var routes []refRoute
	for i, doc := range []struct {
		path string
		r    responses
	}{{summaryPath, want}, {pagePath, wantPage}} {
		rt := refRoute{Path: doc.path, ContentType: doc.r.plain.contentType,
			Body: filepath.Join(tmp, fmt.Sprintf("body%d", i)), Gzip: filepath.Join(tmp, fmt.Sprintf("body%d.gz", i))}
		if err := os.WriteFile(rt.Body, doc.r.plain.body, 0o600); err != nil {
			return err
		}
		if err := os.WriteFile(rt.Gzip, doc.r.gzip.body, 0o600); err != nil {
			return err
		}
		routes = append(routes, rt)
	}
	manifest, err := json.Marshal(routes)
	if err != nil {
		return err
	}
	routesFile := filepath.Join(tmp, "routes.json")
	if err := os.WriteFile(routesFile, manifest, 0o600); err != nil {
		return err
	}
	refAddr, err := benchproc.FreeAddr()
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ref, err := procs.Start(ctx, "ref", serverCmd(stderr, self, os.Environ(), "ref", "-addr", refAddr, "-routes", routesFile))
	if err != nil {
		return err
	}
	refURL := "http://" + refAddr
	if err := waitReady(ctx, ref, refURL+summaryPath); err != nil {
		return err
	}
	for _, doc := range []struct {
		path string
		r    responses
	}{{summaryPath, want}, {pagePath, wantPage}} {
		got, err := fetchBoth(ctx, refURL+doc.path)
		if err != nil {
			return fmt.Errorf("reference %s: %w", doc.path, err)
		}
		if err := sameResponses(doc.r, got); err != nil {
			return fmt.Errorf("reference server does not answer %s as Beacon does: %w", doc.path, err)
		}
	}
	logf("reference pid %d on %s answers the same bytes", ref.Pid(), refURL)

	if o.hold {
		logf("holding: beacon %s, reference %s (paths %s and %s); Ctrl-C to stop", beaconURL, refURL, summaryPath, pagePath)
		<-ctx.Done()
		return nil
	}

	m := machineInfo(ctx, wrkPath)
	targets := []target{{name: "ref", base: refURL, proc: ref}, {name: "beacon", base: beaconURL, proc: beacon}}
	res, err := measure(ctx, o, wrkPath, variants, targets, logf)
	if err != nil {
		return err
	}

	// The summary must not have changed under load (no rebuild, same
	// bytes). The page may have: its snapshot is rebuilt once a minute, and
	// today's bar of a component in an open incident grows with the clock.
	after, err := fetchBoth(ctx, beaconURL+summaryPath)
	if err != nil {
		return fmt.Errorf("beacon summary after the load: %w", err)
	}
	if err := sameResponses(want, after); err != nil {
		return fmt.Errorf("beacon's summary changed during the run: %w", err)
	}
	afterPage, err := fetchBoth(ctx, beaconURL+pagePath)
	if err != nil {
		return fmt.Errorf("beacon page after the load: %w", err)
	}
	pageNote := "the same bytes after the run"
	if err := sameResponses(wantPage, afterPage); err != nil {
		pageNote = fmt.Sprintf("rebuilt during the run as the clock moved (%d bytes gzip after it)", len(afterPage.gzip.body))
		if err := checkPage(afterPage.plain, st); err != nil {
			return fmt.Errorf("beacon page after the load: %w", err)
		}
	}
	logf("/: %s", pageNote)

	report(stdout, o, m, engine, revision, st, want, wantPage, pageNote, res)
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
