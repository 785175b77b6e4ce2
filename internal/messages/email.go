package messages

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/palette"
	"github.com/beacon-status/beacon/notifier"
)

// mailView is what the email and SMS templates see.
type mailView struct {
	Subject  string
	PageName string
	PageURL  string
	// The page's branding, in every email (pageView): its logo, shown in
	// the header in place of its name; its accent colour, the header's
	// rule; Link, the accent as links and buttons show it (readable on
	// white, and under white text); its footer's lines.
	LogoURL     string
	Accent      string
	Link        string
	Footer      string
	FooterLines []string
	// Lead is what an email about an incident says first: its status,
	// or what happened; Preheader the line shown after the subject.
	Lead         string
	Preheader    string
	Color        string
	IncidentName string
	IncidentURL  string
	Maintenance  bool
	Window       string
	StatusLabel  string
	Time         string
	Body         string
	// Updates are the incident's story, the event's update first, with
	// Earlier counting those left out: EarlierText says so, and the HTML
	// part writes EarlierBefore, a link reading EarlierLink, then
	// EarlierAfter.
	Updates                                               []updateLine
	Earlier                                               int
	EarlierText, EarlierBefore, EarlierLink, EarlierAfter string
	Components                                            []componentLine
	// Reason says why the recipient receives the email, in its footer.
	Reason         string
	ManageURL      string
	UnsubscribeURL string
	// For confirmations.
	ActionURL string
	Code      string
	// For a follow's confirmation: its title and request in the text
	// part (the incident's name quoted), and the request in the HTML part
	// as FollowBefore, the name in bold, then FollowAfter.
	FollowTitle, FollowText, FollowBefore, FollowAfter string

	// lang is the language the templates write in; nil for English.
	lang *i18n.Lang
}

// pageView is the page's part of every email: its name and address, and
// its branding. Whatever the database holds, the logo is an absolute http
// or https URL (a path on this site is made one) or none, the colours are
// #rrggbb or none, and the footer is clean text (internal/chars).
func pageView(p components.Page, base string) mailView {
	v := mailView{PageName: chars.CleanLine(p.Name), PageURL: base, LogoURL: emailLogo(chars.CleanLine(p.LogoURL), base)}
	if palette.Valid(p.AccentColor) {
		v.Accent = strings.ToLower(p.AccentColor)
		v.Link = palette.Readable(p.AccentColor, "#ffffff")
	}
	if v.Footer = strings.TrimSpace(chars.Clean(p.EmailFooter)); v.Footer != "" {
		v.FooterLines = strings.Split(v.Footer, "\n")
	}
	return v
}

// emailLogo is the page's logo as an email can show it: an http or https
// URL with a host, a path on this site resolved against base, or "" when
// it is neither (a mail client has no page to resolve a path against, and
// a javascript: or data: URL has no place in an email).
func emailLogo(logo, base string) string {
	if strings.HasPrefix(logo, "/") && !strings.HasPrefix(logo, "//") {
		logo = strings.TrimSuffix(base, "/") + logo
	}
	u, err := url.Parse(logo)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return logo
}

// updateLine is one update in an email: its label, time and text as
// Markdown (Body, for the HTML part) and as plain text (Text).
type updateLine struct{ Label, Time, Body, Text string }

// componentLine is a component named in an email, with its new status's
// label when the update changed it.
type componentLine struct{ Name, Status string }

// emailWithComponents renders a confirmation or manage email, which names
// the components chosen.
func (r *Renderer) emailWithComponents(v mailView, name string, names []string) (notifier.Message, error) {
	type confirmView struct {
		mailView
		Components string
	}
	return r.render(v.lang, v.Subject, name, confirmView{mailView: v, Components: strings.Join(names, ", ")})
}

// email renders the email template name for v.
func (r *Renderer) email(v mailView, name string) (notifier.Message, error) {
	return r.render(v.lang, v.Subject, name, v)
}

