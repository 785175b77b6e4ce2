package console_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/screen"
)

// TestConsoleEveryPostNeedsCSRF walks every POST route registered under
// /console, so a form added later is covered without being listed: each
// must answer 403 to a signed-in admin whose request lacks the session's
// CSRF token, or carries a wrong one. Signing out is one of them: a page
// elsewhere must not be able to sign staff out.
func TestConsoleEveryPostNeedsCSRF(t *testing.T) {
	e := newTestEnv(t)
	f := newConsoleFixture(t, e)
	admin := e.newStaff(accounts.Admin)

	// Real ids where the fixture has one, so a route reached past the
	// check would act on something real.
	ids := map[string]string{":id": f.incident.ID, ":update_id": "x"}
	param := regexp.MustCompile(`:[a-z_]+\??`)
	var paths []string
	seen := map[string]bool{}
	for _, r := range e.fiber.GetRoutes(true) {
		if r.Method != http.MethodPost || !strings.HasPrefix(r.Path, "/console") || seen[r.Path] {
			continue
		}
		seen[r.Path] = true
		paths = append(paths, param.ReplaceAllStringFunc(r.Path, func(p string) string {
			if v, ok := ids[strings.TrimSuffix(p, "?")]; ok {
				return v
			}
			return "x"
		}))
	}
	// A floor, so that a change to how routes are registered (or listed)
	// cannot make this test walk nothing.
	if len(paths) < 25 || !seen["/console/signout"] {
		t.Fatalf("found %d console POST routes (%v), want at least 25 including /console/signout", len(paths), paths)
	}

	for _, path := range paths {
		t.Run(path, func(t *testing.T) {
			for _, tt := range []struct {
				name    string
				headers []string
			}{
				{"no token", nil},
				{"wrong token", []string{"X-CSRF-Token", admin.CSRF + "x"}},
				{"empty form field", nil},
			} {
				body := "name=x"
				if tt.name == "empty form field" {
					body = screen.CSRFField + "=&name=x"
				}
				h := append([]string{"Cookie", admin.Cookie(), "Content-Type", "application/x-www-form-urlencoded"}, tt.headers...)
				if res := e.do("POST", path, body, h...); res.Status != http.StatusForbidden {
					t.Errorf("%s: status %d, want 403", tt.name, res.Status)
				}
			}
		})
	}

	// None of them signed the admin out or changed the session.
	if res := admin.Get("/console"); res.Status != http.StatusOK {
		t.Errorf("GET /console after the refused posts: status %d, want 200 (still signed in)", res.Status)
	}
}
