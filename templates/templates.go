// Package templates holds Beacon's embedded templates — email and SMS
// bodies and the HTML pages — parsed once at start-up, and the safe
// Markdown rendering they share.
package templates

import (
	"bytes"
	"embed"
	htmltemplate "html/template"
	"io"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"

	"github.com/beacon-status/beacon/internal/chars"
)

//go:embed email sms pages console
var files embed.FS

// Set is every template, parsed.
type Set struct {
	html     *htmltemplate.Template
	text     *texttemplate.Template
	markdown goldmark.Markdown
	policy   *bluemonday.Policy
}

// Load parses every template. HTML templates (*.html) are parsed with
// html/template, text ones (*.txt) with text/template; each is named by its
// path, such as "email/incident.html". Each folder's layout.html holds the
// definitions its templates share.
func Load() (*Set, error) {
	s := &Set{
		// goldmark drops raw HTML and dangerous link schemes by default;
		// bluemonday sanitises its output again, so no script, event
		// handler or javascript: link survives either way.
		markdown: goldmark.New(goldmark.WithExtensions(extension.Linkify, extension.Strikethrough)),
		policy:   bluemonday.UGCPolicy().RequireNoFollowOnLinks(true),
	}
	s.html = htmltemplate.New("").Funcs(htmltemplate.FuncMap{"markdown": s.Markdown, "add": func(a, b int) int { return a + b }})
	s.text = texttemplate.New("").Funcs(texttemplate.FuncMap{"plaintext": s.PlainText})
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		switch path.Ext(name) {
		case ".html":
			_, err = s.html.New(name).Parse(string(body))
		case ".txt":
			_, err = s.text.New(name).Parse(string(body))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

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

// HTML executes the HTML template name.
func (s *Set) HTML(w io.Writer, name string, data any) error {
	return s.html.ExecuteTemplate(w, name, data)
}

// Text executes the text template name.
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
