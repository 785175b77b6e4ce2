package templates

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The Markdown of incident updates passes two layers: goldmark, which
// drops raw HTML and dangerous link destinations, and bluemonday's UGC
// policy, which sanitises goldmark's output again. TestMarkdownIsSafe
// tests the two together, so either could be weakened unnoticed while the
// other holds; these tests and fuzz targets test each alone.

// markdownElements are the elements goldmark with Linkify and
// Strikethrough produces from Markdown, and so all the sanitised output of
// Set.Markdown may hold.
var markdownElements = map[string]bool{
	"p": true, "a": true, "em": true, "strong": true, "del": true, "code": true, "pre": true,
	"blockquote": true, "ul": true, "ol": true, "li": true, "hr": true, "br": true, "img": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
}

// dangerousElements must never come out of the policy, whatever goes in:
// each runs script, loads a document or plug-in, changes how the page's
// links resolve, submits data or switches the parser into a mode where
// the rules above no longer hold.
var dangerousElements = map[string]bool{
	"script": true, "style": true, "iframe": true, "frame": true, "frameset": true, "object": true,
	"embed": true, "applet": true, "base": true, "link": true, "meta": true, "form": true, "input": true,
	"button": true, "textarea": true, "select": true, "option": true, "svg": true, "math": true,
	"template": true, "noscript": true, "xmp": true, "plaintext": true, "noembed": true, "noframes": true,
	"title": true, "html": true, "head": true, "body": true, "portal": true, "dialog": true,
}

// urlAttributes hold URLs a browser follows or loads.
var urlAttributes = map[string]bool{
	"href": true, "src": true, "srcset": true, "action": true, "formaction": true, "cite": true,
	"poster": true, "background": true, "xlink:href": true, "data": true, "longdesc": true, "ping": true,
}

// unsafeScheme reports whether a URL attribute value would run script or
// load inline content. Browsers drop ASCII tab and newline anywhere in a
// URL and leading control characters and spaces, so "java\tscript:" and
// " javascript:" are the same as "javascript:".
func unsafeScheme(v string) bool {
	v = strings.Map(func(r rune) rune {
		if r <= ' ' {
			return -1
		}
		return r
	}, v)
	v = strings.ToLower(v)
	for _, s := range []string{"javascript:", "vbscript:", "data:"} {
		if strings.HasPrefix(v, s) {
			return true
		}
	}
	return false
}

// attrProblems lists what is unsafe in one element's attributes.
func attrProblems(tag string, attrs []html.Attribute) []string {
	var out []string
	for _, a := range attrs {
		name := strings.ToLower(a.Key)
		if a.Namespace != "" {
			name = a.Namespace + ":" + name
		}
		switch {
		case strings.HasPrefix(name, "on"):
			out = append(out, "<"+tag+"> has event handler "+name)
		case name == "style":
			out = append(out, "<"+tag+"> has a style attribute")
		case name == "formaction" || name == "action" || name == "srcdoc":
			out = append(out, "<"+tag+"> has "+name)
		case urlAttributes[name] && unsafeScheme(a.Val):
			out = append(out, "<"+tag+"> "+name+"="+a.Val)
		}
	}
	return out
}

// htmlProblems tokenises out and parses it as a browser would (an HTML
// fragment in a <div>) and lists anything unsafe in either view: an
// element outside allowed (or, with allowed nil, one of
// dangerousElements), an event handler or style attribute, a javascript:,
// vbscript: or data: URL. Checking the parsed tree as well as the tokens
// catches markup that only becomes dangerous once the parser rearranges
// it.
func htmlProblems(out string, allowed map[string]bool) []string {
	var problems []string
	bad := func(tag string) bool {
		if allowed != nil {
			return !allowed[tag]
		}
		return dangerousElements[tag]
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if err := z.Err(); !errors.Is(err, io.EOF) {
				problems = append(problems, "tokeniser: "+err.Error())
			}
			break
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken && tt != html.EndTagToken {
			continue
		}
		tok := z.Token()
		if bad(tok.Data) {
			problems = append(problems, "token <"+tok.Data+">")
		}
		problems = append(problems, attrProblems(tok.Data, tok.Attr)...)
	}

	nodes, err := html.ParseFragment(strings.NewReader(out), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return append(problems, "parse: "+err.Error())
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			if bad(n.Data) || n.Namespace != "" {
				problems = append(problems, "element <"+n.Namespace+" "+n.Data+"> in the parsed tree")
			}
			problems = append(problems, attrProblems(n.Data, n.Attr)...)
		}
		for c := range n.ChildNodes() {
			walk(c)
		}
	}
	for _, n := range nodes {
		walk(n)
	}
	return problems
}

