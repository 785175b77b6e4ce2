package messages

import (
	"context"
	"flag"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/palette"
	"github.com/beacon-status/beacon/internal/testutil"
	"github.com/beacon-status/beacon/notifier"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// golden compares got with testdata/name, rewriting it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	testutil.Golden(t, filepath.Join("testdata", name), got, *update)
}

// brand sets the page's logo, accent colour and footer as staff do.
func (f *fixture) brand(tb testing.TB, logo, accent, footer string) {
	tb.Helper()
	if _, err := f.comps.UpdatePage(context.Background(), components.PageInput{LogoURL: &logo, AccentColor: &accent, EmailFooter: &footer}); err != nil {
		tb.Fatal(err)
	}
}

// storeBrand writes the page's branding straight into its row, as an old
// version or a hand-edited database may hold it, past UpdatePage's checks.
func (f *fixture) storeBrand(tb testing.TB, logo, accent, footer string) {
	tb.Helper()
	if _, err := f.db.Write.Exec(`UPDATE pages SET logo_url = ?, accent_color = ?, email_footer = ?`, logo, accent, footer); err != nil {
		tb.Fatal(err)
	}
	f.r.Changed()
}

// button is the colour of an email's call to action ("View incident
// status", "Confirm subscription"), whose text is white.
func button(t *testing.T, htmlPart string) string {
	t.Helper()
	m := regexp.MustCompile(`style="display:inline-block;padding:[0-9px ]+;background:([^;]*);color:#ffffff;`).FindStringSubmatch(htmlPart)
	if m == nil {
		t.Fatalf("no button in:\n%s", htmlPart)
	}
	return m[1]
}

// header is the email's header cell: the page's name or logo.
func header(t *testing.T, htmlPart string) string {
	t.Helper()
	i := strings.Index(htmlPart, `<tr><td style="padding:20px 28px;`)
	j := strings.Index(htmlPart[i:], "</td></tr>")
	if i < 0 || j < 0 {
		t.Fatalf("no header in:\n%s", htmlPart)
	}
	return htmlPart[i : i+j]
}

// signature is a text part from its "-- " line on.
func signature(t *testing.T, text string) string {
	t.Helper()
	i := strings.LastIndex(text, "\n-- \n")
	if i < 0 {
		t.Fatalf("no signature separator in:\n%s", text)
	}
	return text[i+1:]
}

// tokens replaces an email's incident id and its recipient's tokens, for
// a golden file.
func tokens(s, incidentID string) string {
	s = strings.ReplaceAll(s, incidentID, "{incident_id}")
	s = regexp.MustCompile(`manage\?token=[^"\s<]+`).ReplaceAllString(s, "manage?token={manage_token}")
	return regexp.MustCompile(`/unsubscribe/[^"\s<>]+`).ReplaceAllString(s, "/unsubscribe/{unsubscribe_token}")
}

// TestEmailBranding renders an incident's email for a page with a logo, an
// accent colour too light to read on white, and a footer of two lines:
// the logo heads it, the accent draws the header's rule and, darkened to
// read at 4.5:1 under white text, the button and links; the footer ends
// both parts. The parts are kept as golden files.
func TestEmailBranding(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	f.brand(t, "https://cdn.acme.test/logo.png", "#FFD700", "Acme Inc.\n1 Main St <Suite 2> & Co, Springfield")
	alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
	in := f.incident(t, "API errors")
	msg := f.render(t, created(in, alice, 1))
	htmlPart, text := msg.HTMLBody(), msg.TextBody()

	head := header(t, htmlPart)
	if want := `<img src="https://cdn.acme.test/logo.png" alt="Acme" height="32" style="display:block;height:32px;width:auto;max-width:100%;border:0;">`; !strings.Contains(head, want) {
		t.Errorf("the header lacks the logo %s:\n%s", want, head)
	}
	if strings.Contains(strings.ReplaceAll(head, `alt="Acme"`, ""), "Acme") {
		t.Errorf("the header shows the page's name beside its logo:\n%s", head)
	}
	if !strings.Contains(head, "border-bottom:3px solid #ffd700;") {
		t.Errorf("the header's rule is not the accent colour:\n%s", head)
	}
	link := palette.Readable("#ffd700", "#ffffff")
	if got := button(t, htmlPart); got != link {
		t.Errorf("the button is %s, want the accent made readable, %s", got, link)
	}
	if c := palette.Contrast(button(t, htmlPart), "#ffffff"); c < 4.5 {
		t.Errorf("white on the button: contrast %.2f:1, want at least 4.5:1", c)
	}
	if want := `<p style="margin:10px 0 0;">Acme Inc.<br>1 Main St &lt;Suite 2&gt; &amp; Co, Springfield</p>`; !strings.Contains(htmlPart, want) {
		t.Errorf("the HTML part lacks the footer %s:\n%s", want, htmlPart)
	}
	if sig := signature(t, text); !strings.HasSuffix(sig, "\n\nAcme Inc.\n1 Main St <Suite 2> & Co, Springfield\n") || !strings.HasPrefix(sig, "-- \nYou receive this") {
		t.Errorf("the text part's signature does not end with the footer as written:\n%s", sig)
	}
	golden(t, "incident_branded.html", tokens(htmlPart, in.ID))
	golden(t, "incident_branded.txt", tokens(text, in.ID))
}

