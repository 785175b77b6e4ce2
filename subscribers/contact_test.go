package subscribers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// TestWebhookContactEmail checks that a webhook keeps its owner's email as
// a contact, validated as any email, and that other channels refuse one.
func TestWebhookContactEmail(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	sub := f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: "https://example.com/hook", ContactEmail: " Ops@Example.COM ", SkipConfirmation: true}).Subscriber
	if sub.Mode != notifier.Webhook || sub.ContactEmail != "ops@example.com" {
		t.Errorf("created %s with contact %q, want a webhook with ops@example.com", sub.Mode, sub.ContactEmail)
	}
	if got := f.get(t, sub.ID).ContactEmail; got != "ops@example.com" {
		t.Errorf("stored contact %q", got)
	}
	// Staff signing the same URL up again with a new contact change it.
	f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: "https://example.com/hook", ContactEmail: "new@example.com"})
	if got := f.get(t, sub.ID).ContactEmail; got != "new@example.com" {
		t.Errorf("contact after staff re-sign-up %q, want new@example.com", got)
	}
	// The public form cannot change the contact of an active webhook.
	f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: "https://example.com/hook", ContactEmail: "evil@example.com", IP: "192.0.2.1"})
	if got := f.get(t, sub.ID).ContactEmail; got != "new@example.com" {
		t.Errorf("contact after a public sign-up of an active webhook %q, want new@example.com", got)
	}

	for _, tc := range []struct {
		name  string
		su    subscribers.Signup
		field string
	}{
		{"invalid contact", subscribers.Signup{Mode: notifier.Webhook, Address: "https://example.com/other", ContactEmail: "a@[127.0.0.1]"}, "email"},
		{"contact on an email subscriber", subscribers.Signup{Mode: notifier.Email, Address: "a@example.com", ContactEmail: "b@example.com"}, "contact_email"},
		{"contact on an SMS subscriber", subscribers.Signup{Mode: notifier.SMS, Address: "+14155550123", ContactEmail: "b@example.com"}, "contact_email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Subscribe(ctx, tc.su)
			if got := validationField(err); got != tc.field {
				t.Errorf("Subscribe: %v (field %q), want a ValidationError on %q", err, got, tc.field)
			}
		})
	}
	if n, _ := f.svc.Count(ctx, subscribers.Filter{}); n != 1 {
		t.Errorf("%d subscribers after refusals, want 1", n)
	}
}

// TestCSVContactEmail checks the contact column both ways, and that a file
// without it (as exported before it existed) still imports.
func TestCSVContactEmail(t *testing.T) {
	ctx := context.Background()
	src := newFixture(t, roomy)
	src.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: "https://example.com/hook", ContactEmail: "ops@example.com", SkipConfirmation: true})
	src.active(t, notifier.Email, "reader@example.com")
	var buf bytes.Buffer
	if err := src.svc.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// contact_email came after the older columns (and language after it),
	// so files exported before it still import.
	last := len(recs[0]) - 2
	if recs[0][last] != "contact_email" {
		t.Fatalf("the header's last but one column is %q, want contact_email", recs[0][last])
	}
	contacts := map[string]string{}
	for _, r := range recs[1:] {
		contacts[r[2]] = r[last]
	}
	if contacts["https://example.com/hook"] != "ops@example.com" || contacts["reader@example.com"] != "" {
		t.Errorf("exported contacts %v", contacts)
	}

	dst := newFixture(t, roomy)
	if _, err := dst.svc.Import(ctx, bytes.NewReader(buf.Bytes()), false); err != nil {
		t.Fatalf("import of the export: %v", err)
	}
	list, err := dst.svc.List(ctx, subscribers.Filter{Mode: notifier.Webhook})
	if err != nil || len(list) != 1 || list[0].ContactEmail != "ops@example.com" {
		t.Errorf("imported webhook: %+v, %v; want contact ops@example.com", list, err)
	}

	// The export's format before the contact column.
	old := "id,mode,address,phone_country,state,components,created_at\nx1,webhook,https://example.com/old,,active,,2025-01-01T00:00:00Z\n"
	if res, err := dst.svc.Import(ctx, strings.NewReader(old), false); err != nil || res.Created != 1 {
		t.Errorf("import of an old file: %+v, %v", res, err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"invalid contact", "mode,address,contact_email\nwebhook,https://example.com/a,a@-b.com\n", "line 2: email has an invalid domain name after the @"},
		{"contact on an email row", "mode,address,contact_email\nemail,c@example.com,d@example.com\n", "line 2: contact_email is only for webhook subscribers"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := dst.svc.Import(ctx, strings.NewReader(tc.body), false)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Import: %v, want %q", err, tc.want)
			}
		})
	}
}
