package templates

import (
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"

	"github.com/beacon-status/beacon/internal/chars"
)

// PlainText renders staff-written Markdown as plain text for the text part
// of an email: emphasis and code marks dropped, a link written as
// "label (address)", lists with "-" or numbers, quotes with "> ", code
// blocks indented, blocks separated by a blank line. Raw HTML is dropped,
// as the HTML rendering drops it, and so is a dangerous link's address
// (javascript: and the like); control characters are removed from the
// source and the result (internal/chars).
func (s *Set) PlainText(src string) string {
	source := []byte(chars.Clean(src))
	doc := s.markdown.Parser().Parse(text.NewReader(source))
	p := plainPrinter{source: source}
	out := p.blocks(doc, "\n\n")
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return chars.Clean(strings.Trim(strings.Join(lines, "\n"), "\n"))
}

// plainPrinter writes a Markdown tree as plain text.
type plainPrinter struct{ source []byte }

// blocks renders n's child blocks joined by sep, leaving out the empty
// ones (raw HTML).
func (p plainPrinter) blocks(n ast.Node, sep string) string {
	var parts []string
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if b := p.block(c); b != "" {
			parts = append(parts, b)
		}
	}
	return strings.Join(parts, sep)
}

// block renders one block without a trailing line break.
func (p plainPrinter) block(n ast.Node) string {
	switch n := n.(type) {
	case *ast.Paragraph, *ast.TextBlock, *ast.Heading:
		return strings.TrimSpace(p.inlines(n))
	case *ast.ThematicBreak:
		return "----"
	case *ast.CodeBlock, *ast.FencedCodeBlock:
		var b strings.Builder
		lines := n.Lines()
		for i := 0; i < lines.Len(); i++ {
			seg := lines.At(i)
			b.WriteString("    ")
			b.WriteString(strings.TrimRight(string(seg.Value(p.source)), "\r\n"))
			b.WriteByte('\n')
		}
		return strings.TrimRight(b.String(), "\n")
	case *ast.HTMLBlock:
		return ""
	case *ast.Blockquote:
		lines := strings.Split(p.blocks(n, "\n\n"), "\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight("> "+l, " ")
		}
		return strings.Join(lines, "\n")
	case *ast.List:
		sep := "\n"
		if !n.IsTight {
			sep = "\n\n"
		}
		var items []string
		num := n.Start
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			marker := "- "
			if n.IsOrdered() {
				marker = strconv.Itoa(num) + ". "
				num++
			}
			itemSep := "\n\n"
			if n.IsTight {
				itemSep = "\n"
			}
			body := p.blocks(c, itemSep)
			items = append(items, prefixLines(body, marker, strings.Repeat(" ", len(marker))))
		}
		return strings.Join(items, sep)
	}
	return p.blocks(n, "\n\n")
}

// inlines renders the inline children of n.
func (p plainPrinter) inlines(n ast.Node) string {
	var b strings.Builder
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		p.inline(&b, c)
	}
	return b.String()
}

// inline writes one inline node and its children.
func (p plainPrinter) inline(b *strings.Builder, n ast.Node) {
	switch n := n.(type) {
	case *ast.Text:
		v := n.Segment.Value(p.source)
		if !n.IsRaw() {
			v = util.ResolveEntityNames(util.ResolveNumericReferences(util.UnescapePunctuations(v)))
		}
		b.Write(v)
		if n.SoftLineBreak() || n.HardLineBreak() {
			b.WriteByte('\n')
		}
	case *ast.String:
		b.Write(n.Value)
	case *ast.CodeSpan:
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			if t, ok := c.(*ast.Text); ok {
				b.WriteString(strings.ReplaceAll(string(t.Segment.Value(p.source)), "\n", " "))
			}
		}
	case *ast.RawHTML:
		// Dropped, as in the HTML part.
	case *ast.AutoLink:
		b.Write(n.Label(p.source))
	case *ast.Link:
		label := p.inlines(n)
		dest := string(n.Destination)
		b.WriteString(label)
		if dest != "" && dest != label && dest != "mailto:"+label && !html.IsDangerousURL(n.Destination) {
			b.WriteString(" (" + dest + ")")
		}
	case *ast.Image:
		b.WriteString(p.inlines(n))
	case *ast.Emphasis, *extast.Strikethrough:
		b.WriteString(p.inlines(n))
	default:
		b.WriteString(p.inlines(n))
	}
}

// prefixLines puts first before s's first line and rest before each
// later non-empty one.
func prefixLines(s, first, rest string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		switch {
		case i == 0:
			lines[i] = first + l
		case l != "":
			lines[i] = rest + l
		}
	}
	return strings.Join(lines, "\n")
}