// reserialised parses out as a fragment and renders it again.
func reserialised(out string) (string, error) {
	nodes, err := html.ParseFragment(strings.NewReader(out), &html.Node{Type: html.ElementNode, Data: "div", DataAtom: atom.Div})
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	for _, n := range nodes {
		if err := html.Render(&b, n); err != nil {
			return "", err
		}
	}
	return b.String(), nil
}

func mustLoad(tb testing.TB) *Set {
	tb.Helper()
	s, err := Load()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestPolicyAlone feeds raw unsafe HTML straight to the bluemonday policy,
// as if goldmark had let it through.
func TestPolicyAlone(t *testing.T) {
	s := mustLoad(t)
	tests := []struct {
		name, in   string
		keep       string // text or markup that must survive ("" for none)
		mustNotSee []string
	}{
		{"script", `<script>alert(1)</script>`, "", []string{"<script", "alert(1)"}},
		{"script in text", `hi <script src="https://evil.example/x.js"></script> there`, "hi", []string{"<script", "evil.example"}},
		{"onerror", `<img src=x onerror="alert(1)">`, "", []string{"onerror", "alert"}},
		{"onclick on a kept element", `<p onclick="alert(1)">text</p>`, "<p>text</p>", []string{"onclick"}},
		{"onmouseover on a link", `<a href="https://example.com" onmouseover="alert(1)">x</a>`, `href="https://example.com"`, []string{"onmouseover"}},
		{"javascript href", `<a href="javascript:alert(1)">x</a>`, "x", []string{"javascript:", "href"}},
		{"javascript href, mixed case", `<a href="JaVaScRiPt:alert(1)">x</a>`, "x", []string{"alert", "href"}},
		{"javascript href, entity", `<a href="&#106;avascript:alert(1)">x</a>`, "x", []string{"alert", "href"}},
		{"javascript href, tab", "<a href=\"java\tscript:alert(1)\">x</a>", "x", []string{"alert", "href"}},
		{"javascript href, leading space", `<a href="  javascript:alert(1)">x</a>`, "x", []string{"alert", "href"}},
		{"vbscript href", `<a href="vbscript:msgbox(1)">x</a>`, "x", []string{"vbscript", "href"}},
		{"data href", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>`, "x", []string{"data:", "href"}},
		{"data img", `<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`, "", []string{"data:", "<img"}},
		{"style attribute", `<p style="background:url(javascript:alert(1))">x</p>`, "<p>x</p>", []string{"style", "javascript"}},
		{"style element", `<style>body{background:url(javascript:alert(1))}</style>x`, "x", []string{"<style", "javascript"}},
		{"iframe", `<iframe src="https://evil.example"></iframe>`, "", []string{"<iframe", "evil"}},
		{"iframe srcdoc", `<iframe srcdoc="<script>alert(1)</script>"></iframe>`, "", []string{"<iframe", "srcdoc", "<script"}},
		{"object", `<object data="https://evil.example/x.swf"></object>`, "", []string{"<object", "evil"}},
		{"embed", `<embed src="https://evil.example/x.swf">`, "", []string{"<embed", "evil"}},
		{"svg onload", `<svg onload="alert(1)"><circle r="1"/></svg>`, "", []string{"<svg", "onload"}},
		{"svg script", `<svg><script>alert(1)</script></svg>`, "", []string{"<svg", "<script", "alert"}},
		{"svg animate href", `<svg><a><animate attributeName="href" values="javascript:alert(1)"/><text>x</text></a></svg>`, "", []string{"<svg", "javascript", "<animate"}},
		{"math href", `<math><mi xlink:href="javascript:alert(1)">x</mi></math>`, "", []string{"<math", "javascript"}},
		{"math mglyph mutation", `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`, "", []string{"<math", "onerror", "<style"}},
		{"noscript mutation", `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`, "", []string{"onerror", "<noscript"}},
		{"form", `<form action="https://evil.example"><input name="password"><button formaction="javascript:alert(1)">Go</button></form>`, "", []string{"<form", "<input", "<button", "javascript"}},
		{"base", `<base href="https://evil.example/">`, "", []string{"<base", "evil"}},
		{"meta refresh", `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`, "", []string{"<meta", "javascript"}},
		{"link stylesheet", `<link rel="stylesheet" href="https://evil.example/x.css">`, "", []string{"<link", "evil"}},
		{"template", `<template><img src=x onerror=alert(1)></template>`, "", []string{"<template", "onerror"}},
		{"comment", `<!--<img src=x onerror=alert(1)>-->x`, "x", []string{"onerror", "<!--"}},
		{"safe link kept with nofollow", `<a href="https://example.com/x">docs</a>`, `rel="nofollow"`, nil},
		{"emphasis kept", `<strong>down</strong>`, "<strong>down</strong>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := s.policy.Sanitize(tt.in)
			if !strings.Contains(got, tt.keep) {
				t.Errorf("policy(%q) = %q, want it to contain %q", tt.in, got, tt.keep)
			}
			for _, bad := range tt.mustNotSee {
				if strings.Contains(strings.ToLower(got), strings.ToLower(bad)) {
					t.Errorf("policy(%q) = %q, must not contain %q", tt.in, got, bad)
				}
			}
			if p := htmlProblems(got, nil); len(p) > 0 {
				t.Errorf("policy(%q) = %q: %v", tt.in, got, p)
			}
		})
	}
}

// TestGoldmarkAlone renders Markdown with goldmark as configured, without
// the policy: raw HTML in any form is dropped, and script links lose their
// destination.
func TestGoldmarkAlone(t *testing.T) {
	s := mustLoad(t)
	tests := []struct {
		name, in   string
		want       string
		mustNotSee []string
	}{
		{"raw script block", "<script>alert(1)</script>", "<!-- raw HTML omitted -->", []string{"<script", "alert"}},
		{"inline raw HTML", "hi <b onclick=alert(1)>b</b>", "<p>hi <!-- raw HTML omitted -->b", []string{"onclick", "<b"}},
		{"raw img", `<img src=x onerror=alert(1)>`, "<!-- raw HTML omitted -->", []string{"onerror", "<img"}},
		{"raw iframe", `<iframe src="https://evil.example"></iframe>`, "<!-- raw HTML omitted -->", []string{"<iframe", "evil"}},
		{"raw svg", `<svg onload=alert(1)>`, "<!-- raw HTML omitted -->", []string{"<svg", "onload"}},
		{"raw comment", "<!-- <script>alert(1)</script> -->", "<!-- raw HTML omitted -->", []string{"<script"}},
		{"javascript link", "[x](javascript:alert(1))", `<a href="">x</a>`, []string{"javascript:"}},
		{"javascript link, upper case", "[x](JAVASCRIPT:alert(1))", `<a href="">x</a>`, []string{"JAVASCRIPT:"}},
		{"javascript link, entity", "[x](&#106;avascript:alert(1))", `<a href="">x</a>`, []string{"avascript:"}},
		{"javascript autolink", "<javascript:alert(1)>", `<a href="">`, []string{`href="javascript`}},
		{"vbscript link", "[x](vbscript:msgbox(1))", `<a href="">x</a>`, []string{"vbscript:msgbox"}},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", `<a href="">x</a>`, []string{"data:"}},
		{"data html image", "![x](data:text/html;base64,PHNjcmlwdD4=)", `<img src=""`, []string{"data:"}},
		{"link title", `[x](https://example.com "a\" onmouseover=\"alert(1)")`, `href="https://example.com"`, []string{`" onmouseover="`}},
		{"plain link kept", "[docs](https://example.com/x)", `<a href="https://example.com/x">docs</a>`, nil},
		{"linkify", "see www.example.com", `<a href="http://www.example.com">www.example.com</a>`, nil},
		{"strikethrough", "~~old~~", "<del>old</del>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := s.markdown.Convert([]byte(tt.in), &b); err != nil {
				t.Fatal(err)
			}
			got := b.String()
			if !strings.Contains(got, tt.want) {
				t.Errorf("goldmark(%q) = %q, want it to contain %q", tt.in, got, tt.want)
			}
			for _, bad := range tt.mustNotSee {
				if strings.Contains(got, bad) {
					t.Errorf("goldmark(%q) = %q, must not contain %q", tt.in, got, bad)
				}
			}
		})
	}
}

