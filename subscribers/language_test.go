package subscribers_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// Migration 0007 adds the language column on both engines: a subscriber
// made before it reads "" (the page's language) and can be given one.
func TestMigrationAddsLanguage(t *testing.T) {
	ctx := context.Background()
	addr := testutil.NewDatabase(t)
	db, err := testutil.Open(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Migrate(ctx, notifier.Migrations(), components.Migrations(), migrationsUpTo(t, "0006")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO subscribers (id, mode, address, state, secret, created_at, updated_at)
		VALUES ('abcdefghjkmn', 'email', 'old@example.com', 'active', 's', '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z')`); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx, notifier.Migrations(), components.Migrations(), subscribers.Migrations()); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, outbox: notifier.NewOutbox(db), clock: testutil.NewClock(start),
		cfg: subscribers.Config{ValidateURL: validateURL, Limits: roomy, Languages: []string{"en", "de"}}}
	f.comps = components.NewService(db, f.outbox, f.clock.Now, nil)
	f.restart(t)
	if got := f.get(t, "abcdefghjkmn").Language; got != "" {
		t.Errorf("language of a subscriber made before the migration = %q, want \"\"", got)
	}
	if _, err := f.svc.Update(ctx, "abcdefghjkmn", subscribers.Change{Language: ptr("de")}); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, "abcdefghjkmn").Language; got != "de" {
		t.Errorf("language after SetLanguage = %q, want de", got)
	}
}

// migrationsUpTo returns this package's migrations up to the one numbered
// last, for both engines: the schema as it was then.
func migrationsUpTo(t *testing.T, last string) store.Migrations {
	t.Helper()
	all := subscribers.Migrations()
	out := fstest.MapFS{}
	err := fs.WalkDir(all.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name()[:4] > last {
			return err
		}
		data, err := fs.ReadFile(all.FS, path)
		out[path] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return store.Migrations{Package: "subscribers", FS: out}
}

func TestSubscriberLanguage(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)

	t.Run("a sign-up stores it, as the catalogue spells it", func(t *testing.T) {
		res := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "pt@example.com", Language: "pt-br", IP: "192.0.2.1"})
		if got := f.get(t, res.Subscriber.ID).Language; got != "pt-BR" {
			t.Errorf("language = %q, want pt-BR", got)
		}
		staff := f.active(t, notifier.SMS, "+14155550123")
		if got := staff.Language; got != "" {
			t.Errorf("language of a sign-up naming none = %q, want \"\"", got)
		}
	})

	t.Run("an unknown language is refused", func(t *testing.T) {
		_, err := f.svc.Subscribe(ctx, subscribers.Signup{Mode: notifier.Email, Address: "xx@example.com", Language: "xx"})
		if validationField(err) != "language" {
			t.Errorf("Subscribe with language xx: %v, want a ValidationError on language", err)
		}
		sub := f.active(t, notifier.Email, "known@example.com")
		if _, err := f.svc.Update(ctx, sub.ID, subscribers.Change{Language: ptr("klingon")}); validationField(err) != "language" {
			t.Errorf("SetLanguage klingon: %v, want a ValidationError on language", err)
		}
	})

	t.Run("a staff change is applied whole or not at all", func(t *testing.T) {
		sub := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "whole@example.com", Language: "de", SkipConfirmation: true}).Subscriber
		ja := "ja"
		_, err := f.svc.Update(ctx, sub.ID, subscribers.Change{SetComponents: true, ComponentIDs: []string{"zzzzzzzzzzzz"}, Language: &ja})
		if validationField(err) != "component_ids" {
			t.Errorf("Update with an unknown component: %v, want a ValidationError on component_ids", err)
		}
		if got := f.get(t, sub.ID).Language; got != "de" {
			t.Errorf("language after a refused change = %q, want de (unchanged)", got)
		}
		got, err := f.svc.Update(ctx, sub.ID, subscribers.Change{Language: &ja})
		if err != nil || got.Language != "ja" || !got.AllComponents {
			t.Errorf("Update of the language alone = %+v, %v; want ja, every component kept", got, err)
		}
	})

	t.Run("a public sign-up changes an active subscriber's language only through its link", func(t *testing.T) {
		sub := f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "de@example.com", Language: "de", SkipConfirmation: true}).Subscriber
		f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "de@example.com", Language: "ja", IP: "192.0.2.2"})
		if got := f.get(t, sub.ID).Language; got != "de" {
			t.Errorf("language after a public sign-up of an active address = %q, want de (unchanged)", got)
		}
		if err := f.svc.Unsubscribe(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		f.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "de@example.com", Language: "ja", IP: "192.0.2.2"})
		if got := f.get(t, sub.ID).Language; got != "ja" {
			t.Errorf("language after signing up again = %q, want ja", got)
		}
		link := f.svc.Link(subscribers.PurposeManage, sub.ID)
		if _, err := f.svc.SetPreferences(ctx, link, nil, "AR"); err != nil {
			t.Fatal(err)
		}
		if got := f.get(t, sub.ID).Language; got != "ar" {
			t.Errorf("language after the manage screen = %q, want ar", got)
		}
		if _, err := f.svc.SetPreferences(ctx, link, nil, ""); err != nil {
			t.Fatal(err)
		}
		many, err := f.svc.GetMany(ctx, []string{sub.ID})
		if err != nil {
			t.Fatal(err)
		}
		if got := many[sub.ID].Language; got != "" {
			t.Errorf("GetMany language after choosing the page's = %q, want \"\"", got)
		}
	})

	t.Run("a follow stores it", func(t *testing.T) {
		res, err := f.svc.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: "inc1", Mode: notifier.Email,
			Address: "follow@example.com", Language: "fr", IP: "192.0.2.3"})
		if err != nil {
			t.Fatal(err)
		}
		if got := f.get(t, res.Follow.Subscriber.ID).Language; got != "fr" {
			t.Errorf("language of a follower = %q, want fr", got)
		}
	})
}

// Language survives an export and import, and files without the column
// (exported before it) import with the page's language.
func TestImportLanguage(t *testing.T) {
	ctx := context.Background()
	src := newFixture(t, roomy)
	src.subscribe(t, subscribers.Signup{Mode: notifier.Email, Address: "ar@example.com", Language: "ar", SkipConfirmation: true})
	src.subscribe(t, subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123", Language: "ja", SkipConfirmation: true})
	src.active(t, notifier.Email, "default@example.com")
	var buf bytes.Buffer
	if err := src.svc.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	languages := func(f *fixture) map[string]string {
		list, err := f.svc.List(ctx, subscribers.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, s := range list {
			out[s.Address] = s.Language
		}
		return out
	}
	for _, tc := range []struct {
		name, file string
		want       map[string]string
	}{
		{"an export", buf.String(), map[string]string{"ar@example.com": "ar", "+14155550123": "ja", "default@example.com": ""}},
		{"a file without the column", "mode,address\nemail,a@example.com\n", map[string]string{"a@example.com": ""}},
		{"a file with it", "mode,address,language\nemail,a@example.com,DE\nemail,b@example.com,\n",
			map[string]string{"a@example.com": "de", "b@example.com": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := newFixture(t, roomy)
			if _, err := dst.svc.Import(ctx, strings.NewReader(tc.file), false); err != nil {
				t.Fatal(err)
			}
			got := languages(dst)
			for addr, want := range tc.want {
				if got[addr] != want {
					t.Errorf("language of %s = %q, want %q", addr, got[addr], want)
				}
			}
		})
	}
	dst := newFixture(t, roomy)
	_, err := dst.svc.Import(ctx, strings.NewReader("mode,address,language\nemail,a@example.com,tlh\n"), false)
	var ie *subscribers.ImportError
	if !errors.As(err, &ie) || ie.Line != 2 || validationField(ie.Err) != "language" {
		t.Errorf("import of an unknown language: %v, want a ValidationError on language at line 2", err)
	}
}
