package console_test

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// formCase is one console form: how to fill it well and badly, who may
// use it, and how to see that it worked.
type formCase struct {
	name     string
	path     func(f consoleFixture) string
	admin    bool // admins only
	good     func(f consoleFixture) url.Values
	goodCode int // 303 unless set
	bad      func(f consoleFixture) url.Values
	badShows string // text the re-rendered form must still hold
	done     func(t *testing.T, e *testEnv, f consoleFixture) bool
}

func consoleForms() []formCase {
	long := strings.Repeat("x", 25001)
	return []formCase{
		{
			name: "new incident", path: func(consoleFixture) string { return "/console/incidents" },
			good: func(f consoleFixture) url.Values {
				return url.Values{"name": {"Login failures"}, "status": {"identified"}, "body": {"Sign-in fails for some."},
					"component_" + f.web: {"major_outage"}, "deliver_notifications": {"1"}}
			},
			bad: func(f consoleFixture) url.Values {
				return url.Values{"name": {""}, "status": {"investigating"}, "body": {"Kept body text"}}
			},
			badShows: "Kept body text",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				list, _ := e.svc.Incidents.List(context.Background(), incidents.Filter{Query: "Login failures"})
				web, _ := e.svc.Components.Get(context.Background(), f.web)
				return len(list) == 1 && list[0].Status == incidents.Identified && web.Status == components.MajorOutage
			},
		},
		{
			name: "backfill", path: func(consoleFixture) string { return "/console/incidents" },
			good: func(f consoleFixture) url.Values {
				return url.Values{"name": {"Old DNS outage"}, "status": {"investigating"}, "body": {"DNS failed for an hour."},
					"component_" + f.web: {"major_outage"}, "backfill": {"1"}, "backfill_date": {"2026-01-05T08:30"}}
			},
			bad: func(consoleFixture) url.Values {
				return url.Values{"name": {"Old DNS outage"}, "status": {"investigating"}, "backfill": {"1"}, "backfill_date": {"last winter"}}
			},
			badShows: "last winter",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				list, _ := e.svc.Incidents.List(context.Background(), incidents.Filter{Query: "Old DNS outage"})
				web, _ := e.svc.Components.Get(context.Background(), f.web)
				return len(list) == 1 && list[0].Backfilled && list[0].Status == incidents.Resolved &&
					list[0].StartedAt.Equal(time.Date(2026, 1, 5, 8, 30, 0, 0, time.UTC)) && web.Status == components.Operational
			},
		},
		{
			name: "post update", path: func(f consoleFixture) string { return "/console/incidents/" + f.incident.ID + "/updates" },
			good: func(f consoleFixture) url.Values {
				return url.Values{"status": {"monitoring"}, "body": {"A fix is out."}, "component_" + f.api: {"operational"}}
			},
			bad: func(consoleFixture) url.Values {
				return url.Values{"status": {"exploded"}, "body": {"Kept update text"}}
			},
			badShows: "Kept update text",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				in, _ := e.svc.Incidents.Get(context.Background(), f.incident.ID)
				api, _ := e.svc.Components.Get(context.Background(), f.api)
				return in.Status == incidents.Monitoring && in.Updates[0].Body == "A fix is out." && api.Status == components.Operational
			},
		},
		{
			name: "resolve", path: func(f consoleFixture) string { return "/console/incidents/" + f.incident.ID + "/resolve" },
			good: func(consoleFixture) url.Values {
				return url.Values{"body": {"All good now."}, "deliver_notifications": {"1"}}
			},
			bad: func(consoleFixture) url.Values { return url.Values{"body": {long}} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				in, _ := e.svc.Incidents.Get(context.Background(), f.incident.ID)
				return in.Status == incidents.Resolved
			},
		},
		{
			name: "edit update text", path: func(f consoleFixture) string {
				return "/console/incidents/" + f.incident.ID + "/updates/" + f.incident.Updates[0].ID
			},
			good: func(consoleFixture) url.Values { return url.Values{"body": {"Corrected text."}} },
			bad:  func(consoleFixture) url.Values { return url.Values{"body": {long}} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				in, _ := e.svc.Incidents.Get(context.Background(), f.incident.ID)
				return in.Updates[0].Body == "Corrected text." && len(in.Updates) == 1
			},
		},
		{
			name: "postmortem", path: func(f consoleFixture) string { return "/console/incidents/" + f.resolved.ID + "/postmortem" },
			good: func(consoleFixture) url.Values { return url.Values{"action": {"publish"}, "body": {"What happened."}} },
			bad:  func(consoleFixture) url.Values { return url.Values{"action": {"publish"}, "body": {""}} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				in, _ := e.svc.Incidents.Get(context.Background(), f.resolved.ID)
				return in.Postmortem.PublishedAt != nil && in.Postmortem.Body == "What happened."
			},
		},
		{
			name: "new maintenance", path: func(consoleFixture) string { return "/console/maintenance" },
			good: func(f consoleFixture) url.Values {
				return url.Values{"name": {"Network work"}, "scheduled_for": {"2026-03-20T02:00"}, "scheduled_until": {"2026-03-20T04:00"},
					"component_ids[]": {f.api}, "auto_in_progress": {"1"}, "auto_completed": {"1"}}
			},
			bad: func(consoleFixture) url.Values {
				return url.Values{"name": {"Kept maintenance name"}, "scheduled_for": {"2026-03-20T04:00"}, "scheduled_until": {"2026-03-20T02:00"}}
			},
			badShows: "Kept maintenance name",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				list, _ := e.svc.Incidents.List(context.Background(), incidents.Filter{Query: "Network work"})
				return len(list) == 1 && list[0].Status == incidents.Scheduled && list[0].Automation.AutoInProgress && !list[0].Automation.RemindPrior &&
					len(list[0].ComponentIDs) == 1
			},
		},
		{
			name: "reschedule", path: func(f consoleFixture) string { return "/console/incidents/" + f.maintenance.ID + "/reschedule" },
			good: func(f consoleFixture) url.Values {
				return url.Values{"name": {"Database upgrade"}, "scheduled_for": {"2026-03-21T01:00"}, "scheduled_until": {"2026-03-21T03:00"}}
			},
			bad: func(consoleFixture) url.Values {
				return url.Values{"name": {"Database upgrade"}, "scheduled_for": {"next tuesday"}, "scheduled_until": {"2026-03-21T03:00"}}
			},
			badShows: "next tuesday",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				in, _ := e.svc.Incidents.Get(context.Background(), f.maintenance.ID)
				return in.ScheduledFor.Equal(time.Date(2026, 3, 21, 1, 0, 0, 0, time.UTC))
			},
		},
		{
			name: "cancel maintenance", path: func(f consoleFixture) string { return "/console/incidents/" + f.maintenance.ID + "/cancel" },
			good: func(consoleFixture) url.Values { return url.Values{"deliver_notifications": {"1"}} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				in, _ := e.svc.Incidents.Get(context.Background(), f.maintenance.ID)
				return in.Status == incidents.Completed && in.Updates[0].Body == "This scheduled maintenance has been cancelled."
			},
		},
		{
			name: "delete incident", path: func(f consoleFixture) string { return "/console/incidents/" + f.resolved.ID + "/delete" },
			good: func(consoleFixture) url.Values { return url.Values{} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				_, err := e.svc.Incidents.Get(context.Background(), f.resolved.ID)
				return err != nil
			},
		},
		{
			name: "set component status", path: func(f consoleFixture) string { return "/console/components/" + f.web + "/status" },
			good: func(consoleFixture) url.Values { return url.Values{"status": {"degraded_performance"}} },
			bad:  func(consoleFixture) url.Values { return url.Values{"status": {"on_fire"}} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				c, _ := e.svc.Components.Get(context.Background(), f.web)
				return c.Status == components.DegradedPerformance
			},
		},
		{
			name: "new component", admin: true, path: func(consoleFixture) string { return "/console/components" },
			good: func(consoleFixture) url.Values {
				return url.Values{"kind": {"component"}, "name": {"Search"}, "showcase": {"1"}}
			},
			bad: func(consoleFixture) url.Values {
				return url.Values{"kind": {"component"}, "name": {""}, "description": {"Kept description"}}
			},
			badShows: "Kept description",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				n, _ := e.svc.Components.Count(context.Background())
				return n == 3
			},
		},
		{
			name: "edit component", admin: true, path: func(f consoleFixture) string { return "/console/components/" + f.web },
			good:     func(consoleFixture) url.Values { return url.Values{"name": {"Web app"}, "position": {"1"}} },
			bad:      func(consoleFixture) url.Values { return url.Values{"name": {"Kept name"}, "start_date": {"yesterday"}} },
			badShows: "Kept name",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				c, _ := e.svc.Components.Get(context.Background(), f.web)
				return c.Name == "Web app" && c.Position == 1
			},
		},
		{
			name: "move component", admin: true, path: func(f consoleFixture) string { return "/console/components/" + f.web + "/move" },
			good: func(consoleFixture) url.Values { return url.Values{"direction": {"up"}} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				c, _ := e.svc.Components.Get(context.Background(), f.web)
				return c.Position == 1
			},
		},
		{
			name: "save template", admin: true, path: func(consoleFixture) string { return "/console/templates" },
			good: func(f consoleFixture) url.Values {
				return url.Values{"name": {"DB down"}, "title": {"Database unavailable"}, "status": {"identified"}, "component_ids[]": {f.api}}
			},
			bad: func(consoleFixture) url.Values {
				return url.Values{"name": {"Kept template"}, "title": {""}, "status": {"identified"}}
			},
			badShows: "Kept template",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				list, _ := e.svc.Incidents.Templates(context.Background())
				return len(list) == 2 && list[0].Name == "DB down" && len(list[0].ComponentIDs) == 1
			},
		},
		{
			name: "delete template", admin: true, path: func(f consoleFixture) string { return "/console/templates/" + f.template.ID + "/delete" },
			good: func(consoleFixture) url.Values { return url.Values{} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				_, err := e.svc.Incidents.Template(context.Background(), f.template.ID)
				return err != nil
			},
		},
		{
			name: "delete component", admin: true, path: func(f consoleFixture) string { return "/console/components/" + f.web + "/delete" },
			good: func(consoleFixture) url.Values { return url.Values{} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				_, err := e.svc.Components.Get(context.Background(), f.web)
				return err != nil
			},
		},
		{
			name: "new password link", admin: true, path: func(f consoleFixture) string { return "/console/users/" + f.responderID + "/link" },
			good: func(consoleFixture) url.Values { return url.Values{} }, goodCode: http.StatusOK,
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				log, _ := e.svc.Accounts.Audit(context.Background(), 0, 1)
				var links int
				err := e.svc.DB.Read.QueryRow(`SELECT COUNT(*) FROM password_tokens WHERE user_id = ? AND used_at IS NULL`, f.responderID).Scan(&links)
				return err == nil && links == 1 && len(log) == 1 && strings.HasSuffix(log[0].Action, "users/:id/link")
			},
		},
		{
			name: "delete user", admin: true, path: func(f consoleFixture) string { return "/console/users/" + f.responderID + "/delete" },
			good: func(consoleFixture) url.Values { return url.Values{} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				_, err := e.svc.Accounts.User(context.Background(), f.responderID)
				return err != nil
			},
		},
		{
			name: "remove subscriber", admin: true, path: func(f consoleFixture) string { return "/console/subscribers/" + f.subscriber + "/remove" },
			good: func(consoleFixture) url.Values { return url.Values{} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				s, _ := e.svc.Subscribers.Get(context.Background(), f.subscriber)
				return s.State == subscribers.Unsubscribed
			},
		},
		{
			name: "new API key", admin: true, path: func(consoleFixture) string { return "/console/keys" }, goodCode: http.StatusCreated,
			good: func(consoleFixture) url.Values { return url.Values{"name": {"monitoring"}} },
			bad:  func(consoleFixture) url.Values { return url.Values{"name": {strings.Repeat("k", 101)}} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				// The fixture's key and this one.
				keys, _ := e.svc.Keys.List(context.Background())
				return len(keys) == 2
			},
		},
		{
			name: "revoke API key", admin: true, path: func(f consoleFixture) string { return "/console/keys/" + f.keyID + "/revoke" },
			good: func(consoleFixture) url.Values { return url.Values{} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				keys, _ := e.svc.Keys.List(context.Background())
				for _, k := range keys {
					if k.ID == f.keyID {
						return k.RevokedAt != nil
					}
				}
				return false
			},
		},
		{
			name: "new user", admin: true, path: func(consoleFixture) string { return "/console/users" }, goodCode: http.StatusCreated,
			good: func(consoleFixture) url.Values {
				return url.Values{"email": {"new@example.com"}, "role": {"responder"}}
			},
			bad:      func(consoleFixture) url.Values { return url.Values{"email": {"not-an-address"}, "role": {"responder"}} },
			badShows: "not-an-address",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				users, _ := e.svc.Accounts.Users(context.Background())
				for _, u := range users {
					if u.Email == "new@example.com" {
						return !u.HasPassword
					}
				}
				return false
			},
		},
		{
			name: "change role", admin: true, path: func(f consoleFixture) string { return "/console/users/" + f.responderID + "/role" },
			good: func(consoleFixture) url.Values { return url.Values{"role": {"admin"}} },
			bad:  func(consoleFixture) url.Values { return url.Values{"role": {"owner"}} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				u, _ := e.svc.Accounts.User(context.Background(), f.responderID)
				return u.Role == accounts.Admin
			},
		},
		{
			name: "notification settings", admin: true, path: func(consoleFixture) string { return "/console/settings/notifications" },
			good: func(consoleFixture) url.Values {
				// key: every update is the default, so saving it would show nothing.
				return url.Values{"action": {"save"}, "sms_events": {"key"}, "sms_countries": {"de, FR"}, "webhook_allow_private": {"1"}}
			},
			bad:      func(consoleFixture) url.Values { return url.Values{"action": {"save"}, "sms_countries": {"Germany"}} },
			badShows: "Germany",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				// In force at once; that the subscribers service applies
				// it is cmd/beacon's wiring (TestConsoleNotificationSettingsApply).
				n := e.svc.InForce.Notify()
				return !n.SMSAllUpdates && n.WebhookAllowPrivate && slices.Equal(n.SMSCountries, []string{"DE", "FR"})
			},
		},
		{
			name: "status embed", admin: true, path: func(consoleFixture) string { return "/console/settings/embed" },
			good: func(consoleFixture) url.Values {
				return url.Values{"position": {"top-right"}, "incident_background_color": {"#5A1E82"}, "incident_text_color": {"#ffffff"},
					"maintenance_background_color": {""}, "maintenance_text_color": {"#fefefe"}}
			},
			bad: func(consoleFixture) url.Values {
				return url.Values{"position": {"top-right"}, "incident_background_color": {"#12345g"}}
			},
			badShows: "#12345g",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				got, _ := e.svc.Settings.Embed(context.Background())
				want := settings.DefaultEmbed()
				want.Position, want.IncidentBackgroundColor, want.MaintenanceTextColor = settings.TopRight, "#5a1e82", "#fefefe"
				// The script other sites load has it at once: the change
				// is announced, and what is read then is the new config.
				return got == want && e.embed == want
			},
		},
		{
			name: "remove follower", admin: true, path: func(f consoleFixture) string {
				return "/console/incidents/" + f.resolved.ID + "/followers/" + f.follower + "/remove"
			},
			good: func(consoleFixture) url.Values { return url.Values{} },
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				_, n, err := e.svc.Subscribers.Followers(context.Background(), f.resolved.ID, 10, 0)
				return err == nil && n == 0
			},
		},
		{
			name: "settings", admin: true, path: func(consoleFixture) string { return "/console/settings" },
			good: func(consoleFixture) url.Values {
				return url.Values{"name": {"Acme"}, "time_zone": {"Europe/Berlin"}, "accent_color": {"#336699"}}
			},
			bad: func(consoleFixture) url.Values {
				return url.Values{"name": {"Kept page name"}, "time_zone": {"Mars/Olympus"}}
			},
			badShows: "Kept page name",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				p, _ := e.svc.Components.Page(context.Background())
				return p.Name == "Acme" && p.TimeZone == "Europe/Berlin" && p.AccentColor == "#336699"
			},
		},
		{
			name: "email footer", admin: true, path: func(consoleFixture) string { return "/console/settings" },
			good: func(consoleFixture) url.Values {
				return url.Values{"name": {"Acme"}, "time_zone": {"Etc/UTC"}, "notifications_email_footer": {"Acme Inc.\r\n1 Main St"}}
			},
			bad: func(consoleFixture) url.Values {
				return url.Values{"name": {"Acme"}, "time_zone": {"Etc/UTC"}, "notifications_email_footer": {"Kept footer " + strings.Repeat("x", 500)}}
			},
			badShows: "Kept footer",
			done: func(t *testing.T, e *testEnv, f consoleFixture) bool {
				p, _ := e.svc.Components.Page(context.Background())
				return p.Name == "Acme" && p.EmailFooter == "Acme Inc.\n1 Main St"
			},
		},
	}
}

