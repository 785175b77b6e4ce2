package messages

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/palette"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
	"github.com/beacon-status/beacon/templates"
)

// chatNote is what a chat message says, whatever the platform: an
// incident's update, or the test message that confirms a subscription.
// Its texts are plain (Title, Lead, the components) or Markdown (Body);
// each platform's writer escapes them for its dialect.
type chatNote struct {
	PageName, PageURL string
	Title, TitleURL   string
	// Lead is the status line: "Investigating", "Reminder: Scheduled".
	Lead string
	// Tone is the impact colour's meaning (chatTone), Color the colour.
	Tone  string
	Color string
	Body  string // Markdown
	// Window is a maintenance's window; Time the update's, both written
	// in the page's time zone; At the update's instant.
	Window, Time string
	At           time.Time
	Components   []componentLine
	Button       string // the label of the link to TitleURL
	// Thread groups an incident's messages where the platform threads by
	// a key (Google Chat); "" for none.
	Thread string
	// lang is the language the message is written in.
	lang *i18n.Lang
}

// chatLinks are a subscriber's links in a chat message.
type chatLinks struct{ Manage, Unsubscribe string }

// The tones of chatTone.
const (
	toneResolved    = "resolved"
	toneMaintenance = "maintenance"
	toneCritical    = "critical"
	toneMajor       = "major"
	toneMinor       = "minor"
	toneNone        = "none"
)

// chatTone is an incident's impact as a chat message shows it, and its
// colour: green once the update closes it, as the console shows a closed
// incident.
func chatTone(impact components.Impact, closed bool) (tone, color string) {
	switch {
	case closed:
		return toneResolved, palette.OK
	case impact == components.ImpactMaintenance:
		return toneMaintenance, palette.Maintenance
	case impact == components.ImpactCritical:
		return toneCritical, palette.Critical
	case impact == components.ImpactMajor:
		return toneMajor, palette.Major
	case impact == components.ImpactMinor:
		return toneMinor, palette.Minor
	}
	return toneNone, palette.Muted
}

// eventChat is the chat note of an event's view.
func eventChat(ev *eventView) chatNote {
	v, data := ev.view, ev.data
	tone, color := chatTone(data.incident.Impact, data.closed)
	button := ev.lang.T("chat.view_incident")
	if v.Maintenance {
		button = ev.lang.T("chat.view_maintenance")
	}
	return chatNote{PageName: v.PageName, PageURL: v.PageURL, Title: v.IncidentName, TitleURL: v.IncidentURL, Lead: v.Lead,
		Tone: tone, Color: color, Body: v.Body, Window: v.Window, Time: v.Time, At: data.at, Components: v.Components,
		Button: button, Thread: "incident-" + data.incident.ID, lang: ev.lang}
}

// confirmChat is the test message that confirms a chat subscription.
func confirmChat(lang *i18n.Lang, v mailView, componentNames []string) chatNote {
	what := lang.T("chat.every_component")
	if len(componentNames) > 0 {
		what = strings.Join(componentNames, ", ")
	}
	body := lang.F("chat.confirm_body", "Page", v.PageName, "What", what)
	return chatNote{PageName: v.PageName, PageURL: v.PageURL, Title: lang.F("chat.subscribed_to", "Page", v.PageName), TitleURL: v.PageURL,
		Lead: lang.T("chat.subscribed"), Tone: toneResolved, Color: palette.OK, Body: templates.EscapeMarkdown(body),
		Button: lang.T("chat.view_page"), lang: lang}
}

// Chat limits: the platforms' own (Slack's header and sections, Discord's
// embed), and Beacon's bounds on how much of an update a message tells,
// well inside each platform's total (Teams about 28 KB, Mattermost 16,383
// characters, Google Chat 32,000 bytes); the incident page has the rest.
const (
	slackHeaderMax    = 150
	slackTextMax      = 3000
	slackBodyParts    = 10
	slackButtonMax    = 75
	discordTitleMax   = 256
	discordDescMax    = 4096
	discordFieldMax   = 1024
	discordTotalMax   = 6000
	teamsBodyMax      = 5000
	mattermostBodyMax = 8000
	googleBodyMax     = 4000
	maxChatComponents = 25
	maxChatLinkToken  = 200 // the longest token subscribers.verify accepts
)

