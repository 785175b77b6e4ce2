// Package i18n holds Beacon's message catalogues and a language's
// conventions: one TOML file per language under locales/ (its messages,
// its self-name and writing direction, CLDR date patterns, month and
// weekday names, number symbols, list patterns), embedded in the binary.
// Adding a file adds a language.
//
// Messages are read with go-i18n (github.com/nicksnyder/go-i18n/v2), whose
// CLDR plural rules choose a message's form; nested TOML tables make dotted
// ids ("status.component.partial_outage"). English is the source: a file
// may hold no id English lacks, and lacks none English has (the tests say
// which). The package is plumbing: it imports no domain package, so
// callers translate a domain value by its kind and value (Lang.Enum).
package i18n

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"path"
	"slices"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
	goi18n "github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

//go:embed locales/*.toml
var locales embed.FS

// Source is the language every other is translated from, and the one an
// unknown code falls back to.
const Source = "en"

// Catalogue is every language, loaded.
type Catalogue struct {
	langs []*Lang
	// byCode finds a language by its code as written ("pt-BR") and
	// lower-cased ("pt-br").
	byCode map[string]*Lang
	// files are each language's parsed messages, by code, for the tests
	// that compare them with English.
	files map[string]*goi18n.MessageFile
}

// Load parses every embedded catalogue.
func Load() (*Catalogue, error) { return load(locales) }

// load parses every locales/*.toml file of fsys. A file that cannot be
// parsed, lacks one of its language's conventions or holds a message
// without text fails the load; a missing translation does not (the
// language shows a marker for it: see Lang.T), so that one unfinished
// file does not stop the server, and the tests name it.
func load(fsys fs.FS) (*Catalogue, error) {
	names, err := fs.Glob(fsys, "locales/*.toml")
	if err != nil {
		return nil, err
	}
	// English first, then in file-name order, so that lists of languages
	// read the same on every start.
	slices.SortFunc(names, func(a, b string) int {
		return strings.Compare(sortKey(a), sortKey(b))
	})
	if len(names) == 0 || codeOf(names[0]) != Source {
		return nil, fmt.Errorf("i18n: no locales/%s.toml", Source)
	}
	bundle := goi18n.NewBundle(language.English)
	bundle.RegisterUnmarshalFunc("toml", unmarshalMessages)
	c := &Catalogue{byCode: map[string]*Lang{}, files: map[string]*goi18n.MessageFile{}}
	var errs []error
	for _, name := range names {
		l, err := loadLang(fsys, bundle, name, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("i18n: %s: %w", name, err))
			continue
		}
		c.langs = append(c.langs, l)
		c.byCode[l.code] = l
		c.byCode[strings.ToLower(l.code)] = l
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

func sortKey(name string) string {
	if codeOf(name) == Source {
		return ""
	}
	return name
}

func codeOf(name string) string { return strings.TrimSuffix(path.Base(name), ".toml") }

// loadLang parses one file: its conventions into a Lang, its messages into
// the bundle.
func loadLang(fsys fs.FS, bundle *goi18n.Bundle, name string, c *Catalogue) (*Lang, error) {
	code := codeOf(name)
	tag, err := language.Parse(code)
	if err != nil || tag.String() != code {
		return nil, fmt.Errorf("%q is not a canonical BCP 47 tag (want %q)", code, tag.String())
	}
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var conv conventions
	if _, err := toml.Decode(string(body), &conv); err != nil {
		return nil, err
	}
	file, err := bundle.ParseMessageFileBytes(body, name)
	if err != nil {
		return nil, err
	}
	l := &Lang{code: code, tag: tag, cat: c, localizer: goi18n.NewLocalizer(bundle, code), plain: map[string]string{},
		texts: map[string][]string{}}
	if err := l.setConventions(conv); err != nil {
		return nil, err
	}
	for _, m := range file.Messages {
		if m.Other == "" {
			return nil, fmt.Errorf("message %q has no text (no \"other\" form: is a table named after a reserved word?)", m.ID)
		}
		forms := []string{m.Zero, m.One, m.Two, m.Few, m.Many, m.Other}
		l.texts[m.ID] = slices.DeleteFunc(forms, func(s string) bool { return s == "" })
		if !strings.Contains(m.Other, "{{") && len(l.texts[m.ID]) == 1 {
			l.plain[m.ID] = m.Other
		}
	}
	c.files[code] = file
	return l, nil
}

// conventionTables are the tables of a file that hold a language's
// conventions rather than messages.
var conventionTables = []string{"meta", "date", "number", "list"}

// unmarshalMessages reads a catalogue for go-i18n: the file less its
// convention tables (whose arrays go-i18n would read as messages).
func unmarshalMessages(data []byte, v any) error {
	if err := toml.Unmarshal(data, v); err != nil {
		return err
	}
	if p, ok := v.(*any); ok {
		if m, ok := (*p).(map[string]any); ok {
			for _, t := range conventionTables {
				delete(m, t)
			}
		}
	}
	return nil
}

// Default returns the source language, English.
func (c *Catalogue) Default() *Lang { return c.langs[0] }

// Langs returns every language, English first.
func (c *Catalogue) Langs() []*Lang { return c.langs }

// Codes returns every language's code, English first.
func (c *Catalogue) Codes() []string {
	out := make([]string, len(c.langs))
	for i, l := range c.langs {
		out[i] = l.code
	}
	return out
}

// Lookup returns the language of code, matched without regard to case
// ("pt-br" is "pt-BR"), and whether there is one.
func (c *Catalogue) Lookup(code string) (*Lang, bool) {
	if l, ok := c.byCode[code]; ok {
		return l, true
	}
	l, ok := c.byCode[strings.ToLower(code)]
	return l, ok
}

// Get returns the language of code, or English for an unknown one.
func (c *Catalogue) Get(code string) *Lang {
	if l, ok := c.Lookup(code); ok {
		return l
	}
	return c.Default()
}

// Canonical returns the code of an embedded language as its file names
// it ("pt-br" gives "pt-BR"), and whether there is one. It reads only the
// file names, for callers that check a setting without the catalogue.
func Canonical(code string) (string, bool) {
	for _, c := range Codes() {
		if strings.EqualFold(c, code) {
			return c, true
		}
	}
	return "", false
}

// Codes returns the codes of the embedded languages, English first.
func Codes() []string {
	names, _ := fs.Glob(locales, "locales/*.toml")
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(sortKey(a), sortKey(b)) })
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = codeOf(n)
	}
	return out
}

