// Package consoletest signs staff in to the console for tests: a user of a
// role with a live session, whose forms carry the session's CSRF token. It
// serves the console's own handler tests and the tests of the whole binary
// alike, and is imported by tests only.
package consoletest

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/internal/testutil"
)

// Password is every test user's password.
const Password = "a long enough password"

// Do sends a request through the app under test (testutil.Do, bound to
// an app).
type Do func(method, target string, body any, headers ...string) testutil.Response

// Staff is a signed-in console user.
type Staff struct {
	tb testing.TB
	do Do
	// User is who signed in.
	User accounts.User
	// Session is the session cookie's value; CSRF the token its forms carry.
	Session, CSRF string
}

// SignIn creates a user with role in store (named after the role and how
// many users there are) and signs them in; their requests go through do.
func SignIn(tb testing.TB, store *accounts.Store, role accounts.Role, do Do) *Staff {
	tb.Helper()
	ctx := context.Background()
	n, _ := store.Count(ctx)
	u, err := store.CreateUser(ctx, fmt.Sprintf("%s%d@example.com", role, n), role, "")
	if err != nil {
		tb.Fatal(err)
	}
	if err := store.SetPassword(ctx, u.ID, Password); err != nil {
		tb.Fatal(err)
	}
	token, sess, err := store.SignIn(ctx, u.Email, Password, "192.0.2.10", "test")
	if err != nil {
		tb.Fatal(err)
	}
	return &Staff{tb: tb, do: do, User: u, Session: token, CSRF: sess.CSRFToken}
}

// As is user, already signed in with session and its CSRF token.
func As(tb testing.TB, user accounts.User, session, csrf string, do Do) *Staff {
	return &Staff{tb: tb, do: do, User: user, Session: session, CSRF: csrf}
}

// Cookie is the Cookie header that carries the session.
func (s *Staff) Cookie() string { return screen.SessionCookie + "=" + s.Session }

// Get fetches path with the session.
func (s *Staff) Get(path string) testutil.Response {
	s.tb.Helper()
	return s.do("GET", path, nil, "Cookie", s.Cookie())
}

// Post sends a form with the session's CSRF token (unless the form sets
// _csrf itself, even to nothing).
func (s *Staff) Post(path string, form url.Values) testutil.Response {
	s.tb.Helper()
	if _, ok := form[screen.CSRFField]; !ok {
		form.Set(screen.CSRFField, s.CSRF)
	}
	return s.do("POST", path, form.Encode(), "Cookie", s.Cookie(), "Content-Type", "application/x-www-form-urlencoded")
}

// MustPost is Post that fails the test unless the status is want.
func (s *Staff) MustPost(want int, path string, form url.Values) testutil.Response {
	s.tb.Helper()
	res := s.Post(path, form)
	if res.Status != want {
		s.tb.Fatalf("POST %s: status %d, want %d: %s", path, res.Status, want, Body(res))
	}
	return res
}

// Body is the text of a page from its <main> on, shortened for failure
// messages.
func Body(r testutil.Response) string {
	b := string(r.Body)
	if i := strings.Index(b, `<main`); i >= 0 {
		b = b[i:]
	}
	if len(b) > 1500 {
		b = b[:1500] + "…"
	}
	return b
}