// TestConsoleForms tries every console form: refused without a CSRF
// token, to the wrong role and with an expired session (changing nothing),
// re-shown with the values typed and an error when invalid, and working
// when right.
func TestConsoleForms(t *testing.T) {
	for _, fc := range consoleForms() {
		t.Run(fc.name, func(t *testing.T) {
			e := newTestEnv(t)
			f := newConsoleFixture(t, e)
			admin := e.newStaff(accounts.Admin)
			user := admin
			if !fc.admin {
				user = e.newStaff(accounts.Responder)
			}
			path := fc.path(f)
			unchanged := func(what string) {
				t.Helper()
				if fc.done(t, e, f) {
					t.Fatalf("%s: the change was made", what)
				}
			}

			// No CSRF token, or a wrong one.
			for _, token := range []string{"", admin.CSRF + "x"} {
				form := fc.good(f)
				form.Set(screen.CSRFField, token)
				if res := user.Post(path, form); res.Status != http.StatusForbidden {
					t.Errorf("CSRF token %q: status %d, want 403", token, res.Status)
				}
				unchanged("without a CSRF token")
			}

			// The wrong role.
			if fc.admin {
				responder := e.newStaff(accounts.Responder)
				if res := responder.Post(path, fc.good(f)); res.Status != http.StatusForbidden {
					t.Errorf("responder: status %d, want 403", res.Status)
				}
				unchanged("by a responder")
			}

			// An expired session: sent to sign in, nothing changed.
			stale := e.newStaff(accounts.Admin)
			e.clock.Advance(13 * time.Hour)
			res := stale.Post(path, fc.good(f))
			if res.Status != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/console/signin") {
				t.Errorf("expired session: status %d to %q, want 303 to the sign-in page", res.Status, res.Header.Get("Location"))
			}
			unchanged("with an expired session")
			e.clock.Advance(-13 * time.Hour)

			// Invalid input: the form again, with the error and what was typed.
			if fc.bad != nil {
				res := user.Post(path, fc.bad(f))
				if res.Status != http.StatusUnprocessableEntity {
					t.Fatalf("invalid input: status %d, want 422: %s", res.Status, consoletest.Body(res))
				}
				if !strings.Contains(string(res.Body), `role="alert"`) {
					t.Errorf("invalid input: no error message shown: %s", consoletest.Body(res))
				}
				if fc.badShows != "" && !strings.Contains(string(res.Body), fc.badShows) {
					t.Errorf("invalid input: the form lost %q", fc.badShows)
				}
				unchanged("with invalid input")
			}

			want := fc.goodCode
			if want == 0 {
				want = http.StatusSeeOther
			}
			user.MustPost(want, path, fc.good(f))
			if !fc.done(t, e, f) {
				t.Errorf("the change was not made")
			}

			// The change is in the audit log, by this user.
			log, _ := e.svc.Accounts.Audit(context.Background(), 0, 10)
			if len(log) == 0 || log[0].Actor != "user "+user.User.Email || !strings.HasPrefix(log[0].Action, "console: POST") {
				t.Errorf("audit log = %+v, want the change by %s first", log, user.User.Email)
			}
		})
	}
}

