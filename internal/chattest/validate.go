package chattest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/notifier"
)

// Validate checks a message body against the platform's documented
// payload schema and limits, and returns what is wrong with it (nothing
// for a message the platform accepts). Lengths are counted in characters
// (runes), as the platforms document them:
//   - Slack (Block Kit): text or blocks; at most 50 blocks of the types
//     Beacon uses (header: plain_text of 1 to 150; section: text of 1 to
//     3,000, or 1 to 10 fields of 1 to 2,000; context: 1 to 10 elements;
//     actions: 1 to 25 buttons, their text at most 75, their url at most
//     3,000; divider); mrkdwn with "<" only in <http…|label> links, never
//     a mention.
//   - Microsoft Teams (Workflows): {"type":"message","attachments":[…]}
//     of Adaptive Cards (contentType, contentUrl null, content with
//     $schema, type AdaptiveCard, a version from 1.0 to 1.5, body of
//     TextBlock, FactSet, Container and ColumnSet, Action.OpenUrl
//     actions), at most 28 KB.
//   - Discord: content (at most 2,000) or embeds (at most 10: title 256,
//     description 4,096, up to 25 fields of name 256 and value 1,024,
//     footer 2,048, author name 256, color an RGB integer, timestamp ISO
//     8601, urls http(s)); all embeds' text together at most 6,000.
//   - Mattermost: text or Slack-style attachments (fallback, color,
//     pretext, author, title, title_link, text, fields of title, value and
//     short, footer, ts); all text together within the post limit of
//     16,383.
//   - Google Chat: text (at most 4,096) or cardsV2 (cardId, a card with a
//     header title and sections of widgets, each exactly one of
//     textParagraph, decoratedText, buttonList, divider), card text in
//     Google Chat's HTML subset (b, i, u, s, strike, font color, a href,
//     br; entities escaped); the whole message at most 32,000 bytes.
func Validate(p notifier.Channel, body []byte) []string {
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || v == nil {
		return []string{fmt.Sprintf("the body is not a JSON object: %v", err)}
	}
	if dec.More() {
		return []string{"the body has more than one JSON value"}
	}
	c := &checker{}
	switch p {
	case notifier.Slack:
		c.slack(v)
	case notifier.Teams:
		if len(body) > 28_000 {
			c.add("the message is %d bytes, over Teams' 28 KB", len(body))
		}
		c.teams(v)
	case notifier.Discord:
		c.discord(v)
	case notifier.Mattermost:
		c.mattermost(v)
	case notifier.GoogleChat:
		if len(body) > 32_000 {
			c.add("the message is %d bytes, over Google Chat's 32,000", len(body))
		}
		c.google(v)
	default:
		c.add("unknown platform %q", p)
	}
	return c.problems
}

// checker collects problems.
type checker struct{ problems []string }

