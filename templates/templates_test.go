package templates_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/templates"
)

// TestEveryTemplateRenders executes every template with empty data, so a
// template that refers to a missing definition or field fails here and not
// in front of a subscriber.
func TestEveryTemplateRenders(t *testing.T) {
	s, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	names := s.Names()
	if len(names) < 10 {
		t.Fatalf("got %d templates (%v), want at least 10", len(names), names)
	}
	// Every field the templates read, as a string.
	data := map[string]any{}
	for _, f := range []string{"Subject", "PageName", "PageURL", "Lead", "Preheader", "Reason", "Color", "IncidentName", "IncidentURL",
		"Window", "StatusLabel", "Time", "Body", "ManageURL", "UnsubscribeURL", "ActionURL", "Code", "Title", "Message",
		"Secret", "Error", "Field", "Token", "UnsubscribeToken", "Address", "ModeLabel", "FeedLang", "FeedQuery"} {
		data[f] = f + " value"
	}
	for _, name := range names {
		var buf bytes.Buffer
		var err error
		if strings.HasSuffix(name, ".html") {
			err = s.HTML(&buf, name, data)
		} else {
			err = s.Text(&buf, name, data)
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestMarkdownIsSafe(t *testing.T) {
	s, err := templates.Load()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, in   string
		want       string
		mustNotSee []string
	}{
		{"emphasis", "We are **looking** into it.", "<strong>looking</strong>", nil},
		{"link", "See [the docs](https://example.com/x).", `href="https://example.com/x"`, nil},
		{"script block", "<script>alert(1)</script>", "", []string{"<script", "alert"}},
		{"inline script", "hi <script>alert(1)</script>", "hi", []string{"<script"}},
		{"event handler", `<img src=x onerror="alert(1)">`, "", []string{"onerror", "<img src=x"}},
		{"javascript link", "[click](javascript:alert(1))", "click", []string{"javascript:"}},
		{"data link", "[x](data:text/html;base64,PHNjcmlwdD4=)", "x", []string{"data:text/html"}},
		{"raw iframe", `<iframe src="https://evil.example"></iframe>`, "", []string{"<iframe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(s.Markdown(tt.in))
			if !strings.Contains(got, tt.want) {
				t.Errorf("Markdown(%q) = %q, want it to contain %q", tt.in, got, tt.want)
			}
			for _, bad := range tt.mustNotSee {
				if strings.Contains(got, bad) {
					t.Errorf("Markdown(%q) = %q, must not contain %q", tt.in, got, bad)
				}
			}
		})
	}
}
