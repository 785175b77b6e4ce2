package templates_test

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/beacon-status/beacon/internal/chattest"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/templates"
)

// TestChatText checks each dialect's writing of the same Markdown: the
// marks each platform renders, its escaping, links, lists, and what it
// cannot show written as plain text.
func TestChatText(t *testing.T) {
	s, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	type want map[templates.Dialect]string
	tests := []struct {
		name string
		in   string
		want want
	}{
		{"emphasis", "We are **investigating** _elevated_ ~~errors~~ in `api`.", want{
			templates.Slack:      "We are *investigating* _elevated_ ~errors~ in `api`.",
			templates.Discord:    "We are **investigating** *elevated* ~~errors~~ in `api`.",
			templates.Mattermost: "We are **investigating** *elevated* ~~errors~~ in `api`.",
			templates.Teams:      "We are **investigating** _elevated_ errors in api.",
			templates.GoogleChat: "We are <b>investigating</b> <i>elevated</i> <s>errors</s> in api.",
		}},
		{"link", "See [the *changelog*](https://example.com/a_(b)?x=1&y=2).", want{
			templates.Slack:      "See <https://example.com/a_(b)?x=1&amp;y=2|the _changelog_>.",
			templates.Discord:    "See [the *changelog*](https://example.com/a_%28b%29?x=1&y=2).",
			templates.Teams:      "See [the _changelog_](https://example.com/a_%28b%29?x=1&y=2).",
			templates.GoogleChat: `See <a href="https://example.com/a_(b)?x=1&amp;y=2">the <i>changelog</i></a>.`,
		}},
		{"autolink and mail", "Status at https://example.com/x or ops@example.com.", want{
			templates.Slack:      "Status at <https://example.com/x|https://example.com/x> or <mailto:ops@example.com|ops@example.com>.",
			templates.Discord:    `Status at [https://example.com/x](https://example.com/x) or [ops@example.com](mailto:ops@example.com).`,
			templates.GoogleChat: `Status at <a href="https://example.com/x">https://example.com/x</a> or <a href="mailto:ops@example.com">ops@example.com</a>.`,
		}},
		{"dangerous link", "[click](javascript:alert(1)) <b>raw</b>", want{
			templates.Slack: "click raw", templates.Discord: "click raw", templates.Teams: "click raw", templates.GoogleChat: "click raw",
		}},
		{"text that looks like markup", `a < b & c > d, 1 \* 2, snake_case, <!channel>`, want{
			templates.Slack:      "a &lt; b &amp; c &gt; d, 1 * 2, snake_case, &lt;!channel&gt;",
			templates.Discord:    `a \< b & c \> d, 1 \* 2, snake\_case, \<!channel\>`,
			templates.GoogleChat: "a &lt; b &amp; c &gt; d, 1 * 2, snake_case, &lt;!channel&gt;",
		}},
		{"mentions", "Hey @channel and @here, mail ops@example.com", want{
			templates.Mattermost: "Hey @\u2060channel and @\u2060here, mail [ops@example.com](mailto:ops@example.com)",
			templates.Discord:    "Hey @channel and @here, mail [ops@example.com](mailto:ops@example.com)",
		}},
		{"a line that would start a list", "Fixed in\n2. step two \\- done\n\\- yes", want{
			templates.Discord: "Fixed in\n2\\. step two - done\n\\- yes",
			templates.Slack:   "Fixed in\n2. step two - done\n- yes",
		}},
		{"lists", "Affected:\n\n* API\n* **Web**\n  * CDN\n\n3. roll back\n4. verify", want{
			templates.Slack:      "Affected:\n\n• API\n• *Web*\n    • CDN\n\n3. roll back\n4. verify",
			templates.Discord:    "Affected:\n\n- API\n- **Web**\n  - CDN\n\n3. roll back\n4. verify",
			templates.Teams:      "Affected:\n\n- API\n- **Web**\n  - CDN\n\n3. roll back\n4. verify",
			templates.GoogleChat: "Affected:<br><br>• API<br>• <b>Web</b><br>\u00a0\u00a0\u00a0\u00a0• CDN<br><br>3. roll back<br>4. verify",
		}},
		{"heading, quote, code", "## Cause\n\n> a bad\n> deploy\n\n```\nrm -rf <dir> `x`\n```", want{
			templates.Slack:      "*Cause*\n\n> a bad\n> deploy\n\n```\nrm -rf &lt;dir&gt; ˋxˋ\n```",
			templates.Discord:    "**Cause**\n\n> a bad\n> deploy\n\n```\nrm -rf <dir> ˋxˋ\n```",
			templates.Teams:      "**Cause**\n\na bad deploy\n\nrm -rf <dir> `x`",
			templates.GoogleChat: "<b>Cause</b><br><br>a bad<br>deploy<br><br>rm -rf &lt;dir&gt; `x`",
		}},
		{"hard break", "One  \nTwo", want{
			templates.Slack: "One\nTwo", templates.Teams: "One\n\nTwo", templates.GoogleChat: "One<br>Two",
		}},
		{"control characters", "a\x07b &#1;c", want{templates.Slack: "ab c", templates.GoogleChat: "ab c"}},
	}
	for _, tt := range tests {
		for d, want := range tt.want {
			t.Run(tt.name+"/"+string(d), func(t *testing.T) {
				if got := s.ChatText(tt.in, d, 0); got != want {
					t.Errorf("ChatText(%q, %s) =\n%q\nwant\n%q", tt.in, d, got, want)
				}
			})
		}
	}
}