func (c *checker) add(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// keys checks that m has only keys among allowed.
func (c *checker) keys(where string, m map[string]any, allowed ...string) {
	for k := range m {
		if !slices.Contains(allowed, k) {
			c.add("%s: unknown field %q", where, k)
		}
	}
}

// str returns m[k] as a string: "" and ok when absent; a problem when it
// is there but not a string.
func (c *checker) str(where string, m map[string]any, k string) (string, bool) {
	v, ok := m[k]
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	if !isStr {
		c.add("%s.%s is %T, want a string", where, k, v)
		return "", false
	}
	return s, true
}

// text checks that m[k] is a string of min to max characters (max 0: no
// limit) and returns it.
func (c *checker) text(where string, m map[string]any, k string, minLen, maxLen int) string {
	s, ok := c.str(where, m, k)
	if !ok && minLen > 0 {
		if _, there := m[k]; !there {
			c.add("%s.%s is missing", where, k)
		}
		return ""
	}
	n := utf8.RuneCountInString(s)
	if n < minLen {
		c.add("%s.%s is empty", where, k)
	}
	if maxLen > 0 && n > maxLen {
		c.add("%s.%s has %d characters, more than %d", where, k, n, maxLen)
	}
	if !utf8.ValidString(s) {
		c.add("%s.%s is not UTF-8", where, k)
	}
	return s
}

// list returns m[k] as a list of objects, checking its length.
func (c *checker) list(where string, m map[string]any, k string, minLen, maxLen int) []map[string]any {
	v, ok := m[k]
	if !ok {
		if minLen > 0 {
			c.add("%s.%s is missing", where, k)
		}
		return nil
	}
	arr, isArr := v.([]any)
	if !isArr {
		c.add("%s.%s is %T, want a list", where, k, v)
		return nil
	}
	if len(arr) < minLen || (maxLen > 0 && len(arr) > maxLen) {
		c.add("%s.%s has %d items, want %d to %d", where, k, len(arr), minLen, maxLen)
	}
	var out []map[string]any
	for i, x := range arr {
		o, isObj := x.(map[string]any)
		if !isObj {
			c.add("%s.%s[%d] is %T, want an object", where, k, i, x)
			continue
		}
		out = append(out, o)
	}
	return out
}

// obj returns m[k] as an object, or nil.
func (c *checker) obj(where string, m map[string]any, k string, required bool) map[string]any {
	v, ok := m[k]
	if !ok {
		if required {
			c.add("%s.%s is missing", where, k)
		}
		return nil
	}
	o, isObj := v.(map[string]any)
	if !isObj {
		c.add("%s.%s is %T, want an object", where, k, v)
	}
	return o
}

// link checks an absolute http(s) URL of at most maxLen characters.
func (c *checker) link(where, s string, maxLen int) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.add("%s is not an absolute http(s) URL: %q", where, s)
	}
	if maxLen > 0 && utf8.RuneCountInString(s) > maxLen {
		c.add("%s has %d characters, more than %d", where, utf8.RuneCountInString(s), maxLen)
	}
}

func (c *checker) slack(v map[string]any) {
	c.keys("message", v, "text", "blocks", "unfurl_links", "unfurl_media", "mrkdwn", "thread_ts")
	text, hasText := c.str("message", v, "text")
	blocks := c.list("message", v, "blocks", 0, 50)
	if (!hasText || text == "") && len(blocks) == 0 {
		c.add("message: no text and no blocks")
	}
	c.slackMrkdwn("message.text", text)
	for i, b := range blocks {
		where := fmt.Sprintf("blocks[%d]", i)
		typ, _ := c.str(where, b, "type")
		c.text(where, b, "block_id", 0, 255)
		switch typ {
		case "header":
			c.keys(where, b, "type", "text", "block_id")
			t := c.obj(where, b, "text", true)
			if t != nil {
				if ty, _ := c.str(where+".text", t, "type"); ty != "plain_text" {
					c.add("%s.text.type %q, want plain_text", where, ty)
				}
				c.text(where+".text", t, "text", 1, 150)
			}
		case "section":
			c.keys(where, b, "type", "text", "fields", "block_id", "accessory")
			if t := c.obj(where, b, "text", false); t != nil {
				c.slackText(where+".text", t, 3000)
			} else if _, ok := b["fields"]; !ok {
				c.add("%s: a section needs text or fields", where)
			}
			for j, f := range c.list(where, b, "fields", 0, 10) {
				c.slackText(fmt.Sprintf("%s.fields[%d]", where, j), f, 2000)
			}
		case "context":
			c.keys(where, b, "type", "elements", "block_id")
			for j, e := range c.list(where, b, "elements", 1, 10) {
				c.slackText(fmt.Sprintf("%s.elements[%d]", where, j), e, 3000)
			}
		case "actions":
			c.keys(where, b, "type", "elements", "block_id")
			for j, e := range c.list(where, b, "elements", 1, 25) {
				ew := fmt.Sprintf("%s.elements[%d]", where, j)
				c.keys(ew, e, "type", "text", "url", "action_id", "value", "style")
				if ty, _ := c.str(ew, e, "type"); ty != "button" {
					c.add("%s.type %q, want button", ew, ty)
				}
				if t := c.obj(ew, e, "text", true); t != nil {
					if ty, _ := c.str(ew+".text", t, "type"); ty != "plain_text" {
						c.add("%s.text.type %q, want plain_text", ew, ty)
					}
					c.text(ew+".text", t, "text", 1, 75)
				}
				if u, ok := c.str(ew, e, "url"); ok {
					c.link(ew+".url", u, 3000)
				}
				c.text(ew, e, "action_id", 0, 255)
			}
		case "divider":
			c.keys(where, b, "type", "block_id")
		default:
			c.add("%s: block type %q is not one Beacon sends", where, typ)
		}
	}
}

