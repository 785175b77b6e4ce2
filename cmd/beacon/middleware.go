package main

import (
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// instrument is the outermost middleware: it renders any error through the
// error handler first, so that the status it logs and measures is the one
// the client receives, then writes one log line and one metric sample.
func (a *app) instrument(c *fiber.Ctx) error {
	start := time.Now()
	if err := c.Next(); err != nil {
		if err := a.handleError(c, err); err != nil {
			return err
		}
	}
	took := time.Since(start)
	code := c.Response().StatusCode()
	route := "unmatched"
	if r := c.Route(); r != nil && (r.Path != "/" || c.Path() == "/") {
		route = r.Path
	}
	a.metrics.observe(route, c.Method(), code, took)
	// Reads that succeed are the bulk of traffic during an outage: they are
	// logged at debug level so a spike does not turn into a logging cost.
	level := slog.LevelInfo
	if (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) && code < 400 {
		level = slog.LevelDebug
	}
	// Only the path is logged: the query may carry an api_key.
	if ctx := c.UserContext(); a.log.Enabled(ctx, level) {
		a.log.LogAttrs(ctx, level, "request", slog.String("method", c.Method()), slog.String("path", c.Path()),
			slog.Int("status", code), slog.Float64("duration_ms", float64(took.Microseconds())/1000), slog.String("ip", c.IP()))
	}
	return nil
}