// TestChatTextLimit cuts a long text: whole blocks while they fit, then
// the next as plain text, never past the limit, never leaving a mark or
// an escape open, always ending with "…".
func TestChatTextLimit(t *testing.T) {
	s, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	src := "First **paragraph** with [a link](https://example.com/x).\n\n" +
		"Second one is *long*: " + strings.Repeat("é & <x> ", 100) + "\n\n" + "Third."
	for _, d := range []templates.Dialect{templates.Slack, templates.Discord, templates.Mattermost, templates.Teams, templates.GoogleChat} {
		full := s.ChatText(src, d, 0)
		first := s.ChatText("First **paragraph** with [a link](https://example.com/x).", d, 0)
		for _, limit := range []int{utf8.RuneCountInString(full), 300, 120, utf8.RuneCountInString(first) + 1, 10, 1} {
			got := s.ChatText(src, d, limit)
			if n := utf8.RuneCountInString(got); n > limit {
				t.Errorf("%s, limit %d: %d characters", d, limit, n)
			}
			if limit == utf8.RuneCountInString(full) {
				if got != full {
					t.Errorf("%s: the whole text fits exactly, but was cut: %q", d, got)
				}
				continue
			}
			if !strings.HasSuffix(got, "…") {
				t.Errorf("%s, limit %d: %q does not end with …", d, limit, got)
			}
			if limit >= 120 && !strings.HasPrefix(got, first) {
				t.Errorf("%s, limit %d: %q does not keep the first block whole", d, limit, got)
			}
			cut := strings.TrimPrefix(got, first)
			for _, open := range []string{"**", "<b>", "&amp", "&lt", "\\"} {
				if strings.HasSuffix(strings.TrimSuffix(cut, "…"), open) {
					t.Errorf("%s, limit %d: the cut ends inside %q: %q", d, limit, open, got)
				}
			}
			if strings.Count(cut, "*")%2 == 1 && d != templates.Discord && d != templates.Mattermost {
				t.Errorf("%s, limit %d: an odd number of marks after the first block: %q", d, limit, cut)
			}
		}
	}
	if got := s.ChatText(strings.Repeat("x", 50), templates.Slack, 10); got != strings.Repeat("x", 9)+"…" {
		t.Errorf("one long paragraph cut to 10: %q", got)
	}
}

func TestChatLine(t *testing.T) {
	if got := templates.ChatLine("API <down>\n& out", templates.Slack, 0); got != "API &lt;down&gt; &amp; out" {
		t.Errorf("slack: %q", got)
	}
	if got := templates.ChatLine("Acme_Status **x**", templates.Discord, 0); got != `Acme\_Status \*\*x\*\*` {
		t.Errorf("discord: %q", got)
	}
	if got := templates.ChatLine(strings.Repeat("a&", 10), templates.GoogleChat, 12); got != "a&amp;a…" {
		t.Errorf("google cut: %q", got)
	}
	if got := templates.ChatLink("javascript:x", "Open", templates.Slack); got != "Open" {
		t.Errorf("dangerous link: %q", got)
	}
	if got := templates.ChatLink("https://e.example/a|b>c", "A <b>", templates.Slack); got != "<https://e.example/a%7Cb%3Ec|A &lt;b&gt;>" {
		t.Errorf("slack link: %q", got)
	}
}

