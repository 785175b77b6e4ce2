//go:build linux

// Command beacon-notify-bench measures Beacon's notification fan-out, as
// issue 3 asks, on loopback:
//
//  1. Reference: postfix's smtp-source sends N messages over S sessions,
//     each session kept open (-d), to a fresh smtp-sink; the time runs from
//     starting smtp-source to the sink counting the Nth message. A second
//     run sends messages of about Beacon's size (-l, -source-bytes).
//  2. Beacon: N active email subscribers, imported once with beacon
//     subscribers import into a seed data directory that each round copies;
//     beacon serve with S SMTP connections (BEACON_SMTP_POOL, which is also
//     its number of email workers) and no rate limit, to another fresh
//     smtp-sink. After a warm-up incident that notifies no one, one incident
//     is posted; the time runs from just before the POST to the sink
//     counting the Nth message. The POST's latency, Beacon's peak RSS
//     (VmHWM), its CPU time and the sink's bytes per message are recorded,
//     then the notifications API is polled until N deliveries are recorded
//     as sent.
//  3. Steps 1 and 2 alternate for -rounds rounds and a reference run ends
//     the series: each round's ratio uses the mean of the references around
//     it (the machine is shared and noisy).
//     With -engines sqlite,postgres each round (and each kill, and the api
//     phase) runs Beacon on both engines, alternating which goes first: on
//     PostgreSQL the benchmark starts a throwaway cluster of its own,
//     imports the subscribers into a seed database with the same CLI, and
//     gives each server a copy of it (BEACON_DATABASE_URL).
//     With -languages 1,7 each round (and each kill, and the api phase)
//     runs each binary twice, alternating which goes first: once on a
//     seed whose subscribers read one language, once on a seed whose
//     subscribers read seven, given round-robin through the import CSV's
//     language column (English first, then the catalogue's order), so the
//     cost of rendering each event once per language is seen beside the
//     same binary's one-language rate, in the same minutes.
//  4. SMS pacing: a Twilio stand-in in this process answers Twilio's
//     Messages resource and refuses with 429 / 20429 anything faster than
//     its token bucket (by default 5% above the configured rate, burst 5);
//     a second Beacon with M SMS subscribers and BEACON_SMS_RATE sends one
//     incident to it; the achieved rate is measured over the middle 80% of
//     the arrivals.
//
// Usage:
//
//	go run ./cmd/beacon-notify-bench [-subscribers 100000] [-sessions 8] [-rounds 1] [-postfix DIR]
//
// smtp-sink and smtp-source must exist (see -h): the program installs
// nothing. Every child process is stopped on exit, and every step is
// bounded in time. Speed is reported, never asserted: the exit status says
// only whether the measurement ran. docs/BENCHMARKS.md ("Notification
// fan-out") records results. It runs on Linux only: it reads /proc and
// ties its children's lives to its own with a parent-death signal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/beacon-status/beacon/cmd/beacon-notify-bench/standin"
	"github.com/beacon-status/beacon/internal/benchproc"
	"github.com/beacon-status/beacon/internal/i18n"
)

type options struct {
	subscribers  int
	sessions     int
	postfixDir   string
	beaconBin    string
	baseline     string
	engines      string
	pgDurable    bool
	payload      int
	phases       string
	emailTimeout time.Duration
	total        time.Duration
	sms          int
	smsRate      float64
	smsWorkers   int
	standinRate  float64
	standinBurst int
	rounds       int
	perf         string
	attach       string
	keep         bool
	kills        int
	killSubs     int
	killSessions int
	probeEvery   time.Duration
	languages    []int // how many languages the email subscribers read, one seed each
}