// FuzzMarkdown renders arbitrary Markdown through both layers: no
// element outside what Markdown makes, no event handler, style or script
// URL, in the tokens or in the tree a browser would build, and output
// that parses and re-serialises to a fixed point.
func FuzzMarkdown(f *testing.F) {
	for _, seed := range []string{
		"We are **looking** into it.",
		"See [the docs](https://example.com/x \"title\").",
		"<script>alert(1)</script>",
		"[x](javascript:alert(1))",
		"![x](data:image/png;base64,AAAA)",
		"<img src=x onerror=alert(1)>",
		"www.example.com/a?b=c&d=e",
		"> quote\n\n- a\n- b\n\n1. c\n\n```\ncode <b>\n```\n\n# h1\n\n~~gone~~\n\n---\n",
		"<a href=\"javascript:alert(1)\">x</a> [a]: javascript:alert(1)\n\n[a]",
		"\x00\x01\x1b[31m\u202e\ufeff",
	} {
		f.Add(seed)
	}
	s := mustLoad(f)
	f.Fuzz(func(t *testing.T, src string) {
		out := string(s.Markdown(src))
		if p := htmlProblems(out, markdownElements); len(p) > 0 {
			t.Fatalf("Markdown(%q) = %q: %v", src, out, p)
		}
		once, err := reserialised(out)
		if err != nil {
			t.Fatalf("Markdown(%q) = %q: parse: %v", src, out, err)
		}
		twice, err := reserialised(once)
		if err != nil {
			t.Fatalf("re-serialised %q: parse: %v", once, err)
		}
		if once != twice {
			t.Fatalf("Markdown(%q) = %q is not a fixed point of parse and render:\n once %q\ntwice %q", src, out, once, twice)
		}
	})
}

// FuzzPolicy feeds arbitrary HTML to the policy alone: nothing dangerous
// survives it, in the tokens or in the tree a browser would build.
func FuzzPolicy(f *testing.F) {
	for _, seed := range []string{
		`<p>ok <strong>bold</strong> <a href="https://example.com">x</a></p>`,
		`<img src=x onerror=alert(1)>`,
		`<a href="java&#x09;script:alert(1)">x</a>`,
		`<svg><script>alert(1)</script></svg>`,
		`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
		`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
		`<p style="x:expression(alert(1))">x</p>`,
		`<table><tr><td><a href="data:text/html,x">x</a></td></tr></table>`,
		`<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>`,
		`<a href=" &#x6a;avascript:alert(1)">x</a><form><button formaction=javascript:alert(1)>`,
	} {
		f.Add(seed)
	}
	s := mustLoad(f)
	f.Fuzz(func(t *testing.T, in string) {
		out := s.policy.Sanitize(in)
		if p := htmlProblems(out, nil); len(p) > 0 {
			t.Fatalf("policy(%q) = %q: %v", in, out, p)
		}
	})
}
