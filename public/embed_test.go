package public

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/settings"
)

// TestRenderEmbedScriptPlaceholders guards the placeholders the server
// fills: without one the config or the words would silently not reach
// the script.
func TestRenderEmbedScriptPlaceholders(t *testing.T) {
	out, err := renderEmbedScript(settings.DefaultEmbed(), testLang(t, "en"))
	if err != nil {
		t.Fatal(err)
	}
	for _, mark := range []string{embedConfigMark, embedWordsMark} {
		if strings.Contains(string(out), mark) {
			t.Errorf("the placeholder %s is still in the rendered script", mark)
		}
	}
}

// embedRun is a page that includes the served script: the script's
// address and the host page's <html lang>.
type embedRun struct{ src, hostLang string }

// embedNotice is what the script showed: its close button's name and
// language, and the notice's language and direction.
type embedNotice struct {
	Label, Lang, BoxLang, BoxDir string
}

// embedHarness runs the script (the file, its first argument) with the
// second as document.currentScript's address and the third as <html lang>, in a
// context that holds just what the script touches of a browser: elements
// that keep attributes and children, a shadow root, and a fetch that
// answers a summary with one incident. It prints the notice.
const embedHarness = `
const vm = require("vm"), fs = require("fs");
const [file, src, hostLang] = process.argv.slice(1);
class El {
  constructor(tag) { this.tagName = tag; this.kids = []; this.attrs = {}; this.text = ""; }
  set textContent(v) { this.text = v; this.kids = []; }
  get textContent() { return this.text; }
  setAttribute(k, v) { this.attrs[k] = String(v); }
  getAttribute(k) { return this.attrs[k]; }
  hasAttribute(k) { return k in this.attrs; }
  appendChild(c) { this.kids.push(c); return c; }
  addEventListener() {}
  attachShadow() { return (this.shadow = new El("#shadow")); }
}
const html = new El("html");
html.lang = hostLang;
const body = new El("body");
const summary = {incidents: [{id: "i1", name: "Delayed emails", updated_at: "2026-03-10T12:00:00Z",
  incident_updates: [{id: "u1", body: "We are looking into it."}]}]};
const fetch = () => Promise.resolve({ok: true, json: () => Promise.resolve(summary)});
const document = {currentScript: {src}, documentElement: html, body, hidden: false,
  createElement: (t) => new El(t), addEventListener() {}};
vm.runInNewContext(fs.readFileSync(file, "utf8"), {document, window: {fetch}, fetch, URL, setTimeout() {}});
setTimeout(() => {
  const find = (n, ok) => ok(n) ? n : n.kids.concat(n.shadow || []).map((k) => find(k, ok)).find(Boolean);
  const box = find(body, (n) => /\bbox\b/.test(n.className || ""));
  const button = box && find(box, (n) => n.tagName === "button");
  console.log(JSON.stringify(button ? {Label: button.getAttribute("aria-label"), Lang: button.lang, BoxLang: box.lang, BoxDir: box.dir} : {}));
}, 50);
`

// node returns node's path, skipping the test without it (failing it in
// CI, where it is installed).
func node(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("node is not installed: %v", err)
		}
		t.Skipf("node is not installed: %v", err)
	}
	return path
}

// TestEmbedScriptLanguage runs the served script as a host page would and
// reads its close button's name: in the language the script's address
// asks for, else the host page's (by its first subtag when Beacon has not
// that exact one), else the status page's; the notice itself says it is in
// the status page's language and direction, Arabic's right to left.
func TestEmbedScriptLanguage(t *testing.T) {
	bin := node(t)
	env := newTestEnv(t)
	dir := t.TempDir()
	run := func(r embedRun) embedNotice {
		t.Helper()
		script := filepath.Join(dir, "script.js")
		if err := os.WriteFile(script, env.do("GET", "/embed/script.js", "").Body, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "-e", embedHarness, "--", script, r.src, r.hostLang).CombinedOutput()
		if err != nil {
			t.Fatalf("%+v: node: %v\n%s", r, err, out)
		}
		var n embedNotice
		if err := json.Unmarshal(out, &n); err != nil || n.Label == "" {
			t.Fatalf("%+v: no notice shown (%v): %s", r, err, out)
		}
		return n
	}
	const src = testBaseURL + "/embed/script.js"
	for _, c := range []struct {
		name string
		run  embedRun
		want string
	}{
		{"the address's ?lang= first", embedRun{src + "?lang=de", "fr"}, "de"},
		{"the host page's language", embedRun{src, "ja"}, "ja"},
		{"by its first subtag", embedRun{src, "de-AT"}, "de"},
		{"Portugal's Portuguese is Brazil's", embedRun{src, "pt-PT"}, "pt-BR"},
		{"case does not matter", embedRun{src + "?lang=PT-br", ""}, "pt-BR"},
		{"an unknown ?lang= is passed over", embedRun{src + "?lang=xx", "es"}, "es"},
		{"else the status page's", embedRun{src, "sv"}, "en"},
	} {
		n := run(c.run)
		if want := testLang(t, c.want).T("embed.dismiss"); n.Label != want || n.Lang != c.want {
			t.Errorf("%s: button %q in %q, want %q in %q", c.name, n.Label, n.Lang, want, c.want)
		}
		if n.BoxLang != "en" || n.BoxDir != "ltr" {
			t.Errorf("%s: notice in %q %q, want the page's en ltr", c.name, n.BoxLang, n.BoxDir)
		}
	}

	env.savePage(components.PageInput{Language: ptr("ar")})
	n := run(embedRun{src, "sv"})
	if want := testLang(t, "ar").T("embed.dismiss"); n.Label != want || n.Lang != "ar" || n.BoxLang != "ar" || n.BoxDir != "rtl" {
		t.Errorf("page in Arabic: button %q in %q, notice %q %q; want %q in ar, notice ar rtl", n.Label, n.Lang, n.BoxLang, n.BoxDir, want)
	}
	if n := run(embedRun{src, "en-GB"}); n.Label != testLang(t, "en").T("embed.dismiss") || n.BoxDir != "rtl" {
		t.Errorf("page in Arabic, host in English: button %q, notice %q; want English words on the Arabic notice", n.Label, n.BoxDir)
	}
}
