package incidents_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

func TestPostmortemGetAndDelete(t *testing.T) {
	e := newEnv(t)
	in := e.create(incidents.NewIncident{Name: "Outage", Status: incidents.Resolved})

	if _, err := e.svc.Postmortem(e.ctx, in.ID); !errors.Is(err, incidents.ErrNotFound) {
		t.Fatalf("postmortem before any draft: got %v, want ErrNotFound", err)
	}
	for name, do := range map[string]func() error{
		"publish": func() error {
			_, err := e.svc.PublishPostmortem(e.ctx, in.ID, incidents.Publication{})
			return err
		},
		"revert": func() error { _, err := e.svc.RevertPostmortem(e.ctx, in.ID); return err },
		"delete": func() error { _, err := e.svc.DeletePostmortem(e.ctx, in.ID); return err },
	} {
		if err := do(); !errors.Is(err, incidents.ErrNotFound) {
			t.Errorf("%s without a postmortem: got %v, want ErrNotFound", name, err)
		}
	}

	e.clock.Advance(time.Minute)
	drafted, err := e.svc.SetPostmortem(e.ctx, in.ID, "Draft")
	if err != nil {
		t.Fatal(err)
	}
	key := drafted.Postmortem.PreviewKey
	if len(key) < 20 {
		t.Errorf("preview key %q: want a long random key", key)
	}
	e.clock.Advance(time.Minute)
	redrafted, err := e.svc.SetPostmortem(e.ctx, in.ID, "Draft 2")
	if err != nil {
		t.Fatal(err)
	}
	pm := redrafted.Postmortem
	if pm.PreviewKey != key || !pm.CreatedAt.Equal(t0.Add(time.Minute)) || !pm.DraftUpdatedAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("after a second draft: key %q created %s draft updated %s, want key %q kept, %s, %s",
			pm.PreviewKey, fmtTime(pm.CreatedAt), fmtTime(pm.DraftUpdatedAt), key, t0.Add(time.Minute), t0.Add(2*time.Minute))
	}
	if _, err := e.svc.PublishPostmortem(e.ctx, in.ID, incidents.Publication{NotifyTwitter: true, CustomTweet: "Read it"}); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Postmortem(e.ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Body != "Draft 2" || got.PublishedAt == nil || !got.NotifyTwitter || got.CustomTweet != "Read it" {
		t.Errorf("published: %+v, want body \"Draft 2\", published, notify_twitter and the tweet", got)
	}

	deleted, err := e.svc.DeletePostmortem(e.ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if deleted.Body != "Draft 2" || deleted.PreviewKey != key {
		t.Errorf("deleted: %+v, want the postmortem as it was", deleted)
	}
	after := e.get(in.ID)
	if after.Status != incidents.Resolved || after.Postmortem.Exists() || after.Postmortem.Body != "" || after.Postmortem.Draft != "" {
		t.Errorf("after delete: status %q postmortem %+v, want resolved and no postmortem", after.Status, after.Postmortem)
	}
	if _, err := e.svc.Postmortem(e.ctx, in.ID); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("postmortem after delete: got %v, want ErrNotFound", err)
	}
	if _, err := e.svc.PublishPostmortem(e.ctx, in.ID, incidents.Publication{CustomTweet: strings.Repeat("x", 281)}); validationField(err) != "custom_tweet" {
		t.Errorf("a 281-character tweet: got %v, want a custom_tweet ValidationError", err)
	}
}

