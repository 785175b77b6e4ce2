package accounts_test

import (
	"context"
	"errors"
	"testing"

	"github.com/beacon-status/beacon/internal/accounts"
)

// A user's language is stored canonical, read back by every way a user
// is read (by id, the list, the session), set for that user only, and
// cleared with "".
func TestSetLanguage(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	a, err := s.CreateUser(ctx, "a@example.com", accounts.Admin, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.CreateUser(ctx, "b@example.com", accounts.Responder, goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if a.Language != "" {
		t.Errorf("new user's language = %q, want \"\" (the page's)", a.Language)
	}
	if err := s.SetLanguage(ctx, a.ID, "pt-br"); err != nil {
		t.Fatal(err)
	}
	got, err := s.User(ctx, a.ID)
	if err != nil || got.Language != "pt-BR" {
		t.Errorf("User = %q, %v; want pt-BR", got.Language, err)
	}
	token, _, err := s.SignIn(ctx, "a@example.com", goodPassword, "192.0.2.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s.Session(ctx, token)
	if err != nil || sess.User.Language != "pt-BR" {
		t.Errorf("Session user language = %q, %v; want pt-BR", sess.User.Language, err)
	}
	users, err := s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		want := map[string]string{a.ID: "pt-BR", b.ID: ""}[u.ID]
		if u.Language != want {
			t.Errorf("Users: %s language = %q, want %q", u.Email, u.Language, want)
		}
	}
	var verr *accounts.ValidationError
	if err := s.SetLanguage(ctx, a.ID, "xx"); !errors.As(err, &verr) || verr.Field != "language" {
		t.Errorf("SetLanguage(xx) = %v, want a ValidationError on language", err)
	}
	if err := s.SetLanguage(ctx, "nobody", "de"); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("SetLanguage(unknown user) = %v, want ErrNotFound", err)
	}
	if err := s.SetLanguage(ctx, a.ID, ""); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.User(ctx, a.ID); got.Language != "" {
		t.Errorf("after clearing: %q, want \"\"", got.Language)
	}
}
