package public

import (
	"fmt"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// BenchmarkIndexDefault measures serving "/" as most requests ask for it:
// gzip, no Accept-Language, no cookie, so the page's default language,
// already rendered. Issue 15 asks that languages leave this unchanged;
// docs/BENCHMARKS.md records the figures beside the binary before them.
//
//	go test ./public -run '^$' -bench 'Index(Default|AcceptLanguage)' -benchmem
func BenchmarkIndexDefault(b *testing.B) { benchIndex(b, "", "en") }

// BenchmarkIndexAcceptLanguage is BenchmarkIndexDefault for a German
// browser: the header is matched (once, then remembered) and the German
// page, rendered by the first request, is served.
func BenchmarkIndexAcceptLanguage(b *testing.B) {
	benchIndex(b, "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7", "de")
}

// benchIndex serves "/" through the site's Fiber handler, without a
// network, to a request with acceptLanguage (none when ""), and checks
// each answer is the page in want.
func benchIndex(b *testing.B, acceptLanguage, want string) {
	env := seedIndex(b)
	handler := env.fiber.Handler()
	var ctx fasthttp.RequestCtx
	ctx.Request.SetRequestURI("/")
	ctx.Request.Header.Set("Accept-Encoding", "gzip, deflate, br")
	if acceptLanguage != "" {
		ctx.Request.Header.Set("Accept-Language", acceptLanguage)
	}
	serve := func() {
		ctx.Response.Reset()
		handler(&ctx)
		if ctx.Response.StatusCode() != fasthttp.StatusOK || string(ctx.Response.Header.Peek("Content-Language")) != want || len(ctx.Response.Body()) == 0 {
			b.Fatalf("GET / (Accept-Language %q): %d, Content-Language %q, %d bytes; want 200 in %s",
				acceptLanguage, ctx.Response.StatusCode(), ctx.Response.Header.Peek("Content-Language"), len(ctx.Response.Body()), want)
		}
	}
	serve() // renders the page in its language, as the first visitor does
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
	b.ReportMetric(float64(len(ctx.Response.Body())), "gzip-bytes")
}

// seedIndex returns a site whose "/" is like cmd/beacon-bench's: 50
// components, 20 incidents over the last days, 3 of them unresolved.
func seedIndex(b *testing.B) *testEnv {
	env := newTestEnv(b)
	ctx := b.Context()
	start := env.clock.Now().AddDate(0, 0, -10)
	env.clock.Set(start)
	var ids []string
	for i := range 50 {
		name := fmt.Sprintf("Component %02d", i)
		c, err := env.components.Create(ctx, components.Input{Name: &name})
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	for i := range 20 {
		env.clock.Set(start.Add(time.Duration(i) * 11 * time.Hour))
		in, err := env.incidents.Create(ctx, incidents.NewIncident{Name: fmt.Sprintf("Incident %d", i),
			Body: "We are looking into **errors**.", Components: map[string]components.Status{ids[i]: components.PartialOutage}})
		if err != nil {
			b.Fatal(err)
		}
		if i >= 17 {
			continue
		}
		status, body := incidents.Resolved, "Fixed."
		if _, err := env.incidents.Update(ctx, in.ID, incidents.Change{Status: &status, Body: &body}); err != nil {
			b.Fatal(err)
		}
	}
	return env
}
