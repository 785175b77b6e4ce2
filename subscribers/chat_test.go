package subscribers_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// chatURLs are an incoming webhook's address on each chat platform.
var chatURLs = map[notifier.Channel]string{
	notifier.Slack:      "https://hooks.slack.com/services/T000/B000/XXXX",
	notifier.Teams:      "https://prod-00.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=s",
	notifier.Discord:    "https://discord.com/api/webhooks/123/token",
	notifier.Mattermost: "https://mattermost.example.com/hooks/xyz",
	notifier.GoogleChat: "https://chat.googleapis.com/v1/spaces/AAA/messages?key=k&token=t",
}

// TestSubscribeChat signs up a channel of each chat platform on the public
// form: it waits, unconfirmed and with its components, for the test
// message queued on its own channel, and gets no signing key.
func TestSubscribeChat(t *testing.T) {
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	for _, mode := range notifier.Chats {
		t.Run(string(mode), func(t *testing.T) {
			res := f.subscribe(t, subscribers.Signup{Mode: mode, Address: " " + chatURLs[mode] + " ", ComponentIDs: []string{api.ID}, IP: "192.0.2.7"})
			sub := res.Subscriber
			if sub.Mode != mode || sub.Address != chatURLs[mode] || sub.State != subscribers.Unconfirmed || res.Secret != "" {
				t.Errorf("subscriber %s %q %s, secret %q; want %s, the URL trimmed, unconfirmed, no secret", sub.Mode, sub.Address, sub.State, res.Secret, mode)
			}
			if sub.AllComponents || !slices.Equal(sub.ComponentIDs, []string{api.ID}) {
				t.Errorf("components %v (all %v), want API alone", sub.ComponentIDs, sub.AllComponents)
			}
			ds := f.deliveries(t, sub.ID)
			if len(ds) != 1 || ds[0].Channel != mode || ds[0].Purpose != notifier.PurposeConfirm {
				t.Errorf("deliveries %+v, want one test message on %s", ds, mode)
			}
			deliver(t, f, sub.ID, mode, notifier.PurposeConfirm)
			if got := f.state(t, sub.ID); got != subscribers.Active {
				t.Errorf("after the test message: %s, want active", got)
			}
		})
	}
	// The same URL on another platform is another subscriber; the same
	// on the same platform is the same one.
	again := f.subscribe(t, subscribers.Signup{Mode: notifier.Slack, Address: chatURLs[notifier.Slack]}).Subscriber
	other := f.subscribe(t, subscribers.Signup{Mode: notifier.Mattermost, Address: chatURLs[notifier.Slack]}).Subscriber
	if again.Mode != notifier.Slack || again.State != subscribers.Active || other.ID == again.ID {
		t.Errorf("again %+v, other %+v", again, other)
	}

	counts, err := f.svc.CountByMode(context.Background(), subscribers.Filter{State: subscribers.Active})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range notifier.Chats {
		if counts[mode] != 1 || !subscribers.ValidType(string(mode)) {
			t.Errorf("%s: %d active, ValidType %v; want 1, true", mode, counts[mode], subscribers.ValidType(string(mode)))
		}
	}
	hist, err := f.svc.Histogram(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if hist[notifier.Mattermost][subscribers.Active] != 1 || hist[notifier.Mattermost][subscribers.Unconfirmed] != 1 {
		t.Errorf("histogram of mattermost %v, want 1 active and 1 unconfirmed", hist[notifier.Mattermost])
	}
}

// TestImportChat imports chat subscribers from CSV, as exported.
func TestImportChat(t *testing.T) {
	f := newFixture(t, roomy)
	csv := "mode,address\nslack," + chatURLs[notifier.Slack] + "\ngoogle_chat,\"" + chatURLs[notifier.GoogleChat] + "\"\n"
	res, err := f.svc.Import(context.Background(), strings.NewReader(csv), false)
	if err != nil || res.Created != 2 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	list, err := f.svc.List(context.Background(), subscribers.Filter{Mode: notifier.GoogleChat, State: subscribers.Active})
	if err != nil || len(list) != 1 || list[0].Address != chatURLs[notifier.GoogleChat] {
		t.Errorf("google chat subscribers %+v, %v", list, err)
	}
	if _, err := f.svc.Import(context.Background(), strings.NewReader("mode,address\ndiscord,not a url\n"), false); validationField(err) != "endpoint" {
		t.Errorf("a bad discord URL: %v, want a refusal on endpoint", err)
	}
}

// Migration 0006 rebuilds the subscribers table to allow the chat modes
// (on PostgreSQL, changes its CHECK): every row and what refers to it
// survive, and the new modes are accepted while unknown ones are still
// refused.
func TestMigrationAllowsChatModes(t *testing.T) {
	ctx := context.Background()
	db, err := testutil.Open(ctx, testutil.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	all := subscribers.Migrations()
	before := fstest.MapFS{}
	for _, name := range []string{"0001_create_subscribers.sql", "0002_cluster_subscribers_by_id.sql", "0003_add_subscriber_contact_email.sql",
		"0004_create_incident_subscriptions.sql", "0005_add_page_pending.sql", "postgres/0002_cluster_subscribers_by_id.sql"} {
		b, err := fs.ReadFile(all.FS, name)
		if err != nil {
			t.Fatal(err)
		}
		before[name] = &fstest.MapFile{Data: b}
	}
	if err := db.Migrate(ctx, components.Migrations(), store.Migrations{Package: "subscribers", FS: before}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO components (id, name, status, position, created_at, updated_at) VALUES ('c1', 'API', 'operational', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`,
		`INSERT INTO subscribers (id, mode, address, state, all_components, secret, created_at, updated_at, contact_email, page_wide, page_pending)
			VALUES ('w1', 'webhook', 'https://hooks.example.com/x', 'active', 0, 's', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'ops@example.com', 1, 0)`,
		`INSERT INTO subscribers (id, mode, address, state, secret, created_at, updated_at, page_wide, page_pending)
			VALUES ('e1', 'email', 'a@example.com', 'active', 's', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 0, 1)`,
		`INSERT INTO subscriber_components (subscriber_id, component_id) VALUES ('w1', 'c1')`,
		`INSERT INTO incident_subscriptions (incident_id, subscriber_id, created_at) VALUES ('i1', 'e1', '2026-01-01T00:00:00Z')`,
		`INSERT INTO webhook_failures (subscriber_id, created_at) VALUES ('w1', '2026-01-01T01:00:00Z')`,
	} {
		if _, err := db.Write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	const everything = `SELECT s.*, (SELECT COUNT(*) FROM subscriber_components WHERE subscriber_id = s.id),
		(SELECT COUNT(*) FROM incident_subscriptions WHERE subscriber_id = s.id), (SELECT COUNT(*) FROM webhook_failures WHERE subscriber_id = s.id)
		FROM subscribers s ORDER BY s.id`
	want := dump(t, db, everything)
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO subscribers (id, mode, address, state, secret, created_at, updated_at)
		VALUES ('s1', 'slack', 'https://hooks.slack.com/x', 'active', 's', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`); err == nil {
		t.Fatal("a slack subscriber was accepted before the migration: the test proves nothing")
	}

	if err := db.Migrate(ctx, components.Migrations(), migrationsUpTo(t, "0006")); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db, everything); got != want {
		t.Errorf("after the migration got\n%s\nwant\n%s", got, want)
	}
	for i, mode := range notifier.Chats {
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO subscribers (id, mode, address, state, secret, created_at, updated_at)
			VALUES (?, ?, 'https://chat.example.com/x', 'active', 's', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, "chat"+string(rune('a'+i)), mode); err != nil {
			t.Errorf("%s after the migration: %v", mode, err)
		}
	}
	if _, err := db.Write.ExecContext(ctx, `INSERT INTO subscribers (id, mode, address, state, secret, created_at, updated_at)
		VALUES ('f1', 'fax', '+1', 'active', 's', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`); err == nil {
		t.Error("an unknown mode was accepted after the migration")
	}
	indexes := `SELECT name FROM sqlite_schema WHERE tbl_name = 'subscribers' AND type = 'index' AND sql IS NOT NULL ORDER BY name`
	if db.Engine() == store.Postgres {
		indexes = `SELECT indexname FROM pg_indexes WHERE tablename = 'subscribers' AND indexname <> 'subscribers_pkey' ORDER BY indexname`
	}
	if got := dump(t, db, indexes); got != "subscribers_address\nsubscribers_state\n" {
		t.Errorf("indexes %q, want subscribers_address and subscribers_state", got)
	}
	if _, err := db.Write.ExecContext(ctx, `DELETE FROM subscribers WHERE id IN ('w1', 'e1')`); err != nil {
		t.Fatal(err)
	}
	if got := dump(t, db, `SELECT (SELECT COUNT(*) FROM subscriber_components) + (SELECT COUNT(*) FROM incident_subscriptions) + (SELECT COUNT(*) FROM webhook_failures)`); got != "0\n" {
		t.Errorf("%s rows still refer to removed subscribers: foreign keys are off", strings.TrimSpace(got))
	}
}