// TestEmailWithoutBranding: a page with neither logo, accent nor footer
// has its name in the header, the neutral rule and button, and no footer.
func TestEmailWithoutBranding(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
	in := f.incident(t, "API errors")
	msg := f.render(t, created(in, alice, 1))
	htmlPart, text := msg.HTMLBody(), msg.TextBody()
	head := header(t, htmlPart)
	if !strings.Contains(head, `style="color:#1f2328;text-decoration:none;">Acme</a>`) || strings.Contains(head, "<img") {
		t.Errorf("the header does not name the page as text:\n%s", head)
	}
	if !strings.Contains(head, "border-bottom:1px solid #dfe1e6;") {
		t.Errorf("the header's rule is not the neutral one:\n%s", head)
	}
	if got := button(t, htmlPart); got != "#1f2328" {
		t.Errorf("the button is %s, want #1f2328", got)
	}
	if strings.Contains(htmlPart, `<p style="margin:10px 0 0;">`) {
		t.Errorf("the HTML part has a footer:\n%s", htmlPart)
	}
	sig := signature(t, text)
	lines := strings.Split(strings.TrimSuffix(sig, "\n"), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "Unsubscribe: ") || strings.Contains(sig, "\n\n") {
		t.Errorf("the text part's signature has more than the reason and links:\n%s", sig)
	}
	golden(t, "incident_plain.html", tokens(htmlPart, in.ID))
}

// TestEmailBrandingHostile stores branding that UpdatePage refuses — a
// javascript: or data: logo, one that breaks out of its attribute, an
// accent that is CSS, a footer of markup — as an old or hand-edited
// database may hold it: the email shows no such logo or colour, and the
// footer as text.
func TestEmailBrandingHostile(t *testing.T) {
	tests := []struct {
		name, logo, accent string
		wantImg            string // the img's src, "" for none
	}{
		{"javascript logo", "javascript:alert(1)", "#fff;background:url(javascript:alert(2))", ""},
		{"data logo", "data:image/svg+xml,<svg onload=alert(1)>", "red", ""},
		{"protocol-relative logo", "//evil.test/logo.png", "expression(alert(1))", ""},
		{"ftp logo", "ftp://acme.test/logo.png", "", ""},
		{"https without a host", "https:///logo.png", "#0a6b5", ""},
		{"logo breaking out of src", `https://acme.test/a.png" onerror="alert(1)`, "#12345", "https://acme.test/a.png%22%20onerror=%22alert%281%29"},
		{"path on this site", "/static/logo.png", "", "https://status.example.com/static/logo.png"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, "https://status.example.com")
			alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
			in := f.incident(t, "API errors")
			f.storeBrand(t, tt.logo, tt.accent, "<script>alert(1)</script>\n<a href=\"javascript:alert(2)\">x</a>\x07 <b>bold</b>")
			msg := f.render(t, created(in, alice, 1))
			htmlPart, text := msg.HTMLBody(), msg.TextBody()
			doc, err := html.Parse(strings.NewReader(htmlPart))
			if err != nil {
				t.Fatal(err)
			}
			var imgs []string
			for n := range doc.Descendants() {
				if n.Type != html.ElementNode {
					continue
				}
				switch n.Data {
				case "script", "b":
					t.Errorf("the HTML part has a <%s> element", n.Data)
				case "img":
					for _, a := range n.Attr {
						if a.Key == "src" {
							imgs = append(imgs, a.Val)
						}
						if a.Key != "src" && a.Key != "alt" && a.Key != "height" && a.Key != "style" {
							t.Errorf("the logo has the attribute %s=%q", a.Key, a.Val)
						}
					}
				}
				for _, a := range n.Attr {
					if strings.HasPrefix(strings.ToLower(strings.TrimSpace(a.Val)), "javascript:") || strings.Contains(a.Val, "javascript") {
						t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
					}
				}
			}
			switch {
			case tt.wantImg == "" && len(imgs) > 0:
				t.Errorf("the email shows the logo %q", imgs)
			case tt.wantImg != "" && (len(imgs) != 1 || imgs[0] != tt.wantImg):
				t.Errorf("the logo is %q, want %s", imgs, tt.wantImg)
			}
			if tt.wantImg == "" && !strings.Contains(header(t, htmlPart), ">Acme</a>") {
				t.Errorf("without a logo the header does not name the page:\n%s", header(t, htmlPart))
			}
			if !strings.Contains(header(t, htmlPart), "border-bottom:1px solid #dfe1e6;") || button(t, htmlPart) != "#1f2328" {
				t.Errorf("an accent that is not #rrggbb coloured the email:\n%s", htmlPart)
			}
			if want := "&lt;script&gt;alert(1)&lt;/script&gt;<br>&lt;a href=&#34;javascript:alert(2)&#34;&gt;x&lt;/a&gt; &lt;b&gt;bold&lt;/b&gt;"; !strings.Contains(htmlPart, want) {
				t.Errorf("the HTML part lacks the footer as text %s:\n%s", want, htmlPart)
			}
			if want := "\n\n<script>alert(1)</script>\n<a href=\"javascript:alert(2)\">x</a> <b>bold</b>\n"; !strings.HasSuffix(text, want) {
				t.Errorf("the text part does not end with the footer as written, control character removed:\n%s", text)
			}
		})
	}
}

