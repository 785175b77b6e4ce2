package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// The embed's browser test runs the script where it is meant to run: on
// another origin's page. Beacon serves on one loopback port; a customer's
// site, served on another, includes the script under a strict
// Content-Security-Policy (scripts and fetches only from the status page,
// style sheets only from itself: no inline style) and with a style sheet
// that hides, recolours and repositions everything it can reach.

// hostileCSS is the customer site's style sheet.
const hostileCSS = `div, p, a, button, span { display: none !important; }
* { color: #00ff00 !important; background: #ff00ff !important; font: 40px/3 serif !important;
    position: static !important; visibility: hidden; margin: 50px !important; }
beacon-status-embed { display: none !important; opacity: 0 !important; top: 300px !important; }
`

// embedHost serves the customer's site on its own loopback listener. Its
// page includes the script from the base URL in the query (?from=…).
func embedHost(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/host.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		io.WriteString(w, hostileCSS)
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		from := r.URL.Query().Get("from")
		origin := from
		if i := strings.Index(strings.TrimPrefix(from, "http://"), "/"); i >= 0 {
			origin = from[:len("http://")+i]
		}
		w.Header().Set("Content-Security-Policy", fmt.Sprintf(
			"default-src 'none'; script-src %[1]s; connect-src %[1]s; style-src 'self'; img-src 'none'", origin))
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Customer site</title>
<link rel="stylesheet" href="/host.css">
<script src="%s/embed/script.js" async></script></head>
<body><h1>Welcome</h1><div><p>The customer's own content.</p></div></body></html>`, from)
	})
	return serveHTTP(t, mux)
}

// serveHTTP serves h on 127.0.0.1 until the test ends.
func serveHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// embedView is what the test reads of the notice.
type embedView struct {
	State       string  `json:"state"`
	Boxes       int     `json:"boxes"`
	Title       string  `json:"title"`
	Href        string  `json:"href"`
	Body        string  `json:"body"`
	Background  string  `json:"background"`
	Color       string  `json:"color"`
	Animation   string  `json:"animation"`
	Role        string  `json:"role"`
	Live        string  `json:"live"`
	CloseLabel  string  `json:"closeLabel"`
	Markup      int     `json:"markup"` // elements other than the notice's own
	Top         float64 `json:"top"`
	Left        float64 `json:"left"`
	Bottom      float64 `json:"bottom"`
	Right       float64 `json:"right"`
	Width       float64 `json:"width"`
	Height      float64 `json:"height"`
	OnTop       bool    `json:"onTop"`
	Pwned       bool    `json:"pwned"`
	WindowW     float64 `json:"windowW"`
	WindowH     float64 `json:"windowH"`
	InlineStyle bool    `json:"inlineStyle"`
}

// readEmbed waits until the script has settled (its host element carries
// data-state) and its notice has finished sliding in, and reads the notice
// from its shadow root.
const readEmbed = `new Promise(settled => {
  const seen = () => {
    const host = document.querySelector("beacon-status-embed");
    if (!host || !host.getAttribute("data-state")) return false;
    const box = host.shadowRoot.querySelector(".box");
    Promise.all(box ? box.getAnimations().map(a => a.finished) : []).then(settled);
    return true;
  };
  if (!seen()) new MutationObserver((_, o) => { if (seen()) o.disconnect(); })
    .observe(document, {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]});
}).then(() => {
    const host = document.querySelector("beacon-status-embed"), state = host.getAttribute("data-state");
    const root = host.shadowRoot, box = root.querySelector(".box");
    const region = root.querySelector("[role]");
    const v = {state, boxes: root.querySelectorAll(".box").length, role: region.getAttribute("role"),
      live: region.getAttribute("aria-live"), windowW: innerWidth, windowH: innerHeight,
      pwned: window.pwned !== undefined,
      markup: root.querySelectorAll("*:not(div):not(p):not(a):not(button)").length,
      inlineStyle: [...root.querySelectorAll("*")].some(e => e.hasAttribute("style")) || host.hasAttribute("style")};
    if (box) {
      const cs = getComputedStyle(box), r = box.getBoundingClientRect();
      Object.assign(v, {title: root.querySelector("a").textContent, href: root.querySelector("a").href,
        body: root.querySelector(".b")?.textContent ?? "", background: cs.backgroundColor, color: cs.color,
        animation: cs.animationName, closeLabel: root.querySelector("button").getAttribute("aria-label"),
        top: r.top, left: r.left, bottom: r.bottom, right: r.right, width: r.width, height: r.height,
        onTop: document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2) === host});
    }
  return v;
})`