// chatPayload writes n as a message of platform ch with the subscriber's
// links.
func (r *Renderer) chatPayload(ch notifier.Channel, n chatNote, l chatLinks) ([]byte, error) {
	var msg any
	switch ch {
	case notifier.Slack:
		msg = r.slackMessage(n, l)
	case notifier.Teams:
		msg = r.teamsMessage(n, l)
	case notifier.Discord:
		msg = r.discordMessage(n, l)
	case notifier.Mattermost:
		msg = r.mattermostMessage(n, l)
	case notifier.GoogleChat:
		msg = r.googleMessage(n, l)
	default:
		return nil, fmt.Errorf("unknown chat channel %q", ch)
	}
	// Unescaped: JSON's \u003c for "<" would weigh six bytes against the
	// platforms' size limits, and nothing here is read as HTML.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(msg); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// cut shortens plain text to limit runes with "…".
func cut(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	return strings.TrimSpace(string([]rune(s)[:limit-1])) + "…"
}

// componentList writes n's components in dialect d, one a line (sep
// between them), each "Name: Status" or the name alone, in at most limit
// characters and maxChatComponents lines, the rest counted in a last line.
func componentList(n chatNote, d templates.Dialect, sep string, limit int) string {
	var lines []string
	used := 0
	for i, c := range n.Components {
		line := c.Name
		if c.Status != "" {
			line += ": " + c.Status
		}
		line = templates.ChatLine(line, d, 0)
		rest := n.lang.N("chat.more", len(n.Components)-i)
		// Room is kept for the count, in case a later line does not fit.
		if i == maxChatComponents || used+len(sep)+utf8.RuneCountInString(line)+len(sep)+len(rest) > limit {
			lines = append(lines, rest)
			break
		}
		lines = append(lines, line)
		used += len(sep) + utf8.RuneCountInString(line)
	}
	return strings.Join(lines, sep)
}

// leadLine is the status line in dialect d: the lead in bold, then the
// window or the time.
func leadLine(n chatNote, d templates.Dialect) string {
	s := templates.ChatBold(templates.ChatLine(n.Lead, d, 100), d)
	switch {
	case n.Window != "":
		s += " · " + templates.ChatLine(n.Window, d, 100)
	case n.Time != "":
		s += " · " + templates.ChatLine(n.Time, d, 100)
	}
	return s
}

// linksLine is the subscriber's links in dialect d.
func linksLine(n chatNote, l chatLinks, d templates.Dialect) string {
	return templates.ChatLink(l.Manage, n.lang.T("chat.manage"), d) + " · " + templates.ChatLink(l.Unsubscribe, n.lang.T("chat.unsubscribe"), d)
}

// slackTones are the emoji standing for a tone, Slack's blocks having no
// colour.
var slackTones = map[string]string{toneCritical: ":red_circle:", toneMajor: ":large_orange_circle:", toneMinor: ":large_yellow_circle:",
	toneMaintenance: ":large_blue_circle:", toneResolved: ":large_green_circle:", toneNone: ":white_circle:"}

type slackText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji,omitempty"`
}

type slackBlock struct {
	Type     string       `json:"type"`
	Text     *slackText   `json:"text,omitempty"`
	Elements []slackInner `json:"elements,omitempty"`
}

// slackInner is an element of a context block (Text a string) or of an
// actions block (a button: Text a *slackText, and URL).
type slackInner struct {
	Type string `json:"type"`
	Text any    `json:"text"`
	URL  string `json:"url,omitempty"`
}

func mrkdwn(s string) *slackText { return &slackText{Type: "mrkdwn", Text: s} }

// slackMessage is Slack's Block Kit: a header, the status line, the
// update's text in sections, the components, a button to the incident,
// and the subscriber's links.
func (r *Renderer) slackMessage(n chatNote, l chatLinks) any {
	d := templates.Slack
	blocks := []slackBlock{
		{Type: "header", Text: &slackText{Type: "plain_text", Text: cut(chars.CleanLine(n.Title), slackHeaderMax), Emoji: true}},
		{Type: "context", Elements: []slackInner{{Type: "mrkdwn", Text: slackTones[n.Tone] + " " + leadLine(n, d) + " · " + templates.ChatLine(n.PageName, d, 200)}}},
	}
	for _, part := range r.templates.ChatTexts(n.Body, d, slackTextMax, slackBodyParts) {
		blocks = append(blocks, slackBlock{Type: "section", Text: mrkdwn(part)})
	}
	if len(n.Components) > 0 {
		head := "*" + n.lang.T("chat.components") + "*\n"
		blocks = append(blocks, slackBlock{Type: "section", Text: mrkdwn(head + componentList(n, d, "\n", slackTextMax-len(head)))})
	}
	blocks = append(blocks,
		slackBlock{Type: "actions", Elements: []slackInner{{Type: "button", Text: &slackText{Type: "plain_text", Text: cut(n.Button, slackButtonMax)}, URL: n.TitleURL}}},
		slackBlock{Type: "context", Elements: []slackInner{{Type: "mrkdwn", Text: linksLine(n, l, d)}}},
	)
	return struct {
		Text        string       `json:"text"`
		Blocks      []slackBlock `json:"blocks"`
		UnfurlLinks bool         `json:"unfurl_links"`
	}{Text: templates.ChatLine("["+n.PageName+"] "+n.Title+": "+n.Lead, d, slackTextMax), Blocks: blocks}
}

