package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
	"github.com/beacon-status/beacon/internal/console/screen"
)

// TestConsoleRefusesTextNoRowHolds: text no stored row can hold (NUL,
// bytes that are not UTF-8), which PostgreSQL refuses as a query's
// argument where SQLite takes it, is answered alike on both engines: a
// search is an unknown filter (400), an address signs nobody in (401), a
// user agent is kept as clean text — never a server error.
func TestConsoleRefusesTextNoRowHolds(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	admin := e.newStaff(accounts.Admin)
	for _, q := range []string{"%00", "a%00b", "%FF", "a%C3"} {
		if res := admin.Get("/console/subscribers?q=" + q); res.Status != http.StatusBadRequest {
			t.Errorf("GET /console/subscribers?q=%s: status %d, want 400", q, res.Status)
		}
	}
	if res := admin.Get("/console/subscribers?q=%C3%A9"); res.Status != http.StatusOK {
		t.Errorf("GET /console/subscribers?q=%%C3%%A9: status %d, want 200", res.Status)
	}

	u, err := e.svc.Accounts.CreateUser(ctx, "oncall@example.com", accounts.Responder, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Accounts.SetPassword(ctx, u.ID, consoletest.Password); err != nil {
		t.Fatal(err)
	}
	cookie, token := signInToken(t, e)
	post := func(email, userAgent string) response {
		t.Helper()
		form := url.Values{"email": {email}, "password": {consoletest.Password}, "_csrf": {token}}
		return e.do("POST", "/console/signin", form.Encode(), "Content-Type", "application/x-www-form-urlencoded",
			"Cookie", screen.CSRFCookie+"="+cookie, "User-Agent", userAgent)
	}
	for _, email := range []string{"oncall@example.com\x00", "oncall\x00@example.com", "oncall@example.com\xff"} {
		if res := post(email, "Mozilla/5.0"); res.Status != http.StatusUnauthorized || !strings.Contains(string(res.Body), "do not match") {
			t.Errorf("sign in as %q: status %d, want 401 saying they do not match", email, res.Status)
		}
	}
	if res := post("oncall@example.com", "Mozilla\x00/5.0"); res.Status != http.StatusSeeOther {
		t.Fatalf("sign in with a NUL in the user agent: status %d, want 303", res.Status)
	}
	var agent string
	if err := e.svc.DB.Read.QueryRowContext(ctx, `SELECT user_agent FROM sessions WHERE user_id = ?`, u.ID).Scan(&agent); err != nil || agent != "Mozilla/5.0" {
		t.Errorf("the session's user agent is %q (%v), want %q", agent, err, "Mozilla/5.0")
	}
}
