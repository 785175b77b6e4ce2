package email

import (
	"bytes"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
)

// TestComposeCleansSubjectAndFrom: whatever the renderer hands over, a
// control character never splits a header nor reaches the reader's
// screen; a line break in the subject becomes a space.
func TestComposeCleansSubjectAndFrom(t *testing.T) {
	tests := []struct {
		name, subject, fromName, wantSubject, wantFrom string
	}{
		{"CR LF header injection", "Outage\r\nBcc: victim@example.com", "Acme", "Outage Bcc: victim@example.com", "Acme"},
		{"bare LF", "Outage\nX-Evil: 1", "Acme", "Outage X-Evil: 1", "Acme"},
		{"ANSI and NUL", "\u001b[31mOutage\u0000\u0007", "Acme\u0001 Status", "[31mOutage", "Acme Status"},
		{"C1 and noncharacter", "Out\u0085age\ufffe", "Ac\u009bme", "Outage", "Acme"},
		{"bidi override", "[Acme] \u202eegatuO", "\u202eemcA", "[Acme] egatuO", "emcA"},
		{"plain", "[Acme] Investigating: API", "Acme", "[Acme] Investigating: API", "Acme"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Sender{}
			s.from.Store(newIdentity("status@example.com", tc.fromName))
			data, _, err := s.compose(nil, notifier.Message{To: "a@example.com", Subject: tc.subject, Text: "x"}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			head, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
			for _, line := range strings.Split(string(head), "\r\n") {
				if strings.ContainsFunc(line, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
					t.Errorf("header line %q holds a control character", line)
				}
			}
			msg, err := netmail.ReadMessage(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("parse: %v\n%s", err, data)
			}
			if len(msg.Header["Bcc"]) > 0 || len(msg.Header["X-Evil"]) > 0 || len(msg.Header["Subject"]) != 1 {
				t.Errorf("the subject made headers: %q", head)
			}
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil {
				t.Fatal(err)
			}
			if subject != tc.wantSubject {
				t.Errorf("Subject: got %q, want %q", subject, tc.wantSubject)
			}
			from, err := msg.Header.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Name != tc.wantFrom || from[0].Address != "status@example.com" {
				t.Errorf("From: got %v (%v), want %q <status@example.com>", from, err, tc.wantFrom)
			}
		})
	}
}
