package templates

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/beacon-status/beacon/internal/chars"
)

// Dialect is a chat platform's way of formatting text, which ChatText
// writes staff-written Markdown in.
type Dialect string

// The dialects.
const (
	// Slack is Slack's mrkdwn: *bold*, _italic_, ~strike~, `code`,
	// <url|label>, "> " quotes; &, < and > escaped as entities.
	Slack Dialect = "slack"
	// Discord is Discord's Markdown, close to CommonMark: **bold**,
	// *italic*, ~~strike~~, [label](url); punctuation escaped with "\".
	Discord Dialect = "discord"
	// Mattermost is Mattermost's Markdown, Discord's with mentions
	// (@channel, @all) broken by a word joiner: a status update must not
	// ping a whole channel.
	Mattermost Dialect = "mattermost"
	// Teams is the Markdown subset of an Adaptive Card's TextBlock:
	// **bold**, _italic_, [label](url), lists; no headings, quotes or
	// code, which are written as plain text.
	Teams Dialect = "teams"
	// GoogleChat is the HTML subset of a Google Chat card's text: <b>,
	// <i>, <s>, <a href>, <br>; everything else escaped.
	GoogleChat Dialect = "google_chat"
)

// rules are how a dialect writes each part of a Markdown document.
type rules struct {
	bold, italic, strike, code [2]string // around the text; empty: the text alone
	fence                      [2]string // around a code block; empty: its lines as text
	quote                      string    // before each quoted line; "" leaves them as they are
	bullet                     string
	indent                     string // before each line of a nested list
	lineBreak                  string // a hard line break, or a line of a code block
	softBreak                  string // a line break of the source inside a paragraph
	itemBreak                  string // between the items of a tight list
	blockSep                   string // between blocks
	escape                     func(string) string
	codeEscape                 func(string) string
	link                       func(dest, label string) string
	// lineStart escapes what would start a block at the start of a line
	// ("1. ", "- "), where the dialect has such blocks.
	lineStart func(string) string
}

var (
	slackEscaper  = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	htmlEscaper   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")
	markdownMarks = regexp.MustCompile("[\\\\`*_~|<>\\[\\]()#]")
	// mdLineStart matches what CommonMark reads as a list item or a
	// heading's underline at the start of a line of text.
	mdLineStart = regexp.MustCompile(`(?m)^(\s*)(\d+)([.)])( |$)|^(\s*)([-+=])( |$)`)
	// mention matches an @ that starts a word: what Mattermost reads as a
	// mention.
	mention = regexp.MustCompile(`(^|[^\p{L}\p{N}_.-])@([\p{L}\p{N}_])`)
)

func markdownEscape(s string) string { return markdownMarks.ReplaceAllString(s, `\$0`) }

