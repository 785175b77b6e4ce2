package web

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/accounts"
)

// Audit writes the audit log. While the server runs, a request hands
// its entry over and returns: the row is written a moment later, with
// others, rather than the request queueing for the single SQLite writer
// behind a fan-out's transactions. (An entry in the hand-over when the
// process is killed is lost; a graceful stop writes them all.) Otherwise —
// commands, tests — each entry is written at once.
type Audit struct {
	store *accounts.Store
	log   *slog.Logger
	now   func() time.Time
	queue chan accounts.Entry // nil while no writer runs
}

// auditQueue is how many entries may wait; a request finding it full
// writes its own.
const auditQueue = 1024

func (w *Audit) record(ctx context.Context, e accounts.Entry) {
	if w.queue != nil {
		select {
		case w.queue <- e:
			return
		default:
		}
	}
	w.write(ctx, []accounts.Entry{e})
}

func (w *Audit) write(ctx context.Context, batch []accounts.Entry) {
	if err := w.store.Record(context.WithoutCancel(ctx), batch...); err != nil {
		w.log.Error("audit", "entries", len(batch), "err", err)
	}
}

// Start makes requests hand entries over; call it before serving.
func (w *Audit) Start() { w.queue = make(chan accounts.Entry, auditQueue) }

// Run writes handed-over entries in batches until ctx is done, then writes
// what is left. The HTTP server must have stopped by then.
func (w *Audit) Run(ctx context.Context) {
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

func (w *Audit) drain() {
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

// NewAudit writes entries to store, dated by now.
func NewAudit(store *accounts.Store, log *slog.Logger, now func() time.Time) *Audit {
	return &Audit{store: store, log: log, now: now}
}

// Record appends an entry to the audit log, dated now. A failure to record
// is logged, not returned: the change it describes has already been made.
func (w *Audit) Record(c *fiber.Ctx, actor, action, target string) {
	w.record(c.UserContext(), accounts.Entry{At: w.now(), Actor: actor, Action: action, Target: target, IP: c.IP()})
}

// Changes records every change that succeeds through the console or
// the management API: who (the actor the authentication set), what (the
// method and route), to what (the id in the path, or the id a handler
// created) and from where.
func (w *Audit) Changes(c *fiber.Ctx) error {
	err := c.Next()
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return err
	}
	who := actor(c)
	if err != nil || who == "" || c.Response().StatusCode() >= 400 {
		return err
	}
	target, _ := c.Locals(auditTargetKey{}).(string)
	if target == "" {
		target = c.Params("update_id", c.Params("id"))
	}
	w.Record(c, who, routeAction(c), target)
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

// actorKey and auditTargetKey are Locals keys.
type (
	actorKey       struct{}
	auditTargetKey struct{}
)

// setActor names who is making a request's change: the authentication
// that let it through sets it, and the audit log records it.
func setActor(c *fiber.Ctx, actor string) { c.Locals(actorKey{}, actor) }

// actor is who is making a request's change, "" for nobody known.
func actor(c *fiber.Ctx) string {
	a, _ := c.Locals(actorKey{}).(string)
	return a
}

// SetAuditTarget names what a request changed when its path holds no id,
// such as the id of something it created.
func SetAuditTarget(c *fiber.Ctx, id string) { c.Locals(auditTargetKey{}, id) }
