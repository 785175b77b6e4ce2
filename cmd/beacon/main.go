// Command beacon runs the Beacon status page and its command-line tools.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/datadir"
)

// gcPercent is the garbage collector's target unless GOGC sets one: the
// heap may grow to five times what is live between collections. Beacon's
// live heap is small (tens of megabytes), and a fan-out to many
// subscribers allocates quickly; at Go's default of 100 collecting cost
// about a tenth of its CPU.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "beacon:", err)
		}
		os.Exit(1)
	}
}

const usage = `Usage: beacon [command] [flags]

Commands:
  serve                     run the status page (the default)
  migrate                   create or update the database schema, then exit
  apikey create --name N    create a management API key and print it once
  apikey list               list API keys
  apikey revoke ID          revoke an API key (by id or prefix)
  user create --email E --role admin|responder [--password-stdin]
                            add a console user; prints a one-time set-password
                            link, or reads the password from stdin
  user list                 list console users
  backup --to FILE          write a consistent copy of the live database
  migrate-db --to URL       copy the SQLite database into an empty PostgreSQL one
  subscribers import FILE   import subscribers from CSV (mode,address[,phone_country,components])
  subscribers export        write every subscriber as CSV to stdout
  demo                      fill an empty database with a realistic example

Every command takes --addr, --data-dir, --database-url (PostgreSQL instead
of SQLite in the data directory) and --base-url (by default http:// and the
listen address, localhost for :port); all settings are also read from
BEACON_… environment variables (see the README). beacon COMMAND --help lists
a command's flags.
`

// run is the whole program, with its environment passed in so tests can
// drive it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		// Before the default command takes it as a flag of serve's.
		cmd, args = "help", args[1:]
	} else if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, getenv, stderr, nil)
	case "migrate":
		return runMigrate(ctx, args, getenv, stdout, stderr)
	case "apikey":
		return runAPIKey(ctx, args, getenv, stdout, stderr)
	case "user":
		return runUser(ctx, args, getenv, os.Stdin, stdout, stderr)
	case "backup":
		return runBackup(ctx, args, getenv, stdout, stderr)
	case "migrate-db":
		return runMigrateDB(ctx, args, getenv, stdout, stderr)
	case "subscribers":
		return runSubscribers(ctx, args, getenv, os.Stdin, stdout, stderr)
	case "demo":
		return runDemo(ctx, args, getenv, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", cmd)
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// runServe serves until ctx is done. ready, if set, is told the address
// once the server listens.
func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer, ready func(string)) error {
	cfg, _, err := loadConfig("serve", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	_, port, _ := net.SplitHostPort(cfg.Addr)
	switch {
	case !cfg.BaseURLSet && port == "0":
		log.Warn("the listen port is chosen at start, so links cannot name it: set BEACON_BASE_URL", "base_url", cfg.BaseURL)
	case cfg.BaseURLSet && baseURLElsewhere(cfg.BaseURL, cfg.Addr):
		log.Info("links use the base URL, which is not the listen address: a reverse proxy or port mapping must forward it here",
			"base_url", cfg.BaseURL, "addr", cfg.Addr)
	}
	a, done, err := ownApp(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer done()
	// Only the server makes the page's URL follow the base URL: one-shot
	// commands may run beside it with another environment.
	if _, err := a.components.FollowURL(ctx, cfg.BaseURL); err != nil {
		return fmt.Errorf("page url: %w", err)
	}
	if n, err := a.components.Count(ctx); err == nil && n == 0 {
		log.Info("the page has no components yet: run `beacon demo` for an example, or create them through the API (see README)")
	}
	if token, ok, err := a.accounts.FirstRunLink(ctx); err != nil {
		return err
	} else if ok {
		log.Warn("no console users yet: open this one-time link to create the first admin (it works for 72 hours)",
			"url", screen.PasswordURL(a.cfg.BaseURL, token))
	}
	return a.serve(ctx, ready)
}

// lockDataDir takes the data directory's lock before anything touches the
// database: a second server would migrate under the first and, releasing
// its delivery claims as leftovers of a crash, send them again. Only serve
// and migrate take it; the other commands share the database with a
// running server by design. The release function is for a clean exit; the
// kernel drops the lock however the process ends.
//
// Replicas on PostgreSQL share the database by design and keep nothing in
// the data directory: there is no lock, and each replica's claims carry
// its own id and lease.
func lockDataDir(cfg Config, log *slog.Logger) (release func(), err error) {
	if cfg.DatabaseURL != "" {
		return func() {}, nil
	}
	l, err := datadir.Acquire(cfg.DataDir)
	if errors.Is(err, datadir.ErrUnsupported) {
		log.Warn("this system cannot lock the data directory: run only one beacon server on it", "data_dir", cfg.DataDir)
		return func() {}, nil
	}
	if err != nil {
		return nil, err
	}
	return func() {
		if err := l.Release(); err != nil {
			log.Error("release the data directory lock", "err", err)
		}
	}, nil
}

// ownApp takes the data directory's lock, then builds the app on it: the
// commands that own the data directory (serve, migrate) start this way.
// done closes the app, then releases the lock.
func ownApp(ctx context.Context, cfg Config, log *slog.Logger) (a *app, done func(), err error) {
	release, err := lockDataDir(cfg, log)
	if err != nil {
		return nil, nil, err
	}
	if a, err = newApp(ctx, cfg, log, time.Now); err != nil {
		release()
		return nil, nil, err
	}
	return a, func() {
		a.Close()
		release()
	}, nil
}

func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return ln, nil
}