func markdownLineStart(s string) string {
	return mdLineStart.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdLineStart.FindStringSubmatch(m)
		if sub[2] != "" {
			return sub[1] + sub[2] + `\` + sub[3] + sub[4]
		}
		return sub[5] + `\` + sub[6] + sub[7]
	})
}

// markdownURL keeps a link's destination inside (…).
var markdownURL = strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E")

func (d Dialect) rules() rules {
	keep := func(s string) string { return s }
	md := rules{
		bold: [2]string{"**", "**"}, italic: [2]string{"*", "*"}, strike: [2]string{"~~", "~~"}, code: [2]string{"`", "`"},
		fence: [2]string{"```\n", "\n```"}, quote: "> ", bullet: "- ", indent: "  ",
		lineBreak: "\n", softBreak: "\n", itemBreak: "\n", blockSep: "\n\n",
		escape: markdownEscape, codeEscape: func(s string) string { return strings.ReplaceAll(s, "`", "ˋ") },
		link:      func(dest, label string) string { return "[" + label + "](" + markdownURL.Replace(dest) + ")" },
		lineStart: markdownLineStart,
	}
	switch d {
	case Slack:
		return rules{
			bold: [2]string{"*", "*"}, italic: [2]string{"_", "_"}, strike: [2]string{"~", "~"}, code: [2]string{"`", "`"},
			fence: [2]string{"```\n", "\n```"}, quote: "> ", bullet: "• ", indent: "    ",
			lineBreak: "\n", softBreak: "\n", itemBreak: "\n", blockSep: "\n\n",
			escape:     slackEscaper.Replace,
			codeEscape: func(s string) string { return slackEscaper.Replace(strings.ReplaceAll(s, "`", "ˋ")) },
			link: func(dest, label string) string {
				return "<" + slackEscaper.Replace(strings.NewReplacer("|", "%7C", "<", "%3C", ">", "%3E").Replace(dest)) + "|" + label + ">"
			},
			lineStart: keep,
		}
	case Mattermost:
		md.escape = func(s string) string { return mention.ReplaceAllString(markdownEscape(s), "$1@\u2060$2") }
		return md
	case Teams:
		return rules{
			bold: [2]string{"**", "**"}, italic: [2]string{"_", "_"}, bullet: "- ", indent: "  ",
			lineBreak: "\n\n", softBreak: " ", itemBreak: "\n", blockSep: "\n\n",
			escape: keep, codeEscape: keep,
			link: func(dest, label string) string {
				return "[" + strings.NewReplacer("[", "(", "]", ")").Replace(label) + "](" + markdownURL.Replace(dest) + ")"
			},
			lineStart: keep,
		}
	case GoogleChat:
		return rules{
			bold: [2]string{"<b>", "</b>"}, italic: [2]string{"<i>", "</i>"}, strike: [2]string{"<s>", "</s>"},
			bullet: "• ", indent: "\u00a0\u00a0\u00a0\u00a0",
			lineBreak: "<br>", softBreak: "<br>", itemBreak: "<br>", blockSep: "<br><br>",
			escape: htmlEscaper.Replace, codeEscape: htmlEscaper.Replace,
			link: func(dest, label string) string {
				return `<a href="` + htmlEscaper.Replace(dest) + `">` + label + "</a>"
			},
			lineStart: keep,
		}
	}
	return md
}

// ChatText writes staff-written Markdown in a chat platform's dialect, in
// at most limit characters (runes; 0 for no limit). Raw HTML is dropped,
// and a link whose address is not http, https or mailto keeps its label
// alone. A text too long keeps its first blocks whole; the block that
// does not fit is cut short as plain text (so that no bold, link or code
// is left open), ending with "…". Control characters are removed first
// (internal/chars).
func (s *Set) ChatText(src string, d Dialect, limit int) string {
	if limit <= 0 {
		return strings.Join(s.ChatTexts(src, d, 0, 1), "")
	}
	return strings.Join(s.ChatTexts(src, d, limit, 1), "")
}

// ChatTexts is ChatText for a platform that takes text in parts of at
// most size characters each (0 for no limit), such as Slack's sections:
// up to parts parts, each made of whole blocks, the next part starting
// where a block does not fit; the last part ends as ChatText's text does
// when the rest does not fit it. Empty Markdown gives no part.
func (s *Set) ChatTexts(src string, d Dialect, size, parts int) []string {
	source := []byte(chars.Clean(src))
	doc := s.markdown.Parser().Parse(text.NewReader(source))
	w := chatWriter{source: source, r: d.rules()}
	plain := plainPrinter{source: source}
	var out []string
	var b strings.Builder
	used := 0
	flush := func() {
		if b.Len() > 0 {
			out = append(out, chars.Clean(b.String()))
		}
		b.Reset()
		used = 0
	}
	for n := doc.FirstChild(); n != nil; n = n.NextSibling() {
		block := w.block(n)
		if block == "" {
			continue
		}
		sep := ""
		if used > 0 {
			sep = w.r.blockSep
		}
		blockLen := utf8.RuneCountInString(block)
		if size <= 0 || used+utf8.RuneCountInString(sep)+blockLen <= size {
			b.WriteString(sep + block)
			used += utf8.RuneCountInString(sep) + blockLen
			continue
		}
		if used > 0 && len(out) < parts-1 && blockLen <= size {
			flush()
			b.WriteString(block)
			used = blockLen
			continue
		}
		if used > 0 && len(out) < parts-1 {
			flush()
			sep = ""
		}
		// The rest as plain text, cut to the room left before "…"; when
		// none of it fits, "…" ends the blocks that did, if it can.
		room := size - used - utf8.RuneCountInString(sep) - 1
		if cut := w.plainCut(plain.block(n), room); cut != "" && room > 0 {
			b.WriteString(sep + cut + "…")
		} else if used < size {
			b.WriteString("…")
		}
		break
	}
	flush()
	if len(out) > max(parts, 1) {
		out = out[:max(parts, 1)]
	}
	return out
}

