package console_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/consoletest"
	"github.com/beacon-status/beacon/internal/console/screen"
)

// TestConsoleSignInIgnoresAddressCase: staff sign in with their address in
// any ASCII case, and failures under every spelling count against one
// address, on both engines (SQLite compared the addresses with NOCASE,
// PostgreSQL has no such collation: both compare lower()).
func TestConsoleSignInIgnoresAddressCase(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	u, err := e.svc.Accounts.CreateUser(ctx, "OnCall@Example.com", accounts.Responder, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Accounts.SetPassword(ctx, u.ID, consoletest.Password); err != nil {
		t.Fatal(err)
	}
	cookie, token := signInToken(t, e)
	post := func(email, password string) response {
		t.Helper()
		form := url.Values{"email": {email}, "password": {password}, "_csrf": {token}}
		return e.do("POST", "/console/signin", form.Encode(),
			"Content-Type", "application/x-www-form-urlencoded", "Cookie", screen.CSRFCookie+"="+cookie)
	}
	for _, email := range []string{"oncall@example.com", "ONCALL@EXAMPLE.COM", "OnCall@Example.com"} {
		if res := post(email, consoletest.Password); res.Status != http.StatusSeeOther {
			t.Errorf("sign in as %s: status %d, want 303", email, res.Status)
		}
	}
	if res := post("oncall@example.org", consoletest.Password); res.Status != http.StatusUnauthorized {
		t.Errorf("sign in as another address: status %d, want 401", res.Status)
	}
	for _, email := range []string{"oncall@example.com", "ONCALL@example.com", "OnCall@Example.COM", "oncall@EXAMPLE.com", "Oncall@example.com"} {
		if res := post(email, "guess guess"); res.Status != http.StatusUnauthorized {
			t.Errorf("wrong password as %s: status %d, want 401", email, res.Status)
		}
	}
	if res := post("OnCall@Example.com", consoletest.Password); res.Status != http.StatusTooManyRequests {
		t.Errorf("after five failures under five spellings: status %d, want 429", res.Status)
	}
}