func main() {
	var o options
	fs := flag.NewFlagSet("beacon-notify-bench", flag.ContinueOnError)
	fs.IntVar(&o.subscribers, "subscribers", 100_000, "email subscribers, and messages smtp-source sends")
	fs.IntVar(&o.sessions, "sessions", 8, "SMTP sessions: smtp-source -s and BEACON_SMTP_POOL")
	fs.StringVar(&o.postfixDir, "postfix", "", "directory of the unpacked postfix .deb (default: smtp-sink and smtp-source on PATH or in /usr/sbin)")
	fs.StringVar(&o.beaconBin, "beacon", "", "use this beacon binary instead of building ./cmd/beacon")
	fs.StringVar(&o.baseline, "baseline", "", "a second beacon binary (an older commit's) measured in the same run: each round, kill and probe runs both, alternating which goes first")
	fs.StringVar(&o.engines, "engines", "sqlite", "engines to measure Beacon on, in the same run: sqlite, postgres (a throwaway cluster the benchmark starts; needs Debian's postgresql package)")
	fs.BoolVar(&o.pgDurable, "pg-durable", true, "run the PostgreSQL cluster with its default durability (fsync and synchronous commits); false turns both off, to see what the disk costs")
	fs.IntVar(&o.payload, "source-bytes", 3650, "smtp-source -l for the second reference, of about Beacon's message size (0: skip it)")
	fs.IntVar(&o.rounds, "rounds", 1, "Beacon email runs, each between two reference runs")
	fs.StringVar(&o.phases, "phases", "email,sms", "phases to run: email, sms, kill, api")
	fs.IntVar(&o.kills, "kills", 20, "kill phase: SIGKILLs of beacon serve mid-delivery, each followed by a restart (per binary)")
	fs.IntVar(&o.killSubs, "kill-subscribers", 20_000, "kill phase: email subscribers")
	fs.IntVar(&o.killSessions, "kill-sessions", 4, "kill phase: BEACON_SMTP_POOL (email workers)")
	langs := fs.String("languages", "1", "how many languages (1–"+fmt.Sprint(len(i18n.Codes()))+") the email subscribers read, given round-robin, English first; a list (1,7) runs each binary on each in every round, alternating which goes first")
	fs.DurationVar(&o.probeEvery, "probe-every", 20*time.Millisecond, "api phase: pause between two incident updates posted during the fan-out")
	fs.DurationVar(&o.emailTimeout, "email-timeout", 10*time.Minute, "longest wait for Beacon's emails, and for each smtp-source run")
	fs.DurationVar(&o.total, "timeout", 30*time.Minute, "longest the whole program may run")
	fs.IntVar(&o.sms, "sms", 2000, "SMS subscribers in the pacing run")
	fs.Float64Var(&o.smsRate, "sms-rate", 50, "BEACON_SMS_RATE, messages per second")
	fs.IntVar(&o.smsWorkers, "sms-workers", 4, "BEACON_SMS_WORKERS")
	fs.Float64Var(&o.standinRate, "standin-rate", 0, "the stand-in's token bucket rate before it answers 429 (default: 1.05 × -sms-rate)")
	fs.IntVar(&o.standinBurst, "standin-burst", 5, "the stand-in's token bucket size")
	fs.StringVar(&o.perf, "perf", "", "record Beacon with perf (perf record -g) during the email run into this file, and print its top functions")
	fs.StringVar(&o.attach, "attach", "", "run this command (split on spaces, {pid} replaced by Beacon's pid) from the POST to the last message of the email run, then stop it with SIGINT; its output goes to stderr (for example 'perf trace -s -p {pid}')")
	fs.BoolVar(&o.keep, "keep", false, "keep the temporary directory (data directories, logs, CSV files)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: go run ./cmd/beacon-notify-bench [flags]\n\n%s\n\nFlags:\n", postfixHelp)
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}
	if o.subscribers <= 0 || o.sessions <= 0 || o.rounds <= 0 || o.payload < 0 || o.sms <= 0 || o.smsRate <= 0 || o.smsWorkers <= 0 || o.standinBurst <= 0 ||
		o.kills <= 0 || o.killSubs <= 0 || o.killSessions <= 0 || o.probeEvery <= 0 {
		fmt.Fprintln(os.Stderr, "beacon-notify-bench: counts and rates must be positive")
		os.Exit(2)
	}
	var err error
	if o.languages, err = parseLanguages(*langs); err != nil {
		fmt.Fprintln(os.Stderr, "beacon-notify-bench: -languages:", err)
		os.Exit(2)
	}
	if o.standinRate <= 0 {
		o.standinRate = o.smsRate * 1.05
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(ctx, o.total)
	err = runBench(ctx, o, os.Stdout)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "beacon-notify-bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, args...)...)
}