// TestEmbedInBrowser is the embed on another origin, step by step: nothing
// while all is well; an incident's name and latest update in the
// configured corner and colours, untouched by the host's CSS and CSP;
// a config change; dismissal by keyboard, remembered until a new update;
// a maintenance dismissed by mouse; hostile text shown as text; and
// nothing, silently, when the summary cannot be read.
func TestEmbedInBrowser(t *testing.T) {
	tools := needBrowserTools(t, true)
	env := newTestEnv(t)
	s := &embedScene{root: env, beacon: serveOnLoopback(t, env), host: embedHost(t), b: newBrowser(t, tools)}
	s.page = s.host + "/?from=" + s.beacon
	s.listen(t)
	for _, step := range []struct {
		name string
		run  func()
	}{
		{"fixture", s.stepFixture},
		{"nothing active", s.stepNothingActive},
		{"incident", s.stepIncident},
		{"config changed", s.stepConfigChanged},
		{"keyboard dismissal", s.stepKeyboardDismissal},
		{"new update", s.stepNewUpdate},
		{"maintenance", s.stepMaintenance},
		{"all over", s.stepAllOver},
		{"broken summary", s.stepBrokenSummary},
	} {
		finished := false
		t.Run(step.name, func(t *testing.T) {
			s.use(t)
			step.run()
			finished = true
		})
		if !finished {
			// The step stopped half way: the next one builds on what it
			// left, so the test ends here.
			return
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.noise) > 0 {
		t.Errorf("the page logged or threw:\n%s", strings.Join(s.noise, "\n"))
	}
}

// embedScene carries the browser test's state between its steps.
type embedScene struct {
	t      *testing.T // the step's
	root   *testEnv   // the test's
	env    *testEnv   // root, failing the step's t
	b      *browser
	beacon string // the status page's base URL
	host   string // the customer's site's base URL
	page   string // the customer's page the steps load

	incident, maintenance string // ids
	closeLabel            string // the close button's label, read after the config change

	mu    sync.Mutex
	noise []string // what the page logged, threw or refused
}

// use points the scene at step t: its failures, and env's, stop t.
func (s *embedScene) use(t *testing.T) {
	e := *s.root
	e.t = t
	s.t, s.env = t, &e
}

// listen collects the noise: anything the script logs, throws, or the
// page's CSP refuses fails the test (a failed request is the browser's
// message, not the script's: the network source is let through).
func (s *embedScene) listen(t *testing.T) {
	if err := chromedp.Listen(s.b.ctx, func(ev any) {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			s.noise = append(s.noise, "exception: "+ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			s.noise = append(s.noise, "console."+string(ev.Type))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Source != cdplog.EntrySourceNetwork {
				s.noise = append(s.noise, string(ev.Entry.Source)+": "+ev.Entry.Text)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	s.b.step(t, "enable the log", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, cdplog.Enable, cdp.Empty{})
		return err
	}))
}

// view loads the customer's page and reads the notice.
func (s *embedScene) view(step string) embedView {
	s.t.Helper()
	s.b.step(s.t, step+": load the customer's page", chromedp.Navigate(s.page))
	return browserEval[embedView](s.t, s.b, step+": read the notice", readEmbed)
}

// embedNear reports whether got is within a pixel of want.
func embedNear(got, want float64) bool { return got > want-1 && got < want+1 }

// stepFixture checks that the host page really is under a CSP without
// inline styles: a <style> it gains does not apply. (The embed's
// constructed sheet must.)
func (s *embedScene) stepFixture() {
	t, b := s.t, s.b
	s.view("fixture")
	if w := browserEval[string](t, b, "inline style blocked", `(() => {
		const s = document.createElement("style"); s.textContent = "h1 { outline: 7px solid red !important }";
		document.head.append(s); return getComputedStyle(document.querySelector("h1")).outlineWidth; })()`); w == "7px" {
		t.Fatal("the host page applied an inline <style>: its CSP is not in force, so the test would prove nothing")
	}
	s.mu.Lock()
	s.noise = nil // the refusal just provoked
	s.mu.Unlock()
}

// stepNothingActive is step 1: all is well, nothing shows.
func (s *embedScene) stepNothingActive() {
	if v := s.view("nothing active"); v.State != "none" || v.Boxes != 0 {
		s.t.Errorf("nothing active: state %q with %d notices, want none", v.State, v.Boxes)
	}
}

// stepIncident is step 2: an incident, with markup in its name and
// update, in the default place and colours, animated unless the reader
// prefers reduced motion.
func (s *embedScene) stepIncident() {
	t, b, env, beacon := s.t, s.b, s.env, s.beacon
	const name = `Login <img src=x onerror="window.pwned=1"> failures`
	res := env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": name, "status": "investigating", "deliver_notifications": false,
		"body": "We are investigating.",
	}})
	var inc struct{ ID string }
	res.JSON(t, &inc)
	s.incident = inc.ID
	env.clock.Advance(time.Minute)
	env.mustAPI(200, "PATCH", "/incidents/"+inc.ID, map[string]any{"incident": map[string]any{
		"status": "identified", "deliver_notifications": false,
		"body": "The **cause** is known <script>window.pwned=2</script>; see [the notes](/notes).",
	}})
	v := s.view("incident")
	checks := []struct {
		what      string
		ok        bool
		got, want any
	}{
		{"state", v.State == "incident" && v.Boxes == 1, v.State, "incident, one notice"},
		{"name, as text", v.Title == name, v.Title, name},
		{"latest update, as plain text", v.Body == "The cause is known <script>window.pwned=2</script>; see the notes.", v.Body, "the update without Markdown, tags as text"},
		{"link", v.Href == beacon+"/incidents/"+inc.ID, v.Href, beacon + "/incidents/" + inc.ID},
		{"no markup from the data ran or was made", !v.Pwned && v.Markup == 0, fmt.Sprintf("pwned %v, %d foreign elements", v.Pwned, v.Markup), "neither"},
		{"default incident background", v.Background == "rgb(192, 57, 43)", v.Background, "#c0392b"},
		{"default incident text", v.Color == "rgb(255, 255, 255)", v.Color, "#ffffff"},
		{"bottom-left corner", embedNear(v.Left, 16) && embedNear(v.Bottom, v.WindowH-16), fmt.Sprintf("left %.0f bottom %.0f of %.0f", v.Left, v.Bottom, v.WindowH), "16px from the left and bottom"},
		{"readable size", v.Width > 200 && v.Width < 400 && v.Height > 30 && v.Height < 200, fmt.Sprintf("%.0f×%.0f", v.Width, v.Height), "a small card"},
		{"on top of the page", v.OnTop, v.OnTop, true},
		{"a polite live region", v.Role == "status" && v.Live == "polite", v.Role + " " + v.Live, "status polite"},
		{"a labelled close button", v.CloseLabel != "", v.CloseLabel, "a label"},
		{"no style attribute", !v.InlineStyle, v.InlineStyle, false},
		{"animated by default", v.Animation != "none", v.Animation, "an animation"},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("incident: %s: got %v, want %v", c.what, c.got, c.want)
		}
	}
	b.step(t, "prefers-reduced-motion", chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: "reduce"}}})
		return err
	}))
	if v := s.view("reduced motion"); v.Animation != "none" {
		t.Errorf("with prefers-reduced-motion: reduce, animation %q, want none", v.Animation)
	}
}

