package templates

import (
	"bytes"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/beacon-status/beacon/internal/i18n"
)

// langFiles are templates that use every translating function.
var langFiles = fstest.MapFS{
	"pages/layout.html": {Data: []byte(`{{define "_start"}}<html lang="{{lang.Code}}" dir="{{lang.Dir}}">{{end}}`)},
	"pages/x.html": {Data: []byte(`{{template "_start"}}<p>{{t "status.update"}}|{{tn "duration.minutes" .N}}|` +
		`{{tf "duration.join" "Hours" "A" "Minutes" "B"}}|{{enum "component" .Status}}|{{date "day" .At}}|{{pct .Uptime 2}}|` +
		`{{num 1234.5 1}}|{{list .Names}}|{{dur .D}}|{{markdown "**b**"}}</p>`)},
	"pages/bad.html": {Data: []byte(`{{thtml "status.update"}}`)},
	"sms/x.txt":      {Data: []byte(`{{t "status.update"}} {{enum "incident" "in_progress"}} {{plaintext "**b**"}}`)},
}

// kind is a domain enum as the templates receive one: a named string.
type kind string

// Every language's clone renders with its own functions, from one parse.
func TestTemplatesInEveryLanguage(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	set, err := load(langFiles, cat)
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{"N": 3, "Status": kind("partial_outage"), "At": time.Date(2026, 3, 10, 9, 5, 0, 0, time.UTC),
		"Uptime": 99.95, "Names": []string{"API", "Web", "DB"}, "D": 72 * time.Minute}
	want := map[string][2]string{
		"en": {`<html lang="en" dir="ltr"><p>Update|3 min|A B|Partial Outage|Mar 10, 2026|99.95%|1,234.5|API, Web, and DB|1 h 12 min|<p><strong>b</strong></p>` + "\n</p>",
			"Update In progress b"},
		"de": {`<html lang="de" dir="ltr"><p>Aktualisierung|3 Min.|A B|Teilweiser Ausfall|10. März 2026|99,95` + "\u00a0" + `%|1.234,5|API, Web und DB|1 Std. 12 Min.|<p><strong>b</strong></p>` + "\n</p>",
			"Aktualisierung Wird durchgeführt b"},
		"ar": {`<html lang="ar" dir="rtl"><p>تحديث|3 دقائق|A وB|انقطاع جزئي|10 مارس 2026|99.95` + "\u200e%\u200e" + `|1,234.5|API وWeb وDB|ساعة واحدة و12 دقيقة|<p><strong>b</strong></p>` + "\n</p>",
			"تحديث قيد التنفيذ b"},
	}
	if set.Lang() != cat.Default() || set.In(nil) != set || set.Catalogue() != cat {
		t.Error("load returns English's set, In(nil) English's, Catalogue the catalogue")
	}
	for _, l := range cat.Langs() {
		s := set.In(l)
		if s.Lang() != l {
			t.Fatalf("In(%s).Lang() = %s", l.Code(), s.Lang().Code())
		}
		var html, text bytes.Buffer
		if err := s.HTML(&html, "pages/x.html", data); err != nil {
			t.Fatalf("%s: %v", l.Code(), err)
		}
		if err := s.Text(&text, "sms/x.txt", data); err != nil {
			t.Fatalf("%s: %v", l.Code(), err)
		}
		if !strings.Contains(html.String(), `lang="`+l.Code()+`"`) || strings.Contains(html.String(), "⟦") {
			t.Errorf("%s: %s", l.Code(), html.String())
		}
		if w, ok := want[l.Code()]; ok {
			if html.String() != w[0] {
				t.Errorf("%s HTML:\n got %s\nwant %s", l.Code(), html.String(), w[0])
			}
			if text.String() != w[1] {
				t.Errorf("%s text: got %q, want %q", l.Code(), text.String(), w[1])
			}
		}
		if err := s.HTML(&bytes.Buffer{}, "pages/bad.html", nil); err == nil || !strings.Contains(err.Error(), "_html") {
			t.Errorf("%s: thtml of a message without markup: err %v, want one", l.Code(), err)
		}
	}
}

// Rendering a language at the same time as another keeps each its own
// (run with -race).
func TestLanguagesConcurrently(t *testing.T) {
	cat, err := i18n.Load()
	if err != nil {
		t.Fatal(err)
	}
	set, err := load(langFiles, cat)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan string)
	for _, l := range cat.Langs() {
		go func() {
			var buf bytes.Buffer
			for range 20 {
				buf.Reset()
				if err := set.In(l).Text(&buf, "sms/x.txt", nil); err != nil {
					done <- err.Error()
					return
				}
			}
			if got, want := buf.String(), l.T("status.update")+" "+l.Enum("incident", "in_progress")+" b"; got != want {
				done <- l.Code() + ": " + got + ", want " + want
				return
			}
			done <- ""
		}()
	}
	for range cat.Langs() {
		if msg := <-done; msg != "" {
			t.Error(msg)
		}
	}
}
