package subscribers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// count returns the number of rows of table.
func (f *fixture) count(tb testing.TB, table string) int {
	tb.Helper()
	var n int
	if err := f.db.Read.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// csvRecords counts the data records of a CSV file as encoding/csv reads
// it, after the header, and reports whether the whole file parses.
func csvRecords(data []byte) (int, bool) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	n := -1
	for {
		_, err := r.Read()
		if errors.Is(err, io.EOF) {
			return max(n, 0), n >= 0
		}
		if err != nil {
			return 0, false
		}
		n++
	}
}

// FuzzImport imports arbitrary CSV into a real database. Import never
// panics; a refused file changes nothing (the subscriber, component link
// and delivery tables keep their row counts); an accepted one accounts for
// every record it holds, as created or already there, and adds exactly the
// subscribers it says it created. "COMPONENT" in the input stands for the
// id of a real component.
func FuzzImport(f *testing.F) {
	for _, seed := range []string{
		"mode,address\nemail,a@example.com\nsms,+14155550123\nwebhook,https://example.com/hook\n",
		"\ufeffmode,address,phone_country,components,state\nemail,b@example.com,,COMPONENT,active\nsms,4155550124,US,,unsubscribed\n",
		"mode,address,state\nemail,c@example.com,quarantined\nemail,d@example.com,unconfirmed\n",
		"mode,address\nemail,e@example.com\nemail,E@example.com\n",
		"mode,address,components\nemail,f@example.com,nope\n",
		"mode,address\nemail,\"g@example.com\nsecond line\"\n",
		"address,mode\n a@example.com , EMAIL \n\n\n",
		"mode\nemail\n",
		"mode,address\nfax,+14155550123\n",
		"mode,address\n\"unterminated\n",
		"mode,address\nemail,a@[127.0.0.1]\nemail,x@-b.com\n",
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	fx := newFixture(f, roomy)
	comp := fx.component(f, "API")
	f.Fuzz(func(t *testing.T, data []byte, confirm bool) {
		data = bytes.ReplaceAll(data, []byte("COMPONENT"), []byte(comp.ID))
		tables := []string{"subscribers", "subscriber_components", "deliveries"}
		before := map[string]int{}
		for _, table := range tables {
			before[table] = fx.count(t, table)
		}
		res, err := fx.svc.Import(context.Background(), bytes.NewReader(data), confirm)
		if err != nil {
			for _, table := range tables {
				if got := fx.count(t, table); got != before[table] {
					t.Fatalf("refused import (%v) changed %s from %d to %d rows\ninput %q", err, table, before[table], got, data)
				}
			}
			return
		}
		records, ok := csvRecords(data)
		if !ok {
			t.Fatalf("import of a file encoding/csv cannot read succeeded: %+v\ninput %q", res, data)
		}
		if res.Created+res.Existing != records {
			t.Fatalf("import of %d records: created %d, existing %d\ninput %q", records, res.Created, res.Existing, data)
		}
		if got := fx.count(t, "subscribers") - before["subscribers"]; got != res.Created {
			t.Fatalf("import says it created %d subscribers, the table grew by %d\ninput %q", res.Created, got, data)
		}
	})
}

// e164 is the form an accepted phone number is stored in.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

// atsOutsideQuotes counts the @ signs of an address that are not inside a
// quoted local part.
func atsOutsideQuotes(s string) int {
	n, quoted, escaped := 0, false, false
	for _, r := range s {
		switch {
		case escaped:
			escaped = false
		case quoted && r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case !quoted && r == '@':
			n++
		}
	}
	return n
}

// FuzzSubscribeAddress signs arbitrary addresses up by email and SMS on a
// real database. Subscribe never panics and refuses with a
// *ValidationError only; what it accepts is stored normalised: an email
// address with exactly one @ outside quotes, no control character and no
// domain literal ("[" ... "]"), a phone number in E.164.
func FuzzSubscribeAddress(f *testing.F) {
	for _, seed := range []struct {
		sms     bool
		address string
		country string
	}{
		{false, "reader@example.com", ""},
		{false, " Reader@Example.COM ", ""},
		{false, `"quoted@local"@example.com`, ""},
		{false, "a@b", ""},
		{false, "Name <a@example.com>", ""},
		{false, "a@b.c@d.e", ""},
		{false, "ü@exämple.com", ""},
		{false, "a@xn--exmple-cua.com", ""},
		{true, "+14155550123", ""},
		{true, "4155550123", "us"},
		{true, "020 7946 0958", "GB"},
		{true, "+4915112345678", ""},
		{true, "+1 (415) 555-0123 ext. 9", ""},
		{true, "+", ""},
	} {
		f.Add(seed.sms, seed.address, seed.country)
	}
	fx := newFixture(f, roomy)
	f.Fuzz(func(t *testing.T, sms bool, address, country string) {
		mode := notifier.Email
		if sms {
			mode = notifier.SMS
		}
		res, err := fx.svc.Subscribe(context.Background(), subscribers.Signup{Mode: mode, Address: address, PhoneCountry: country, SkipConfirmation: true})
		if err != nil {
			var ve *subscribers.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Subscribe(%s %q): %v, want a *ValidationError", mode, address, err)
			}
			return
		}
		got := res.Subscriber.Address
		if sms {
			if !e164.MatchString(got) {
				t.Fatalf("Subscribe(sms %q, %q) stored %q, want E.164", address, country, got)
			}
			return
		}
		if n := atsOutsideQuotes(got); n != 1 {
			t.Fatalf("Subscribe(email %q) stored %q with %d @ outside quotes, want 1", address, got, n)
		}
		if i := strings.IndexFunc(got, unicode.IsControl); i >= 0 {
			t.Fatalf("Subscribe(email %q) stored %q with a control character at %d", address, got, i)
		}
		if strings.Contains(got, "[") {
			t.Fatalf("Subscribe(email %q) stored %q, a domain literal", address, got)
		}
	})
}
