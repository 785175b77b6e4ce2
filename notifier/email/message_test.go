package email

import (
	"bytes"
	"io"
	"math/rand/v2"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

// TestAppendQP checks the quoted-printable encoder against the standard
// library's decoder, and the line rules SMTP needs: CRLF only, at most
// 76 characters, no line starting with a dot.
func TestAppendQP(t *testing.T) {
	tests := map[string]string{
		"empty":                "",
		"plain":                "We are investigating.",
		"equals":               `<p style="margin:0">a=b</p>`,
		"utf-8":                "Investigating – naïve café ✓",
		"trailing space":       "line one  \nline two\t\nend ",
		"dots":                 ".\n..start\nmiddle.\n.",
		"crlf and cr":          "a\r\nb\rc\n\nd",
		"long line":            strings.Repeat("abcdefghij", 30),
		"long line of escapes": strings.Repeat("é=", 60),
		"long with spaces":     strings.Repeat("word ", 40) + "\n" + strings.Repeat(".", 200),
		"control":              "tab\there\x00nul\x7fdel",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab .=\t\r\n\xc3\xa9-")
	for i := range 200 {
		b := make([]byte, rng.IntN(400))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		tests["random "+string(rune('A'+i%26))+string(rune('a'+i/26))] = string(b)
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			out := appendQP(nil, in)
			got, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(out)))
			if err != nil {
				t.Fatalf("decode %q: %v", out, err)
			}
			// Line breaks come back as CRLF whatever they were.
			want := strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\r", "\n"), "\n", "\r\n")
			if string(got) != want {
				t.Errorf("round trip of %q:\ngot  %q\nwant %q\nencoded %q", in, got, want, out)
			}
			for _, line := range strings.Split(string(out), "\r\n") {
				if len(line) > maxLine {
					t.Errorf("line of %d characters: %q", len(line), line)
				}
				if strings.HasPrefix(line, ".") {
					t.Errorf("line starts with a dot: %q", line)
				}
				if strings.ContainsAny(line, "\r\n") {
					t.Errorf("bare CR or LF in %q", line)
				}
				if strings.HasSuffix(line, " ") || strings.HasSuffix(line, "\t") {
					t.Errorf("trailing white space in %q", line)
				}
			}
		})
	}
}