func TestConsoleScreensRender(t *testing.T) {
	e := newTestEnv(t)
	f := newConsoleFixture(t, e)
	admin := e.newStaff(accounts.Admin)
	responder := e.newStaff(accounts.Responder)
	screens := []struct {
		path, want string
		admin      bool
	}{
		{"/console", "Open incidents", false},
		{"/console/incidents", "Elevated errors", false},
		{"/console/incidents/new", "Post incident", false},
		{"/console/incidents/new?template=" + f.template.ID, "Slow API responses", false},
		{"/console/incidents/" + f.incident.ID, "Post an update", false},
		{"/console/incidents/" + f.maintenance.ID, "Reschedule", false},
		{"/console/incidents/" + f.resolved.ID, "Postmortem", false},
		{"/console/maintenance", "Database upgrade", false},
		{"/console/maintenance/new", "Schedule maintenance", false},
		{"/console/components", "Website", false},
		{"/console/templates", "Slow API", false},
		{"/console/components/" + f.api, "Uptime counted from", true},
		{"/console/subscribers", "reader@example.com", true},
		{"/console/subscribers?type=email&state=active&q=reader", "reader@example.com", true},
		{"/console/keys", "deploy", true},
		{"/console/users", "responder-fixture@example.com", true},
		{"/console/settings", "Time zone", true},
		{"/console/audit", "Audit log", true},
	}
	for _, s := range screens {
		res := admin.Get(s.path)
		if res.Status != 200 || !strings.Contains(string(res.Body), s.want) {
			t.Errorf("GET %s: status %d, want 200 with %q: %s", s.path, res.Status, s.want, consoletest.Body(res))
		}
		if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("GET %s: Cache-Control %q, want no-store", s.path, cc)
		}
		if s.admin {
			if res := responder.Get(s.path); res.Status != http.StatusForbidden {
				t.Errorf("GET %s as a responder: status %d, want 403", s.path, res.Status)
			}
		}
		if res := e.do("GET", s.path, nil); res.Status != http.StatusSeeOther {
			t.Errorf("GET %s signed out: status %d, want 303", s.path, res.Status)
		}
	}
	if res := admin.Get("/console/incidents/nope"); res.Status != 404 || !strings.Contains(string(res.Body), "Not found") {
		t.Errorf("unknown incident: %d %s", res.Status, consoletest.Body(res))
	}
	// A user gone (another admin deleted them) is not found, not a
	// server error.
	for _, action := range []string{"link", "delete", "role"} {
		if res := admin.Post("/console/users/zzzzzzzzzzzz/"+action, url.Values{"role": {"admin"}}); res.Status != 404 {
			t.Errorf("POST to an unknown user's %s: status %d, want 404: %s", action, res.Status, consoletest.Body(res))
		}
	}
	if res := admin.Get("/console/subscribers?state=bogus"); res.Status != 400 {
		t.Errorf("bad filter: status %d, want 400", res.Status)
	}
	// Responders do not see admin links.
	if res := responder.Get("/console"); strings.Contains(string(res.Body), "/console/users") {
		t.Error("a responder's menu links to Users")
	}
}

