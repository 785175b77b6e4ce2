package chattest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/notifier"
)

// Minimal valid messages, one per platform, in the shapes their
// documentation gives.
var valid = map[notifier.Channel]string{
	notifier.Slack: `{"text":"API down","blocks":[{"type":"header","text":{"type":"plain_text","text":"API down"}},
		{"type":"section","text":{"type":"mrkdwn","text":"*Investigating* &lt;soon&gt; <https://status.example.com/incidents/1|View>"}},
		{"type":"actions","elements":[{"type":"button","text":{"type":"plain_text","text":"View incident"},"url":"https://status.example.com/incidents/1"}]}]}`,
	notifier.Teams: `{"type":"message","attachments":[{"contentType":"application/vnd.microsoft.card.adaptive","contentUrl":null,
		"content":{"$schema":"http://adaptivecards.io/schemas/adaptive-card.json","type":"AdaptiveCard","version":"1.4",
		"body":[{"type":"TextBlock","text":"**API down**","wrap":true,"color":"attention"},{"type":"FactSet","facts":[{"title":"API","value":"Major outage"}]}],
		"actions":[{"type":"Action.OpenUrl","title":"View incident","url":"https://status.example.com/incidents/1"}]}}]}`,
	notifier.Discord: `{"allowed_mentions":{"parse":[]},"embeds":[{"title":"API down","url":"https://status.example.com/incidents/1","description":"**Investigating**",
		"color":15158332,"timestamp":"2026-03-10T12:00:00Z","fields":[{"name":"Affected","value":"API"}],"footer":{"text":"Acme"}}]}`,
	notifier.Mattermost: `{"attachments":[{"fallback":"API down","color":"#e74c3c","title":"API down","title_link":"https://status.example.com/incidents/1",
		"text":"**Investigating**","fields":[{"title":"Affected","value":"API","short":false}],"ts":1773144000}]}`,
	notifier.GoogleChat: `{"cardsV2":[{"cardId":"incident-1","card":{"header":{"title":"API down","subtitle":"Acme"},"sections":[{"widgets":[
		{"textParagraph":{"text":"<font color=\"#e74c3c\"><b>Investigating</b></font><br>a &amp; b"}},
		{"buttonList":{"buttons":[{"text":"View incident","onClick":{"openLink":{"url":"https://status.example.com/incidents/1"}}}]}}]}]}}]}`,
}

func TestValidateAcceptsDocumentedShapes(t *testing.T) {
	for p, body := range valid {
		if got := Validate(p, []byte(body)); len(got) > 0 {
			t.Errorf("%s: %v, want no problem", p, got)
		}
	}
}