// A composed message goes to DATA as it is: no line may start with a dot,
// whatever the subject, headers and parts hold; a header name that would
// start one is refused.
func TestComposeNoLineStartsWithDot(t *testing.T) {
	s := &Sender{}
	s.from.Store(newIdentity("status@example.com", ".Example"))
	m := notifier.Message{
		To:      "a@example.com",
		Subject: ". leading dot " + strings.Repeat(".word ", 30),
		Text:    ".\n..two\n.",
		HTML:    "<p>\n.</p>\n.",
		Headers: map[string]string{"X-Note": ". " + strings.Repeat(".x ", 40)},
	}
	data, _, err := s.compose(nil, m, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.HasPrefix(data, []byte(".")) || bytes.Contains(data, []byte("\n.")) {
		t.Errorf("a line starts with a dot:\n%s", data)
	}
	m.Headers = map[string]string{".X-Dot": "v"}
	if _, _, err := s.compose(nil, m, time.Now()); err == nil {
		t.Error("a header name starting with a dot was accepted")
	}
}

func TestAppendHeaderFolds(t *testing.T) {
	value := strings.Repeat("<https://status.example.com/unsubscribe/abcdefghij> ", 4)
	got := string(appendHeader(nil, "List-Unsubscribe", strings.TrimSpace(value)))
	lines := strings.Split(strings.TrimSuffix(got, "\r\n"), "\r\n")
	if len(lines) < 2 {
		t.Fatalf("got %q, want it folded", got)
	}
	for i, line := range lines {
		if len(line) > maxLine {
			t.Errorf("line %d has %d characters: %q", i, len(line), line)
		}
		if i > 0 && !strings.HasPrefix(line, " ") {
			t.Errorf("continuation line %q does not start with a space", line)
		}
	}
	if unfolded := strings.ReplaceAll(got, "\r\n ", " "); unfolded != "List-Unsubscribe: "+strings.TrimSpace(value)+"\r\n" {
		t.Errorf("unfolded %q", unfolded)
	}
}

// TestAppendBodyLayout checks that a layout encoded line by line, once,
// gives the bytes of its filled text encoded whole.
func TestAppendBodyLayout(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte("ab .=\t\r\n\xc3\xa9-")
	randText := func(max int) string {
		b := make([]byte, rng.IntN(max))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	layouts := []*notifier.Layout{
		{Pieces: []string{"Manage: https://x/m?token=", "\nUnsubscribe: https://x/u/", "\n"}, Holes: []int{0, 1}},
		{Pieces: []string{`<a href="https://x/m?token=`, `" style="color:#57606a;">Manage</a> · <a href="https://x/u/`, `">Unsubscribe</a>`}, Holes: []int{0, 1}},
		{Pieces: []string{"", ""}, Holes: []int{1}},
		{Pieces: []string{strings.Repeat("long line ", 20), strings.Repeat("=", 80) + "\r", "\n.", " \n"}, Holes: []int{0, 1, 0}},
	}
	for range 300 {
		n := rng.IntN(4)
		l := &notifier.Layout{Pieces: []string{randText(200)}}
		for range n {
			l.Holes = append(l.Holes, rng.IntN(2))
			l.Pieces = append(l.Pieces, randText(200))
		}
		layouts = append(layouts, l)
	}
	valueSets := [][]string{
		{"manage.abc.0.XyZ-_~%2F", "unsubscribe.abc.0.q"},
		{strings.Repeat("v", 90), "."},
		{"", "x"},     // falls back to encoding the filled text
		{"a\nb", "c"}, // likewise
	}
	for i, l := range layouts {
		for _, values := range valueSets {
			want := appendQP(nil, l.Fill(values))
			for round := range 2 { // the second from the cached encoding
				if got := appendBody(nil, "", l, values); !bytes.Equal(got, want) {
					t.Fatalf("layout %d %q, values %q, round %d:\ngot  %q\nwant %q", i, l.Pieces, values, round, got, want)
				}
			}
		}
	}
}

// TestComposeThreadingAndAutomatedHeaders checks that ids without a
// domain in Message-ID, In-Reply-To and References get the sender
// address's (so every Message-ID of a page carries one domain), that ids
// with a domain are left alone, and that every message is marked as
// automated so that out-of-office replies stay away, unless the message
// says otherwise.
func TestComposeThreadingAndAutomatedHeaders(t *testing.T) {
	s := &Sender{}
	s.from.Store(newIdentity("status@mail.example.org", "Acme"))
	tests := []struct {
		name    string
		headers map[string]string
		want    map[string]string
		msgID   string
	}{
		{"reply without domains", map[string]string{
			"Message-ID": "<event-7.sub1>", "In-Reply-To": "<incident-abc.sub1>", "references": "<incident-abc.sub1> <x@other.example>",
		}, map[string]string{
			"Message-Id": "<event-7.sub1@mail.example.org>", "In-Reply-To": "<incident-abc.sub1@mail.example.org>",
			"References":     "<incident-abc.sub1@mail.example.org> <x@other.example>",
			"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All",
		}, "<event-7.sub1@mail.example.org>"},
		{"id with its own domain", map[string]string{"Message-ID": "<root@status.example.com>"}, map[string]string{
			"Message-Id": "<root@status.example.com>", "In-Reply-To": "", "Auto-Submitted": "auto-generated",
		}, "<root@status.example.com>"},
		{"message's own auto headers", map[string]string{"auto-submitted": "auto-replied", "X-Auto-Response-Suppress": "OOF"}, map[string]string{
			"Auto-Submitted": "auto-replied", "X-Auto-Response-Suppress": "OOF",
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := notifier.Message{To: "a@example.com", Subject: "s", Text: "t", Headers: tt.headers}
			raw, env, err := s.compose(nil, m, time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			msg, err := netmail.ReadMessage(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.want {
				if got := msg.Header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			for _, k := range []string{"Auto-Submitted", "X-Auto-Response-Suppress", "Message-Id"} {
				if n := len(msg.Header[k]); n != 1 {
					t.Errorf("%d %s headers, want 1", n, k)
				}
			}
			if tt.msgID != "" && env.msgID != tt.msgID {
				t.Errorf("returned Message-ID %q, want %q", env.msgID, tt.msgID)
			}
			if !strings.HasSuffix(msg.Header.Get("Message-Id"), "@mail.example.org>") && tt.msgID == "" {
				t.Errorf("new Message-ID %q is not on the sender's domain", msg.Header.Get("Message-Id"))
			}
		})
	}
}