// teamsColors are the TextBlock colours standing for a tone.
var teamsColors = map[string]string{toneCritical: "attention", toneMajor: "attention", toneMinor: "warning",
	toneMaintenance: "accent", toneResolved: "good", toneNone: "default"}

type teamsElement struct {
	Type     string      `json:"type"`
	Text     string      `json:"text,omitempty"`
	Wrap     bool        `json:"wrap,omitempty"`
	Size     string      `json:"size,omitempty"`
	Weight   string      `json:"weight,omitempty"`
	Color    string      `json:"color,omitempty"`
	IsSubtle bool        `json:"isSubtle,omitempty"`
	Facts    []teamsFact `json:"facts,omitempty"`
}

type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

// teamsMessage is a Workflows webhook's message: one Adaptive Card with
// the page, the incident, the status line in the tone's colour, the
// update's text, the components as facts, the subscriber's links and a
// button to the incident.
func (r *Renderer) teamsMessage(n chatNote, l chatLinks) any {
	d := templates.Teams
	body := []teamsElement{
		{Type: "TextBlock", Text: templates.ChatLine(n.PageName, d, 200), Size: "Small", IsSubtle: true, Wrap: true},
		{Type: "TextBlock", Text: templates.ChatLine(n.Title, d, 500), Size: "Large", Weight: "Bolder", Wrap: true},
		{Type: "TextBlock", Text: leadLine(n, d), Color: teamsColors[n.Tone], Wrap: true},
	}
	if text := r.templates.ChatText(n.Body, d, teamsBodyMax); text != "" {
		body = append(body, teamsElement{Type: "TextBlock", Text: text, Wrap: true})
	}
	if len(n.Components) > 0 {
		facts := teamsElement{Type: "FactSet"}
		for i, c := range n.Components {
			if i == maxChatComponents {
				facts.Facts = append(facts.Facts, teamsFact{Title: "…", Value: n.lang.N("chat.more", len(n.Components)-i)})
				break
			}
			status := c.Status
			if status == "" {
				status = n.lang.T("chat.affected")
			}
			facts.Facts = append(facts.Facts, teamsFact{Title: templates.ChatLine(c.Name, d, 200), Value: status})
		}
		body = append(body, facts)
	}
	body = append(body, teamsElement{Type: "TextBlock", Text: linksLine(n, l, d), Size: "Small", IsSubtle: true, Wrap: true})
	type action struct {
		Type  string `json:"type"`
		Title string `json:"title"`
		URL   string `json:"url"`
	}
	card := map[string]any{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json", "type": "AdaptiveCard", "version": "1.4",
		"body": body, "actions": []action{{Type: "Action.OpenUrl", Title: n.Button, URL: n.TitleURL}},
		"msteams": map[string]string{"width": "Full"},
	}
	type attachment struct {
		ContentType string         `json:"contentType"`
		ContentURL  *string        `json:"contentUrl"`
		Content     map[string]any `json:"content"`
	}
	return struct {
		Type        string       `json:"type"`
		Attachments []attachment `json:"attachments"`
	}{Type: "message", Attachments: []attachment{{ContentType: "application/vnd.microsoft.card.adaptive", Content: card}}}
}

type discordField struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Inline bool   `json:"inline"`
}

