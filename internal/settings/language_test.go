package settings

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// SavePage takes the languages Beacon has, as Beacon writes their codes,
// and empty for English; it refuses any other before the page changes.
func TestSavePageLanguage(t *testing.T) {
	ctx := context.Background()
	db := testutil.OpenDB(t, notifier.Migrations(), components.Migrations(), Migrations())
	now := testutil.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)).Now
	comps := components.NewService(db, notifier.NewOutbox(db), now, nil)
	if _, err := comps.EnsurePage(ctx, components.PageInput{Name: ptr("Acme")}); err != nil {
		t.Fatal(err)
	}
	s, err := NewInForce(ctx, NewStore(db, now), comps, Notify{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ in, want string }{{"de", "de"}, {"pt-br", "pt-BR"}, {"AR", "ar"}, {"", ""}, {"ja", "ja"}} {
		page, err := s.SavePage(ctx, components.PageInput{Language: ptr(tt.in)})
		if err != nil || page.Language != tt.want {
			t.Errorf("SavePage(language %q) = %q, %v; want %q", tt.in, page.Language, err, tt.want)
		}
	}
	for _, bad := range []string{"xx", "pt", "en-US", "zh-Hans"} {
		var ve *ValidationError
		if _, err := s.SavePage(ctx, components.PageInput{Name: ptr("Renamed"), Language: ptr(bad)}); !errors.As(err, &ve) || ve.Field != "language" {
			t.Errorf("SavePage(language %q): %v, want a ValidationError on language", bad, err)
		}
	}
	if page, err := comps.Page(ctx); err != nil || page.Language != "ja" || page.Name != "Acme" {
		t.Errorf("after refused languages: %q, %q, %v; want ja, Acme", page.Language, page.Name, err)
	}
}
