package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/palette"
)

// TestNotifyEmailBranding saves a logo, an accent colour and an email
// footer in the console's settings and reads them in the email a
// subscriber receives over SMTP: the logo in the header, the accent on the
// header's rule and, readable under white text, on the button, the footer
// at the end of both parts. A footer changed through the API reaches the
// next email at once.
func TestNotifyEmailBranding(t *testing.T) {
	n := ntNew(t)
	admin := n.newStaff(accounts.Admin)
	n.subscriber(map[string]any{"email": "alice@example.com"})
	admin.MustPost(http.StatusSeeOther, "/console/settings", url.Values{"name": {ntPageName}, "time_zone": {"Europe/Paris"},
		"logo_url": {"https://cdn.acme.test/logo.png"}, "accent_color": {"#FFD700"},
		"notifications_email_footer": {"Acme Inc.\r\n1 Main St & Co, Springfield"}})

	n.incident(map[string]any{"name": "Elevated API errors", "body": "Looking."})
	ntWant(t, "incident", n.round(), map[string]int{"email:alice@example.com": 1})
	e := ntParseEmail(t, n.mailAt(0))
	if want := `<img src="https://cdn.acme.test/logo.png" alt="` + ntPageName + `" height="32"`; !strings.Contains(e.HTML, want) {
		t.Errorf("the HTML part lacks the logo %s:\n%s", want, e.HTML)
	}
	if !strings.Contains(e.HTML, "border-bottom:3px solid #ffd700;") {
		t.Errorf("the header's rule is not the accent colour:\n%s", e.HTML)
	}
	link := palette.Readable("#ffd700", "#ffffff")
	if !strings.Contains(e.HTML, "background:"+link+";color:#ffffff;") || palette.Contrast(link, "#ffffff") < palette.MinContrast {
		t.Errorf("the button is not the accent made readable (%s) under white text:\n%s", link, e.HTML)
	}
	if !strings.Contains(e.HTML, "Acme Inc.<br>1 Main St &amp; Co, Springfield</p>") {
		t.Errorf("the HTML part lacks the footer:\n%s", e.HTML)
	}
	if !strings.HasSuffix(e.Text, "\n\nAcme Inc.\n1 Main St & Co, Springfield\n") || !strings.Contains(e.Text, "\n-- \n") {
		t.Errorf("the text part does not end with the footer after its signature separator:\n%s", e.Text)
	}

	n.mustAPI(200, "PATCH", "", map[string]any{"page": map[string]any{"notifications_email_footer": "Acme GmbH\nHauptstraße 1"}})
	n.incident(map[string]any{"name": "Slow pages", "body": "Looking."})
	ntWant(t, "second incident", n.round(), map[string]int{"email:alice@example.com": 1})
	e = ntParseEmail(t, n.mailAt(1))
	if !strings.Contains(e.HTML, "Acme GmbH<br>Hauptstraße 1</p>") || !strings.HasSuffix(e.Text, "\n\nAcme GmbH\nHauptstraße 1\n") {
		t.Errorf("the footer set through the API is not in the next email:\n%s\n%s", e.Text, e.HTML)
	}
}