// signInForm fetches the sign-in page and returns its CSRF cookie and token.
func signInToken(t *testing.T, e *testEnv) (cookie, token string) {
	t.Helper()
	res := e.do("GET", "/console/signin", nil)
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == screen.CSRFCookie {
			cookie = c.Value
		}
	}
	m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(res.Body)
	if cookie == "" || m == nil || string(m[1]) != cookie {
		t.Fatalf("sign-in page: cookie %q, token %q", cookie, m)
	}
	return cookie, string(m[1])
}

func TestConsoleSignIn(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	u, _ := e.svc.Accounts.CreateUser(ctx, "oncall@example.com", accounts.Responder, "")
	e.svc.Accounts.SetPassword(ctx, u.ID, consoletest.Password)
	cookie, token := signInToken(t, e)
	post := func(form url.Values, withCookie bool) response {
		h := []string{"Content-Type", "application/x-www-form-urlencoded"}
		if withCookie {
			h = append(h, "Cookie", screen.CSRFCookie+"="+cookie)
		}
		return e.do("POST", "/console/signin", form.Encode(), h...)
	}

	if res := post(url.Values{"email": {u.Email}, "password": {consoletest.Password}}, true); res.Status != http.StatusForbidden {
		t.Errorf("no CSRF token: status %d, want 403", res.Status)
	}
	if res := post(url.Values{"email": {u.Email}, "password": {consoletest.Password}, "_csrf": {token}}, false); res.Status != http.StatusForbidden {
		t.Errorf("token without its cookie: status %d, want 403", res.Status)
	}
	res := post(url.Values{"email": {u.Email}, "password": {"wrong password"}, "_csrf": {token}}, true)
	if res.Status != http.StatusUnauthorized || !strings.Contains(string(res.Body), "do not match") || !strings.Contains(string(res.Body), u.Email) {
		t.Errorf("wrong password: status %d: %s", res.Status, consoletest.Body(res))
	}
	// Off-site next is ignored.
	res = post(url.Values{"email": {u.Email}, "password": {consoletest.Password}, "_csrf": {token}, "next": {"//evil.example/x"}}, true)
	if res.Status != http.StatusSeeOther || res.Header.Get("Location") != "/console" {
		t.Fatalf("sign in: status %d to %q", res.Status, res.Header.Get("Location"))
	}
	var session *http.Cookie
	for _, c := range (&http.Response{Header: res.Header}).Cookies() {
		if c.Name == screen.SessionCookie {
			session = c
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/console" {
		t.Fatalf("session cookie = %+v", session)
	}
	if res := e.do("GET", "/console", nil, "Cookie", screen.SessionCookie+"="+session.Value); res.Status != 200 {
		t.Errorf("dashboard with the new session: %d", res.Status)
	}
	// Signing out ends the session on the server.
	sess, _ := e.svc.Accounts.Session(ctx, session.Value)
	out := e.do("POST", "/console/signout", url.Values{"_csrf": {sess.CSRFToken}}.Encode(),
		"Cookie", screen.SessionCookie+"="+session.Value, "Content-Type", "application/x-www-form-urlencoded")
	if out.Status != http.StatusSeeOther {
		t.Errorf("sign out: %d", out.Status)
	}
	if res := e.do("GET", "/console", nil, "Cookie", screen.SessionCookie+"="+session.Value); res.Status != http.StatusSeeOther {
		t.Errorf("after sign-out: status %d, want 303 to sign in", res.Status)
	}

	// Five failures lock the address: 429 with Retry-After, even with the
	// right password.
	for range 5 {
		post(url.Values{"email": {u.Email}, "password": {"guess guess"}, "_csrf": {token}}, true)
	}
	res = post(url.Values{"email": {u.Email}, "password": {consoletest.Password}, "_csrf": {token}}, true)
	if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
		t.Errorf("after five failures: status %d, Retry-After %q", res.Status, res.Header.Get("Retry-After"))
	}
}

