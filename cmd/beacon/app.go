package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/sqlite"
	"github.com/beacon-status/beacon/notifier"
)

// app is Beacon wired together: the one place that builds every part.
type app struct {
	cfg        Config
	log        *slog.Logger
	now        func() time.Time
	db         *sqlite.DB
	outbox     *notifier.Outbox
	components *components.Service
	incidents  *incidents.Service
	keys       *apikeys.Store
	public     *publicCache
	metrics    *metrics
	limiter    *keyLimiter
}

// dbFile is the database's name inside the data directory.
const dbFile = "beacon.db"

// openDB opens and migrates the database in cfg.DataDir.
func openDB(ctx context.Context, cfg Config) (*sqlite.DB, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, dbFile))
	if err != nil {
		return nil, err
	}
	err = db.Migrate(ctx,
		apikeys.Migrations(),
		notifier.Migrations(),
		components.Migrations(),
		incidents.Migrations(),
	)
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// newApp opens the database and builds the services. now is the clock
// (time.Now outside tests).
func newApp(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time) (*app, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, now: now, db: db}
	a.public = newPublicCache(a)
	a.outbox = notifier.NewOutbox(db)
	a.components = components.NewService(db, a.outbox, now, a.public.invalidate)
	a.incidents = incidents.NewService(db, a.components, a.outbox, now, a.public.invalidate)
	a.keys = apikeys.NewStore(db, now)
	a.metrics = newMetrics(db)
	a.limiter = newKeyLimiter(cfg.APIRate, cfg.APIBurst, now)
	_, err = a.components.EnsurePage(ctx, components.PageInput{
		Name: &cfg.PageName, URL: &cfg.BaseURL, TimeZone: &cfg.TimeZone, SupportURL: &cfg.SupportURL,
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialise page: %w", err)
	}
	return a, nil
}

// Close releases the database.
func (a *app) Close() error { return a.db.Close() }

// serve runs the HTTP server and the maintenance scheduler until ctx is
// done, then shuts down in order: stop accepting requests and drain them,
// stop the scheduler and wait for it. The caller closes the database.
func (a *app) serve(ctx context.Context, ready func(addr string)) error {
	srv := a.routes()
	ln, err := listen(a.cfg.Addr)
	if err != nil {
		return err
	}
	a.log.Info("beacon serving", "addr", ln.Addr().String(), "base_url", a.cfg.BaseURL, "data_dir", a.cfg.DataDir)
	if ready != nil {
		ready(ln.Addr().String())
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	workers.Go(func() { a.incidents.Run(workCtx, a.log) })

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Listener(ln) }()

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		a.log.Info("shutting down")
		err = srv.ShutdownWithTimeout(a.cfg.ShutdownTimeout)
		if e := <-serveErr; e != nil && err == nil {
			err = e
		}
	}
	stopWork()
	workers.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// newFiber returns a Fiber app with Beacon's settings.
func (a *app) newFiber() *fiber.App {
	return fiber.New(fiber.Config{
		// Fiber hands out strings that alias its reusable request buffers;
		// Immutable copies them so values kept beyond a handler stay valid.
		Immutable:             true,
		BodyLimit:             a.cfg.BodyLimit,
		ErrorHandler:          a.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		AppName:               "beacon",
	})
}
