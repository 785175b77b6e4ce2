package main

import (
	"context"
	"log/slog"
	"net/url"
	"os/user"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/accounts"
)

// audit appends an entry to the audit log, dated now. A failure to record
// is logged, not returned: the change it describes has already been made.
func (a *app) audit(c *fiber.Ctx, actor, action, target string) {
	a.auditLog.record(c.UserContext(), accounts.Entry{At: a.now(), Actor: actor, Action: action, Target: target, IP: c.IP()})
}

// auditWriter writes audit entries. While the server runs, a request hands
// its entry over and returns: the row is written a moment later, with
// others, rather than the request queueing for the single SQLite writer
// behind a fan-out's transactions. (An entry in the hand-over when the
// process is killed is lost; a graceful stop writes them all.) Otherwise —
// commands, tests — each entry is written at once.
type auditWriter struct {
	store *accounts.Store
	log   *slog.Logger
	queue chan accounts.Entry // nil while no writer runs
}

// auditQueue is how many entries may wait; a request finding it full
// writes its own.
const auditQueue = 1024

func (w *auditWriter) record(ctx context.Context, e accounts.Entry) {
	if w.queue != nil {
		select {
		case w.queue <- e:
			return
		default:
		}
	}
	w.write(ctx, []accounts.Entry{e})
}

func (w *auditWriter) write(ctx context.Context, batch []accounts.Entry) {
	if err := w.store.Record(context.WithoutCancel(ctx), batch...); err != nil {
		w.log.Error("audit", "entries", len(batch), "err", err)
	}
}

// start makes requests hand entries over; call it before serving.
func (w *auditWriter) start() { w.queue = make(chan accounts.Entry, auditQueue) }

// run writes handed-over entries in batches until ctx is done, then writes
// what is left. The HTTP server must have stopped by then.
func (w *auditWriter) run(ctx context.Context) {
	for {
		var e accounts.Entry
		select {
		case e = <-w.queue:
		case <-ctx.Done():
			w.drain()
			return
		}
		batch := []accounts.Entry{e}
	more:
		for len(batch) < 200 {
			select {
			case e := <-w.queue:
				batch = append(batch, e)
			default:
				break more
			}
		}
		w.write(ctx, batch)
	}
}

func (w *auditWriter) drain() {
	var batch []accounts.Entry
	for {
		select {
		case e := <-w.queue:
			batch = append(batch, e)
		default:
			if len(batch) > 0 {
				w.write(context.Background(), batch)
			}
			return
		}
	}
}

// auditCLI records a change made with a command on the server itself.
func (a *app) auditCLI(ctx context.Context, command, target string) {
	actor := "command line"
	if u, err := user.Current(); err == nil {
		actor += " (" + u.Username + ")"
	}
	if err := a.accounts.Record(ctx, accounts.Entry{Actor: actor, Action: "cli: " + command, Target: target, IP: "local"}); err != nil {
		a.log.Error("audit", "action", command, "err", err)
	}
}

// auditChanges records every change that succeeds through the console or
// the management API: who (the actor the authentication set), what (the
// method and route), to what (the id in the path, or the id a handler
// created) and from where.
func (a *app) auditChanges(c *fiber.Ctx) error {
	err := c.Next()
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return err
	}
	actor, _ := c.Locals("actor").(string)
	if err != nil || actor == "" || c.Response().StatusCode() >= 400 {
		return err
	}
	target, _ := c.Locals("audit_target").(string)
	if target == "" {
		target = c.Params("update_id", c.Params("id"))
	}
	a.audit(c, actor, routeAction(c), target)
	return nil
}

// routeAction names a change by its method and route pattern, such as
// "api: PATCH incidents/:id" or "console: POST incidents/:id/resolve".
func routeAction(c *fiber.Ctx) string {
	path := c.Path()
	if r := c.Route(); r != nil {
		path = r.Path
	}
	surface := "console"
	if rest, ok := strings.CutPrefix(path, "/api/v1/pages/:page_id"); ok {
		surface, path = "api", rest
	} else if rest, ok := strings.CutPrefix(path, "/api/v1"); ok {
		surface, path = "api", rest
	} else {
		path = strings.TrimPrefix(path, "/console")
	}
	path = strings.Trim(path, "/")
	if path == "" {
		path = "page"
	}
	return surface + ": " + c.Method() + " " + path
}

// urlQuery escapes a query parameter's value.
func urlQuery(s string) string { return url.QueryEscape(s) }
