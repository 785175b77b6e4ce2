package subscribers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// copyComponents gives dst's page the components of src's, with the same
// ids, as a page restored elsewhere has.
func copyComponents(t *testing.T, src, dst *fixture) {
	t.Helper()
	list, err := src.comps.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if _, err := dst.db.Write.Exec(`INSERT INTO components (id, name, position, is_group, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Name, c.Position, c.Group, c.Status,
			store.FormatTime(c.CreatedAt), store.FormatTime(c.UpdatedAt)); err != nil {
			t.Fatal(err)
		}
	}
}

// key is what survives an export and import of one subscriber.
type key struct {
	Mode       notifier.Channel
	Address    string
	Country    string
	State      subscribers.State
	All        bool
	Components string
}

func keys(t *testing.T, f *fixture) []key {
	t.Helper()
	list, err := f.svc.List(context.Background(), subscribers.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []key
	for _, s := range list {
		out = append(out, key{s.Mode, s.Address, s.PhoneCountry, s.State, s.AllComponents, strings.Join(s.ComponentIDs, " ")})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

func TestExportImportRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := newFixture(t, roomy)
	api := src.component(t, "API")
	web := src.component(t, "Web")
	src.active(t, notifier.Email, "all@example.com")
	src.active(t, notifier.Email, "api@example.com", api.ID)
	src.active(t, notifier.Email, "both@example.com", web.ID, api.ID)
	src.active(t, notifier.SMS, "+14155550123", web.ID)
	src.active(t, notifier.SMS, "+447400123456")
	src.active(t, notifier.Webhook, "https://example.com/hook?a=1,2&b=\"x\"", api.ID)
	// Addresses a spreadsheet would run as formulas, and one whose leading
	// apostrophe must survive the guard's removal on import.
	src.active(t, notifier.Email, "=1+1@example.com")
	src.active(t, notifier.Email, "-dash@example.com")
	src.active(t, notifier.Email, "'quote@example.com")

	var buf bytes.Buffer
	if err := src.svc.Export(ctx, &buf); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(buf.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("export is not valid CSV: %v", err)
	}
	if want := []string{"id", "mode", "address", "phone_country", "state", "components", "created_at", "contact_email", "language"}; !reflect.DeepEqual(recs[0], want) {
		t.Errorf("header = %v, want %v", recs[0], want)
	}
	if len(recs) != 10 {
		t.Errorf("export has %d records, want a header and 9 subscribers", len(recs))
	}
	for _, rec := range recs[1:] {
		if a := rec[2]; strings.ContainsAny(a[:1], "=+-@") {
			t.Errorf("exported address %q would run as a formula in a spreadsheet", a)
		}
	}

	dst := newFixture(t, roomy)
	copyComponents(t, src, dst)
	res, err := dst.svc.Import(ctx, bytes.NewReader(buf.Bytes()), false)
	if err != nil {
		t.Fatalf("Import of an export: %v", err)
	}
	if want := (subscribers.ImportResult{Created: 9, Existing: 0, Confirmed: true}); res != want {
		t.Errorf("ImportResult = %+v, want %+v", res, want)
	}
	if got, want := keys(t, dst), keys(t, src); !reflect.DeepEqual(got, want) {
		t.Errorf("imported subscribers:\n%+v\nwant\n%+v", got, want)
	}
	if got := dst.totalDeliveries(t); got != 0 {
		t.Errorf("deliveries after an import without confirmation = %d, want 0", got)
	}

	// Importing the same file again changes nothing.
	res, err = dst.svc.Import(ctx, bytes.NewReader(buf.Bytes()), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := (subscribers.ImportResult{Created: 0, Existing: 9, Confirmed: true}); res != want {
		t.Errorf("second import: ImportResult = %+v, want %+v", res, want)
	}
}

func TestImportRejectsWholeFile(t *testing.T) {
	tests := []struct {
		name     string
		csv      string
		wantLine int
		// wantField, when set, is the field of the ValidationError the
		// ImportError wraps.
		wantField string
	}{
		{"bad email", "mode,address\nemail,a@example.com\nemail,not-an-address\nemail,c@example.com\n", 3, "email"},
		{"bad phone", "mode,address,phone_country\nemail,a@example.com\nsms,12345,US\n", 3, "phone_number"},
		{"country not allowed", "mode,address\nsms,+49 1512 3456789\n", 2, "phone_number"},
		{"bad webhook", "mode,address\nwebhook,ftp://example.com\n", 2, "endpoint"},
		{"bad mode", "mode,address\nemail,a@example.com\npigeon,b@example.com\n", 3, "mode"},
		{"unknown component", "mode,address,components\nemail,a@example.com,\nemail,b@example.com,nosuchthing0\n", 3, "component_ids"},
		{"duplicate", "mode,address\nemail,a@example.com\nemail,b@example.com\nemail, A@Example.com\n", 4, ""},
		{"duplicate phone spellings", "mode,address,phone_country\nsms,+14155550123,\nsms,(415) 555-0123,US\n", 3, ""},
		{"no address column", "mode,email\nemail,a@example.com\n", 1, ""},
		{"no mode column", "address\na@example.com\n", 1, ""},
		{"empty file", "", 1, ""},
		{"bare quote", "mode,address\nemail,a@example.com\nemail,b\"@example.com\n", 3, ""},
		{"blank line before the bad one", "mode,address\nemail,a@example.com\n\nemail,bad\n", 4, "email"},
		{"duplicate after blank lines", "mode,address\n\nemail,a@example.com\n\nemail,a@example.com\n", 5, ""},
		{"bare quote after a blank line", "mode,address\n\nemail,b\"@example.com\n", 3, ""},
		{"quoted field over two lines before the bad one", "mode,address,components\nemail,a@example.com,\"\n\"\nemail,bad,\n", 4, "email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, roomy)
			_, err := f.svc.Import(ctx, strings.NewReader(tt.csv), true)
			var ie *subscribers.ImportError
			if !errors.As(err, &ie) {
				t.Fatalf("Import error = %v, want *ImportError", err)
			}
			if ie.Line != tt.wantLine {
				t.Errorf("ImportError line = %d, want %d (%v)", ie.Line, tt.wantLine, err)
			}
			if strings.HasPrefix(tt.name, "duplicate after") && !strings.Contains(err.Error(), "repeats line 3") {
				t.Errorf("error %q does not name the first line, 3", err)
			}
			if !strings.Contains(err.Error(), "line ") {
				t.Errorf("error %q does not name the line", err)
			}
			if tt.wantField != "" {
				if got := validationField(err); got != tt.wantField {
					t.Errorf("wrapped ValidationError field = %q, want %q (%v)", got, tt.wantField, err)
				}
			}
			if n, _ := f.svc.Count(ctx, subscribers.Filter{}); n != 0 {
				t.Errorf("subscribers after a rejected import = %d, want 0", n)
			}
			if n := f.totalDeliveries(t); n != 0 {
				t.Errorf("deliveries after a rejected import = %d, want 0", n)
			}
		})
	}
}

func TestImportCountsExisting(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	old := f.active(t, notifier.Email, "old@example.com", api.ID)
	left := f.active(t, notifier.Email, "left@example.com")
	mustDo(t, f.svc.Unsubscribe(ctx, left.ID))

	res, err := f.svc.Import(ctx, strings.NewReader("mode,address\nemail,OLD@example.com\nemail,left@example.com\nemail,new@example.com\n"), false)
	if err != nil {
		t.Fatal(err)
	}
	if want := (subscribers.ImportResult{Created: 1, Existing: 2, Confirmed: true}); res != want {
		t.Errorf("ImportResult = %+v, want %+v", res, want)
	}
	if got := f.get(t, old.ID); got.State != subscribers.Active || !reflect.DeepEqual(got.ComponentIDs, []string{api.ID}) {
		t.Errorf("existing subscriber: state, ComponentIDs = %s, %v; want active, [%s] unchanged", got.State, got.ComponentIDs, api.ID)
	}
	if got := f.state(t, left.ID); got != subscribers.Unsubscribed {
		t.Errorf("unsubscribed address after an import = %s, want unsubscribed: an import never resubscribes", got)
	}
	list, err := f.svc.List(ctx, subscribers.Filter{Query: "new@"})
	if err != nil || len(list) != 1 {
		t.Fatalf("List new@ = %v, %v; want one", list, err)
	}
	if got := list[0]; got.State != subscribers.Active || got.ConfirmedAt == nil || !got.AllComponents {
		t.Errorf("imported subscriber: state, ConfirmedAt, AllComponents = %s, %v, %v; want active, set, true", got.State, got.ConfirmedAt, got.AllComponents)
	}
}

func TestImportWithConfirmation(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	file := "mode,address,phone_country,components\n" +
		"email,Jane@Example.com,," + api.ID + "\n" +
		"sms,(415) 555-0123,US," + api.ID + "\n" +
		"webhook,https://example.com/h,,\n"
	res, err := f.svc.Import(ctx, strings.NewReader(file), true)
	if err != nil {
		t.Fatal(err)
	}
	if want := (subscribers.ImportResult{Created: 3, Confirmed: false}); res != want {
		t.Errorf("ImportResult = %+v, want %+v", res, want)
	}
	list, err := f.svc.List(ctx, subscribers.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 {
		t.Fatalf("List = %d subscribers, want 3", len(list))
	}
	for _, sub := range list {
		if sub.State != subscribers.Unconfirmed {
			t.Errorf("%s: state = %s, want unconfirmed", sub.Address, sub.State)
		}
		ds := f.deliveries(t, sub.ID)
		if len(ds) != 1 || ds[0].Purpose != notifier.PurposeConfirm || ds[0].Channel != sub.Mode {
			t.Errorf("%s: deliveries = %+v, want one %s confirmation", sub.Address, ds, sub.Mode)
		}
		if sub.Mode == notifier.SMS {
			if sub.Address != "+14155550123" || sub.PhoneCountry != "US" {
				t.Errorf("SMS address, country = %s, %s; want +14155550123, US", sub.Address, sub.PhoneCountry)
			}
			if len(ds) == 1 && len(ds[0].Data) != 6 {
				t.Errorf("SMS confirmation data = %q, want a code", ds[0].Data)
			}
		}
		if sub.Mode == notifier.Email && (sub.Address != "jane@example.com" || !reflect.DeepEqual(sub.ComponentIDs, []string{api.ID})) {
			t.Errorf("email address, components = %s, %v; want jane@example.com, [%s]", sub.Address, sub.ComponentIDs, api.ID)
		}
	}
}

func TestImportHeaders(t *testing.T) {
	tests := []struct {
		name string
		csv  string
	}{
		{"plain", "mode,address\nemail,a@example.com\n"},
		{"BOM", "\ufeffmode,address\nemail,a@example.com\n"},
		{"BOM before a quoted header", "\ufeff\"mode\",\"address\"\nemail,a@example.com\n"},
		{"columns reversed", "address,mode\na@example.com,email\n"},
		{"upper case and spaces", " Address , MODE \na@example.com,Email\n"},
		{"extra columns", "id,created_at,mode,notes,address\nxyz,2020-01-01,email,hello,a@example.com\n"},
		{"CRLF", "mode,address\r\nemail,a@example.com\r\n"},
		{"short row", "address,mode,components\na@example.com,email\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			f := newFixture(t, roomy)
			res, err := f.svc.Import(ctx, strings.NewReader(tt.csv), false)
			if err != nil {
				t.Fatalf("Import: %v", err)
			}
			if res.Created != 1 {
				t.Errorf("Created = %d, want 1", res.Created)
			}
			list, err := f.svc.List(ctx, subscribers.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Mode != notifier.Email || list[0].Address != "a@example.com" {
				t.Errorf("subscribers = %+v, want email a@example.com", list)
			}
		})
	}
}