// plainCut writes as much of the plain text p as fits in room characters
// once escaped, cut at a rune boundary and trimmed.
func (w chatWriter) plainCut(p string, room int) string {
	write := func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		for i, l := range lines {
			lines[i] = w.r.escape(l)
		}
		return strings.Join(lines, w.r.lineBreak)
	}
	runes := []rune(p)
	lo, hi := 0, len(runes) // the longest prefix that fits is in [lo, hi]
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if utf8.RuneCountInString(write(string(runes[:mid]))) <= room {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return write(string(runes[:lo]))
}

// chatWriter writes a Markdown tree in a dialect.
type chatWriter struct {
	source []byte
	r      rules
}

// wrap puts marks around s, outside any spaces it starts or ends with
// (most dialects ignore "* bold *"); s alone when there are no marks or
// nothing to mark.
func wrap(marks [2]string, s string) string {
	core := strings.TrimSpace(s)
	if marks[0] == "" || core == "" {
		return s
	}
	i := strings.Index(s, core)
	return s[:i] + marks[0] + core + marks[1] + s[i+len(core):]
}

// blocks writes n's child blocks joined by sep, leaving out the empty
// ones.
func (w chatWriter) blocks(n ast.Node, sep string) string {
	var parts []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if b := w.block(c); b != "" {
			parts = append(parts, b)
		}
	}
	return strings.Join(parts, sep)
}

// block writes one block.
func (w chatWriter) block(n ast.Node) string {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock:
		return w.r.lineStart(strings.TrimSpace(w.inlines(n)))
	case *ast.Heading:
		return wrap(w.r.bold, strings.TrimSpace(w.inlines(n)))
	case *ast.ThematicBreak:
		return "———"
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		var lines []string
		for i := 0; i < n.Lines().Len(); i++ {
			seg := n.Lines().At(i)
			lines = append(lines, strings.TrimRight(string(seg.Value(w.source)), "\r\n"))
		}
		if w.r.fence[0] == "" {
			for i, l := range lines {
				lines[i] = w.r.escape(l)
			}
			return strings.Join(lines, w.r.lineBreak)
		}
		body := w.r.codeEscape(strings.Join(lines, "\n"))
		return w.r.fence[0] + strings.ReplaceAll(body, "```", "`\u200b``") + w.r.fence[1]
	case *ast.HTMLBlock:
		return ""
	case *ast.Blockquote:
		inner := w.blocks(n, w.r.blockSep)
		if w.r.quote == "" {
			return inner
		}
		lines := strings.Split(inner, "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(w.r.quote+l, " ")
		}
		return strings.Join(lines, "\n")
	case *ast.List:
		sep := w.r.blockSep
		if n.IsTight {
			sep = w.r.itemBreak
		}
		var items []string
		num := n.Start
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			marker := w.r.bullet
			if n.IsOrdered() {
				marker = strconv.Itoa(num) + ". "
				num++
			}
			items = append(items, marker+w.item(c, sep))
		}
		return strings.Join(items, sep)
	}
	return w.blocks(n, w.r.blockSep)
}

// item writes a list item's blocks, a nested list indented.
func (w chatWriter) item(n ast.Node, sep string) string {
	var parts []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		b := w.block(c)
		if b == "" {
			continue
		}
		if _, nested := c.(*ast.List); nested {
			lines := strings.Split(b, w.r.itemBreak)
			for i, l := range lines {
				lines[i] = w.r.indent + l
			}
			b = strings.Join(lines, w.r.itemBreak)
		}
		parts = append(parts, b)
	}
	return strings.Join(parts, sep)
}

