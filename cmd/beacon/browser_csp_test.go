package main

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// cspRecorder runs in every document before its own scripts and keeps each
// Content-Security-Policy violation the browser reports.
const cspRecorder = `window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", e => window.__cspViolations.push(
	e.effectiveDirective + " blocked " + (e.blockedURI || "?") + " at " + (e.sourceFile || "?") + ":" + e.lineNumber));`

// TestBrowserNoCSPViolations loads every public page in Chromium under the
// page's real Content-Security-Policy and fails on any violation the
// browser reports; then checks that what the policy could have broken
// still works — the accent colour from its stylesheet, the script that
// shows times in the visitor's zone — and that the recorder does catch a
// violation (an inline style), so that its silence means something.
func TestBrowserNoCSPViolations(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	site := newBrowserSite(t)
	b := newBrowser(t, tools)
	b.step(t, "record CSP violations", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
		return err
	}))

	for _, p := range site.pages() {
		b.open(t, site.base, p)
		got := browserEval[[]string](t, b, p.name+": read CSP violations", `window.__cspViolations ?? ["the recorder did not run"]`)
		for _, v := range got {
			t.Errorf("%s: CSP violation: %s", p.name, v)
		}
	}

	b.open(t, site.base, site.pages()[0])
	if got, want := browserEval[string](t, b, "accent colour", `getComputedStyle(document.documentElement).getPropertyValue("--brand").trim()`), "#0a6b5e"; got != want {
		t.Errorf("--brand is %q, want %q from /static/accent/0a6b5e.css", got, want)
	}
	if got, want := browserEval[string](t, b, "link colour", `getComputedStyle(document.querySelector("main a")).color`), "rgb(10, 107, 94)"; got != want {
		t.Errorf("a link's colour is %q, want %q (--link from /static/accent/0a6b5e.css)", got, want)
	}
	if !browserEval[bool](t, b, "local times", `[...document.querySelectorAll("time[datetime]")].some(el => el.title !== "")`) {
		t.Error("no <time> was rewritten in the visitor's zone: /static/beacon.js did not run")
	}
	got := browserEval[string](t, b, "an inline style as a control", `new Promise(resolve => {
		document.addEventListener("securitypolicyviolation", e => resolve(e.effectiveDirective), {once: true});
		const s = document.createElement("style");
		s.textContent = "body { outline: 1px solid red }";
		document.head.append(s);
	})`)
	if got != "style-src-elem" {
		t.Errorf("an inline <style> was reported as a %q violation, want style-src-elem", got)
	}
}
