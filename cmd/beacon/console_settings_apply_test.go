package main

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/settings"
)

// TestConsoleNotificationSettingsApply changes the sender from the console
// and sees the next email come from it, SMS sign-ups follow the new
// countries at once, and the settings survive a restart until reset.
// It stays in cmd/beacon: what applies the settings (the email sender,
// the subscribers service) is wired here, and it checks them through the
// public sign-up form, the API and a restart.
func TestConsoleNotificationSettingsApply(t *testing.T) {
	n := ntNew(t)
	admin := n.newStaff(accounts.Admin)
	n.subscriber(map[string]any{"email": "reader@example.com"})
	admin.MustPost(http.StatusSeeOther, "/console/settings/notifications", url.Values{"action": {"save"},
		"email_from": {"alerts@status.example.org"}, "email_from_name": {"Example Alerts"}, "sms_events": {"key"}, "sms_countries": {"FR"}})

	n.incident(map[string]any{"name": "Outage", "status": "investigating", "body": "Looking."})
	n.drain()
	mails := n.mail.Received(0)
	if len(mails) != 1 {
		t.Fatalf("received %d emails, want 1", len(mails))
	}
	if mails[0].From != "alerts@status.example.org" || !strings.Contains(string(mails[0].Data), "From: \"Example Alerts\" <alerts@status.example.org>") {
		t.Errorf("envelope from %q; message:\n%s", mails[0].From, mails[0].Data)
	}
	res := n.do("POST", "/subscribe", `{"mode":"sms","phone_number":"+14155552671","phone_country":"US"}`, "Content-Type", "application/json")
	if res.Status != http.StatusUnprocessableEntity || !strings.Contains(string(res.Body), "not available") {
		t.Errorf("US number after allowing only FR: %d %s", res.Status, res.Body)
	}

	// The sender's name is the page's unless one is saved: renaming the
	// page through the API renames the sender at once.
	admin.MustPost(http.StatusSeeOther, "/console/settings/notifications", url.Values{"action": {"save"},
		"email_from": {"alerts@status.example.org"}, "email_from_name": {""}, "sms_events": {"key"}, "sms_countries": {"FR"}})
	n.mustAPI(200, "PATCH", "", map[string]any{"page": map[string]any{"name": "Renamed Status"}})
	n.incident(map[string]any{"name": "Second outage", "status": "investigating", "body": "Looking."})
	n.drain()
	if mails := n.mail.Received(1); len(mails) != 1 || !strings.Contains(string(mails[0].Data), "From: \"Renamed Status\" <alerts@status.example.org>") {
		t.Errorf("after renaming the page through the API, got %d emails; want one from \"Renamed Status\"", len(mails))
	}

	// A restart keeps the saved settings.
	again := openTestEnv(t, n.app.cfg, n.clock)
	if got := again.app.inForce.Notify(); got.EmailFrom != "alerts@status.example.org" || !slices.Equal(got.SMSCountries, []string{"FR"}) {
		t.Errorf("after a restart: %+v", got)
	}
	// Reset: the environment's values again.
	admin.MustPost(http.StatusSeeOther, "/console/settings/notifications", url.Values{"action": {"reset"}})
	if got := n.app.inForce.Notify(); got.EmailFrom != ntFrom || got.Saved != (settings.Notifications{}) {
		t.Errorf("after reset: %+v", got)
	}
}
