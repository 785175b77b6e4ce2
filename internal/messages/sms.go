package messages

import (
	"bytes"
	"strings"

	"github.com/beacon-status/beacon/notifier/sms"
)

// smsSegments is the most an SMS may take; bodies are shortened to fit.
const smsSegments = 2

// smsBodyKeep is how much of the update's text an SMS keeps before the
// incident's and the page's names are shortened too: a Japanese or Arabic
// SMS is UCS-2, 134 characters in two segments, where long names and the
// link alone may not fit.
const smsBodyKeep = 30

// smsPart is a text of an SMS that may be shortened: its runes, and how
// many of them are kept.
type smsPart struct {
	runes []rune
	keep  int
}

func newSMSPart(s string) *smsPart {
	r := []rune(s)
	return &smsPart{runes: r, keep: len(r)}
}

// String is the part as kept, ending with "..." when shortened (ASCII:
// "…" would turn a GSM-7 SMS into UCS-2).
func (p *smsPart) String() string {
	if p.keep == len(p.runes) {
		return string(p.runes)
	}
	return strings.TrimSpace(string(p.runes[:p.keep])) + "..."
}

// cut shortens the part by a step, to no fewer than floor runes; false
// when it is that short already.
func (p *smsPart) cut(floor int) bool {
	if p.keep <= floor {
		return false
	}
	p.keep = max(floor, p.keep-max(8, p.keep/8))
	return true
}

// smsText renders an incident's SMS, shortened to fit (smsFit).
func (r *Renderer) smsText(v mailView) (string, error) { return r.smsFit("sms/incident.txt", v) }

// smsFit renders the SMS template name, shortening the update's text until
// the message fits in smsSegments segments; when the text is down to
// smsBodyKeep characters and it still does not fit, the incident's name,
// then the page's, then the rest of the text. What else the template
// writes (a link, a code, "STOP") is always kept.
func (r *Renderer) smsFit(tmpl string, v mailView) (string, error) {
	// Markdown reaches a phone as plain text, on one line.
	body := newSMSPart(strings.Join(strings.Fields(r.templates.PlainText(v.Body)), " "))
	name, page := newSMSPart(v.IncidentName), newSMSPart(v.PageName)
	steps := []struct {
		part  *smsPart
		floor int
	}{{body, smsBodyKeep}, {name, 16}, {page, 8}, {body, 0}, {name, 0}, {page, 0}}
	set := r.templates.In(v.lang)
	for {
		v.Body, v.IncidentName, v.PageName = body.String(), name.String(), page.String()
		var buf bytes.Buffer
		if err := set.Text(&buf, tmpl, v); err != nil {
			return "", err
		}
		text := strings.TrimSpace(buf.String())
		if _, n := sms.Segments(text); n <= smsSegments {
			return text, nil
		}
		for len(steps) > 0 && !steps[0].part.cut(steps[0].floor) {
			steps = steps[1:]
		}
		if len(steps) == 0 {
			return text, nil
		}
	}
}
