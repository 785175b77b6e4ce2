package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/beacon-status/beacon/internal/testutil"
)

// The subscribe screen in a browser: with JavaScript off, the radios show
// the chosen way's field alone, a click on another way's label switches
// it, and the form signs up; the component boxes start ticked; the feeds
// it offers load. (The subscribe and manage screens, with their errors and
// confirmations, are in browserSite.pages(): axe-core and html-validate
// check them with every other public page.)

// noScript turns JavaScript off in the tab: the page's scripts do not run
// (DevTools can still read the page).
func (b *browser) noScript(t *testing.T) {
	t.Helper()
	b.step(t, "disable JavaScript", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	}))
}

// subscribeView is what the subscribe form shows: the way chosen, the
// fields a visitor sees (by name) and those hidden, whether the feed links,
// the component boxes and the button show, and the boxes ticked.
type subscribeView struct {
	Chosen                     string
	Shown, Hidden              []string
	Feeds, Boxes, Button       bool
	Ticked, AllBoxes           int
	Invalid, Error             string // the field marked invalid and its error's text
	ErrorShown, HiddenRequired bool
}

// readSubscribe reads the form's computed layout: a field shows when it
// and its way lay out (offsetParent) and are not display: none, which also
// takes them out of the accessibility tree.
func readSubscribe(t *testing.T, b *browser) subscribeView {
	t.Helper()
	return browserEval[subscribeView](t, b, "read the subscribe form", `(() => {
		const shows = el => !!el && el.offsetParent !== null && getComputedStyle(el).display !== "none";
		const form = document.querySelector("form.subscribe");
		const fields = [...form.querySelectorAll("input[type=email], input[type=tel], input[type=url], select")];
		const invalid = form.querySelector("[aria-invalid=true]");
		const err = invalid && document.getElementById(invalid.getAttribute("aria-describedby"));
		const boxes = [...form.querySelectorAll("input[type=checkbox]")];
		return {
			Chosen: form.querySelector("input[name=mode]:checked")?.value ?? "",
			Shown: fields.filter(shows).map(f => f.name), Hidden: fields.filter(f => !shows(f)).map(f => f.name),
			Feeds: shows(form.querySelector(".way-feed a[href='/history.atom']")) && shows(form.querySelector(".way-feed a[href='/history.rss']")),
			Boxes: shows(form.querySelector("fieldset.components")), Button: shows(form.querySelector("button[type=submit]")),
			Ticked: boxes.filter(c => c.checked).length, AllBoxes: boxes.length,
			Invalid: invalid?.name ?? "", Error: err?.textContent.trim() ?? "", ErrorShown: shows(err),
			HiddenRequired: fields.some(f => !shows(f) && f.required),
		};
	})()`)
}