func TestConsoleFirstRunAndPasswordLinks(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	link, ok, err := e.svc.Accounts.FirstRunLink(ctx)
	if err != nil || !ok {
		t.Fatalf("first-run link: %v %v", ok, err)
	}
	res := e.do("GET", "/console/password?token="+link, nil)
	if res.Status != 200 || !strings.Contains(string(res.Body), "Create the first admin") {
		t.Fatalf("first-run page: %d %s", res.Status, consoletest.Body(res))
	}
	cookie, token := signInToken(t, e)
	post := func(form url.Values) response {
		form.Set("_csrf", token)
		return e.do("POST", "/console/password", form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "Cookie", screen.CSRFCookie+"="+cookie)
	}
	res = post(url.Values{"token": {link}, "email": {"boss@example.com"}, "password": {consoletest.Password}, "confirm": {"different"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "boss@example.com") {
		t.Errorf("mismatched passwords: %d %s", res.Status, consoletest.Body(res))
	}
	res = post(url.Values{"token": {link}, "email": {"boss@example.com"}, "password": {"short"}, "confirm": {"short"}})
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "at least 10") {
		t.Errorf("short password: %d %s", res.Status, consoletest.Body(res))
	}
	res = post(url.Values{"token": {link}, "email": {"boss@example.com"}, "password": {consoletest.Password}, "confirm": {consoletest.Password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("first admin: %d %s", res.Status, consoletest.Body(res))
	}
	users, _ := e.svc.Accounts.Users(ctx)
	if len(users) != 1 || users[0].Role != accounts.Admin {
		t.Fatalf("users = %+v", users)
	}
	if res := e.do("GET", "/console/password?token="+link, nil); res.Status != http.StatusGone {
		t.Errorf("used link: status %d, want 410", res.Status)
	}

	// An admin adds a responder, whose link sets their password.
	tok, sess, _ := e.svc.Accounts.SignIn(ctx, "boss@example.com", consoletest.Password, "192.0.2.1", "")
	admin := consoletest.As(t, users[0], tok, sess.CSRFToken, e.do)
	res = admin.MustPost(http.StatusCreated, "/console/users", url.Values{"email": {"resp@example.com"}, "role": {"responder"}})
	m := regexp.MustCompile(`/console/password\?token=([A-Za-z0-9_-]+)`).FindSubmatch(res.Body)
	if m == nil {
		t.Fatalf("no set-password link shown: %s", consoletest.Body(res))
	}
	res = post(url.Values{"token": {string(m[1])}, "password": {consoletest.Password}, "confirm": {consoletest.Password}})
	if res.Status != http.StatusSeeOther {
		t.Fatalf("responder sets password: %d %s", res.Status, consoletest.Body(res))
	}
	if _, _, err := e.svc.Accounts.SignIn(ctx, "resp@example.com", consoletest.Password, "192.0.2.1", ""); err != nil {
		t.Errorf("responder signs in: %v", err)
	}
}

func TestConsoleIncidentShowsDeliveries(t *testing.T) {
	// Email has a sender (which never sends: no worker runs here), so the
	// fan-out makes email deliveries.
	e := newTestEnv(t)
	dispatcher := notifier.NewDispatcher(e.svc.DB, e.svc.Subscribers, nil, map[notifier.Channel]notifier.Sender{notifier.Email: unsent{}},
		notifier.Config{}, e.clock.Now, e.svc.Log, nil)
	f := newConsoleFixture(t, e)
	user := e.newStaff(accounts.Responder)
	user.MustPost(http.StatusSeeOther, "/console/incidents/"+f.incident.ID+"/updates", url.Values{"status": {"identified"}, "body": {"Found it."},
		"deliver_notifications": {"1"}})
	// Fan out (no senders run here): the email delivery waits as pending.
	for more := true; more; {
		var err error
		if _, more, err = dispatcher.FanOutOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	res := user.Get("/console/incidents/" + f.incident.ID)
	if !strings.Contains(string(res.Body), "email: 0 sent, 1 pending, 0 failed") || !strings.Contains(string(res.Body), `data-busy="true"`) {
		t.Errorf("incident page does not show the pending delivery: %s", consoletest.Body(res))
	}
	res = e.do("GET", "/console/incidents/"+f.incident.ID+"/deliveries", nil, "Cookie", user.Cookie(), "X-Requested-With", "fetch")
	var got struct {
		Busy    bool `json:"busy"`
		Updates map[string]struct {
			Channels []struct {
				Channel string `json:"channel"`
				Pending int    `json:"pending"`
			} `json:"channels"`
		} `json:"updates"`
	}
	res.JSON(t, &got)
	in, _ := e.svc.Incidents.Get(context.Background(), f.incident.ID)
	if u := got.Updates[in.Updates[0].ID]; !got.Busy || len(u.Channels) != 1 || u.Channels[0].Pending != 1 {
		t.Errorf("deliveries = %+v", got)
	}
	// Signed out, the JSON endpoint answers 401 rather than a redirect.
	if res := e.do("GET", "/console/incidents/"+f.incident.ID+"/deliveries", nil, "X-Requested-With", "fetch"); res.Status != 401 {
		t.Errorf("signed out: %d", res.Status)
	}
}

func TestConsoleImportSubscribers(t *testing.T) {
	e := newTestEnv(t)
	admin := e.newStaff(accounts.Admin)
	send := func(csv string, csrf string) response {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		w.WriteField(screen.CSRFField, csrf)
		fw, _ := w.CreateFormFile("file", "subs.csv")
		fw.Write([]byte(csv))
		w.Close()
		return e.do("POST", "/console/subscribers/import", buf.String(), "Cookie", admin.Cookie(), "Content-Type", w.FormDataContentType())
	}
	if res := send("mode,address\nemail,a@example.com\n", ""); res.Status != http.StatusForbidden {
		t.Errorf("without CSRF: %d", res.Status)
	}
	if res := send("mode,address\nemail,not an address\n", admin.CSRF); res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "line 2") {
		t.Errorf("bad CSV: %d %s", res.Status, consoletest.Body(res))
	}
	if n, _ := e.svc.Subscribers.Count(context.Background(), subscribers.Filter{}); n != 0 {
		t.Fatalf("a bad file left %d subscribers", n)
	}
	res := send("mode,address\nemail,a@example.com\nemail,b@example.com\n", admin.CSRF)
	if res.Status != http.StatusSeeOther {
		t.Fatalf("import: %d %s", res.Status, consoletest.Body(res))
	}
	exp := admin.Get("/console/subscribers/export.csv")
	if exp.Status != 200 || !strings.Contains(string(exp.Body), "b@example.com") {
		t.Errorf("export: %d %s", exp.Status, exp.Body)
	}
}

// TestConsoleEmbedRefused: a bad colour shows the message beside its
// field, keeps what was typed, and changes neither the settings nor the
// script.
func TestConsoleEmbedRefused(t *testing.T) {
	e := newTestEnv(t)
	admin := e.newStaff(accounts.Admin)
	before := e.embed
	tests := []struct {
		name      string
		form      url.Values
		field     string // the id of the field blamed
		wantShown string
	}{
		{"colour not #rrggbb", url.Values{"position": {"top-left"}, "maintenance_text_color": {"white"}}, "embed_maintenance_text_color", `value="white"`},
		{"unknown corner", url.Values{"position": {"middle"}}, "embed_position", "must be bottom-left"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.Post("/console/settings/embed", tt.form)
			page := string(res.Body)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", res.Status, consoletest.Body(res))
			}
			// The message follows the field it is about.
			i := strings.Index(page, `id="`+tt.field+`"`)
			if i < 0 || !strings.Contains(page[i:], `aria-invalid="true"`) || !strings.Contains(page[i:min(len(page), i+700)], `class="field-error"`) {
				t.Errorf("no error beside %s: %s", tt.field, consoletest.Body(res))
			}
			if !strings.Contains(page, tt.wantShown) {
				t.Errorf("the page lacks %q: %s", tt.wantShown, consoletest.Body(res))
			}
			if got, _ := e.svc.Settings.Embed(context.Background()); got != settings.DefaultEmbed() {
				t.Errorf("settings after a refused form: %+v, want the defaults", got)
			}
			// The script is rendered from what e.embed holds.
			if e.embed != before {
				t.Errorf("the script changed after a refused form")
			}
		})
	}
	// The screen shows the line to paste, with this server's address.
	res := admin.Get("/console/settings")
	if want := `&lt;script src=&#34;` + e.svc.BaseURL + `/embed/script.js&#34; async&gt;&lt;/script&gt;`; !strings.Contains(string(res.Body), want) {
		t.Errorf("settings screen lacks the snippet %s: %s", want, consoletest.Body(res))
	}
}

// TestConsoleEmailFooter: the settings screen saves the email footer
// with the page's settings and shows it again; a footer refused shows its
// message beside the field, keeps what was typed, and saves nothing of the
// form, the page's name neither.
func TestConsoleEmailFooter(t *testing.T) {
	e := newTestEnv(t)
	admin := e.newStaff(accounts.Admin)
	ctx := context.Background()
	form := func(name, footer string) url.Values {
		return url.Values{"name": {name}, "time_zone": {"Etc/UTC"}, "logo_url": {"https://acme.test/logo.png"}, "accent_color": {"#ffd700"},
			"notifications_email_footer": {footer}}
	}
	admin.MustPost(http.StatusSeeOther, "/console/settings", form("Acme", "Acme Inc.\r\n1 Main St <Suite 2>\r\nSpringfield"))
	saved, err := e.svc.Components.Page(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Acme Inc.\n1 Main St <Suite 2>\nSpringfield"; saved.EmailFooter != want {
		t.Errorf("footer saved as %q, want %q", saved.EmailFooter, want)
	}
	page := string(admin.Get("/console/settings").Body)
	if want := `maxlength="500">Acme Inc.` + "\n" + `1 Main St &lt;Suite 2&gt;` + "\n" + `Springfield</textarea>`; !strings.Contains(page, want) {
		t.Errorf("the settings screen does not show the footer as %s: %s", want, consoletest.Body(admin.Get("/console/settings")))
	}

	for _, tt := range []struct{ name, footer, message string }{
		{"too long", strings.Repeat("a", 501), "is too long (501 characters; the maximum is 500)"},
		{"control character", "Acme\u0007Inc.", "must not contain control characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := admin.Post("/console/settings", form("Renamed", tt.footer))
			body := string(res.Body)
			if res.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", res.Status, consoletest.Body(res))
			}
			i := strings.Index(body, `id="notifications_email_footer"`)
			if i < 0 || !strings.Contains(body[i:], `aria-invalid="true"`) || !strings.Contains(body[i:], `<p class="field-error">notifications_email_footer `+tt.message) {
				t.Errorf("no error %q beside the footer: %s", tt.message, consoletest.Body(res))
			}
			if !strings.Contains(body, `value="Renamed"`) {
				t.Errorf("the form lost the name typed")
			}
			if got, _ := e.svc.Components.Page(ctx); got != saved {
				t.Errorf("the page after a refused form:\n got %+v\nwant %+v", got, saved)
			}
		})
	}
}

