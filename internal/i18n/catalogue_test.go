package i18n

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

func mustLoad(t *testing.T) *Catalogue {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The languages the issue asks for: none may go missing.
func TestLanguages(t *testing.T) {
	c := mustLoad(t)
	// The seven Beacon ships, English first; a language added since (one
	// more file) comes after them in file-name order.
	got := c.Codes()
	want := []string{"en", "ar", "de", "es", "fr", "ja", "pt-BR"}
	for _, code := range want {
		if !slices.Contains(got, code) {
			t.Errorf("Codes() = %v, lacks %s", got, code)
		}
	}
	if len(got) == 0 || got[0] != Source || !slices.IsSortedFunc(got[1:], func(a, b string) int { return strings.Compare(sortKey(a+".toml"), sortKey(b+".toml")) }) {
		t.Errorf("Codes() = %v: not English then in file-name order", got)
	}
	if !slices.Equal(Codes(), got) {
		t.Errorf("package Codes() = %v, want %v", Codes(), got)
	}
	for _, l := range c.Langs() {
		if want := map[bool]string{true: "rtl", false: "ltr"}[l.Code() == "ar"]; l.Dir() != want {
			t.Errorf("%s: Dir() = %q, want %q", l.Code(), l.Dir(), want)
		}
	}
	for in, want := range map[string]string{"pt-br": "pt-BR", "DE": "de", "en": "en", "xx": "", "": "", "pt": ""} {
		got, ok := Canonical(in)
		if got != want || ok != (want != "") {
			t.Errorf("Canonical(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if c.Get("nope") != c.Default() || c.Get("PT-br").Code() != "pt-BR" {
		t.Errorf("Get falls back to English and ignores case")
	}
}

// parity lists the ids each file lacks or adds against English.
func parity(c *Catalogue) []string {
	ids := func(f *goi18n.MessageFile) map[string]bool {
		out := map[string]bool{}
		for _, m := range f.Messages {
			out[m.ID] = true
		}
		return out
	}
	en := ids(c.files[Source])
	var problems []string
	for _, code := range c.Codes()[1:] {
		got := ids(c.files[code])
		for _, id := range slices.Sorted(maps.Keys(en)) {
			if !got[id] {
				problems = append(problems, fmt.Sprintf("%s lacks %s", code, id))
			}
		}
		for _, id := range slices.Sorted(maps.Keys(got)) {
			if !en[id] {
				problems = append(problems, fmt.Sprintf("%s has %s, which English lacks", code, id))
			}
		}
	}
	return problems
}

// TestCatalogueParity fails when a language lacks a message English has,
// or has one English lacks.
func TestCatalogueParity(t *testing.T) {
	c := mustLoad(t)
	for _, p := range parity(c) {
		t.Error(p)
	}
	if n := len(c.files[Source].Messages); n < 39 {
		t.Errorf("English has %d messages, want the status labels at least", n)
	}
}

// The check itself finds a missing and an extra message.
func TestParityFindsGaps(t *testing.T) {
	fsys := testFiles(map[string]string{
		"en": "[a]\nx = \"X\"\ny = \"Y\"\n",
		"de": "[a]\nx = \"X\"\nz = \"Z\"\n",
	})
	c, err := load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	got := parity(c)
	want := []string{"de lacks a.y", "de has a.z, which English lacks"}
	if !slices.Equal(got, want) {
		t.Errorf("parity = %q, want %q", got, want)
	}
	if s := c.Get("de").T("a.y"); s != "⟦a.y⟧" {
		t.Errorf("a missing message reads %q, want the marker, not English", s)
	}
}

// testFiles is a catalogue of the given message tables, each with valid
// conventions (English's).
func testFiles(messages map[string]string) fstest.MapFS {
	en, err := locales.ReadFile("locales/en.toml")
	if err != nil {
		panic(err)
	}
	conv, _, _ := strings.Cut(string(en), "# ==== duration ====")
	fsys := fstest.MapFS{}
	for code, body := range messages {
		fsys["locales/"+code+".toml"] = &fstest.MapFile{Data: []byte(conv + body)}
	}
	return fsys
}

// A table named after a reserved word, or mixing one with other keys,
// would lose messages: the load fails instead.
func TestReservedNamesRejected(t *testing.T) {
	for name, body := range map[string]string{
		"table read as a message": "[page.hint]\ndescription = \"for translators\"\n",
		"mixed keys":              "[page]\nother = \"x\"\ntitle = \"y\"\n",
		"not canonical":           "",
	} {
		t.Run(name, func(t *testing.T) {
			files := map[string]string{"en": body}
			if name == "not canonical" {
				files["pt-br"] = ""
			}
			if _, err := load(testFiles(files)); err == nil {
				t.Errorf("load succeeded, want an error")
			} else {
				t.Log(err)
			}
		})
	}
}

// cldrForms are the plural categories x/text's CLDR rules give the whole
// numbers 0 to 1000 in tag.
func cldrForms(tag language.Tag) []string {
	names := map[plural.Form]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one", plural.Two: "two",
		plural.Few: "few", plural.Many: "many"}
	set := map[string]bool{}
	for i := 0; i <= 1000; i++ {
		set[names[plural.Cardinal.MatchPlural(tag, i, 0, 0, 0, 0)]] = true
	}
	return slices.Sorted(maps.Keys(set))
}

func formsOf(m *goi18n.Message) map[string]string {
	out := map[string]string{}
	for k, v := range map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other} {
		if v != "" {
			out[k] = v
		}
	}
	return out
}

// TestPluralForms checks every message that changes with a number (one
// with more than one form in English) against CLDR's rules as x/text has
// them: each language writes exactly its categories, and for every count
// from 0 to 1000 Lang.N gives the form CLDR names. A message without a
// number has the "other" form alone in every language.
func TestPluralForms(t *testing.T) {
	c := mustLoad(t)
	en := map[string]*goi18n.Message{}
	for _, m := range c.files[Source].Messages {
		en[m.ID] = m
	}
	plurals := 0
	for _, l := range c.Langs() {
		want := cldrForms(l.Tag())
		for _, m := range c.files[l.Code()].Messages {
			forms := formsOf(m)
			isPlural := len(formsOf(en[m.ID])) > 1
			if !isPlural {
				if len(forms) != 1 {
					t.Errorf("%s %s: forms %v, want \"other\" alone (English has no plural)", l.Code(), m.ID, slices.Sorted(maps.Keys(forms)))
				}
				continue
			}
			plurals++
			if got := slices.Sorted(maps.Keys(forms)); !slices.Equal(got, want) {
				t.Errorf("%s %s: forms %v, want CLDR's %v", l.Code(), m.ID, got, want)
				continue
			}
			for n := 0; n <= 1000; n++ {
				form := map[plural.Form]string{plural.Other: "other", plural.Zero: "zero", plural.One: "one", plural.Two: "two",
					plural.Few: "few", plural.Many: "many"}[plural.Cardinal.MatchPlural(l.Tag(), n, 0, 0, 0, 0)]
				wantText := strings.ReplaceAll(forms[form], "{{.Count}}", strconv.Itoa(n))
				if got := l.N(m.ID, n); got != wantText {
					t.Errorf("%s N(%s, %d) = %q, want the %s form %q", l.Code(), m.ID, n, got, form, wantText)
					break
				}
			}
		}
	}
	if plurals == 0 {
		t.Error("no plural message was checked")
	}
}

var field = regexp.MustCompile(`\{\{[^}]*?\.([A-Za-z_]\w*)`)

// fields are the template fields a message's forms read.
func fields(m *goi18n.Message) []string {
	set := map[string]bool{}
	for _, f := range formsOf(m) {
		for _, sub := range field.FindAllStringSubmatch(f, -1) {
			set[sub[1]] = true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// Every translation reads the data its English message reads: a
// misspelt field would print "<no value>".
func TestPlaceholders(t *testing.T) {
	c := mustLoad(t)
	en := map[string][]string{}
	for _, m := range c.files[Source].Messages {
		en[m.ID] = fields(m)
	}
	for _, code := range c.Codes()[1:] {
		for _, m := range c.files[code].Messages {
			if got, want := fields(m), en[m.ID]; !slices.Equal(got, want) {
				t.Errorf("%s %s reads %v, want English's %v", code, m.ID, got, want)
			}
		}
	}
}

var tag = regexp.MustCompile(`<[^>]*>`)

// htmlShape is the markup of a trusted *_html message: its tags with
// their attributes, in order. Translations move words, not links.
func htmlShape(s string) []string { return tag.FindAllString(s, -1) }

// Every *_html message has English's tags and links, so a translation
// cannot add markup that the templates write unescaped.
func TestHTMLMessagesKeepTheirMarkup(t *testing.T) {
	c := mustLoad(t)
	for _, l := range c.Langs()[1:] {
		for id := range c.Default().texts {
			if strings.HasSuffix(id, "_html") && !slices.Equal(htmlShape(l.T(id)), htmlShape(c.Default().T(id))) {
				t.Errorf("%s %s has markup %q, want English's %q", l.Code(), id, htmlShape(l.T(id)), htmlShape(c.Default().T(id)))
			}
		}
	}
	if a, b := htmlShape(`See <a href="/x">feeds</a>.`), htmlShape(`Voir <a href="/y">flux</a>.`); slices.Equal(a, b) {
		t.Errorf("htmlShape finds no difference between %q and %q", a, b)
	}
}
