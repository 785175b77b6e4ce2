package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// reachEnv is a console with components A and B and an incident on A.
type reachEnv struct {
	e        *testEnv
	a, b     string
	incident incidents.Incident
	path     string
	user     *consoletest.Staff
}

func newReachEnv(t *testing.T) *reachEnv {
	t.Helper()
	ctx := context.Background()
	r := &reachEnv{e: newTestEnv(t)}
	a, err := r.e.svc.Components.Create(ctx, components.Input{Name: ptr("A")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := r.e.svc.Components.Create(ctx, components.Input{Name: ptr("B")})
	r.a, r.b = a.ID, b.ID
	if r.incident, err = r.e.svc.Incidents.Create(ctx, incidents.NewIncident{Name: "Errors on A", Body: "Looking.",
		Components: map[string]components.Status{r.a: components.PartialOutage}}); err != nil {
		t.Fatal(err)
	}
	r.path = "/console/incidents/" + r.incident.ID
	r.user = r.e.newStaff(accounts.Responder)
	return r
}

// subscribe adds an active subscriber on mode to the components (none:
// all of them).
func (r *reachEnv) subscribe(t *testing.T, mode notifier.Channel, address string, comps ...string) {
	t.Helper()
	if _, err := r.e.svc.Subscribers.Subscribe(context.Background(), subscribers.Signup{Mode: mode, Address: address,
		ComponentIDs: comps, SkipConfirmation: true}); err != nil {
		t.Fatal(err)
	}
}

// reachLine is the incident screen's "Will reach" paragraph.
func reachLine(t *testing.T, res response) string {
	t.Helper()
	body := string(res.Body)
	i := strings.Index(body, `<p class="reach" id="reach">`)
	if i < 0 {
		t.Fatalf("no reach line on the screen: %s", consoletest.Body(res))
	}
	line := body[i:]
	return line[len(`<p class="reach" id="reach">`):strings.Index(line, "\n")]
}

// updateForm is the incident screen's "Post an update" section.
func updateForm(t *testing.T, res response) string {
	t.Helper()
	page := string(res.Body)
	i, j := strings.Index(page, `id="post-h"`), strings.Index(page, `id="resolve-h"`)
	if i < 0 || j < i {
		t.Fatalf("no update form on the screen: %s", consoletest.Body(res))
	}
	return page[i:j]
}

// TestConsoleUpdateReach: before posting, the update form says how many
// subscribers the update will reach on each channel, for the incident's
// components and, after Preview, the components the form changes too.
func TestConsoleUpdateReach(t *testing.T) {
	r := newReachEnv(t)
	r.subscribe(t, notifier.Email, "all@example.com")
	r.subscribe(t, notifier.Email, "b@example.com", r.b)
	r.subscribe(t, notifier.SMS, "+14155550123", r.a)

	if got, want := reachLine(t, r.user.Get(r.path)), "Will reach 1 by email, 1 by sms, 0 by webhook."; got != want {
		t.Errorf("before posting: %q, want %q", got, want)
	}
	// Setting B's status in the form brings B's subscribers in.
	res := r.user.Post(r.path+"/preview", url.Values{"status": {"identified"}, "body": {"x"}, "deliver_notifications": {"1"},
		"component_" + r.b: {"degraded_performance"}})
	if got, want := reachLine(t, res), "Will reach 2 by email, 1 by sms, 0 by webhook."; got != want {
		t.Errorf("preview touching B: %q, want %q", got, want)
	}
	// Unticked, it reaches no one, and says so.
	res = r.user.Post(r.path+"/preview", url.Values{"status": {"identified"}, "body": {"x"}})
	if got, want := reachLine(t, res), "Will reach no one: notifications off."; got != want {
		t.Errorf("preview without notifying: %q, want %q", got, want)
	}
	if strings.Contains(updateForm(t, res), `name="deliver_notifications" value="1" checked`) {
		t.Errorf("the preview ticked Notify subscribers again")
	}
}

// TestConsoleUpdateReachNobody: an incident whose components have no
// subscribers says before posting that the update will reach no one.
func TestConsoleUpdateReachNobody(t *testing.T) {
	r := newReachEnv(t)
	r.subscribe(t, notifier.Email, "b@example.com", r.b)
	if got, want := reachLine(t, r.user.Get(r.path)), "Will reach no one: no subscribers of these components."; got != want {
		t.Errorf("%q, want %q", got, want)
	}
}

// TestConsoleUpdatePreview: Preview shows the update's Markdown rendered,
// keeps the form as it was and posts nothing.
func TestConsoleUpdatePreview(t *testing.T) {
	r := newReachEnv(t)
	body := "The **queue** is draining.\n\n- orders\n- refunds"
	res := r.user.Post(r.path+"/preview", url.Values{"status": {"monitoring"}, "body": {body}, "deliver_notifications": {"1"},
		"component_" + r.b: {"major_outage"}})
	if res.Status != http.StatusOK {
		t.Fatalf("preview: status %d: %s", res.Status, consoletest.Body(res))
	}
	page := string(res.Body)
	i := strings.Index(page, `<section class="preview"`)
	if i < 0 {
		t.Fatalf("no preview on the screen: %s", consoletest.Body(res))
	}
	preview := page[i : i+strings.Index(page[i:], "</section>")]
	for _, want := range []string{"<h4>Monitoring</h4>", "<strong>queue</strong>", "<li>orders</li>", "<li>refunds</li>"} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q: %s", want, preview)
		}
	}
	for _, want := range []string{
		`<option value="monitoring" selected>`,
		">The **queue** is draining.\n\n- orders\n- refunds</textarea>",
		`<option value="major_outage" selected>`,
		`formaction="/console/incidents/` + r.incident.ID + `/preview"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the form after preview lacks %q", want)
		}
	}
	if !strings.Contains(updateForm(t, res), `name="deliver_notifications" value="1" checked`) {
		t.Errorf("the preview unticked Notify subscribers")
	}
	// Nothing was posted, nor any status changed.
	in, err := r.e.svc.Incidents.Get(context.Background(), r.incident.ID)
	if err != nil || len(in.Updates) != 1 || in.Status != incidents.Investigating {
		t.Errorf("after preview the incident has %d updates, status %s (%v); want 1, investigating", len(in.Updates), in.Status, err)
	}
	b, err := r.e.svc.Components.Get(context.Background(), r.b)
	if err != nil || b.Status != components.Operational {
		t.Errorf("after preview B is %s (%v), want operational", b.Status, err)
	}
	// It is no change for the audit log; signed out or without the CSRF
	// token it is refused like any form.
	if log, err := r.e.svc.Accounts.Audit(context.Background(), 0, 10); err != nil || len(log) != 0 {
		t.Errorf("audit log after preview = %+v, %v; want nothing", log, err)
	}
	if res := r.e.do("POST", r.path+"/preview", url.Values{"status": {"monitoring"}}); res.Status != http.StatusSeeOther && res.Status != http.StatusForbidden {
		t.Errorf("signed out: status %d", res.Status)
	}
	if res := r.e.do("POST", r.path+"/preview", url.Values{"status": {"monitoring"}}, "Cookie", r.user.Cookie()); res.Status != http.StatusForbidden {
		t.Errorf("without the CSRF token: status %d, want 403", res.Status)
	}
	// An empty preview shows nothing to render, without error.
	if res := r.user.Post(r.path+"/preview", url.Values{"status": {"monitoring"}}); res.Status != http.StatusOK {
		t.Errorf("empty preview: status %d", res.Status)
	}
}

// TestConsoleReachedNobody: an update that reached no one says why, on
// the screen and in the counts the screen refreshes.
func TestConsoleReachedNobody(t *testing.T) {
	tests := []struct {
		name   string
		subs   func(r *reachEnv)
		notify bool
		want   string
	}{
		{"notifications off", func(r *reachEnv) { r.subscribe(t, notifier.Email, "all@example.com") }, false, "notifications off"},
		{"no subscribers of its components", func(r *reachEnv) { r.subscribe(t, notifier.Email, "b@example.com", r.b) }, true,
			"no subscribers of these components"},
		{"subscribers only on a channel not set up", func(r *reachEnv) { r.subscribe(t, notifier.SMS, "+14155550123") }, true,
			"none of its subscribers is on a channel that sends this update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newReachEnv(t)
			tt.subs(r)
			// Email only has a sender.
			dispatcher := notifier.NewDispatcher(r.e.svc.DB, r.e.svc.Subscribers, nil, map[notifier.Channel]notifier.Sender{notifier.Email: unsent{}},
				notifier.Config{}, r.e.clock.Now, r.e.svc.Log, nil)
			form := url.Values{"status": {"identified"}, "body": {"Found it."}}
			if tt.notify {
				form.Set("deliver_notifications", "1")
			}
			r.user.MustPost(http.StatusSeeOther, r.path+"/updates", form)
			for more := true; more; {
				var err error
				if _, more, err = dispatcher.FanOutOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
			}
			res := r.user.Get(r.path)
			if want := "Reached no one: " + tt.want + "."; !strings.Contains(string(res.Body), want) {
				t.Errorf("the timeline lacks %q: %s", want, consoletest.Body(res))
			}
			var got struct {
				Updates map[string]struct {
					Nobody string `json:"nobody"`
				} `json:"updates"`
			}
			r.e.do("GET", r.path+"/deliveries", nil, "Cookie", r.user.Cookie(), "X-Requested-With", "fetch").JSON(t, &got)
			in, _ := r.e.svc.Incidents.Get(context.Background(), r.incident.ID)
			if n := got.Updates[in.Updates[0].ID].Nobody; n != tt.want {
				t.Errorf("deliveries say %q, want %q", n, tt.want)
			}
		})
	}
}

// TestConsoleChatChannels: a chat channel is counted where it has
// subscribers or deliveries, and left out where it has none, so that the
// five chat platforms do not crowd the screens of a page that uses one.
func TestConsoleChatChannels(t *testing.T) {
	r := newReachEnv(t)
	r.subscribe(t, notifier.Email, "all@example.com")
	// An IP literal is judged without a lookup.
	r.subscribe(t, notifier.Slack, "https://162.159.128.233/services/T/B/x", r.a)
	if got, want := reachLine(t, r.user.Get(r.path)), "Will reach 1 by email, 0 by sms, 0 by webhook, 1 by slack."; got != want {
		t.Errorf("reach: %q, want %q", got, want)
	}
	admin := r.e.newStaff(accounts.Admin)
	page := string(admin.Get("/console/subscribers").Body)
	for _, want := range []string{`<th scope="row">slack</th>`, `<option value="google_chat">Google Chat</option>`, "https://162.159.128.233/services/T/B/x"} {
		if !strings.Contains(page, want) {
			t.Errorf("the subscribers screen lacks %q", want)
		}
	}
	if strings.Contains(page, `<th scope="row">discord</th>`) {
		t.Error("the subscribers screen counts discord, which has no subscriber")
	}
	if page := string(admin.Get("/console/subscribers?type=slack").Body); !strings.Contains(page, "162.159.128.233") || strings.Contains(page, "all@example.com") {
		t.Error("?type=slack does not list the Slack subscriber alone")
	}
	if res := admin.Get("/console"); res.Status != http.StatusOK || strings.Contains(string(res.Body), `<th scope="row">slack</th>`) {
		t.Errorf("dashboard: status %d, or it lists slack with nothing queued", res.Status)
	}
}