// slackText checks a text object of at most maxLen characters.
func (c *checker) slackText(where string, t map[string]any, maxLen int) {
	c.keys(where, t, "type", "text", "emoji", "verbatim")
	typ, _ := c.str(where, t, "type")
	s := c.text(where, t, "text", 1, maxLen)
	switch typ {
	case "mrkdwn":
		c.slackMrkdwn(where+".text", s)
	case "plain_text":
	default:
		c.add("%s.type %q, want mrkdwn or plain_text", where, typ)
	}
}

// slackAngle is what may follow "<" in Slack's mrkdwn: a link to an
// http(s) or mailto address with an optional label, none of it holding
// another "<" or ">".
var slackAngle = regexp.MustCompile(`^<((?:https?://|mailto:)[^|<>\s]+)(\|[^<>]*)?>`)

// slackMrkdwn checks that "<" in mrkdwn only opens a link: unescaped, it
// could mention a channel (<!channel>) or a user.
func (c *checker) slackMrkdwn(where, s string) {
	for i := strings.IndexByte(s, '<'); i >= 0; {
		m := slackAngle.FindString(s[i:])
		if m == "" {
			end := min(len(s), i+30)
			c.add("%s: unescaped %q is not a link", where, s[i:end])
			return
		}
		next := strings.IndexByte(s[i+len(m):], '<')
		if next < 0 {
			break
		}
		i += len(m) + next
	}
}

// teamsVersions are the Adaptive Card versions Teams renders.
var teamsVersions = []string{"1.0", "1.1", "1.2", "1.3", "1.4", "1.5"}

func (c *checker) teams(v map[string]any) {
	c.keys("message", v, "type", "attachments")
	if t, _ := c.str("message", v, "type"); t != "message" {
		c.add("message.type %q, want message", t)
	}
	for i, a := range c.list("message", v, "attachments", 1, 10) {
		where := fmt.Sprintf("attachments[%d]", i)
		c.keys(where, a, "contentType", "contentUrl", "content")
		if ct, _ := c.str(where, a, "contentType"); ct != "application/vnd.microsoft.card.adaptive" {
			c.add("%s.contentType %q, want application/vnd.microsoft.card.adaptive", where, ct)
		}
		if cu, ok := a["contentUrl"]; !ok || cu != nil {
			c.add("%s.contentUrl must be null", where)
		}
		card := c.obj(where, a, "content", true)
		if card == nil {
			continue
		}
		where += ".content"
		c.keys(where, card, "$schema", "type", "version", "body", "actions", "msteams", "fallbackText")
		if s, _ := c.str(where, card, "$schema"); s != "http://adaptivecards.io/schemas/adaptive-card.json" {
			c.add("%s.$schema %q", where, s)
		}
		if t, _ := c.str(where, card, "type"); t != "AdaptiveCard" {
			c.add("%s.type %q, want AdaptiveCard", where, t)
		}
		if ver, _ := c.str(where, card, "version"); !slices.Contains(teamsVersions, ver) {
			c.add("%s.version %q, want one of %v", where, ver, teamsVersions)
		}
		c.teamsElements(where+".body", c.list(where, card, "body", 1, 0))
		for j, act := range c.list(where, card, "actions", 0, 6) {
			aw := fmt.Sprintf("%s.actions[%d]", where, j)
			c.keys(aw, act, "type", "title", "url", "style")
			if t, _ := c.str(aw, act, "type"); t != "Action.OpenUrl" {
				c.add("%s.type %q, want Action.OpenUrl", aw, t)
			}
			c.text(aw, act, "title", 1, 0)
			u, _ := c.str(aw, act, "url")
			c.link(aw+".url", u, 0)
		}
	}
}