// chatPayload wraps text the way a message carries it in the platform's
// smallest valid payload, for chattest.Validate.
func chatPayload(d templates.Dialect, text string) (notifier.Channel, []byte) {
	q, _ := json.Marshal(text)
	switch d {
	case templates.Slack:
		return notifier.Slack, []byte(`{"text":"x","blocks":[{"type":"section","text":{"type":"mrkdwn","text":` + string(q) + `}}]}`)
	case templates.GoogleChat:
		return notifier.GoogleChat, []byte(`{"cardsV2":[{"cardId":"c","card":{"sections":[{"widgets":[{"textParagraph":{"text":` + string(q) + `}}]}]}}]}`)
	case templates.Teams:
		return notifier.Teams, []byte(`{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,` +
			`"content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4","body":[{"type":"TextBlock","text":` + string(q) + `}]}}]}`)
	}
	return notifier.Discord, []byte(`{"embeds":[{"description":` + string(q) + `}]}`)
}

// FuzzChatText writes any Markdown in every dialect within a limit: never
// longer, and always what the platform's stand-in accepts (Slack's "<"
// only in links, Google's HTML subset balanced and escaped, no Markdown
// Teams cannot show).
func FuzzChatText(f *testing.F) {
	for _, seed := range []string{"**a** _b_ <c> & [d](https://e.example/f)", "## h\n\n> q\n\n```\ncode\n```", "* a\n  * b\n\n1. c",
		"<!channel> <@U1> @here", "x  \ny", "[a](javascript:x) <b>raw</b>", "&#1; \x00 ~~s~~ `c`"} {
		f.Add(seed, 200)
	}
	s, err := templates.Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src string, limit int) {
		limit = 1 + abs(limit)%500
		for _, d := range []templates.Dialect{templates.Slack, templates.Discord, templates.Mattermost, templates.Teams, templates.GoogleChat} {
			got := s.ChatText(src, d, limit)
			if n := utf8.RuneCountInString(got); n > limit {
				t.Fatalf("%s: %d characters, limit %d", d, n, limit)
			}
			if got == "" {
				continue
			}
			p, body := chatPayload(d, got)
			if problems := chattest.Validate(p, body); len(problems) > 0 {
				t.Fatalf("%s: %q from %q: %v", d, got, src, problems)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestChatTexts splits a long text into parts of whole blocks, the last
// cut as ChatText cuts.
func TestChatTexts(t *testing.T) {
	s, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	p := func(c string) string { return strings.Repeat(c, 1000) }
	src := p("a") + "\n\n" + p("b") + "\n\n" + p("c")
	got := s.ChatTexts(src, templates.Slack, 1500, 2)
	if len(got) != 2 || got[0] != p("a") || !strings.HasPrefix(got[1], p("b")+"\n\nccc") || !strings.HasSuffix(got[1], "c…") ||
		utf8.RuneCountInString(got[1]) != 1500 {
		t.Errorf("two parts of 1,500: %d parts, lengths %v", len(got), lengths(got))
	}
	if got := s.ChatTexts(src, templates.Slack, 1500, 5); len(got) != 3 || got[2] != p("c") {
		t.Errorf("five parts of 1,500: lengths %v, want the three paragraphs whole", lengths(got))
	}
	if got := s.ChatTexts(src, templates.Slack, 0, 1); len(got) != 1 || got[0] != s.ChatText(src, templates.Slack, 0) {
		t.Errorf("no limit: lengths %v", lengths(got))
	}
	if got := s.ChatTexts("<b></b>", templates.Slack, 100, 3); len(got) != 0 {
		t.Errorf("nothing to show: %q, want no part", got)
	}
}

func lengths(parts []string) []int {
	var out []int
	for _, p := range parts {
		out = append(out, utf8.RuneCountInString(p))
	}
	return out
}
