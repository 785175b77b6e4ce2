package settings

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/beacon-status/beacon/components"
)

// pages is a page store holding one page in memory.
type pages struct{ page components.Page }

func (p *pages) Page(context.Context) (components.Page, error) { return p.page, nil }

func (p *pages) UpdatePage(_ context.Context, in components.PageInput) (components.Page, error) {
	if in.Name != nil {
		p.page.Name = *in.Name
	}
	return p.page, nil
}

// TestInForce: saved settings override the environment's, a reset goes back
// to them, a bad sender changes nothing, and every change reaches the
// running services with the page it is for.
func TestInForce(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	env := Notify{EmailFrom: "env@example.org", EmailFromName: "", SMSCountries: []string{"US"}}
	pg := &pages{page: components.Page{Name: "Acme"}}
	s, err := NewInForce(ctx, store, pg, env)
	if err != nil {
		t.Fatal(err)
	}
	var applied []string // "from name" per apply
	changed := 0
	s.Attach(func(_ context.Context, n Notify, page components.Page) error {
		applied = append(applied, n.EmailFrom+" "+n.FromName(page.Name))
		return nil
	}, func() { changed++ })

	if got := s.Notify(); got.EmailFrom != "env@example.org" || got.FromName("Acme") != "Acme" {
		t.Fatalf("before any save: %+v", got)
	}
	from, name, countries := "ops@example.org", "Acme Ops", []string{"FR", "DE"}
	if err := s.SaveNotify(ctx, Notifications{EmailFrom: &from, EmailFromName: &name, SMSCountries: &countries}); err != nil {
		t.Fatal(err)
	}
	if got := s.Notify(); got.EmailFrom != from || got.EmailFromName != name || !slices.Equal(got.SMSCountries, countries) {
		t.Errorf("after a save: %+v", got)
	}
	bad := "Not An Address <x@y>"
	var ve *ValidationError
	if err := s.SaveNotify(ctx, Notifications{EmailFrom: &bad}); !errors.As(err, &ve) || ve.Field != "email_from" {
		t.Errorf("a display name in email_from: %v, want a ValidationError on email_from", err)
	}
	if got := s.Notify(); got.EmailFrom != from {
		t.Errorf("a refused save changed the sender to %q", got.EmailFrom)
	}
	// The page's name is the default sender name: renaming it applies.
	if err := s.SaveNotify(ctx, Notifications{}); err != nil {
		t.Fatal(err)
	}
	newName := "Acme Cloud"
	if _, err := s.SavePage(ctx, components.PageInput{Name: &newName}); err != nil {
		t.Fatal(err)
	}
	want := []string{"ops@example.org Acme Ops", "env@example.org Acme", "env@example.org Acme Cloud"}
	if !slices.Equal(applied, want) {
		t.Errorf("applied %q, want %q", applied, want)
	}
	if got := s.Notify(); got.Saved != (Notifications{}) || !slices.Equal(got.SMSCountries, []string{"US"}) {
		t.Errorf("after a reset: %+v", got)
	}
	// A saved setting survives a restart.
	if err := s.SaveNotify(ctx, Notifications{EmailFrom: &from}); err != nil {
		t.Fatal(err)
	}
	again, err := NewInForce(ctx, store, pg, env)
	if err != nil {
		t.Fatal(err)
	}
	if got := again.Notify(); got.EmailFrom != from {
		t.Errorf("after a restart the sender is %q, want %q", got.EmailFrom, from)
	}
	color := "#123456"
	if _, err := s.SaveEmbed(ctx, EmbedInput{IncidentBackgroundColor: &color}); err != nil {
		t.Fatal(err)
	}
	if changed != 1 {
		t.Errorf("saving the embed told %d changes, want 1", changed)
	}
}
