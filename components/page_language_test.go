package components_test

import (
	"context"
	"testing"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// The page's default language: set on first start, changed, cleared back
// to English, and refused when it is not shaped like a language code.
func TestPageLanguage(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	p, err := f.svc.EnsurePage(ctx, components.PageInput{Name: ptr("Acme"), Language: ptr("de")})
	if err != nil {
		t.Fatal(err)
	}
	check := func(step, want string) {
		t.Helper()
		stored, err := f.svc.Page(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Language != want {
			t.Errorf("%s: stored language %q, want %q", step, stored.Language, want)
		}
	}
	if p.Language != "de" {
		t.Errorf("EnsurePage: language %q, want de", p.Language)
	}
	check("first start", "de")
	if _, err := f.svc.EnsurePage(ctx, components.PageInput{Language: ptr("fr")}); err != nil {
		t.Fatal(err)
	}
	check("second start ignores defaults", "de")
	if p, err = f.svc.UpdatePage(ctx, components.PageInput{Language: ptr("pt-BR")}); err != nil || p.Language != "pt-BR" {
		t.Errorf("UpdatePage: %q, %v; want pt-BR", p.Language, err)
	}
	check("changed", "pt-BR")
	if _, err := f.svc.UpdatePage(ctx, components.PageInput{Name: ptr("Acme Status")}); err != nil {
		t.Fatal(err)
	}
	check("another field changed", "pt-BR")
	for _, bad := range []string{"de_DE", "<b>", "d", "german language", "de-\n", "en-" + "abcdefghi"} {
		_, err := f.svc.UpdatePage(ctx, components.PageInput{Language: ptr(bad)})
		checkValidation(t, err, "language")
	}
	check("refused codes", "pt-BR")
	if _, err := f.svc.UpdatePage(ctx, components.PageInput{Language: ptr("")}); err != nil {
		t.Fatal(err)
	}
	check("cleared", "")
}

// A page made before migration 0007 reads in English.
func TestPageLanguageMigration(t *testing.T) {
	ctx := context.Background()
	full := components.Migrations()
	db := testutil.OpenDB(t, notifier.Migrations(), migrationsBefore(t, full, "0007"))
	_, err := db.Write.ExecContext(ctx, `INSERT INTO pages (id, name, url, time_zone, created_at, updated_at)
		VALUES ('pg1', 'Acme', 'https://acme.test', 'Etc/UTC', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')`)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, full); err != nil {
		t.Fatal(err)
	}
	p, err := components.NewService(db, notifier.NewOutbox(db), testutil.NewClock(start).Now, nil).Page(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.ID != "pg1" || p.Language != "" {
		t.Errorf("page after migrating: id %q, language %q; want pg1 and empty (English)", p.ID, p.Language)
	}
}