// render executes the HTML and text templates name.html and name.txt in
// lang.
func (r *Renderer) render(lang *i18n.Lang, subject, name string, data any) (notifier.Message, error) {
	var html, text bytes.Buffer
	set := r.templates.In(lang)
	if err := set.HTML(&html, name+".html", data); err != nil {
		return notifier.Message{}, err
	}
	if err := set.Text(&text, name+".txt", data); err != nil {
		return notifier.Message{}, err
	}
	return notifier.Message{Subject: subject, HTML: html.String(), Text: text.String()}, nil
}

// The paths of the links in every email, before the subscriber's token.
const (
	manageLinkPath      = "/subscriptions/manage?token="
	unsubscribeLinkPath = "/unsubscribe/"
)

// mailLayout is an event's email rendered once, with holes where each
// recipient's manage and unsubscribe tokens go: executing the templates
// (Markdown included) for every recipient was the largest cost of a
// fan-out after MIME encoding. The email sender also encodes the shared
// lines once.
type mailLayout struct {
	subject    string
	text, html *notifier.Layout
}

// layout renders the email template name for v with markers in place of
// the tokens and cuts it at the markers. It checks the result against a
// full rendering with real-looking tokens and returns nil on any
// difference, or when the markers do not survive rendering intact.
func (r *Renderer) layout(v mailView, name string) *mailLayout {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	marker := "bcnhole" + hex.EncodeToString(rnd[:])
	base := v
	base.ManageURL = r.cfg.BaseURL + manageLinkPath + marker + "m"
	base.UnsubscribeURL = r.cfg.BaseURL + unsubscribeLinkPath + marker + "u"
	msg, err := r.email(base, name)
	if err != nil {
		return nil
	}
	l := &mailLayout{subject: msg.Subject}
	var ok1, ok2 bool
	l.text, ok1 = cutLayout(msg.Text, marker)
	l.html, ok2 = cutLayout(msg.HTML, marker)
	if !ok1 || !ok2 || len(l.text.Holes) == 0 {
		return nil
	}
	// The same email rendered whole must come out identical.
	const tryManage, tryUnsub = "manage.s0me-id_1.0.AbC~9%2F", "unsubscribe.s0me-id_1.0.XyZ-8"
	check := v
	check.ManageURL = r.cfg.BaseURL + manageLinkPath + tryManage
	check.UnsubscribeURL = r.cfg.BaseURL + unsubscribeLinkPath + tryUnsub
	want, err := r.email(check, name)
	if err != nil {
		return nil
	}
	if got := l.fill(tryManage, tryUnsub); got.TextBody() != want.Text || got.HTMLBody() != want.HTML || got.Subject != want.Subject {
		return nil
	}
	return l
}

// cutLayout splits s at marker+"m" (hole 0) and marker+"u" (hole 1);
// false when a marker is followed by anything else.
func cutLayout(s, marker string) (*notifier.Layout, bool) {
	l := &notifier.Layout{}
	for {
		i := strings.Index(s, marker)
		if i < 0 {
			break
		}
		rest := s[i+len(marker):]
		if rest == "" || (rest[0] != 'm' && rest[0] != 'u') {
			return nil, false
		}
		l.Pieces = append(l.Pieces, s[:i])
		hole := 0
		if rest[0] == 'u' {
			hole = 1
		}
		l.Holes = append(l.Holes, hole)
		s = rest[1:]
	}
	l.Pieces = append(l.Pieces, s)
	return l, true
}

// fits reports whether tokens can fill the holes as they are: their
// characters are left alone by every escaper of text/template and
// html/template (text, attribute and URL contexts), so the result is what
// rendering the templates with them would give. url.QueryEscape and
// url.PathEscape of Beacon's tokens always fit.
func (l *mailLayout) fits(tokens ...string) bool {
	for _, t := range tokens {
		for i := 0; i < len(t); i++ {
			c := t[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '%') {
				return false
			}
		}
	}
	return true
}

// fill returns the email with the tokens in its holes.
func (l *mailLayout) fill(manage, unsub string) notifier.Message {
	return notifier.Message{Subject: l.subject, TextLayout: l.text, HTMLLayout: l.html, Values: []string{manage, unsub}}
}