// report is everything measured.
type report struct {
	o       options
	machine machine
	engines []*engine
	refs    []refSlot // one before each Beacon round and one after the last
	email   []*emailResult
	sms     *smsRun
	kills   []*killResult
	probes  []*probeResult
	perfTop string
}

// parseLanguages reads -languages: counts of languages from 1 to the
// catalogue's, each at most once.
func parseLanguages(s string) ([]int, error) {
	var counts []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > len(i18n.Codes()) {
			return nil, fmt.Errorf("%q: want a count from 1 to %d", f, len(i18n.Codes()))
		}
		if slices.Contains(counts, n) {
			return nil, fmt.Errorf("%d twice", n)
		}
		counts = append(counts, n)
	}
	return counts, nil
}

// subscriberLanguage is the language of the i-th of the subscribers spread
// round-robin over n languages: English first, then the catalogue's order.
func subscriberLanguage(i, n int) string { return i18n.Codes()[i%n] }

// binary is a Beacon binary under measurement, the tree's or -baseline,
// on one engine, sending to subscribers that read langs languages.
type binary struct {
	label, path string
	eng         *engine
	langs       int
	paired      bool // the run measures more than one count of languages
}

// name says which binary on which engine, for logs and file names.
func (b binary) name() string {
	if b.paired {
		return fmt.Sprintf("%s-%dlang-%s", b.label, b.langs, b.eng.name)
	}
	return b.label + "-" + b.eng.name
}

// title is the binary as the report names it: with its languages when the
// run measures more than one count of them.
func (b binary) title() string {
	if !b.paired {
		return b.label
	}
	return b.label + ", " + languages(b.langs)
}

// seedKey names the seed a binary starts from: its engine's, with its
// subscribers' languages.
type seedKey struct {
	eng   *engine
	langs int
}

func (b binary) seed() seedKey { return seedKey{b.eng, b.langs} }

// inTurn returns bins in the order for round n (from 1): which goes first
// alternates (the order is reversed in even rounds).
func inTurn(bins []binary, n int) []binary {
	if n%2 == 0 {
		r := slices.Clone(bins)
		slices.Reverse(r)
		return r
	}
	return bins
}

// refSlot is the reference measured between two Beacon rounds: with
// smtp-source's default message and with a message of about Beacon's size.
type refSlot struct {
	Default, Sized sourceResult
}