// inlines writes the inline children of n.
func (w chatWriter) inlines(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		w.inline(&b, c)
	}
	return b.String()
}

// safeLink reports whether dest may be linked: http, https or mailto.
func safeLink(dest string) bool {
	u, err := url.Parse(dest)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}

// inline writes one inline node and its children.
func (w chatWriter) inline(b *strings.Builder, n ast.Node) {
	switch n := n.(type) {
	case *ast.Text:
		v := n.Segment.Value(w.source)
		if !n.IsRaw() {
			v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
		}
		b.WriteString(w.r.escape(string(v)))
		switch {
		case n.HardLineBreak():
			b.WriteString(w.r.lineBreak)
		case n.SoftLineBreak():
			b.WriteString(w.r.softBreak)
		}
	case *ast.String:
		b.WriteString(w.r.escape(string(n.Value)))
	case *ast.CodeSpan:
		var code strings.Builder
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if t, ok := c.(*ast.Text); ok {
				code.WriteString(strings.ReplaceAll(string(t.Segment.Value(w.source)), "\n", " "))
			}
		}
		if w.r.code[0] == "" {
			b.WriteString(w.r.escape(code.String()))
		} else {
			b.WriteString(wrap(w.r.code, w.r.codeEscape(code.String())))
		}
	case *ast.RawHTML:
		// Dropped, as on the page.
	case *ast.AutoLink:
		dest, label := string(n.URL(w.source)), w.r.escape(string(n.Label(w.source)))
		if n.AutoLinkType == ast.AutoLinkEmail && !strings.HasPrefix(strings.ToLower(dest), "mailto:") {
			dest = "mailto:" + dest
		}
		if safeLink(dest) {
			b.WriteString(w.r.link(dest, label))
		} else {
			b.WriteString(label)
		}
	case *ast.Link, *ast.Image:
		label := strings.TrimSpace(w.inlines(n))
		var dest string
		if l, ok := n.(*ast.Link); ok {
			dest = string(l.Destination)
		} else {
			dest = string(n.(*ast.Image).Destination)
		}
		switch {
		case !safeLink(dest):
			b.WriteString(label)
		case label == "":
			b.WriteString(w.r.link(dest, w.r.escape(dest)))
		default:
			b.WriteString(w.r.link(dest, label))
		}
	case *ast.Emphasis:
		marks := w.r.italic
		if n.Level >= 2 {
			marks = w.r.bold
		}
		b.WriteString(wrap(marks, w.inlines(n)))
	case *extast.Strikethrough:
		b.WriteString(wrap(w.r.strike, w.inlines(n)))
	default:
		b.WriteString(w.inlines(n))
	}
}

// ChatLine writes one line of plain text (a name, a title) in a dialect:
// escaped, its line breaks and control characters removed, at most limit
// characters (0 for no limit), cut with "…".
func ChatLine(s string, d Dialect, limit int) string {
	s = strings.Join(strings.FieldsFunc(chars.CleanLine(s), unicode.IsSpace), " ")
	r := d.rules()
	w := chatWriter{r: r}
	if limit <= 0 || utf8.RuneCountInString(r.escape(s)) <= limit {
		return r.escape(s)
	}
	return w.plainCut(s, limit-1) + "…"
}

// ChatLink writes a link in a dialect: label (plain text) to dest, or the
// label alone when dest is not http, https or mailto.
func ChatLink(dest, label string, d Dialect) string {
	r := d.rules()
	label = r.escape(chars.CleanLine(label))
	if !safeLink(dest) {
		return label
	}
	return r.link(dest, label)
}

// ChatBold writes s, already in the dialect, in bold.
func ChatBold(s string, d Dialect) string { return wrap(d.rules().bold, s) }

// EscapeMarkdown returns Markdown that reads as s: every ASCII
// punctuation mark escaped with "\".
func EscapeMarkdown(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 0x80 && (unicode.IsPunct(r) || unicode.IsSymbol(r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