// stepConfigChanged is step 3: staff change the config; the next page view
// follows it.
func (s *embedScene) stepConfigChanged() {
	t := s.t
	s.env.mustAPI(200, "PATCH", "/status_embed_config", map[string]any{"status_embed_config": map[string]any{
		"position": "top-right", "incident_background_color": "#5a1e82", "incident_text_color": "#fdfdfd"}})
	v := s.view("config changed")
	s.closeLabel = v.CloseLabel
	if v.Background != "rgb(90, 30, 130)" || v.Color != "rgb(253, 253, 253)" {
		t.Errorf("config changed: colours %s on %s, want #fdfdfd on #5a1e82", v.Color, v.Background)
	}
	if !embedNear(v.Top, 16) || !embedNear(v.Right, v.WindowW-16) {
		t.Errorf("config changed: top %.0f right %.0f of %.0f, want 16px from the top and right", v.Top, v.Right, v.WindowW)
	}
}

// stepKeyboardDismissal is step 4: the keyboard reaches the close button
// (after the link), and Enter dismisses the notice.
func (s *embedScene) stepKeyboardDismissal() {
	t, b := s.t, s.b
	b.step(t, "tab to the close button", chromedp.KeyEvent("\t"), chromedp.KeyEvent("\t"))
	if got := browserEval[string](t, b, "focused element", `document.querySelector("beacon-status-embed").shadowRoot.activeElement?.getAttribute("aria-label") ?? ""`); got != s.closeLabel {
		t.Fatalf("after two Tabs the focus is on %q, want the close button", got)
	}
	b.step(t, "press Enter", chromedp.KeyEvent("\r"))
	if got := browserEval[embedView](t, b, "after Enter", readEmbed); got.State != "dismissed" || got.Boxes != 0 {
		t.Errorf("after Enter on the close button: state %q with %d notices, want dismissed and none", got.State, got.Boxes)
	}
	if v := s.view("dismissed, reloaded"); v.State != "dismissed" || v.Boxes != 0 {
		t.Errorf("dismissed, reloaded: state %q with %d notices, want the dismissal remembered", v.State, v.Boxes)
	}
}