// teamsColors are the colours a TextBlock may name.
var teamsColors = []string{"default", "dark", "light", "accent", "good", "warning", "attention"}

func (c *checker) teamsElements(where string, els []map[string]any) {
	for i, e := range els {
		ew := fmt.Sprintf("%s[%d]", where, i)
		typ, _ := c.str(ew, e, "type")
		switch typ {
		case "TextBlock":
			c.keys(ew, e, "type", "text", "wrap", "size", "weight", "color", "isSubtle", "spacing", "separator", "maxLines")
			c.text(ew, e, "text", 1, 0)
			if col, ok := c.str(ew, e, "color"); ok && !slices.Contains(teamsColors, col) {
				c.add("%s.color %q, want one of %v", ew, col, teamsColors)
			}
		case "FactSet":
			c.keys(ew, e, "type", "facts", "spacing", "separator")
			for j, f := range c.list(ew, e, "facts", 1, 0) {
				fw := fmt.Sprintf("%s.facts[%d]", ew, j)
				c.keys(fw, f, "title", "value")
				c.text(fw, f, "title", 1, 0)
				c.text(fw, f, "value", 0, 0)
			}
		case "Container":
			c.keys(ew, e, "type", "items", "style", "bleed", "spacing", "separator")
			c.teamsElements(ew+".items", c.list(ew, e, "items", 1, 0))
		default:
			c.add("%s: element type %q is not one Beacon sends", ew, typ)
		}
	}
}

func (c *checker) discord(v map[string]any) {
	c.keys("message", v, "content", "username", "avatar_url", "tts", "embeds", "allowed_mentions", "flags", "thread_name")
	content := c.text("message", v, "content", 0, 2000)
	embeds := c.list("message", v, "embeds", 0, 10)
	if content == "" && len(embeds) == 0 {
		c.add("message: no content and no embeds (Discord: Cannot send an empty message)")
	}
	if am := c.obj("message", v, "allowed_mentions", false); am != nil {
		c.keys("allowed_mentions", am, "parse", "roles", "users", "replied_user")
		if p, ok := am["parse"].([]any); ok {
			for _, x := range p {
				if s, _ := x.(string); s != "roles" && s != "users" && s != "everyone" {
					c.add("allowed_mentions.parse holds %v", x)
				}
			}
		}
	}
	total := 0
	for i, e := range embeds {
		where := fmt.Sprintf("embeds[%d]", i)
		c.keys(where, e, "title", "type", "description", "url", "timestamp", "color", "footer", "author", "fields", "image", "thumbnail")
		count := func(s string) { total += utf8.RuneCountInString(s) }
		count(c.text(where, e, "title", 0, 256))
		count(c.text(where, e, "description", 0, 4096))
		if u, ok := c.str(where, e, "url"); ok {
			c.link(where+".url", u, 0)
		}
		if ts, ok := c.str(where, e, "timestamp"); ok {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				c.add("%s.timestamp %q is not ISO 8601", where, ts)
			}
		}
		if col, ok := e["color"]; ok {
			n, isNum := col.(json.Number)
			x, err := n.Int64()
			if !isNum || err != nil || x < 0 || x > 0xFFFFFF {
				c.add("%s.color %v, want an RGB integer", where, col)
			}
		}
		if f := c.obj(where, e, "footer", false); f != nil {
			c.keys(where+".footer", f, "text", "icon_url")
			count(c.text(where+".footer", f, "text", 1, 2048))
		}
		if a := c.obj(where, e, "author", false); a != nil {
			c.keys(where+".author", a, "name", "url", "icon_url")
			count(c.text(where+".author", a, "name", 1, 256))
			if u, ok := c.str(where+".author", a, "url"); ok {
				c.link(where+".author.url", u, 0)
			}
		}
		for j, f := range c.list(where, e, "fields", 0, 25) {
			fw := fmt.Sprintf("%s.fields[%d]", where, j)
			c.keys(fw, f, "name", "value", "inline")
			count(c.text(fw, f, "name", 1, 256))
			count(c.text(fw, f, "value", 1, 1024))
		}
	}
	if total > 6000 {
		c.add("the embeds hold %d characters, more than 6,000", total)
	}
}