// Lang is one language: its messages and conventions.
type Lang struct {
	code      string
	tag       language.Tag
	name, dir string
	cat       *Catalogue
	localizer *goi18n.Localizer
	// plain holds every message that has one form and no template, as
	// text: most lookups are one map hit.
	plain map[string]string
	// texts holds every form of every message, as written.
	texts map[string][]string
	conv  compiled
	// durations remembers Duration's text by minutes.
	durations sync.Map
}

// Code is the language's BCP 47 code: "de", "pt-BR".
func (l *Lang) Code() string { return l.code }

// Tag is the language's tag.
func (l *Lang) Tag() language.Tag { return l.tag }

// Name is the language's name for itself: "Deutsch", for a picker.
func (l *Lang) Name() string { return l.name }

// Dir is the direction the language is written in: "ltr" or "rtl".
func (l *Lang) Dir() string { return l.dir }

// RTL reports whether the language is written right to left.
func (l *Lang) RTL() bool { return l.dir == "rtl" }

// Catalogue is the catalogue the language belongs to.
func (l *Lang) Catalogue() *Catalogue { return l.cat }

// Has reports whether the language has message id.
func (l *Lang) Has(id string) bool {
	_, ok := l.texts[id]
	return ok
}

// Texts yields every message's id and each of its forms as written, for
// the tests that look for untranslated text.
func (l *Lang) Texts() iter.Seq2[string, string] {
	return func(yield func(string, string) bool) {
		for id, forms := range l.texts {
			for _, f := range forms {
				if !yield(id, f) {
					return
				}
			}
		}
	}
}

// Missing is what a message that cannot be given reads as: never English
// in another language's page, and easy for a test to find.
func Missing(id string) string { return "⟦" + id + "⟧" }

// T returns message id, which takes no data.
func (l *Lang) T(id string) string {
	if s, ok := l.plain[id]; ok {
		return s
	}
	return l.F(id)
}

// F returns message id with its template's data given as name, value
// pairs: F("page.since", "Time", t).
func (l *Lang) F(id string, kv ...any) string {
	return l.localize(id, nil, kv)
}

// N returns the form of message id that the language uses for count n,
// which its template reads as {{.Count}}, with more data as pairs.
func (l *Lang) N(id string, n int, kv ...any) string {
	return l.localize(id, n, append(kv[:len(kv):len(kv)], "Count", n))
}

func (l *Lang) localize(id string, count any, kv []any) string {
	if _, ok := l.texts[id]; !ok || len(kv)%2 != 0 {
		return Missing(id)
	}
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i < len(kv); i += 2 {
			k, ok := kv[i].(string)
			if !ok {
				return Missing(id)
			}
			data[k] = kv[i+1]
		}
	}
	s, err := l.localizer.Localize(&goi18n.LocalizeConfig{MessageID: id, TemplateData: data, PluralCount: count})
	if err != nil {
		return Missing(id)
	}
	return s
}

// Enum returns the label of a domain value of kind: Enum("component",
// "partial_outage") is message status.component.partial_outage. A value
// is written as the domain stores it; spaces and hyphens become
// underscores and letters lower case, so an indicator's description
// ("All Systems Operational") names its message too.
func (l *Lang) Enum(kind, value string) string {
	return l.T("status." + kind + "." + enumKey(value))
}

func enumKey(v string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-':
			return '_'
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, v)
}