func runBench(ctx context.Context, o options, out io.Writer) (err error) {
	phases := map[string]bool{}
	for p := range strings.SplitSeq(o.phases, ",") {
		p = strings.TrimSpace(p)
		if p != "email" && p != "sms" && p != "kill" && p != "api" {
			return fmt.Errorf("unknown phase %q (want email, sms, kill, api)", p)
		}
		phases[p] = true
	}
	engineNames, err := parseEngines(o.engines)
	if err != nil {
		return err
	}
	var pf postfix
	if phases["email"] || phases["kill"] || phases["api"] {
		if pf, err = findPostfix(o.postfixDir); err != nil {
			return fmt.Errorf("%v\n\n%s", err, postfixHelp)
		}
	}
	if o.perf != "" {
		if _, err := exec.LookPath("perf"); err != nil {
			return errors.New("-perf needs perf (apt-get install linux-perf)")
		}
	}
	tmp, err := os.MkdirTemp("", "beacon-notify-bench-")
	if err != nil {
		return err
	}
	if o.keep {
		logf("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	g := &benchproc.Group{Log: logf}
	defer g.StopAll()

	rep := &report{o: o, machine: describeMachine(ctx)}
	bin := o.beaconBin
	if bin == "" {
		logf("building ./cmd/beacon")
		if bin, err = buildBeacon(ctx, tmp); err != nil {
			return err
		}
	}
	engines, stopEngines, err := startEngines(ctx, engineNames, o.pgDurable)
	if err != nil {
		return err
	}
	defer stopEngines()
	rep.engines = engines
	var bins []binary
	for _, b := range []binary{{label: "tree", path: bin}, {label: "baseline", path: o.baseline}} {
		for _, e := range engines {
			for _, n := range o.languages {
				if b.path != "" {
					bins = append(bins, binary{label: b.label, path: b.path, eng: e, langs: n, paired: len(o.languages) > 1})
				}
			}
		}
	}
	// -perf and -attach follow the tree's first round on the first engine.
	profiled := bins[0]
	seeds := map[seedKey]*emailSeed{}
	if phases["email"] || phases["api"] {
		for _, b := range bins {
			if seeds[b.seed()] == nil {
				if seeds[b.seed()], err = seedEmail(ctx, bin, filepath.Join(tmp, "email", fmt.Sprintf("lang%d", b.langs)), o.subscribers, b.langs, b.eng); err != nil {
					return err
				}
			}
		}
	}
	if phases["email"] {
		for round := 1; round <= o.rounds+1; round++ {
			ref, err := runRefs(ctx, g, pf, o)
			if err != nil {
				return err
			}
			rep.refs = append(rep.refs, ref)
			if round > o.rounds {
				break
			}
			for _, b := range inTurn(bins, round) {
				e, err := runEmail(ctx, g, pf, seeds[b.seed()], b, filepath.Join(tmp, "email", fmt.Sprintf("round%d-%s", round, b.name())), o, round, b == profiled)
				if err != nil {
					return err
				}
				rep.email = append(rep.email, e)
				if o.perf != "" && round == 1 && b == profiled {
					rep.perfTop = perfTop(ctx, o.perf)
				}
			}
		}
	}
	if phases["api"] {
		for i, b := range inTurn(bins, 1) {
			p, err := runProbe(ctx, g, pf, seeds[b.seed()], b, filepath.Join(tmp, "api", fmt.Sprint(i)), o)
			if err != nil {
				return err
			}
			rep.probes = append(rep.probes, p)
		}
	}
	if phases["kill"] {
		kseeds := map[seedKey]*emailSeed{}
		for _, b := range bins {
			if kseeds[b.seed()] == nil {
				if kseeds[b.seed()], err = seedEmail(ctx, bin, filepath.Join(tmp, "kill", fmt.Sprintf("lang%d", b.langs)), o.killSubs, b.langs, b.eng); err != nil {
					return err
				}
			}
		}
		for k := 1; k <= o.kills; k++ {
			for _, b := range inTurn(bins, k) {
				r, err := runKill(ctx, g, pf, kseeds[b.seed()], b, filepath.Join(tmp, "kill", fmt.Sprintf("kill%d-%s", k, b.name())), o, k)
				if err != nil {
					return err
				}
				rep.kills = append(rep.kills, r)
			}
		}
	}
	if phases["sms"] {
		if rep.sms, err = runSMS(ctx, g, bin, filepath.Join(tmp, "sms"), o); err != nil {
			return err
		}
	}
	rep.write(out)
	return nil
}

// runRefs runs smtp-source with its default message, then with one of
// about Beacon's size.
func runRefs(ctx context.Context, g *benchproc.Group, pf postfix, o options) (refSlot, error) {
	var slot refSlot
	var err error
	logf("reference: smtp-source -s %d -m %d -d", o.sessions, o.subscribers)
	if slot.Default, err = runSource(ctx, g, pf, o.subscribers, o.sessions, 0, o.emailTimeout); err != nil {
		return slot, err
	}
	logf("reference: %.0f msg/s (%.2fs)", slot.Default.Rate, slot.Default.Elapsed.Seconds())
	if o.payload > 0 {
		logf("reference: smtp-source -s %d -m %d -d -l %d", o.sessions, o.subscribers, o.payload)
		if slot.Sized, err = runSource(ctx, g, pf, o.subscribers, o.sessions, o.payload, o.emailTimeout); err != nil {
			return slot, err
		}
		logf("reference: %.0f msg/s (%.2fs)", slot.Sized.Rate, slot.Sized.Elapsed.Seconds())
	}
	return slot, nil
}

// emailSeed is a data directory, and on PostgreSQL a database, holding the
// email subscribers and an API key, copied for each round.
type emailSeed struct {
	bin, dir, key string
	db            string // PostgreSQL's seed database
	importTook    time.Duration
}

// seedEmail imports subscribers with beacon's CLI, as an operator would,
// into a seed on engine e; they read langs languages, round-robin.
func seedEmail(ctx context.Context, bin, dir string, subscribers, langs int, e *engine) (*emailSeed, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	csv := filepath.Join(dir, "subscribers.csv")
	codes := make([]string, langs)
	for i := range codes {
		codes[i] = subscriberLanguage(i, langs)
	}
	if err := writeCSV(csv, "mode,address,language", subscribers, func(i int) string {
		return fmt.Sprintf("email,u%06d@example.com,%s", i+1, codes[i%langs])
	}); err != nil {
		return nil, err
	}
	var db string
	if e.pg != nil {
		var err error
		if db, err = e.newDatabase(""); err != nil {
			return nil, err
		}
	}
	b, err := newBeacon(bin, filepath.Join(dir, "seed-"+e.name), e.vars(db))
	if err != nil {
		return nil, err
	}
	logf("beacon: importing %d email subscribers in %s (%s)", subscribers, languages(langs), e.name)
	took, err := b.seed(ctx, csv)
	if err != nil {
		return nil, err
	}
	logf("beacon: imported in %.1fs", took.Seconds())
	if e.pg != nil {
		// Autovacuum analyzes a table within a minute or so of a bulk
		// insert: a server that has run since the import has the
		// subscribers' statistics, and each run's copy inherits them.
		// Without them the first round planned its queries blind (a
		// third of the later rounds' rate). The other tables, as
		// autovacuum would leave them, stay unanalyzed.
		if _, err := e.pg.Exec(db, "ANALYZE subscribers"); err != nil {
			return nil, err
		}
	}
	return &emailSeed{bin: bin, dir: b.dir, db: db, key: b.key, importTook: took}, nil
}

// emailResult is one round of Beacon's email run.
type emailResult struct {
	Label         string // which binary (binary.title)
	Languages     int    // how many languages the subscribers read
	Round         int
	Subscribers   int
	Engine        string
	ImportTook    time.Duration
	WarmAPICall   time.Duration // a POST that notifies no one, before
	APICall       time.Duration
	FirstMessage  time.Duration // POST to the sink's first message
	LastMessage   time.Duration // POST to the sink's Nth message
	Rate          float64
	RecordedSent  time.Duration // POST to the API reporting N sent
	SinkTotal     int           // messages the sink counted, duplicates included
	Final         counts
	PeakRSSKB     int64
	SampledRSSKB  int64
	CPU           time.Duration // Beacon's user+system CPU from the POST to the last message
	SinkCPU       time.Duration
	Bytes         float64 // read by the sink per message
	MeanSend      time.Duration
	DeliveriesOK  float64
	DeliveryLines []string
}

// runData is what every run of a server starts from: an smtp-sink and a
// copy of the seed.
type runData struct {
	sk   *sink
	vars map[string]string // the server's settings: the sink's, the database's
	db   string            // the copy's PostgreSQL database
	drop func()
}

// stop stops the sink and drops the copy's database.
func (d *runData) stop() {
	d.sk.p.Stop(5 * time.Second)
	d.drop()
}

// sinkAndData starts an smtp-sink named name and lays a copy of seed out in
// dir (and on PostgreSQL a database), for a server sending over sessions
// SMTP connections. The caller stops it.
func sinkAndData(ctx context.Context, g *benchproc.Group, pf postfix, name string, seed *emailSeed, bin binary, dir string, sessions int) (*runData, error) {
	sk, err := startSink(ctx, g, pf, name)
	if err != nil {
		return nil, err
	}
	_, port, _ := strings.Cut(sk.addr, ":")
	db, drop, err := bin.eng.copySeed(seed, dir)
	if err != nil {
		sk.p.Stop(5 * time.Second)
		return nil, err
	}
	vars := smtpVars(port, sessions)
	maps.Copy(vars, bin.eng.vars(db))
	return &runData{sk: sk, vars: vars, db: db, drop: drop}, nil
}

// runEmail is one round of Beacon's email run; profiled says whether -perf
// and -attach follow it (in round 1).
func runEmail(ctx context.Context, g *benchproc.Group, pf postfix, seed *emailSeed, bin binary, dir string, o options, round int, profiled bool) (*emailResult, error) {
	res := &emailResult{Label: bin.title(), Languages: bin.langs, Engine: bin.eng.name, Round: round, Subscribers: o.subscribers, ImportTook: seed.importTook}
	data, err := sinkAndData(ctx, g, pf, "smtp-sink (beacon)", seed, bin, dir, o.sessions)
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
	logf("beacon round %d (%s): starting the server", round, bin.name())
	if err := b.serve(ctx, g); err != nil {
		return nil, err
	}
	defer func() {
		b.p.Stop(15 * time.Second)
		if tail := b.logTail(); tail != "" {
			logf("beacon's log (warnings and errors):\n%s", tail)
		}
	}()
	// A first POST that notifies no one warms the server up, as a server
	// that has run for a while is; then let its event settle.
	if _, res.WarmAPICall, _, err = b.postIncident(ctx, false); err != nil {
		return nil, err
	}
	time.Sleep(time.Second)

	var perfProc *benchproc.Proc
	if o.perf != "" && round == 1 && profiled {
		perfProc, err = g.Start(ctx, "perf", exec.Command("perf", "record", "-F", "499", "-g", "-p", fmt.Sprint(b.p.Pid()), "-o", o.perf))
		if err != nil {
			return nil, err
		}
		time.Sleep(500 * time.Millisecond)
	}
	var attached *benchproc.Proc
	if o.attach != "" && round == 1 && profiled {
		args := strings.Fields(strings.ReplaceAll(o.attach, "{pid}", fmt.Sprint(b.p.Pid())))
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		attached, err = g.Start(ctx, "attached "+args[0], cmd)
		if err != nil {
			return nil, err
		}
		time.Sleep(500 * time.Millisecond)
	}
	rss := sampleRSS(b.p.Pid())
	cpu0, _ := benchproc.CPUTime(b.p.Pid())
	sinkCPU0, _ := benchproc.CPUTime(sk.p.Pid())
	bytes0 := sk.bytesRead()
	sk.expect(o.subscribers)

	logf("beacon round %d: posting the incident", round)
	incident, apiTook, posted, err := b.postIncident(ctx, true)
	if err != nil {
		return nil, err
	}
	res.APICall = apiTook
	logf("beacon: POST took %.1f ms (the warm-up one %.1f ms); waiting for %d messages", ms(apiTook), ms(res.WarmAPICall), o.subscribers)

	wctx, cancel := context.WithTimeout(ctx, o.emailTimeout)
	defer cancel()
	lastCount, lastChange := 0, time.Now()
	end, err := sk.wait(wctx, func(n int) error {
		if err := b.p.Exited(); err != nil {
			return err
		}
		logf("beacon: %d messages at the sink (%.0f/s so far)", n, float64(n)/time.Since(posted).Seconds())
		if n != lastCount {
			lastCount, lastChange = n, time.Now()
		} else if time.Since(lastChange) > time.Minute {
			c, evs, _ := b.progress(ctx, incident, "email")
			return fmt.Errorf("no message for a minute at %d; deliveries %+v; events %+v", n, c, evs)
		}
		return nil
	})
	if err != nil {
		c, evs, perr := b.progress(ctx, incident, "email")
		return nil, fmt.Errorf("beacon: %w; deliveries %+v %+v %v", err, c, evs, perr)
	}
	cpu1, _ := benchproc.CPUTime(b.p.Pid())
	sinkCPU1, _ := benchproc.CPUTime(sk.p.Pid())
	if perfProc != nil {
		perfProc.Stop(30 * time.Second) // SIGTERM: perf writes its file and exits
	}
	if attached != nil {
		attached.StopWith(syscall.SIGINT, 30*time.Second)
	}
	_, first := sk.received()
	res.FirstMessage = first.Sub(posted)
	res.LastMessage = end.Sub(posted)
	res.Rate = float64(o.subscribers) / res.LastMessage.Seconds()
	res.CPU = cpu1 - cpu0
	res.SinkCPU = sinkCPU1 - sinkCPU0
	logf("beacon: %d messages in %.2fs: %.0f msg/s", o.subscribers, res.LastMessage.Seconds(), res.Rate)

	sentAt, c, err := b.waitSent(ctx, incident, "email", o.subscribers, 2*time.Minute)
	if err != nil {
		return nil, err
	}
	res.RecordedSent = sentAt.Sub(posted)
	res.PeakRSSKB, res.SampledRSSKB = rss.finish()
	// Anything still arriving now is a duplicate.
	time.Sleep(time.Second)
	res.SinkTotal, _ = sk.received()
	if bytes1 := sk.bytesRead(); bytes0 >= 0 && bytes1 >= 0 {
		res.Bytes = float64(bytes1-bytes0) / float64(res.SinkTotal)
	}
	res.Final = c
	if lines, err := b.metrics(ctx, "beacon_deliveries_total", "beacon_send_duration_seconds_sum", "beacon_send_duration_seconds_count"); err == nil {
		res.DeliveryLines = lines
		n := metricSum(lines, "beacon_send_duration_seconds_count", `channel="email"`)
		if n > 0 {
			res.MeanSend = time.Duration(metricSum(lines, "beacon_send_duration_seconds_sum", `channel="email"`) / n * float64(time.Second))
		}
		res.DeliveriesOK = metricSum(lines, "beacon_deliveries_total", `channel="email"`, `outcome="sent"`)
	}
	return res, nil
}

// smtpVars are the settings of a Beacon sending email to the sink on
// port over sessions connections, without a rate limit.
func smtpVars(port string, sessions int) map[string]string {
	return map[string]string{
		"BEACON_SMTP_HOST": "127.0.0.1", "BEACON_SMTP_PORT": port, "BEACON_SMTP_TLS": "none",
		"BEACON_SMTP_FROM": "status@example.com", "BEACON_SMTP_POOL": fmt.Sprint(sessions), "BEACON_EMAIL_RATE": "0",
	}
}

// smsRun is the SMS pacing run.
type smsRun struct {
	Configured   float64
	Workers      int
	StandinRate  float64
	StandinBurst int
	APICall      time.Duration
	Result       standin.Result
	Final        counts
}

func runSMS(ctx context.Context, g *benchproc.Group, bin, dir string, o options) (*smsRun, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if o.sms > 10000 {
		return nil, errors.New("-sms: at most 10000 (the stand-in numbers are +1415555xxxx)")
	}
	csv := filepath.Join(dir, "subscribers.csv")
	if err := writeCSV(csv, "mode,address", o.sms, func(i int) string { return fmt.Sprintf("sms,+1415555%04d", i) }); err != nil {
		return nil, err
	}
	const sid, token = "AC0123456789abcdef0123456789abcdef", "benchtoken0123456789"
	st, err := standin.Start(sid, token, o.standinRate, o.standinBurst)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	b, err := newBeacon(bin, filepath.Join(dir, "data"), map[string]string{
		"BEACON_TWILIO_ACCOUNT_SID": sid, "BEACON_TWILIO_AUTH_TOKEN": token, "BEACON_TWILIO_FROM": "+15005550006",
		"BEACON_TWILIO_API_URL": st.URL(), "BEACON_SMS_RATE": fmt.Sprint(o.smsRate), "BEACON_SMS_WORKERS": fmt.Sprint(o.smsWorkers),
	})
	if err != nil {
		return nil, err
	}
	logf("sms: importing %d SMS subscribers", o.sms)
	if _, err := b.seed(ctx, csv); err != nil {
		return nil, err
	}
	if err := b.serve(ctx, g); err != nil {
		return nil, err
	}
	defer func() {
		b.p.Stop(15 * time.Second)
		if tail := b.logTail(); tail != "" {
			logf("beacon's log (warnings and errors):\n%s", tail)
		}
	}()
	time.Sleep(500 * time.Millisecond)
	st.Expect(o.sms)
	logf("sms: posting the incident; %d SMS at %g/s should take %.0fs", o.sms, o.smsRate, float64(o.sms)/o.smsRate)
	incident, apiTook, posted, err := b.postIncident(ctx, true)
	if err != nil {
		return nil, err
	}
	limit := time.Duration(float64(o.sms)/o.smsRate*2*float64(time.Second)) + time.Minute
	wctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
wait:
	for {
		select {
		case <-st.Hit:
			break wait
		case <-wctx.Done():
			r := st.Result(posted)
			return nil, fmt.Errorf("sms: %d of %d messages arrived (%d 429s, %d bad: %s): %w", r.Messages, o.sms, r.Rejected, r.Bad, r.BadWhy, wctx.Err())
		case <-tick.C:
			if err := b.p.Exited(); err != nil {
				return nil, err
			}
			r := st.Result(posted)
			logf("sms: %d messages at the stand-in, %d 429s", r.Messages, r.Rejected)
		}
	}
	_, c, err := b.waitSent(ctx, incident, "sms", o.sms, time.Minute)
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Second) // anything more is a duplicate
	run := &smsRun{Configured: o.smsRate, Workers: o.smsWorkers, StandinRate: o.standinRate, StandinBurst: o.standinBurst,
		APICall: apiTook, Result: st.Result(posted), Final: c}
	logf("sms: %d messages, steady %.2f/s, %d 429s", run.Result.Messages, run.Result.Steady, run.Result.Rejected)
	return run, nil
}

func writeCSV(path, header string, n int, row func(i int) string) error {
	var sb strings.Builder
	sb.Grow(n * 32)
	sb.WriteString(header + "\n")
	for i := range n {
		sb.WriteString(row(i))
		sb.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(sb.String()), 0o600)
}

// perfTop summarises a perf recording: the functions with the most samples
// of their own, and with the most including their callees.
func perfTop(ctx context.Context, file string) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	var sb strings.Builder
	for _, v := range []struct{ title, children string }{{"self", "--no-children"}, {"including callees", "--children"}} {
		out, err := run(ctx, "", os.Environ(), "perf", "report", "-i", file, "--stdio", v.children, "--call-graph=none",
			"--sort", "symbol", "--percent-limit", "1.5")
		if err != nil {
			fmt.Fprintf(&sb, "perf report (%s): %v\n", v.title, err)
			continue
		}
		fmt.Fprintf(&sb, "### perf: %s\n", v.title)
		for line := range strings.SplitSeq(out, "\n") {
			// perf pads every line to the terminal width and adds IPC
			// columns ("-      -") that a software clock cannot fill.
			line = strings.TrimRight(line, " ")
			line = strings.TrimRight(strings.TrimSuffix(line, "-      -"), " ")
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			sb.WriteString(line + "\n")
		}
	}
	return sb.String()
}

// machine describes where the run happened.
type machine struct {
	CPUs   int
	Model  string
	MemGB  float64
	Go     string
	Kernel string
	Date   string
	Commit string
	Load   string // 1, 5 and 15 minutes
}

func describeMachine(ctx context.Context) machine {
	m := machine{CPUs: runtime.NumCPU(), Model: benchproc.CPUModel(), MemGB: benchproc.MemoryGiB(), Go: benchproc.GoVersion(ctx),
		Kernel: benchproc.Kernel(), Date: time.Now().UTC().Format("2006-01-02 15:04 UTC"), Load: benchproc.LoadAverage()}
	if root, err := benchproc.ModuleRoot(ctx); err == nil {
		if commit, dirty := benchproc.GitRevision(ctx, root); commit != "" {
			m.Commit = commit
			if dirty {
				m.Commit += " (with uncommitted changes)"
			}
		}
	}
	return m
}