// discordMessage is one embed in the tone's colour: the page as its
// author, the incident as its title and link, the status line and the
// update's text as its description, the components and the subscriber's
// links as fields; mentions in the text ping no one.
func (r *Renderer) discordMessage(n chatNote, l chatLinks) any {
	d := templates.Discord
	author := cut(chars.CleanLine(n.PageName), discordTitleMax)
	title := cut(chars.CleanLine(n.Title), discordTitleMax)
	var fields []discordField
	if len(n.Components) > 0 {
		fields = append(fields, discordField{Name: n.lang.T("chat.components"), Value: componentList(n, d, "\n", discordFieldMax)})
	}
	if links := linksLine(n, l, d); utf8.RuneCountInString(links) <= discordFieldMax {
		fields = append(fields, discordField{Name: n.lang.T("chat.subscription"), Value: links})
	}
	used := utf8.RuneCountInString(author) + utf8.RuneCountInString(title)
	for _, f := range fields {
		used += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	lead := leadLine(n, d)
	desc := lead
	room := min(discordDescMax, discordTotalMax-used) - utf8.RuneCountInString(lead) - 2
	if text := r.templates.ChatText(n.Body, d, max(room, 1)); text != "" && room > 0 {
		desc += "\n\n" + text
	}
	color, _ := strconv.ParseInt(strings.TrimPrefix(n.Color, "#"), 16, 32)
	stamp := ""
	if !n.At.IsZero() {
		stamp = n.At.UTC().Format(time.RFC3339)
	}
	type embed struct {
		Author      map[string]string `json:"author"`
		Title       string            `json:"title"`
		URL         string            `json:"url"`
		Description string            `json:"description"`
		Color       int64             `json:"color"`
		Timestamp   string            `json:"timestamp,omitempty"`
		Fields      []discordField    `json:"fields,omitempty"`
	}
	return struct {
		AllowedMentions map[string][]string `json:"allowed_mentions"`
		Embeds          []embed             `json:"embeds"`
	}{
		AllowedMentions: map[string][]string{"parse": {}},
		Embeds: []embed{{Author: map[string]string{"name": author, "url": n.PageURL}, Title: title, URL: n.TitleURL, Description: desc,
			Color: color, Timestamp: stamp, Fields: fields}},
	}
}

// mattermostMessage is Mattermost's Slack-compatible attachment in the
// tone's colour, its text in Mattermost's Markdown.
func (r *Renderer) mattermostMessage(n chatNote, l chatLinks) any {
	d := templates.Mattermost
	text := leadLine(n, d)
	if body := r.templates.ChatText(n.Body, d, mattermostBodyMax); body != "" {
		text += "\n\n" + body
	}
	type field struct {
		Title string `json:"title"`
		Value string `json:"value"`
		Short bool   `json:"short"`
	}
	var fields []field
	if len(n.Components) > 0 {
		fields = append(fields, field{Title: n.lang.T("chat.components"), Value: componentList(n, d, "\n", 4000)})
	}
	fields = append(fields, field{Title: n.lang.T("chat.subscription"), Value: linksLine(n, l, d)})
	type attachment struct {
		Fallback   string  `json:"fallback"`
		Color      string  `json:"color"`
		AuthorName string  `json:"author_name"`
		AuthorLink string  `json:"author_link"`
		Title      string  `json:"title"`
		TitleLink  string  `json:"title_link"`
		Text       string  `json:"text"`
		Fields     []field `json:"fields"`
		TS         int64   `json:"ts,omitempty"`
	}
	return struct {
		Attachments []attachment `json:"attachments"`
	}{Attachments: []attachment{{Fallback: chars.CleanLine("[" + n.PageName + "] " + n.Title + ": " + n.Lead), Color: n.Color,
		AuthorName: chars.CleanLine(n.PageName), AuthorLink: n.PageURL, Title: chars.CleanLine(n.Title), TitleLink: n.TitleURL,
		Text: text, Fields: fields, TS: unixOrZero(n.At)}}}
}

// unixOrZero is t in unix seconds, or 0 for the zero time.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// googleMessage is a Google Chat card: the incident and the page in its
// header, the status line in the tone's colour, the update's text, the
// components, a button to the incident and the subscriber's links.
func (r *Renderer) googleMessage(n chatNote, l chatLinks) any {
	d := templates.GoogleChat
	type widget map[string]any
	type section struct {
		Header  string   `json:"header,omitempty"`
		Widgets []widget `json:"widgets"`
	}
	para := func(s string) widget { return widget{"textParagraph": map[string]string{"text": s}} }
	first := []widget{para(`<font color="` + n.Color + `">` + leadLine(n, d) + "</font>")}
	if text := r.templates.ChatText(n.Body, d, googleBodyMax); text != "" {
		first = append(first, para(text))
	}
	sections := []section{{Widgets: first}}
	if len(n.Components) > 0 {
		sections = append(sections, section{Header: n.lang.T("chat.components"), Widgets: []widget{para(componentList(n, d, "<br>", 4000))}})
	}
	button := map[string]any{"text": n.Button, "onClick": map[string]any{"openLink": map[string]string{"url": n.TitleURL}}}
	sections = append(sections, section{Widgets: []widget{{"buttonList": map[string]any{"buttons": []any{button}}}, para(linksLine(n, l, d))}})
	cardID := n.Thread
	if cardID == "" {
		cardID = "subscription"
	}
	type card struct {
		Header   map[string]string `json:"header"`
		Sections []section         `json:"sections"`
	}
	type cardV2 struct {
		CardID string `json:"cardId"`
		Card   card   `json:"card"`
	}
	return struct {
		CardsV2 []cardV2 `json:"cardsV2"`
	}{CardsV2: []cardV2{{CardID: cardID, Card: card{
		Header:   map[string]string{"title": cut(chars.CleanLine(n.Title), 200), "subtitle": cut(chars.CleanLine(n.PageName), 200)},
		Sections: sections,
	}}}}
}

// chatAddress is where a message to a chat subscriber goes: its URL, with
// Google Chat's thread key so that an incident's messages share a thread.
func chatAddress(ch notifier.Channel, address, thread string) string {
	if ch != notifier.GoogleChat || thread == "" {
		return address
	}
	u, err := url.Parse(address)
	if err != nil {
		return address
	}
	q := u.Query()
	q.Set("threadKey", thread)
	q.Set("messageReplyOption", "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD")
	u.RawQuery = q.Encode()
	return u.String()
}

// chatLayout is an event's message on one platform, written once with
// holes where each subscriber's manage and unsubscribe tokens go.
type chatLayout struct {
	body *notifier.Layout // nil when the holes did not survive intact
}

// chatLayouts keeps an event's chat layouts, one per platform.
type chatLayouts struct {
	mu sync.Mutex
	by map[notifier.Channel]*chatLayout
}

// get returns the layout of ch, making it with make the first time.
func (c *chatLayouts) get(ch notifier.Channel, make func() *chatLayout) *chatLayout {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.by == nil {
		c.by = map[notifier.Channel]*chatLayout{}
	}
	l, ok := c.by[ch]
	if !ok {
		l = make()
		c.by[ch] = l
	}
	return l
}

// chatHoles writes n for ch with holes as long as the longest token, so
// that every limit the writers keep still holds once a real token fills
// them, and cuts it at the holes.
func (r *Renderer) chatHoles(ch notifier.Channel, n chatNote) *chatLayout {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	marker := "bcnhole" + hex.EncodeToString(rnd[:])
	pad := func(kind string) string { return marker + kind + strings.Repeat("0", maxChatLinkToken-len(marker)-1) }
	holes := []string{pad("m"), pad("u")}
	body, err := r.chatPayload(ch, n, chatLinks{Manage: r.cfg.BaseURL + manageLinkPath + holes[0],
		Unsubscribe: r.cfg.BaseURL + unsubscribeLinkPath + holes[1]})
	if err != nil {
		return &chatLayout{}
	}
	l := &notifier.Layout{}
	s := string(body)
	for {
		i := strings.Index(s, marker)
		if i < 0 {
			break
		}
		hole := holeAt(holes, s[i:])
		if hole < 0 {
			return &chatLayout{}
		}
		l.Pieces = append(l.Pieces, s[:i])
		l.Holes = append(l.Holes, hole)
		s = s[i+len(holes[hole]):]
	}
	l.Pieces = append(l.Pieces, s)
	if len(l.Holes) < 2 {
		return &chatLayout{}
	}
	return &chatLayout{body: l}
}

// holeAt returns which of holes s starts with, or -1.
func holeAt(holes []string, s string) int {
	for i, h := range holes {
		if strings.HasPrefix(s, h) {
			return i
		}
	}
	return -1
}

// chatMessage is sub's copy of note on its platform: the event's layout
// filled with its tokens when they fit the holes, or written whole.
func (r *Renderer) chatMessage(d notifier.Delivery, sub subscribers.Subscriber, note chatNote, layouts *chatLayouts) (notifier.Message, error) {
	manage := url.QueryEscape(r.subscribers.Link(subscribers.PurposeManage, sub.ID))
	unsub := url.PathEscape(r.subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID))
	to := chatAddress(d.Channel, sub.Address, note.Thread)
	if layouts != nil && tokenFits(manage, maxChatLinkToken) && tokenFits(unsub, maxChatLinkToken) {
		if l := layouts.get(d.Channel, func() *chatLayout { return r.chatHoles(d.Channel, note) }); l.body != nil {
			return notifier.Message{To: to, Body: []byte(l.body.Fill([]string{manage, unsub}))}, nil
		}
	}
	body, err := r.chatPayload(d.Channel, note, chatLinks{Manage: r.cfg.BaseURL + manageLinkPath + manage,
		Unsubscribe: r.cfg.BaseURL + unsubscribeLinkPath + unsub})
	return notifier.Message{To: to, Body: body}, err
}

// tokenFits reports whether a link token can fill a hole as it is: no
// longer than limit, and made of characters no writer escapes (as
// url.QueryEscape and url.PathEscape of Beacon's tokens always are).
func tokenFits(t string, limit int) bool {
	if len(t) > limit {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