func (c *checker) mattermost(v map[string]any) {
	c.keys("message", v, "text", "username", "icon_url", "icon_emoji", "channel", "attachments", "props", "type", "priority")
	total := utf8.RuneCountInString(c.text("message", v, "text", 0, 0))
	atts := c.list("message", v, "attachments", 0, 0)
	if total == 0 && len(atts) == 0 {
		c.add("message: no text and no attachments")
	}
	for i, a := range atts {
		where := fmt.Sprintf("attachments[%d]", i)
		c.keys(where, a, "fallback", "color", "pretext", "author_name", "author_link", "author_icon", "title", "title_link",
			"text", "fields", "image_url", "thumb_url", "footer", "footer_icon", "ts")
		for _, k := range []string{"fallback", "pretext", "author_name", "title", "text", "footer"} {
			total += utf8.RuneCountInString(c.text(where, a, k, 0, 0))
		}
		if col, ok := c.str(where, a, "color"); ok && col != "good" && col != "warning" && col != "danger" &&
			!regexp.MustCompile(`^#[0-9a-fA-F]{6}$`).MatchString(col) {
			c.add("%s.color %q, want #rrggbb, good, warning or danger", where, col)
		}
		for _, k := range []string{"title_link", "author_link"} {
			if u, ok := c.str(where, a, k); ok {
				c.link(where+"."+k, u, 0)
			}
		}
		if ts, ok := a["ts"]; ok {
			if _, isNum := ts.(json.Number); !isNum {
				if _, isStr := ts.(string); !isStr {
					c.add("%s.ts is %T, want a number", where, ts)
				}
			}
		}
		for j, f := range c.list(where, a, "fields", 0, 0) {
			fw := fmt.Sprintf("%s.fields[%d]", where, j)
			c.keys(fw, f, "title", "value", "short")
			total += utf8.RuneCountInString(c.text(fw, f, "title", 0, 0)) + utf8.RuneCountInString(c.text(fw, f, "value", 0, 0))
			if s, ok := f["short"]; ok {
				if _, isBool := s.(bool); !isBool {
					c.add("%s.short is %T, want a boolean", fw, s)
				}
			}
		}
	}
	if total > 16383 {
		c.add("the post holds %d characters, more than Mattermost's 16,383", total)
	}
}

func (c *checker) google(v map[string]any) {
	c.keys("message", v, "text", "cardsV2", "thread", "fallbackText")
	text := c.text("message", v, "text", 0, 4096)
	cards := c.list("message", v, "cardsV2", 0, 0)
	if text == "" && len(cards) == 0 {
		c.add("message: no text and no cardsV2")
	}
	for i, cd := range cards {
		where := fmt.Sprintf("cardsV2[%d]", i)
		c.keys(where, cd, "cardId", "card")
		c.text(where, cd, "cardId", 1, 0)
		card := c.obj(where, cd, "card", true)
		if card == nil {
			continue
		}
		where += ".card"
		c.keys(where, card, "header", "sections")
		if h := c.obj(where, card, "header", false); h != nil {
			c.keys(where+".header", h, "title", "subtitle", "imageUrl", "imageType")
			c.text(where+".header", h, "title", 1, 0)
			c.text(where+".header", h, "subtitle", 0, 0)
		}
		for j, s := range c.list(where, card, "sections", 1, 0) {
			sw := fmt.Sprintf("%s.sections[%d]", where, j)
			c.keys(sw, s, "header", "widgets", "collapsible", "uncollapsibleWidgetsCount")
			if h, ok := c.str(sw, s, "header"); ok {
				c.googleHTML(sw+".header", h)
			}
			for k, w := range c.list(sw, s, "widgets", 1, 0) {
				c.googleWidget(fmt.Sprintf("%s.widgets[%d]", sw, k), w)
			}
		}
	}
}