// TestBrowserSubscribeWithoutScript loads /subscribe with JavaScript
// disabled: only the email field shows and every component box is ticked;
// a click on the SMS label shows the phone field alone, one on Feed the
// feed links without the boxes and button; a refused email comes back with
// email chosen and its error beside the visible field; an SMS sign-up
// reaches the code screen. The feeds the screen links load.
func TestBrowserSubscribeWithoutScript(t *testing.T) {
	t.Parallel()
	tools := needBrowserTools(t, true)
	site := newBrowserSite(t)
	b := newBrowser(t, tools)
	b.step(t, "viewport", chromedp.EmulateViewport(1280, 900))
	b.noScript(t)

	// Script is off: beacon.js would give each <time> a title as it
	// rewrites it in the visitor's zone.
	b.open(t, site.base, site.pages()[1])
	if n := browserEval[[]int](t, b, "count the times", `[document.querySelectorAll("time").length, document.querySelectorAll("time[title]").length]`); n[0] == 0 || n[1] != 0 {
		t.Fatalf("%d of %d times rewritten by beacon.js: JavaScript is not off", n[1], n[0])
	}

	subscribe := browserPage{name: "subscribe", path: "/subscribe", status: 200, title: "Get notified"}
	b.open(t, site.base, subscribe)
	got := readSubscribe(t, b)
	if got.Chosen != "email" || !slices.Equal(got.Shown, []string{"email"}) || len(got.Hidden) != 4 || got.Feeds || !got.Boxes || !got.Button {
		t.Errorf("on load: %+v; want email chosen, its field alone shown, the boxes and the button", got)
	}
	if got.AllBoxes != 4 || got.Ticked != got.AllBoxes {
		t.Errorf("%d of %d component boxes ticked, want all 4", got.Ticked, got.AllBoxes)
	}
	if got.HiddenRequired {
		t.Error("a hidden field is required: it would block the chosen way's sign-up")
	}

	pick := func(mode string) {
		t.Helper()
		b.step(t, "click the "+mode+" label", chromedp.Click(fmt.Sprintf(`label.way-pick:has(input[value=%q])`, mode)))
	}
	pick("sms")
	if got := readSubscribe(t, b); got.Chosen != "sms" || !slices.Equal(got.Shown, []string{"phone_number"}) || got.Feeds || !got.Boxes || !got.Button {
		t.Errorf("after a click on SMS: %+v; want the phone field alone", got)
	}
	pick("feed")
	if got := readSubscribe(t, b); got.Chosen != "feed" || len(got.Shown) != 0 || !got.Feeds || got.Boxes || got.Button {
		t.Errorf("after a click on Feed: %+v; want the feed links, no field, no boxes, no button", got)
	}
	pick("webhook")
	if got := readSubscribe(t, b); got.Chosen != "webhook" || !slices.Equal(got.Shown, []string{"endpoint"}) {
		t.Errorf("after a click on Webhook: %+v; want the URL field alone", got)
	}
	pick("chat")
	if got := readSubscribe(t, b); got.Chosen != "chat" || !slices.Equal(got.Shown, []string{"platform", "chat_endpoint"}) || !got.Boxes {
		t.Errorf("after a click on Chat: %+v; want the chat app and its URL alone, with the boxes", got)
	}
	// A refused chat URL comes back beside the chat way's field, with the
	// app chosen kept. (Nothing is queued: no test message is sent.)
	b.step(t, "pick Discord and type a URL", chromedp.SetValue("#platform", "discord"), chromedp.SendKeys("#chat_endpoint", "ftp://example.com/hook"))
	submit(t, b, 422)
	got = readSubscribe(t, b)
	platform := browserEval[string](t, b, "the chat app", `document.querySelector("#platform").value`)
	if got.Chosen != "chat" || got.Invalid != "chat_endpoint" || !got.ErrorShown || !strings.HasPrefix(got.Error, "Incoming webhook URL") || platform != "discord" {
		t.Errorf("refused chat URL: %+v, app %q; want chat chosen, Discord kept, its URL field marked and its error shown", got, platform)
	}

	// A refused email: typed in the email field, with a number left in
	// the hidden SMS field, which neither blocks nor changes the post.
	pick("sms")
	b.step(t, "type a number", chromedp.SendKeys("#phone_number", "+14155552672"))
	pick("email")
	b.step(t, "type an address", chromedp.SendKeys("#email", "not an address"))
	submit(t, b, 422)
	got = readSubscribe(t, b)
	if got.Chosen != "email" || !slices.Equal(got.Shown, []string{"email"}) || got.Invalid != "email" || !got.ErrorShown ||
		!strings.HasPrefix(got.Error, "Email address is not a valid email address") {
		t.Errorf("refused email: %+v; want email chosen, its field marked and its error shown", got)
	}
	if got.Ticked != got.AllBoxes {
		t.Errorf("refused email: %d of %d boxes ticked, want all as posted", got.Ticked, got.AllBoxes)
	}

	// An SMS sign-up with one box unticked reaches the code screen.
	b.open(t, site.base, subscribe)
	pick("sms")
	b.step(t, "type a number and untick a box", chromedp.SendKeys("#phone_number", "+14155552673"),
		chromedp.Click(`label.check:has(input[type=checkbox])`))
	submit(t, b, 200)
	if h1 := browserEval[string](t, b, "heading", `document.querySelector("h1").textContent`); h1 != "Enter your code" {
		t.Errorf("after an SMS sign-up: %q, want the code screen", h1)
	}

	// The feeds the screen links load, as the type their links declare.
	b.open(t, site.base, subscribe)
	feeds := browserEval[[][2]string](t, b, "read the feed links",
		`[...document.querySelectorAll(".way-feed a[type]")].map(a => [a.getAttribute("href"), a.type])`)
	if len(feeds) != 3 {
		t.Errorf("feed links %q, want Atom, RSS and the maintenance calendar", feeds)
	}
	for _, f := range feeds {
		res, body := browserFetch(t, site.base, http.MethodGet, f[0], nil, "", "")
		if f[1] == "text/calendar" {
			// The maintenance calendar, which no incident is in.
			if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || !strings.HasPrefix(ct, f[1]) {
				t.Errorf("%s: %d %q, want a calendar", f[0], res.StatusCode, ct)
			}
			testutil.ParseICalendar(t, body)
			continue
		}
		if ct := res.Header.Get("Content-Type"); res.StatusCode != 200 || !strings.HasPrefix(ct, f[1]) || !strings.Contains(string(body), browserResolved) {
			t.Errorf("%s: %d %q, want a %s feed of the incidents", f[0], res.StatusCode, ct, f[1])
		}
	}
}

// submit clicks the form's button and waits for the answer, which must
// have status.
func submit(t *testing.T, b *browser, status int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	res, err := chromedp.RunResponse(ctx, chromedp.Click(`form.subscribe button[type=submit]`))
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	if res.Status != int64(status) {
		t.Errorf("submit: status %d, want %d", res.Status, status)
	}
}
