package accounts_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/testutil"
)

func newStore(t *testing.T) (*accounts.Store, *testutil.Clock) {
	t.Helper()
	db := testutil.OpenDB(t, accounts.Migrations())
	c := testutil.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	return accounts.NewStore(db, c.Now, accounts.Config{BcryptCost: bcrypt.MinCost}), c
}

const goodPassword = "correct horse battery"

func TestFirstRunLinkCreatesTheFirstAdminOnce(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	token, ok, err := s.FirstRunLink(ctx)
	if err != nil || !ok {
		t.Fatalf("FirstRunLink = %v, %v", ok, err)
	}
	second, _, _ := s.FirstRunLink(ctx)
	if _, err := s.UseLink(ctx, token, "not an address", goodPassword); err == nil {
		t.Fatal("a bad address was accepted")
	}
	if _, err := s.UseLink(ctx, token, "ops@example.com", "short"); err == nil {
		t.Fatal("a short password was accepted")
	}
	u, err := s.UseLink(ctx, token, "ops@example.com", goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if u.Role != accounts.Admin || !u.HasPassword {
		t.Errorf("first user = %+v, want an admin with a password", u)
	}
	if _, err := s.UseLink(ctx, token, "ops@example.com", goodPassword); !errors.Is(err, accounts.ErrExpired) {
		t.Errorf("reusing the link: %v, want ErrExpired", err)
	}
	// An older first-run link dies once there is an admin.
	if _, err := s.UseLink(ctx, second, "evil@example.com", goodPassword); !errors.Is(err, accounts.ErrExpired) {
		t.Errorf("second first-run link: %v, want ErrExpired", err)
	}
	if _, ok, _ := s.FirstRunLink(ctx); ok {
		t.Error("a first-run link was made although a user exists")
	}
}

func TestPasswordLinkExpires(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	u, err := s.CreateUser(ctx, "oncall@example.com", accounts.Responder, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "ONCALL@example.com", accounts.Admin, ""); !errors.Is(err, accounts.ErrExists) {
		t.Errorf("same address twice: %v, want ErrExists", err)
	}
	token, err := s.PasswordLink(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	link, err := s.LinkFor(ctx, token)
	if err != nil || link.User.Email != u.Email {
		t.Fatalf("LinkFor = %+v, %v", link, err)
	}
	c.Advance(73 * time.Hour)
	if _, err := s.UseLink(ctx, token, "", goodPassword); !errors.Is(err, accounts.ErrExpired) {
		t.Errorf("after 73 h: %v, want ErrExpired", err)
	}
}

func TestSignInSessionsAndExpiry(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	u, _ := s.CreateUser(ctx, "oncall@example.com", accounts.Responder, "")
	if _, _, err := s.SignIn(ctx, u.Email, "anything at all", "192.0.2.1", "test"); !errors.Is(err, accounts.ErrCredentials) {
		t.Fatalf("sign in without a password: %v", err)
	}
	if err := s.SetPassword(ctx, u.ID, goodPassword); err != nil {
		t.Fatal(err)
	}
	token, sess, err := s.SignIn(ctx, "oncall@example.com", goodPassword, "192.0.2.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	if sess.User.ID != u.ID || sess.CSRFToken == "" {
		t.Errorf("session = %+v", sess)
	}
	got, err := s.Session(ctx, token)
	if err != nil || got.CSRFToken != sess.CSRFToken {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	if _, err := s.Session(ctx, token+"x"); !errors.Is(err, accounts.ErrExpired) {
		t.Errorf("wrong token: %v", err)
	}

	// Idle expiry: used every 11 hours it lives on, until the absolute limit.
	for range 15 {
		c.Advance(11 * time.Hour)
		if _, err := s.Session(ctx, token); err != nil {
			t.Fatalf("session after %v: %v", c.Now().Sub(sess.CreatedAt), err)
		}
	}
	c.Advance(11 * time.Hour) // 176 h > 7 days
	if _, err := s.Session(ctx, token); !errors.Is(err, accounts.ErrExpired) {
		t.Errorf("after the absolute limit: %v, want ErrExpired", err)
	}

	token, _, _ = s.SignIn(ctx, u.Email, goodPassword, "192.0.2.1", "test")
	c.Advance(13 * time.Hour)
	if _, err := s.Session(ctx, token); !errors.Is(err, accounts.ErrExpired) {
		t.Errorf("after 13 idle hours: %v, want ErrExpired", err)
	}

	token, _, _ = s.SignIn(ctx, u.Email, goodPassword, "192.0.2.1", "test")
	if err := s.SignOut(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, token); !errors.Is(err, accounts.ErrExpired) {
		t.Errorf("after sign-out: %v, want ErrExpired", err)
	}

	// A new password ends every session.
	token, _, _ = s.SignIn(ctx, u.Email, goodPassword, "192.0.2.1", "test")
	s.SetPassword(ctx, u.ID, goodPassword+"!")
	if _, err := s.Session(ctx, token); !errors.Is(err, accounts.ErrExpired) {
		t.Errorf("after a password change: %v, want ErrExpired", err)
	}
}

func TestSignInThrottle(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	u, _ := s.CreateUser(ctx, "oncall@example.com", accounts.Admin, "")
	s.SetPassword(ctx, u.ID, goodPassword)

	for i := range 5 {
		if _, _, err := s.SignIn(ctx, u.Email, "wrong password", "192.0.2.1", ""); !errors.Is(err, accounts.ErrCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	// Locked out even with the right password, from any IP.
	var lim *accounts.LimitError
	if _, _, err := s.SignIn(ctx, u.Email, goodPassword, "198.51.100.7", ""); !errors.As(err, &lim) {
		t.Fatalf("sixth try: %v, want a LimitError", err)
	}
	if lim.RetryAfter <= 0 || lim.RetryAfter > 15*time.Minute {
		t.Errorf("RetryAfter = %v", lim.RetryAfter)
	}
	c.Advance(16 * time.Minute)
	if _, _, err := s.SignIn(ctx, u.Email, goodPassword, "192.0.2.1", ""); err != nil {
		t.Fatalf("after the window: %v", err)
	}

	// Per IP: 20 failures over many addresses lock the IP out.
	for i := range 20 {
		s.SignIn(ctx, "guess"+string(rune('a'+i))+"@example.com", "x", "203.0.113.9", "")
	}
	if _, _, err := s.SignIn(ctx, u.Email, goodPassword, "203.0.113.9", ""); !errors.As(err, &lim) {
		t.Fatalf("from a guessing IP: %v, want a LimitError", err)
	}
	if _, _, err := s.SignIn(ctx, u.Email, goodPassword, "192.0.2.1", ""); err != nil {
		t.Errorf("from another IP: %v", err)
	}
}

func TestLastAdminStays(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	admin, _ := s.CreateUser(ctx, "admin@example.com", accounts.Admin, "")
	if err := s.SetRole(ctx, admin.ID, accounts.Responder); !errors.Is(err, accounts.ErrLastAdmin) {
		t.Errorf("demoting the last admin: %v", err)
	}
	if err := s.DeleteUser(ctx, admin.ID); !errors.Is(err, accounts.ErrLastAdmin) {
		t.Errorf("deleting the last admin: %v", err)
	}
	other, _ := s.CreateUser(ctx, "second@example.com", accounts.Admin, "")
	if err := s.SetRole(ctx, admin.ID, accounts.Responder); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, other.ID); !errors.Is(err, accounts.ErrLastAdmin) {
		t.Errorf("deleting the remaining admin: %v", err)
	}
	users, _ := s.Users(ctx)
	if len(users) != 2 {
		t.Errorf("users = %d, want 2", len(users))
	}
}

func TestAuditLogPages(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	for i := range 5 {
		c.Advance(time.Minute)
		if err := s.Record(ctx, accounts.Entry{Actor: "user a@example.com", Action: "incident.update", Target: string(rune('a' + i)), IP: "192.0.2.1"}); err != nil {
			t.Fatal(err)
		}
	}
	first, err := s.Audit(ctx, 0, 3)
	if err != nil || len(first) != 3 || first[0].Target != "e" {
		t.Fatalf("first page = %+v, %v", first, err)
	}
	rest, _ := s.Audit(ctx, first[2].ID, 3)
	if len(rest) != 2 || rest[1].Target != "a" {
		t.Errorf("second page = %+v", rest)
	}
}

func TestCreateUserWithPassword(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if _, err := s.CreateUser(ctx, "ops@example.com", accounts.Admin, "short"); err == nil {
		t.Fatal("a short password was accepted")
	}
	if n, _ := s.Count(ctx); n != 0 {
		t.Fatalf("a refused user was created (%d users)", n)
	}
	u, err := s.CreateUser(ctx, "ops@example.com", accounts.Admin, goodPassword)
	if err != nil || !u.HasPassword {
		t.Fatalf("CreateUser = %+v, %v", u, err)
	}
	if _, _, err := s.SignIn(ctx, "ops@example.com", goodPassword, "192.0.2.1", ""); err != nil {
		t.Errorf("sign in with the password given: %v", err)
	}
}

// Addresses match whatever the case of their ASCII letters, and only of
// those, on both engines (SQLite's NOCASE did this before lower(email)).
func TestAddressesMatchIgnoringASCIICase(t *testing.T) {
	s, c := newStore(t)
	ctx := context.Background()
	ann, err := s.CreateUser(ctx, "Ann.Lee@Example.com", accounts.Admin, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "ann.lee@example.COM", accounts.Admin, ""); !errors.Is(err, accounts.ErrExists) {
		t.Errorf("the same address in other case: %v, want ErrExists", err)
	}
	// É and é are different letters to both engines' lower().
	upper, err := s.CreateUser(ctx, "Élise@example.com", accounts.Responder, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	lower, err := s.CreateUser(ctx, "élise@example.com", accounts.Responder, goodPassword+"?")
	if err != nil {
		t.Fatalf("an address differing in a non-ASCII letter's case: %v", err)
	}
	for _, c := range []struct{ email, password, want string }{
		{"ANN.LEE@EXAMPLE.COM", goodPassword, ann.ID},
		{"ÉLISE@EXAMPLE.COM", goodPassword, upper.ID},
		{"éLISE@example.com", goodPassword + "?", lower.ID},
	} {
		_, sess, err := s.SignIn(ctx, c.email, c.password, "192.0.2.1", "")
		if err != nil || sess.User.ID != c.want {
			t.Errorf("SignIn(%s) = %s, %v; want %s", c.email, sess.User.ID, err, c.want)
		}
	}

	// Failures count per address whatever its case, and a success forgives
	// them whatever its case.
	for i, email := range []string{"ann.lee@example.com", "ANN.LEE@example.com", "Ann.Lee@Example.com", "aNN.lEE@EXAMPLE.COM"} {
		if _, _, err := s.SignIn(ctx, email, "wrong password", "192.0.2.1", ""); !errors.Is(err, accounts.ErrCredentials) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if _, _, err := s.SignIn(ctx, "ANN.lee@example.com", goodPassword, "192.0.2.2", ""); err != nil {
		t.Fatalf("the fifth try, right: %v", err)
	}
	for range 5 {
		s.SignIn(ctx, "ann.LEE@example.com", "wrong password", "192.0.2.1", "")
		c.Advance(time.Second)
	}
	var lim *accounts.LimitError
	if _, _, err := s.SignIn(ctx, "ann.lee@EXAMPLE.com", goodPassword, "198.51.100.7", ""); !errors.As(err, &lim) {
		t.Errorf("after five failures in other case: %v, want a LimitError", err)
	}

	// Listed by address, ignoring ASCII case, then by the bytes of the rest.
	for _, e := range []string{"bob@example.com", "Carol@example.com", "alice@example.com"} {
		if _, err := s.CreateUser(ctx, e, accounts.Responder, ""); err != nil {
			t.Fatal(err)
		}
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, u.Email)
	}
	want := []string{"alice@example.com", "Ann.Lee@Example.com", "bob@example.com", "Carol@example.com", "Élise@example.com", "élise@example.com"}
	if !slices.Equal(got, want) {
		t.Errorf("Users = %q, want %q", got, want)
	}
}
