package components_test

import (
	"context"
	"io/fs"
	"path"
	"testing"
	"testing/fstest"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

// TestPageURLFollowsConfiguration walks the page's URL through what
// happens to it: created by one configuration (say `beacon demo` with the
// default), taken over by the server's at each start, set by staff and
// kept, then handed back to the configuration.
func TestPageURLFollowsConfiguration(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	check := func(step string, got components.Page, url string, explicit bool) {
		t.Helper()
		if got.URL != url || got.URLExplicit != explicit {
			t.Errorf("%s: url %q (explicit %v), want %q (explicit %v)", step, got.URL, got.URLExplicit, url, explicit)
		}
		stored, err := f.svc.Page(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if stored.URL != got.URL || stored.URLExplicit != got.URLExplicit {
			t.Errorf("%s: stored url %q (explicit %v), returned %q (explicit %v)", step, stored.URL, stored.URLExplicit, got.URL, got.URLExplicit)
		}
	}
	mustFollow := func(url string) components.Page {
		t.Helper()
		p, err := f.svc.FollowURL(ctx, url)
		if err != nil {
			t.Fatalf("FollowURL(%q): %v", url, err)
		}
		return p
	}
	mustUpdate := func(in components.PageInput) components.Page {
		t.Helper()
		p, err := f.svc.UpdatePage(ctx, in)
		if err != nil {
			t.Fatalf("UpdatePage: %v", err)
		}
		return p
	}

	demo, err := f.svc.EnsurePage(ctx, components.PageInput{URL: ptr("http://localhost:8080")})
	if err != nil {
		t.Fatal(err)
	}
	check("created by demo", demo, "http://localhost:8080", false)

	f.clock.Advance(time.Hour)
	changes := f.changeCount()
	served := mustFollow("https://status.acme.test")
	check("first server start", served, "https://status.acme.test", false)
	if !served.UpdatedAt.Equal(start.Add(time.Hour)) {
		t.Errorf("updated_at after following = %v, want %v", served.UpdatedAt, start.Add(time.Hour))
	}
	if f.changeCount() == changes {
		t.Error("FollowURL changed the URL without telling the changed callback")
	}

	f.clock.Advance(time.Hour)
	changes = f.changeCount()
	again := mustFollow("https://status.acme.test")
	check("restart, same configuration", again, "https://status.acme.test", false)
	if !again.UpdatedAt.Equal(served.UpdatedAt) || f.changeCount() != changes {
		t.Errorf("a restart with the same configuration changed the page (updated_at %v, was %v)", again.UpdatedAt, served.UpdatedAt)
	}

	// The console sends every field back: the same URL is no decision.
	check("console saves the name", mustUpdate(components.PageInput{Name: ptr("Acme"), URL: ptr("https://status.acme.test")}),
		"https://status.acme.test", false)
	check("restart, moved", mustFollow("https://status.acme.example"), "https://status.acme.example", false)

	check("staff set it", mustUpdate(components.PageInput{URL: ptr("https://acme.test")}), "https://acme.test", true)
	check("restart after staff set it", mustFollow("https://status.other.test"), "https://acme.test", true)
	check("staff set it again, same value", mustUpdate(components.PageInput{URL: ptr("https://acme.test")}), "https://acme.test", true)

	check("staff clear it", mustUpdate(components.PageInput{URL: ptr("")}), "https://status.other.test", false)
	check("restart after clearing", mustFollow("https://status.acme.test"), "https://status.acme.test", false)
}

func TestFollowURLRefusesBadURLs(t *testing.T) {
	ctx := context.Background()
	f := mustOpen(t)
	if _, err := f.svc.EnsurePage(ctx, components.PageInput{URL: ptr("https://status.acme.test")}); err != nil {
		t.Fatal(err)
	}
	for _, url := range []string{"", "ftp://status.acme.test", "status.acme.test"} {
		_, err := f.svc.FollowURL(ctx, url)
		checkValidation(t, err, "url")
	}
	if p, err := f.svc.Page(ctx); err != nil || p.URL != "https://status.acme.test" {
		t.Errorf("page after refused URLs: %q, %v; want it unchanged", p.URL, err)
	}
}

// TestPageURLMigration checks how migration 0004 treats pages made before
// it: the old built-in default (what `beacon demo` froze) and an empty URL
// follow the configuration; any other URL may have been set by staff and
// is kept.
func TestPageURLMigration(t *testing.T) {
	for _, tc := range []struct {
		name, url  string
		wantFollow bool
	}{
		{"old default", "http://localhost:8080", true},
		{"empty", "", true},
		{"another URL", "https://acme.test", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			full := components.Migrations()
			db := testutil.OpenDB(t, notifier.Migrations(), migrationsBefore(t, full, "0004"))
			_, err := db.Write.ExecContext(ctx, `INSERT INTO pages (id, name, url, time_zone, created_at, updated_at)
				VALUES ('pg1', 'Acme', ?, 'Etc/UTC', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')`, tc.url)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Migrate(ctx, full); err != nil {
				t.Fatal(err)
			}
			svc := components.NewService(db, notifier.NewOutbox(db), testutil.NewClock(start).Now, nil)
			p, err := svc.FollowURL(ctx, "https://status.acme.test")
			if err != nil {
				t.Fatal(err)
			}
			want := tc.url
			if tc.wantFollow {
				want = "https://status.acme.test"
			}
			if p.URL != want || p.URLExplicit == tc.wantFollow {
				t.Errorf("url after migrating and starting: %q (explicit %v), want %q (explicit %v)", p.URL, p.URLExplicit, want, !tc.wantFollow)
			}
			if p.ID != "pg1" {
				t.Errorf("page id %q changed", p.ID)
			}
		})
	}
}

// migrationsBefore is the part of set whose files sort before version: a
// database as an older Beacon left it.
func migrationsBefore(t *testing.T, set store.Migrations, version string) store.Migrations {
	t.Helper()
	before := fstest.MapFS{}
	err := fs.WalkDir(set.FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path.Base(name) >= version {
			return err
		}
		b, err := fs.ReadFile(set.FS, name)
		before[name] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return store.Migrations{Package: set.Package, FS: before}
}

// TestHistoryVersionsMigration: 0003 gives each component with a history
// one version, however many intervals it has (it failed on the primary key
// for a component with two).
func TestHistoryVersionsMigration(t *testing.T) {
	ctx := context.Background()
	full := components.Migrations()
	db := testutil.OpenDB(t, notifier.Migrations(), migrationsBefore(t, full, "0003"))
	for _, q := range []string{
		`INSERT INTO components (id, name, position, status, created_at, updated_at)
			VALUES ('c1', 'API', 1, 'operational', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z'),
			       ('c2', 'Web', 2, 'operational', '2025-01-01T00:00:00.000000Z', '2025-01-01T00:00:00.000000Z')`,
		`INSERT INTO component_status_intervals (component_id, status, started_at, ended_at) VALUES
			('c1', 'operational', '2025-01-01T00:00:00.000000Z', '2025-01-02T00:00:00.000000Z'),
			('c1', 'major_outage', '2025-01-02T00:00:00.000000Z', '2025-01-02T01:00:00.000000Z'),
			('c1', 'operational', '2025-01-02T01:00:00.000000Z', NULL),
			('c2', 'operational', '2025-01-01T00:00:00.000000Z', NULL)`,
	} {
		if _, err := db.Write.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Migrate(ctx, full); err != nil {
		t.Fatal(err)
	}
	var n, distinct int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT component_id) FROM component_history_versions`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != 2 || distinct != 2 {
		t.Errorf("component_history_versions has %d rows for %d components, want one for each of 2", n, distinct)
	}
}