func (c *checker) googleWidget(where string, w map[string]any) {
	if len(w) != 1 {
		c.add("%s: a widget holds exactly one of textParagraph, decoratedText, buttonList, divider", where)
	}
	for k, x := range w {
		o, _ := x.(map[string]any)
		switch k {
		case "textParagraph":
			c.keys(where+".textParagraph", o, "text")
			c.googleHTML(where+".textParagraph.text", c.text(where+".textParagraph", o, "text", 1, 0))
		case "decoratedText":
			c.keys(where+".decoratedText", o, "topLabel", "text", "bottomLabel", "wrapText")
			c.googleHTML(where+".decoratedText.text", c.text(where+".decoratedText", o, "text", 1, 0))
		case "buttonList":
			for i, b := range c.list(where+".buttonList", o, "buttons", 1, 0) {
				bw := fmt.Sprintf("%s.buttonList.buttons[%d]", where, i)
				c.keys(bw, b, "text", "onClick")
				c.text(bw, b, "text", 1, 0)
				link := c.obj(bw+".onClick", c.obj(bw, b, "onClick", true), "openLink", true)
				u, _ := c.str(bw+".onClick.openLink", link, "url")
				c.link(bw+".onClick.openLink.url", u, 0)
			}
		case "divider":
			if len(o) != 0 {
				c.add("%s.divider is not empty", where)
			}
		default:
			c.add("%s: widget %q is not one Beacon sends", where, k)
		}
	}
}

// googleTag matches one tag of Google Chat's card HTML subset.
var googleTag = regexp.MustCompile(`^<(/?)(b|i|u|s|strike|font|a|br)((?: [a-z]+="[^"<>]*")*)\s*/?>`)

// googleEntity matches an escaped character.
var googleEntity = regexp.MustCompile(`^&(amp|lt|gt|quot|#39|#[0-9]+);`)

// googleHTML checks card text: only the subset's tags, properly nested,
// with safe attributes, and every "&" an entity.
func (c *checker) googleHTML(where, s string) {
	var open []string
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '&':
			if googleEntity.FindString(s[i:]) == "" {
				c.add("%s: unescaped & at %q", where, s[i:min(len(s), i+20)])
				return
			}
		case '<':
			m := googleTag.FindStringSubmatch(s[i:])
			if m == nil {
				c.add("%s: %q is not a tag of Google Chat's card HTML", where, s[i:min(len(s), i+20)])
				return
			}
			closing, tag, attrs := m[1] == "/", m[2], m[3]
			switch {
			case tag == "br":
			case closing:
				if len(open) == 0 || open[len(open)-1] != tag {
					c.add("%s: </%s> closes nothing open", where, tag)
					return
				}
				open = open[:len(open)-1]
			default:
				open = append(open, tag)
			}
			for _, a := range regexp.MustCompile(`([a-z]+)="([^"]*)"`).FindAllStringSubmatch(attrs, -1) {
				switch {
				case tag == "a" && a[1] == "href":
					if href := strings.NewReplacer("&amp;", "&").Replace(a[2]); !strings.HasPrefix(href, "mailto:") {
						c.link(where+" href", href, 0)
					}
				case tag == "font" && a[1] == "color" && regexp.MustCompile(`^#[0-9a-fA-F]{6}$`).MatchString(a[2]):
				default:
					c.add("%s: attribute %s=%q on <%s>", where, a[1], a[2], tag)
				}
			}
			i += len(m[0]) - 1
		}
	}
	if len(open) > 0 {
		c.add("%s: <%s> is never closed", where, open[len(open)-1])
	}
}