// TestDirectEmailsCarryBranding: the confirmation, manage and follow
// emails have the logo, the accent and the footer too, the text part's
// after a "-- " line.
func TestDirectEmailsCarryBranding(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	f.brand(t, "https://cdn.acme.test/logo.png", "#0a6b5e", "Acme Inc.\n1 Main St")
	bob := f.subscribe(t, "mode,address\nemail,bob@example.com\n", true)["bob@example.com"]
	alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
	in := f.incident(t, "API errors")
	for _, d := range []notifier.Delivery{
		{ID: 1, SubscriberID: bob.ID, Channel: notifier.Email, Purpose: notifier.PurposeConfirm},
		{ID: 2, SubscriberID: alice.ID, Channel: notifier.Email, Purpose: notifier.PurposeManage},
		{ID: 3, SubscriberID: alice.ID, Channel: notifier.Email, Purpose: notifier.PurposeFollow, Data: in.ID},
	} {
		msg := f.render(t, d)
		htmlPart := msg.HTMLBody()
		if !strings.Contains(header(t, htmlPart), `<img src="https://cdn.acme.test/logo.png" alt="Acme"`) {
			t.Errorf("%s: no logo in the header:\n%s", d.Purpose, header(t, htmlPart))
		}
		if got := button(t, htmlPart); got != "#0a6b5e" {
			t.Errorf("%s: the button is %s, want the accent #0a6b5e", d.Purpose, got)
		}
		if !strings.Contains(htmlPart, "Acme Inc.<br>1 Main St</p>") {
			t.Errorf("%s: the HTML part lacks the footer:\n%s", d.Purpose, htmlPart)
		}
		if sig := signature(t, msg.TextBody()); !strings.HasPrefix(sig, "-- \nYou receive this because") || !strings.HasSuffix(sig, "\n\nAcme Inc.\n1 Main St\n") {
			t.Errorf("%s: the text part's signature is not the reason, then the footer:\n%s", d.Purpose, sig)
		}
	}
}

// TestBrandingFollowsChanges: emails rendered after the page's branding
// changes carry the new one once the change is reported (Changed, which
// the services' change hook calls), and the old one until then.
func TestBrandingFollowsChanges(t *testing.T) {
	f := newFixture(t, "https://status.example.com")
	alice := f.subscribe(t, "mode,address\nemail,alice@example.com\n", false)["alice@example.com"]
	f.brand(t, "", "", "Old Street 1")
	in := f.incident(t, "API errors")
	footer := func() string {
		text := f.render(t, created(in, alice, 1)).TextBody()
		return text[strings.LastIndex(text, "\n\n")+2:]
	}
	if got := footer(); got != "Old Street 1\n" {
		t.Fatalf("footer %q, want Old Street 1", got)
	}
	f.report = false
	f.brand(t, "https://cdn.acme.test/logo.png", "#0a6b5e", "New Road 2")
	if got := footer(); got != "Old Street 1\n" {
		t.Errorf("before Changed: footer %q, want the kept Old Street 1", got)
	}
	f.r.Changed()
	if got := footer(); got != "New Road 2\n" {
		t.Errorf("after Changed: footer %q, want New Road 2", got)
	}
	// Through the services' own hook.
	f.report = true
	f.brand(t, "", "", "Third Lane 3")
	if got := footer(); got != "Third Lane 3\n" {
		t.Errorf("after a reported change: footer %q, want Third Lane 3", got)
	}
}