// edit decodes valid[p], lets change alter it and encodes it again.
func edit(t *testing.T, p notifier.Channel, change func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(valid[p]), &m); err != nil {
		t.Fatal(err)
	}
	change(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func path(m map[string]any, keys ...any) map[string]any {
	var cur any = m
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			cur = cur.(map[string]any)[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur.(map[string]any)
}

func TestValidateRefusesWhatPlatformsRefuse(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	tests := []struct {
		name     string
		platform notifier.Channel
		change   func(m map[string]any)
		want     string
	}{
		{"slack header over 150", notifier.Slack, func(m map[string]any) { path(m, "blocks", 0, "text")["text"] = long(151) }, "more than 150"},
		{"slack section over 3000", notifier.Slack, func(m map[string]any) { path(m, "blocks", 1, "text")["text"] = long(3001) }, "more than 3000"},
		{"slack 51 blocks", notifier.Slack, func(m map[string]any) {
			b := m["blocks"].([]any)
			for len(b) < 51 {
				b = append(b, map[string]any{"type": "divider"})
			}
			m["blocks"] = b
		}, "51 items"},
		{"slack mention", notifier.Slack, func(m map[string]any) { path(m, "blocks", 1, "text")["text"] = "hi <!channel>" }, "not a link"},
		{"slack empty", notifier.Slack, func(m map[string]any) { delete(m, "text"); delete(m, "blocks") }, "no text and no blocks"},
		{"teams no card", notifier.Teams, func(m map[string]any) { path(m, "attachments", 0)["contentType"] = "text/plain" }, "contentType"},
		{"teams empty text", notifier.Teams, func(m map[string]any) {
			path(m, "attachments", 0, "content", "body", 0)["text"] = ""
		}, "empty"},
		{"teams version", notifier.Teams, func(m map[string]any) { path(m, "attachments", 0, "content")["version"] = "2.0" }, "version"},
		{"teams bad colour", notifier.Teams, func(m map[string]any) {
			path(m, "attachments", 0, "content", "body", 0)["color"] = "red"
		}, "color"},
		{"discord title over 256", notifier.Discord, func(m map[string]any) { path(m, "embeds", 0)["title"] = long(257) }, "more than 256"},
		{"discord description over 4096", notifier.Discord, func(m map[string]any) { path(m, "embeds", 0)["description"] = long(4097) }, "more than 4096"},
		{"discord over 6000 in all", notifier.Discord, func(m map[string]any) {
			e := path(m, "embeds", 0)
			e["description"] = long(4000)
			e["fields"] = []any{map[string]any{"name": "a", "value": long(1024)}, map[string]any{"name": "b", "value": long(1024)}}
		}, "more than 6,000"},
		{"discord colour", notifier.Discord, func(m map[string]any) { path(m, "embeds", 0)["color"] = "#ff0000" }, "RGB integer"},
		{"discord empty field", notifier.Discord, func(m map[string]any) { path(m, "embeds", 0, "fields", 0)["value"] = "" }, "empty"},
		{"mattermost over the post limit", notifier.Mattermost, func(m map[string]any) { path(m, "attachments", 0)["text"] = long(16400) }, "16,383"},
		{"mattermost colour", notifier.Mattermost, func(m map[string]any) { path(m, "attachments", 0)["color"] = "red" }, "color"},
		{"google raw ampersand", notifier.GoogleChat, func(m map[string]any) {
			path(m, "cardsV2", 0, "card", "sections", 0, "widgets", 0, "textParagraph")["text"] = "a & b"
		}, "unescaped &"},
		{"google script", notifier.GoogleChat, func(m map[string]any) {
			path(m, "cardsV2", 0, "card", "sections", 0, "widgets", 0, "textParagraph")["text"] = "<script>x</script>"
		}, "not a tag"},
		{"google unclosed", notifier.GoogleChat, func(m map[string]any) {
			path(m, "cardsV2", 0, "card", "sections", 0, "widgets", 0, "textParagraph")["text"] = "<b>x"
		}, "never closed"},
		{"google javascript link", notifier.GoogleChat, func(m map[string]any) {
			path(m, "cardsV2", 0, "card", "sections", 0, "widgets", 0, "textParagraph")["text"] = `<a href="javascript:x">x</a>`
		}, "http(s) URL"},
		{"google two widgets in one", notifier.GoogleChat, func(m map[string]any) {
			path(m, "cardsV2", 0, "card", "sections", 0, "widgets", 0)["divider"] = map[string]any{}
		}, "exactly one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Validate(tt.platform, edit(t, tt.platform, tt.change))
			if !strings.Contains(strings.Join(got, "\n"), tt.want) {
				t.Errorf("problems %v, want one saying %q", got, tt.want)
			}
		})
	}
	if got := Validate(notifier.Slack, []byte(`[1]`)); len(got) == 0 {
		t.Error("a JSON list passed as a Slack message")
	}
}

// post sends body to address and returns the status and body of the
// answer.
func post(t *testing.T, address, contentType, body string) (int, string, http.Header) {
	t.Helper()
	res, err := http.Post(address, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(bytes.TrimSpace(b)), res.Header
}

func TestServerAnswersAsThePlatforms(t *testing.T) {
	s := Start(t)
	wantOK := map[notifier.Channel]struct {
		status int
		body   string
	}{
		notifier.Slack: {200, "ok"}, notifier.Mattermost: {200, "ok"}, notifier.Teams: {202, ""}, notifier.Discord: {204, ""},
		notifier.GoogleChat: {200, `"name":"spaces/ops/messages/m1"`},
	}
	for p, want := range wantOK {
		status, body, _ := post(t, s.Hook(p, "ops"), "application/json", valid[p])
		if status != want.status || !strings.Contains(body, want.body) {
			t.Errorf("%s: %d %q, want %d %q", p, status, body, want.status, want.body)
		}
	}
	got := s.Received(0)
	if len(got) != 5 {
		t.Fatalf("%d requests recorded, want 5", len(got))
	}
	for _, r := range got {
		if len(r.Problems) > 0 || r.Hook != string(r.Platform)+":ops" {
			t.Errorf("%+v", r)
		}
	}

	// Invalid messages get the platform's refusal.
	refusals := map[notifier.Channel]string{
		notifier.Slack: "invalid_payload", notifier.Teams: "TriggerInputSchemaMismatch", notifier.Discord: `"code":50035`,
		notifier.Mattermost: "web.incoming_webhook.parse.app_error", notifier.GoogleChat: "INVALID_ARGUMENT",
	}
	for p, want := range refusals {
		status, body, _ := post(t, s.Hook(p, "ops"), "application/json", `{}`)
		if status != 400 || !strings.Contains(body, want) {
			t.Errorf("%s refusal: %d %q, want 400 with %q", p, status, body, want)
		}
	}
	if status, _, _ := post(t, s.Hook(notifier.Slack, "ops"), "text/plain", valid[notifier.Slack]); status != 400 {
		t.Errorf("text/plain to Slack: %d, want 400", status)
	}

	// Scripted failures, once each.
	hook := s.Hook(notifier.Discord, "gone")
	s.Fail(hook, RateLimited(1.5), Gone)
	status, body, h := post(t, hook, "application/json", valid[notifier.Discord])
	if status != 429 || h.Get("Retry-After") != "2" || !strings.Contains(body, `"retry_after":1.5`) {
		t.Errorf("rate limited: %d %q Retry-After %q", status, body, h.Get("Retry-After"))
	}
	if status, body, _ = post(t, hook, "application/json", valid[notifier.Discord]); status != 404 || !strings.Contains(body, "10015") {
		t.Errorf("gone: %d %q, want 404 with code 10015", status, body)
	}
	if status, _, _ = post(t, hook, "application/json", valid[notifier.Discord]); status != 204 {
		t.Errorf("after the scripted failures: %d, want 204", status)
	}
	slack := s.Hook(notifier.Slack, "archived")
	s.Fail(slack, Archived)
	if status, body, _ = post(t, slack, "application/json", valid[notifier.Slack]); status != 410 || body != "channel_is_archived" {
		t.Errorf("archived: %d %q", status, body)
	}
	gchat := s.Hook(notifier.GoogleChat, "ops")
	if status, _, _ = post(t, gchat+"&messageReplyOption=REPLY_MESSAGE_OR_FAIL", "application/json", valid[notifier.GoogleChat]); status != 400 {
		t.Errorf("a reply option without a thread key: %d, want 400", status)
	}
}
