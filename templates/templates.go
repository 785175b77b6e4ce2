// Package templates holds Beacon's embedded templates — email and SMS
// bodies and the HTML pages — parsed once at start-up, in every language
// of internal/i18n, and the safe Markdown rendering they share.
package templates

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"net/url"
	"path"
	"strings"
	texttemplate "text/template"
	"time"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
)

//go:embed email sms pages console
var files embed.FS

// Set is every template, parsed, in one language. Set.In gives the same
// templates in another.
type Set struct {
	html     *htmltemplate.Template
	text     *texttemplate.Template
	markdown goldmark.Markdown
	policy   *bluemonday.Policy
	lang     *i18n.Lang
	// byLang is every language's Set, by code; shared by all of them.
	byLang map[string]*Set
}

// Load parses every template, and the message catalogues (internal/i18n)
// they read. HTML templates (*.html) are parsed with html/template, text
// ones (*.txt) with text/template; each is named by its path, such as
// "email/incident.html". Each folder's layout.html holds the definitions
// its templates share. The Set returned is English's; In gives another
// language's.
func Load() (*Set, error) {
	cat, err := i18n.Load()
	if err != nil {
		return nil, err
	}
	return load(files, cat)
}

// load parses the templates of fsys once, then clones them for each of
// cat's languages with the translating functions bound to it (see
// funcs): html/template allows a clone until a template has run, and a
// clone's functions are its own.
func load(fsys fs.FS, cat *i18n.Catalogue) (*Set, error) {
	base := &Set{
		// goldmark drops raw HTML and dangerous link schemes by default;
		// bluemonday sanitises its output again, so no script, event
		// handler or javascript: link survives either way.
		markdown: goldmark.New(goldmark.WithExtensions(extension.Linkify, extension.Strikethrough)),
		policy:   bluemonday.UGCPolicy().RequireNoFollowOnLinks(true),
		byLang:   map[string]*Set{},
	}
	// Parsed with English's functions, which each clone replaces.
	base.html = htmltemplate.New("").Funcs(htmltemplate.FuncMap{"markdown": base.Markdown, "add": func(a, b int) int { return a + b },
		"feed": feed}).
		Funcs(funcs(cat.Default()))
	base.text = texttemplate.New("").Funcs(texttemplate.FuncMap{"plaintext": base.PlainText}).Funcs(textFuncs(cat.Default()))
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		switch path.Ext(name) {
		case ".html":
			_, err = base.html.New(name).Parse(string(body))
		case ".txt":
			_, err = base.text.New(name).Parse(string(body))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, l := range cat.Langs() {
		s := &Set{markdown: base.markdown, policy: base.policy, lang: l, byLang: base.byLang}
		if s.html, err = base.html.Clone(); err != nil {
			return nil, err
		}
		if s.text, err = base.text.Clone(); err != nil {
			return nil, err
		}
		s.html.Funcs(funcs(l))
		s.text.Funcs(textFuncs(l))
		base.byLang[l.Code()] = s
	}
	return base.byLang[cat.Default().Code()], nil
}

// feed is the address of the feed or calendar at path (which may hold a
// query: "/history.atom?component=ID") in the language of code: with
// "lang=" added, unless code is "" (the page's default language, whose
// feeds' addresses carry none). Feed readers send no Accept-Language and
// no cookie, so only the address can keep a reader's language:
//
//	{{feed "/history.atom" .FeedLang}}
func feed(path, code string) string {
	if code == "" {
		return path
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	return path + sep + "lang=" + url.QueryEscape(code)
}

// funcs are the functions that translate, bound to l:
//
//	{{t "status.update"}}                      a message
//	{{tf "page.since" "Time" .Started}}        a message with data, as name, value pairs
//	{{tn "page.updates" .N}}                   the form for a count, read as {{.Count}}
//	{{thtml "page.feeds_html"}}                a trusted message with markup (ids ending _html; HTML only)
//	{{thtmlf "page.x_html" "URL" .Link}}       the same with data, each value escaped (HTML only)
//	{{enum "component" .Status}}               a domain value's label (status.component.*)
//	{{date "stamp" .At}}                       a time in a date style (i18n.DateStyle), in .At's zone
//	{{num .X 2}} {{pct .Uptime 2}}             a number, a percentage (99.95, not 0.9995)
//	{{list .Names}} {{dur .Length}}            "A, B, and C"; "1 h 12 min"
//	{{lang.Code}} {{lang.Dir}}                 the language itself
func funcs(l *i18n.Lang) map[string]any {
	return map[string]any{
		"t":  l.T,
		"tf": l.F,
		"tn": l.N,
		"thtml": func(id string) (htmltemplate.HTML, error) {
			if !strings.HasSuffix(id, "_html") {
				return "", fmt.Errorf("thtml %q: only messages whose id ends in _html hold markup", id)
			}
			return htmltemplate.HTML(l.T(id)), nil
		},
		"thtmlf": func(id string, kv ...any) (htmltemplate.HTML, error) {
			if !strings.HasSuffix(id, "_html") {
				return "", fmt.Errorf("thtmlf %q: only messages whose id ends in _html hold markup", id)
			}
			args := make([]any, len(kv))
			for i, v := range kv {
				if i%2 == 1 {
					v = htmltemplate.HTMLEscapeString(fmt.Sprint(v))
				}
				args[i] = v
			}
			return htmltemplate.HTML(l.F(id, args...)), nil
		},
		"enum": func(kind string, value any) string { return l.Enum(kind, fmt.Sprint(value)) },
		"date": func(style string, t time.Time) string { return l.Date(i18n.DateStyle(style), t) },
		"num":  l.Decimal,
		"pct":  l.Percent,
		"list": l.List,
		"dur":  l.Duration,
		"lang": func() *i18n.Lang { return l },
	}
}

// textFuncs are funcs less thtml and thtmlf: text templates write no
// trusted HTML.
func textFuncs(l *i18n.Lang) map[string]any {
	fm := funcs(l)
	delete(fm, "thtml")
	delete(fm, "thtmlf")
	return fm
}

// In returns the templates in language l (English's for a language the
// catalogue does not have).
func (s *Set) In(l *i18n.Lang) *Set {
	if l != nil {
		if t, ok := s.byLang[l.Code()]; ok {
			return t
		}
	}
	return s.byLang[i18n.Source]
}

// Lang is the language s renders in.
func (s *Set) Lang() *i18n.Lang { return s.lang }

// Catalogue is the catalogue of every language s can render in.
func (s *Set) Catalogue() *i18n.Catalogue { return s.lang.Catalogue() }

// Markdown renders staff-written Markdown to safe HTML. Control
// characters are removed (internal/chars) from the source, which a row
// older than the cleaning of bodies on input may hold, and from the
// result: goldmark turns character references such as "&#1;" into the
// characters, and HTML parses them as errors.
func (s *Set) Markdown(src string) htmltemplate.HTML {
	src = chars.Clean(src)
	var buf bytes.Buffer
	if err := s.markdown.Convert([]byte(src), &buf); err != nil {
		return htmltemplate.HTML(htmltemplate.HTMLEscapeString(src))
	}
	return htmltemplate.HTML(chars.CleanBytes(s.policy.SanitizeBytes(buf.Bytes())))
}

// HTML executes the HTML template name in s's language.
func (s *Set) HTML(w io.Writer, name string, data any) error {
	return s.html.ExecuteTemplate(w, name, data)
}

// Text executes the text template name in s's language.
func (s *Set) Text(w io.Writer, name string, data any) error {
	return s.text.ExecuteTemplate(w, name, data)
}

// Names lists every template meant to be executed (not the shared
// definition files), for tests that render them all.
func (s *Set) Names() []string {
	var out []string
	add := func(name string) {
		if strings.Contains(name, "/") && path.Base(name) != "layout.html" {
			out = append(out, name)
		}
	}
	for _, t := range s.html.Templates() {
		add(t.Name())
	}
	for _, t := range s.text.Templates() {
		add(t.Name())
	}
	return out
}