// stepNewUpdate is step 5: a new update brings it back.
func (s *embedScene) stepNewUpdate() {
	s.env.clock.Advance(time.Minute)
	s.env.mustAPI(200, "PATCH", "/incidents/"+s.incident, map[string]any{"incident": map[string]any{
		"status": "monitoring", "body": "A fix is out.", "deliver_notifications": false}})
	if v := s.view("new update"); v.State != "incident" || v.Body != "A fix is out." {
		s.t.Errorf("new update: state %q body %q, want the notice back with the new update", v.State, v.Body)
	}
}

// stepMaintenance is step 6: the incident resolved, a maintenance in
// progress shows in the maintenance colours; a mouse click closes it.
func (s *embedScene) stepMaintenance() {
	t, b, env := s.t, s.b, s.env
	env.mustAPI(200, "PATCH", "/incidents/"+s.incident, map[string]any{"incident": map[string]any{
		"status": "resolved", "body": "Resolved.", "deliver_notifications": false}})
	now := env.clock.Now()
	res := env.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{
		"name": "Database upgrade", "status": "in_progress", "body": "Writes pause for a minute.", "deliver_notifications": false,
		"scheduled_for": now.Add(-10 * time.Minute).Format(time.RFC3339), "scheduled_until": now.Add(time.Hour).Format(time.RFC3339),
	}})
	var maint struct{ ID string }
	res.JSON(t, &maint)
	s.maintenance = maint.ID
	v := s.view("maintenance")
	if v.State != "maintenance" || v.Title != "Database upgrade" || v.Body != "Writes pause for a minute." {
		t.Errorf("maintenance: state %q title %q body %q, want the maintenance and its update", v.State, v.Title, v.Body)
	}
	if v.Background != "rgb(44, 111, 183)" || v.Color != "rgb(255, 255, 255)" {
		t.Errorf("maintenance: colours %s on %s, want the default #ffffff on #2c6fb7", v.Color, v.Background)
	}
	btn := browserEval[[]float64](t, b, "close button centre", `(() => { const r = document.querySelector("beacon-status-embed").shadowRoot.querySelector("button").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`)
	b.step(t, "click the close button", chromedp.MouseClickXY(btn[0], btn[1]))
	if got := browserEval[embedView](t, b, "after the click", readEmbed); got.State != "dismissed" || got.Boxes != 0 {
		t.Errorf("after a click on the close button: state %q with %d notices, want dismissed and none", got.State, got.Boxes)
	}
}

// stepAllOver is step 7: all over, nothing shows.
func (s *embedScene) stepAllOver() {
	s.env.mustAPI(200, "PATCH", "/incidents/"+s.maintenance, map[string]any{"incident": map[string]any{
		"status": "completed", "body": "Done.", "deliver_notifications": false}})
	if v := s.view("all over"); v.State != "none" || v.Boxes != 0 {
		s.t.Errorf("all over: state %q with %d notices, want none", v.State, v.Boxes)
	}
}

// stepBrokenSummary is step 8: a status page whose summary fails or is not
// what it should be: the same script, served under a path prefix by a
// broken server.
func (s *embedScene) stepBrokenSummary() {
	t := s.t
	script := s.env.do("GET", "/embed/script.js", nil).Body
	broken := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		mode, rest, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if rest == "embed/script.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write(script)
			return
		}
		switch mode {
		case "error":
			http.Error(w, "down", http.StatusInternalServerError)
		case "html":
			w.Header().Set("Content-Type", "text/html")
			io.WriteString(w, `<html><body><img src=x onerror="window.pwned=3">`)
		case "odd":
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"incidents": [null, 5, {"id": "a", "name": {"x": 1}}], "scheduled_maintenances": "no"}`)
		}
	}))
	for _, tc := range []struct{ mode, state string }{{"error", "error"}, {"html", "error"}, {"odd", "none"}} {
		s.page = s.host + "/?from=" + broken + "/" + tc.mode
		if v := s.view("broken summary (" + tc.mode + ")"); v.State != tc.state || v.Boxes != 0 || v.Pwned {
			t.Errorf("broken summary (%s): state %q with %d notices (pwned %v), want %s and nothing shown", tc.mode, v.State, v.Boxes, v.Pwned, tc.state)
		}
	}
}
