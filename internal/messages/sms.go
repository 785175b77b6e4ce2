package messages

import (
	"bytes"
	"strings"

	"github.com/beacon-status/beacon/notifier/sms"
)

// smsSegments is the most an SMS may take; bodies are shortened to fit.
const smsSegments = 2

// smsText renders the SMS template, shortening the update text until the
// message fits in smsSegments segments (the link is always kept).
func (r *Renderer) smsText(v mailView) (string, error) {
	// Markdown reaches a phone as plain text, on one line.
	body := strings.Join(strings.Fields(r.templates.PlainText(v.Body)), " ")
	runes := []rune(body)
	for {
		v.Body = string(runes)
		if len(runes) < len([]rune(body)) {
			v.Body = strings.TrimSpace(string(runes)) + "..."
		}
		var buf bytes.Buffer
		if err := r.templates.Text(&buf, "sms/incident.txt", v); err != nil {
			return "", err
		}
		text := strings.TrimSpace(buf.String())
		if _, n := sms.Segments(text); n <= smsSegments || len(runes) == 0 {
			return text, nil
		}
		runes = runes[:max(0, len(runes)-max(8, len(runes)/8))]
	}
}