func TestIncidentMetadata(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name      string
		create    string // metadata on create; "" sends none
		patch     string // metadata on PATCH; "" sends none
		want      string // stored, compact; "" for none
		wantField string
	}{
		{name: "none", want: ""},
		{name: "nested object", create: `{"jira": {"issue_id": "OPS-1", "labels": ["a", {"b": [1, 2.5, null]}]}}`,
			want: `{"jira":{"issue_id":"OPS-1","labels":["a",{"b":[1,2.5,null]}]}}`},
		{name: "patch replaces", create: `{"a":1}`, patch: `{"b":2}`, want: `{"b":2}`},
		{name: "patch without metadata keeps it", create: `{"a":1}`, want: `{"a":1}`},
		{name: "null clears", create: `{"a":1}`, patch: `null`, want: ""},
		{name: "empty object clears", create: `{"a":1}`, patch: `{}`, want: ""},
		{name: "array refused", create: `[1]`, wantField: "metadata"},
		{name: "string refused", create: `"jira"`, wantField: "metadata"},
		{name: "number refused on patch", create: `{"a":1}`, patch: `7`, wantField: "metadata"},
		{name: "too large", create: `{"a":"` + strings.Repeat("x", 16<<10) + `"}`, wantField: "metadata"},
		{name: "32 levels", create: `{"a":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`,
			want: `{"a":` + strings.Repeat("[", 31) + strings.Repeat("]", 31) + `}`},
		{name: "33 levels refused", create: `{"a":` + strings.Repeat("[", 32) + strings.Repeat("]", 32) + `}`, wantField: "metadata"},
		{name: "brackets in strings are text", create: `{"a":"` + strings.Repeat("[{", 40) + `\"]"}`,
			want: `{"a":"` + strings.Repeat("[{", 40) + `\"]"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := incidents.NewIncident{Name: "Meta " + tc.name}
			if tc.create != "" {
				n.Metadata = []byte(tc.create)
			}
			in, err := e.svc.Create(e.ctx, n)
			if tc.patch == "" && tc.wantField != "" {
				if f := validationField(err); f != tc.wantField {
					t.Fatalf("create: got %v, want a ValidationError on %s", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := incidents.Change{Name: ptr(n.Name)}
			if tc.patch != "" {
				c.Metadata = []byte(tc.patch)
			}
			in, err = e.svc.Update(e.ctx, in.ID, c)
			if tc.wantField != "" {
				if f := validationField(err); f != tc.wantField {
					t.Fatalf("patch: got %v, want a ValidationError on %s", err, tc.wantField)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(e.get(in.ID).Metadata); got != tc.want {
				t.Errorf("metadata: got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestPostmortemMigration opens a database at the schema before drafts were
// kept apart, with one published and one drafted postmortem, and checks
// that migrating keeps what visitors saw and what staff were editing.
func TestPostmortemMigration(t *testing.T) {
	e := newEnv(t)
	db, err := testutil.Open(e.ctx, testutil.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := fstest.MapFS{}
	for _, name := range []string{"0001_create_incidents.sql", "0002_add_page_indexes.sql", "0003_create_incident_templates.sql"} {
		b, err := os.ReadFile(filepath.Join("migrations", name))
		if err != nil {
			t.Fatal(err)
		}
		old[name] = &fstest.MapFile{Data: b}
	}
	if err := db.Migrate(e.ctx, notifier.Migrations(), components.Migrations(), store.Migrations{Package: "incidents", FS: old}); err != nil {
		t.Fatal(err)
	}
	_, err = db.Write.ExecContext(e.ctx, `INSERT INTO incidents (id, kind, name, status, impact, started_at, resolved_at,
		postmortem_body, postmortem_published_at, postmortem_notified, created_at, updated_at) VALUES
		('published000', 'incident', 'A', 'postmortem', 'none', '2026-01-01T00:00:00.000000Z', '2026-01-01T01:00:00.000000Z', 'Seen', '2026-01-02T00:00:00.000000Z', 1, '2026-01-01T00:00:00.000000Z', '2026-01-03T00:00:00.000000Z'),
		('drafted00000', 'incident', 'B', 'resolved', 'none', '2026-01-01T00:00:00.000000Z', '2026-01-01T01:00:00.000000Z', 'Editing', NULL, 0, '2026-01-01T00:00:00.000000Z', '2026-01-04T00:00:00.000000Z'),
		('nothing00000', 'incident', 'C', 'resolved', 'none', '2026-01-01T00:00:00.000000Z', '2026-01-01T01:00:00.000000Z', '', NULL, 0, '2026-01-01T00:00:00.000000Z', '2026-01-04T00:00:00.000000Z')`)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(e.ctx, notifier.Migrations(), components.Migrations(), incidents.Migrations()); err != nil {
		t.Fatal(err)
	}
	svc := incidents.NewService(db, components.NewService(db, notifier.NewOutbox(db), e.clock.Now, nil), notifier.NewOutbox(db), e.clock.Now, nil)

	tests := []struct {
		id                  string
		wantBody, wantDraft string
		wantPublished       bool
	}{
		{"published000", "Seen", "Seen", true},
		{"drafted00000", "", "Editing", false},
	}
	for _, tc := range tests {
		pm, err := svc.Postmortem(e.ctx, tc.id)
		if err != nil {
			t.Fatalf("%s: %v", tc.id, err)
		}
		if pm.Body != tc.wantBody || pm.Draft != tc.wantDraft || (pm.PublishedAt != nil) != tc.wantPublished || pm.PreviewKey == "" {
			t.Errorf("%s: body %q draft %q published %v key %q, want %q, %q, %v and a key",
				tc.id, pm.Body, pm.Draft, pm.PublishedAt != nil, pm.PreviewKey, tc.wantBody, tc.wantDraft, tc.wantPublished)
		}
	}
	if _, err := svc.Postmortem(e.ctx, "nothing00000"); !errors.Is(err, incidents.ErrNotFound) {
		t.Errorf("incident without postmortem: got %v, want ErrNotFound", err)
	}
}