// TestConsoleIncidentFollowers: the incident screen counts and lists the
// incident's followers, masked; admins remove one, responders only see.
func TestConsoleIncidentFollowers(t *testing.T) {
	e := newTestEnv(t)
	f := newConsoleFixture(t, e)
	ctx := context.Background()
	// A second follower, by SMS and not confirmed.
	if _, err := e.svc.Subscribers.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: f.resolved.ID, Mode: notifier.SMS,
		Address: "+14155550123"}); err != nil {
		t.Fatal(err)
	}
	admin, responder := e.newStaff(accounts.Admin), e.newStaff(accounts.Responder)
	path := "/console/incidents/" + f.resolved.ID
	removeURL := path + "/followers/" + f.follower + "/remove"

	page := string(admin.Get(path).Body)
	for _, want := range []string{"2 following this incident alone: 1 confirmed, 1 waiting to confirm", "f***@example.com", "&#43;14*******23",
		"Waiting", removeURL} {
		if !strings.Contains(page, want) {
			t.Errorf("admin's incident screen lacks %q", want)
		}
	}
	for _, unmasked := range []string{"follower@example.com", "4155550123"} {
		if strings.Contains(page, unmasked) {
			t.Errorf("the incident screen shows %s unmasked", unmasked)
		}
	}
	if page := string(responder.Get(path).Body); !strings.Contains(page, "f***@example.com") || strings.Contains(page, "/followers/") {
		t.Errorf("a responder should see the followers without Remove buttons")
	}

	res := admin.MustPost(http.StatusSeeOther, removeURL, url.Values{})
	if loc := res.Header.Get("Location"); loc != path {
		t.Errorf("after removing: redirected to %q, want %q", loc, path)
	}
	page = string(admin.Get(path).Body)
	if !strings.Contains(page, "1 following this incident alone: 0 confirmed, 1 waiting") || strings.Contains(page, "f***@example.com") {
		t.Errorf("after removing, the screen says: %s", consoletest.Body(admin.Get(path)))
	}
	// It followed nothing else and was no page subscriber: unsubscribed.
	if sub, _ := e.svc.Subscribers.Get(ctx, f.follower); sub.State != subscribers.Unsubscribed {
		t.Errorf("removed follower is %s, want unsubscribed", sub.State)
	}
	log, _ := e.svc.Accounts.Audit(ctx, 0, 1)
	if len(log) != 1 || log[0].Action != "console: POST incidents/:id/followers/:subscriber_id/remove" || log[0].Actor != "user "+admin.User.Email {
		t.Errorf("audit log = %+v", log)
	}
	// Removing again, or from another incident, is not found.
	for _, p := range []string{removeURL, "/console/incidents/" + f.incident.ID + "/followers/" + f.follower + "/remove"} {
		if res := admin.Post(p, url.Values{}); res.Status != http.StatusNotFound {
			t.Errorf("POST %s: status %d, want 404", p, res.Status)
		}
	}
}

// unsent is an email sender that is never called: no worker runs in these
// tests.
type unsent struct{}

func (unsent) Send(context.Context, notifier.Message) (string, error) {
	return "", errors.New("console tests send nothing")
}
