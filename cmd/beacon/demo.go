package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/beacon-status/beacon/internal/demo"
)

// runDemo fills an empty database with a small, lived-in example page.
func runDemo(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, _, err := loadConfig("demo", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	clock := demo.NewClock(time.Now())
	a, err := commandApp(ctx, cfg, newLogger(cfg, stderr), clock.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.components.Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return errors.New("demo: the database already has components; the demo only fills an empty page")
	}
	if err := demo.Seed(ctx, demo.Services{Components: a.components, Incidents: a.incidents, Metrics: a.systemMetrics}, clock, time.Now().UTC()); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(stdout, "demo data written to %s: start the server with `beacon serve` and open %s\n", cfg.database(), cfg.BaseURL)
	return nil
}
