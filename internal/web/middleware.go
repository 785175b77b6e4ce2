package web

import (
	"bytes"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Instrument is the outermost middleware: it renders any error through the
// error handler first, so that the status it logs and measures is the one
// the client receives, then writes one log line and one metric sample.
func Instrument(m *Metrics, log *slog.Logger, handle fiber.ErrorHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if err := handle(c, err); err != nil {
				return err
			}
		}
		took := time.Since(start)
		code := c.Response().StatusCode()
		route := "unmatched"
		if r := c.Route(); r != nil && (r.Path != "/" || c.Path() == "/") {
			route = r.Path
		}
		m.observe(route, c.Method(), code, took)
		// Reads that succeed are the bulk of traffic during an outage: they are
		// logged at debug level so a spike does not turn into a logging cost.
		level := slog.LevelInfo
		if (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) && code < 400 {
			level = slog.LevelDebug
		}
		// Only the path is logged: the query may carry an api_key.
		if ctx := c.UserContext(); log.Enabled(ctx, level) {
			log.LogAttrs(ctx, level, "request", slog.String("method", c.Method()), slog.String("path", c.Path()),
				slog.Int("status", code), slog.Float64("duration_ms", float64(took.Microseconds())/1000), slog.String("ip", c.IP()))
		}
		return nil
	}
}

// SecurityHeaders are the response headers every answer carries unless its
// handler set its own (the console does), built once from the
// configuration as bytes for the hot path of a page under a traffic spike.
type SecurityHeaders struct {
	// pageCSP is for HTML: scripts, styles and forms only from Beacon
	// itself, and no inline script or style at all — a page that only
	// shows text never needs them, and a Markdown sanitiser's slip then
	// cannot run anything. Images may come from anywhere: logos and
	// images in update bodies are the owner's, often on another host.
	pageCSP []byte
	// otherCSP is for everything else (JSON, feeds, the badge, static
	// files, redirects): such a response loads nothing, even when opened
	// on its own as a document.
	otherCSP []byte
	// frameOptions repeats frame-ancestors for browsers that predate it,
	// when it can say the same thing; nil otherwise (a list of hosts has
	// no X-Frame-Options equivalent, and a conflicting one would block
	// what the owner allowed).
	frameOptions []byte
}

// NewSecurityHeaders builds the headers for frame-ancestors frameAncestors.
func NewSecurityHeaders(frameAncestors string) SecurityHeaders {
	h := SecurityHeaders{
		pageCSP: []byte("default-src 'none'; script-src 'self'; style-src 'self'; img-src * data:; form-action 'self'; " +
			"base-uri 'none'; frame-ancestors " + frameAncestors),
		otherCSP: []byte("default-src 'none'; frame-ancestors " + frameAncestors),
	}
	switch frameAncestors {
	case "'self'":
		h.frameOptions = []byte("SAMEORIGIN")
	case "'none'":
		h.frameOptions = []byte("DENY")
	}
	return h
}

var (
	hdrCSP            = []byte("Content-Security-Policy")
	hdrNoSniff        = []byte("X-Content-Type-Options")
	hdrReferrerPolicy = []byte("Referrer-Policy")
	hdrFrameOptions   = []byte("X-Frame-Options")
	valNoSniff        = []byte("nosniff")
	// Browsers' own default, pinned for older ones whose default sent the
	// whole URL: links out of an incident update tell the other site only
	// which status page the visitor came from, never the path — which on
	// the subscription screens holds a manage or unsubscribe token.
	valReferrerPolicy = []byte("strict-origin-when-cross-origin")
	mimeHTML          = []byte("text/html")
)

// Secure adds sh to every response. It renders an error itself first (with
// handle), so that error answers carry the headers too.
func Secure(sh SecurityHeaders, handle fiber.ErrorHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := c.Next(); err != nil {
			if err := handle(c, err); err != nil {
				return err
			}
		}
		h := &c.Response().Header
		h.SetCanonical(hdrNoSniff, valNoSniff)
		if len(h.PeekBytes(hdrReferrerPolicy)) == 0 {
			h.SetCanonical(hdrReferrerPolicy, valReferrerPolicy)
		}
		if len(h.PeekBytes(hdrCSP)) == 0 {
			if bytes.HasPrefix(h.ContentType(), mimeHTML) {
				h.SetCanonical(hdrCSP, sh.pageCSP)
				if sh.frameOptions != nil {
					h.SetCanonical(hdrFrameOptions, sh.frameOptions)
				}
			} else {
				h.SetCanonical(hdrCSP, sh.otherCSP)
			}
		}
		return nil
	}
}
