package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/sms"
	"github.com/beacon-status/beacon/subscribers"
)

// messages renders deliveries into emails, SMS and webhook payloads: the
// notifier's Renderer. It lives here, beside the API's JSON shapes, because
// a webhook carries exactly those shapes.
type messages struct {
	a     *app
	views *viewCache // nil: each batch builds its own event views
}

// viewCache keeps the event views made from the public snapshot from batch
// to batch, so that an event's incident is loaded and its email rendered
// once per fan-out rather than once per batch. Any change to the page, its
// components or an incident (app.changed) makes a snapshot of a new version,
// which empties the cache; one rebuilt because a minute passed does not.
type viewCache struct {
	mu      sync.Mutex
	version uint64
	views   map[int64]*eventView // nil for an event whose incident is gone
}

// get returns the view of event id made from snap, if any.
func (c *viewCache) get(snap *snapshot, id int64) (*eventView, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.views == nil || c.version != snap.version {
		return nil, false
	}
	ev, ok := c.views[id]
	return ev, ok
}

// put keeps ev as the view of event id made from snap.
func (c *viewCache) put(snap *snapshot, id int64, ev *eventView) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.views == nil || c.version != snap.version {
		c.version, c.views = snap.version, map[int64]*eventView{}
	}
	c.views[id] = ev
}

var _ notifier.Renderer = messages{}

// mailView is what the email and SMS templates see.
type mailView struct {
	Subject        string
	PageName       string
	PageURL        string
	Headline       string
	Color          string
	IncidentName   string
	IncidentURL    string
	Maintenance    bool
	Window         string
	StatusLabel    string
	Time           string
	Body           string
	Components     []componentLine
	ManageURL      string
	UnsubscribeURL string
	// For confirmations.
	ActionURL string
	Code      string
}

type componentLine struct{ Name, Status string }

// eventView is the part of a message shared by every recipient of one
// event, built once per batch.
type eventView struct {
	incident incidents.Incident
	update   *incidents.Update
	view     mailView
	webhook  map[string]json.RawMessage // "incident" or "component_update" + "component"
	host     string                     // for Message-IDs
	// email is the email rendered once for every recipient, with holes
	// for their links, made for the first email recipient; nil when the
	// holes could not be made to match a full rendering (each email is
	// then rendered whole).
	email     *mailLayout
	emailOnce sync.Once
}

// Render implements notifier.Renderer.
func (m messages) Render(ctx context.Context, ds []notifier.Delivery) []notifier.Rendered {
	out := make([]notifier.Rendered, len(ds))
	a := m.a
	snap, err := a.public.get(ctx)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	idList := make([]string, len(ds))
	for i, d := range ds {
		idList[i] = d.SubscriberID
	}
	subs, err := a.subscribers.GetMany(ctx, idList)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	views := map[int64]*eventView{} // this batch's, without the cache's lock
	for i, d := range ds {
		sub, ok := subs[d.SubscriberID]
		if !ok {
			out[i].Err = notifier.ErrSkip
			continue
		}
		switch d.Purpose {
		case notifier.PurposeEvent:
			if sub.State != subscribers.Active {
				out[i].Err = notifier.ErrSkip
				continue
			}
			ev, ok := views[d.EventID]
			if !ok {
				ev, ok = m.views.get(snap, d.EventID)
			}
			if !ok {
				ev, err = m.eventView(ctx, snap, d.Event)
				if err != nil {
					out[i].Err = err
					continue
				}
				m.views.put(snap, d.EventID, ev)
			}
			views[d.EventID] = ev
			if ev == nil {
				out[i].Err = notifier.ErrSkip // the incident was deleted
				continue
			}
			out[i].Message, out[i].Err = m.eventMessage(snap, d, sub, ev)
		case notifier.PurposeConfirm, notifier.PurposeManage:
			want := subscribers.Unconfirmed
			if d.Purpose == notifier.PurposeManage {
				want = subscribers.Active
			}
			// An active follower of an incident confirms a page sign-up
			// too (subscribers.ConfirmEmail).
			followerSigningUp := d.Purpose == notifier.PurposeConfirm && sub.State == subscribers.Active && !sub.PageWide
			if sub.State != want && !followerSigningUp {
				out[i].Err = notifier.ErrSkip
				continue
			}
			out[i].Message, out[i].Err = m.directMessage(snap, d, sub)
		case notifier.PurposeFollow:
			out[i].Message, out[i].Err = m.followMessage(ctx, snap, d, sub)
		default:
			out[i].Err = fmt.Errorf("unknown delivery purpose %q", d.Purpose)
		}
	}
	return out
}

// eventView loads what an event's messages share; nil when its incident is
// gone.
func (m messages) eventView(ctx context.Context, snap *snapshot, e *notifier.Event) (*eventView, error) {
	a := m.a
	r := statuspage.NewRenderer(snap.page, a.cfg.BaseURL, snap.components)
	ev := &eventView{webhook: map[string]json.RawMessage{}}
	if e.Kind == notifier.ComponentStatusChanged {
		c, ok := r.ComponentByID(e.ComponentID)
		if !ok {
			return nil, nil
		}
		cu, _ := json.Marshal(map[string]string{
			"created_at": r.Time(e.CreatedAt), "new_status": e.NewStatus, "old_status": e.OldStatus,
			"id": fmt.Sprintf("%s-%d", c.ID, e.ID), "component_id": c.ID,
		})
		comp, _ := json.Marshal(r.Component(c))
		ev.webhook["component_update"], ev.webhook["component"] = cu, comp
		return ev, nil
	}
	in, err := a.incidents.Get(ctx, e.IncidentID)
	if err != nil {
		return nil, nil
	}
	ev.incident = in
	sameStatus := false
	for i := range in.Updates {
		if in.Updates[i].ID == e.UpdateID {
			ev.update = &in.Updates[i]
			// Updates are newest first: the one before is at i+1.
			sameStatus = i+1 < len(in.Updates) && in.Updates[i+1].Status == in.Updates[i].Status
		}
	}
	loc := r.Location()
	// Every text is cleaned whatever the database holds (internal/chars):
	// a control character must not reach a subject line, an HTML part or
	// an SMS. The webhook carries the stored values: JSON escapes them.
	v := mailView{
		PageName: chars.CleanLine(snap.page.Name), PageURL: a.cfg.BaseURL, IncidentName: chars.CleanLine(in.Name),
		IncidentURL: a.cfg.BaseURL + "/incidents/" + in.ID, Maintenance: in.Kind == incidents.KindMaintenance,
		Headline: headline(e.Kind), Color: impactColor(in.Impact),
	}
	if in.ScheduledFor != nil {
		v.Window = in.ScheduledFor.In(loc).Format("Jan 2, 2006 15:04") + " – " + in.ScheduledUntil.In(loc).Format("Jan 2, 15:04 MST")
	}
	switch {
	case ev.update != nil:
		v.StatusLabel = ev.update.Status.Label()
		if sameStatus && (e.Kind == notifier.IncidentUpdated || e.Kind == notifier.MaintenanceUpdated) {
			// As Statuspage labels an update that did not change status.
			v.StatusLabel = "Update"
		}
		v.Time = ev.update.DisplayAt.In(loc).Format("Jan 2, 2006 - 15:04 MST")
		v.Body = chars.Clean(ev.update.Body)
		for _, ch := range ev.update.AffectedComponents {
			v.Components = append(v.Components, componentLine{chars.CleanLine(ch.Name), ch.NewStatus.Label()})
		}
	case e.Kind == notifier.PostmortemPublished:
		v.StatusLabel = "Postmortem"
		v.Time = e.CreatedAt.In(loc).Format("Jan 2, 2006 - 15:04 MST")
		v.Body = chars.Clean(in.Postmortem.Body)
	default:
		return nil, nil // the update was removed with its incident
	}
	if len(v.Components) == 0 {
		for _, id := range in.ComponentIDs {
			if c, ok := r.ComponentByID(id); ok {
				v.Components = append(v.Components, componentLine{Name: chars.CleanLine(c.Name)})
			}
		}
	}
	v.Subject = fmt.Sprintf("[%s] %s: %s", v.PageName, v.StatusLabel, v.IncidentName)
	ev.view = v
	ev.host = mailHost(a.cfg.BaseURL)
	var payload any = r.Incident(in)
	if in.Kind == incidents.KindMaintenance {
		payload = r.Maintenances([]incidents.Incident{in})[0]
	}
	ev.webhook["incident"], err = json.Marshal(payload)
	return ev, err
}

// eventMessage renders one subscriber's copy of an event.
func (m messages) eventMessage(snap *snapshot, d notifier.Delivery, sub subscribers.Subscriber, ev *eventView) (notifier.Message, error) {
	a := m.a
	manageToken := url.QueryEscape(a.subscribers.Link(subscribers.PurposeManage, sub.ID))
	unsubToken := url.PathEscape(a.subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID))
	manage := a.cfg.BaseURL + manageLinkPath + manageToken
	unsub := a.cfg.BaseURL + unsubscribeLinkPath + unsubToken
	switch d.Channel {
	case notifier.Email:
		ev.emailOnce.Do(func() { ev.email = m.layout(ev.view, "email/incident") })
		var msg notifier.Message
		if ev.email != nil && ev.email.fits(manageToken, unsubToken) {
			msg = ev.email.fill(manageToken, unsubToken)
		} else {
			v := ev.view
			v.ManageURL, v.UnsubscribeURL = manage, unsub
			var err error
			if msg, err = m.email(v, "email/incident"); err != nil {
				return msg, err
			}
		}
		thread := "<incident-" + ev.incident.ID + "." + sub.ID + "@" + ev.host + ">"
		msg.Headers = map[string]string{
			"List-Unsubscribe":      "<" + unsub + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		}
		if d.Event.Kind == notifier.IncidentCreated || d.Event.Kind == notifier.MaintenanceScheduled {
			// The first message of an incident is the thread's root.
			msg.Headers["Message-ID"] = thread
		} else {
			msg.Headers["Message-ID"] = "<event-" + strconv.FormatInt(d.EventID, 10) + "." + sub.ID + "@" + ev.host + ">"
			msg.Headers["In-Reply-To"] = thread
			msg.Headers["References"] = thread
		}
		msg.To = sub.Address
		return msg, nil
	case notifier.SMS:
		text, err := m.smsText(ev.view)
		if err != nil {
			return notifier.Message{}, err
		}
		return notifier.Message{To: sub.Address, Text: text, StatusCallback: a.cfg.BaseURL + twilioStatusPath}, nil
	case notifier.Webhook:
		body := map[string]any{
			"meta": map[string]string{"unsubscribe": unsub, "documentation": a.cfg.BaseURL + "/api/v2/summary.json"},
			"page": map[string]string{"id": snap.page.ID, "status_indicator": string(snap.status.Indicator), "status_description": snap.status.Description},
		}
		for k, v := range ev.webhook {
			body[k] = v
		}
		b, err := json.Marshal(body)
		return notifier.Message{To: sub.Address, Body: b, Secret: sub.Secret}, err
	}
	return notifier.Message{}, fmt.Errorf("unknown channel %q", d.Channel)
}

// smsConfirmation is the SMS carrying a sign-up's or a follow's code.
func (m messages) smsConfirmation(to string, v mailView) (notifier.Message, error) {
	var buf bytes.Buffer
	if err := m.a.templates.Text(&buf, "sms/confirm.txt", v); err != nil {
		return notifier.Message{}, err
	}
	return notifier.Message{To: to, Text: strings.TrimSpace(buf.String()), StatusCallback: m.a.cfg.BaseURL + twilioStatusPath}, nil
}

// directMessage renders a confirmation or manage-link message.
func (m messages) directMessage(snap *snapshot, d notifier.Delivery, sub subscribers.Subscriber) (notifier.Message, error) {
	a := m.a
	v := mailView{PageName: chars.CleanLine(snap.page.Name), PageURL: a.cfg.BaseURL, Code: d.Data}
	names := make([]string, 0, len(sub.ComponentIDs))
	for _, id := range sub.ComponentIDs {
		if c, ok := snap.byID[id]; ok {
			names = append(names, chars.CleanLine(c.Name))
		}
	}
	switch d.Channel {
	case notifier.Email:
		name := "email/confirm"
		v.Subject = "Confirm your subscription to " + v.PageName
		v.ActionURL = a.cfg.BaseURL + "/subscriptions/confirm?token=" + url.QueryEscape(a.subscribers.Link(subscribers.PurposeConfirm, sub.ID))
		if d.Purpose == notifier.PurposeManage {
			name = "email/manage"
			v.Subject = "Manage your subscription to " + v.PageName
			v.ActionURL = a.cfg.BaseURL + "/subscriptions/manage?token=" + url.QueryEscape(a.subscribers.Link(subscribers.PurposeManage, sub.ID))
		}
		msg, err := m.emailWithComponents(v, name, names)
		msg.To = sub.Address
		return msg, err
	case notifier.SMS:
		return m.smsConfirmation(sub.Address, v)
	case notifier.Webhook:
		// The test delivery: Statuspage's envelope without an incident,
		// which receivers that branch on the payload's keys ignore.
		b, err := json.Marshal(map[string]any{
			"meta": map[string]string{"unsubscribe": a.cfg.BaseURL + "/unsubscribe/" + url.PathEscape(a.subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID)),
				"documentation": a.cfg.BaseURL + "/api/v2/summary.json"},
			"page": map[string]string{"id": snap.page.ID, "status_indicator": string(snap.status.Indicator), "status_description": snap.status.Description},
		})
		return notifier.Message{To: sub.Address, Body: b, Secret: sub.Secret}, err
	}
	return notifier.Message{}, fmt.Errorf("unknown channel %q", d.Channel)
}

// emailWithComponents renders a confirmation or manage email, which names
// the components chosen.
func (m messages) emailWithComponents(v mailView, name string, names []string) (notifier.Message, error) {
	type confirmView struct {
		mailView
		Components string
	}
	return m.render(v.Subject, name, confirmView{mailView: v, Components: strings.Join(names, ", ")})
}

func (m messages) email(v mailView, name string) (notifier.Message, error) {
	return m.render(v.Subject, name, v)
}

// render executes the HTML and text templates name.html and name.txt.
func (m messages) render(subject, name string, data any) (notifier.Message, error) {
	var html, text bytes.Buffer
	if err := m.a.templates.HTML(&html, name+".html", data); err != nil {
		return notifier.Message{}, err
	}
	if err := m.a.templates.Text(&text, name+".txt", data); err != nil {
		return notifier.Message{}, err
	}
	return notifier.Message{Subject: subject, HTML: html.String(), Text: text.String()}, nil
}

// The paths of the links in every email, before the subscriber's token.
const (
	manageLinkPath      = "/subscriptions/manage?token="
	unsubscribeLinkPath = "/unsubscribe/"
)

// mailLayout is an event's email rendered once, with holes where each
// recipient's manage and unsubscribe tokens go: executing the templates
// (Markdown included) for every recipient was the largest cost of a
// fan-out after MIME encoding. The email sender also encodes the shared
// lines once.
type mailLayout struct {
	subject    string
	text, html *notifier.Layout
}

// layout renders the email template name for v with markers in place of
// the tokens and cuts it at the markers. It checks the result against a
// full rendering with real-looking tokens and returns nil on any
// difference, or when the markers do not survive rendering intact.
func (m messages) layout(v mailView, name string) *mailLayout {
	var rnd [8]byte
	_, _ = rand.Read(rnd[:])
	marker := "bcnhole" + hex.EncodeToString(rnd[:])
	base := v
	base.ManageURL = m.a.cfg.BaseURL + manageLinkPath + marker + "m"
	base.UnsubscribeURL = m.a.cfg.BaseURL + unsubscribeLinkPath + marker + "u"
	msg, err := m.email(base, name)
	if err != nil {
		return nil
	}
	l := &mailLayout{subject: msg.Subject}
	var ok1, ok2 bool
	l.text, ok1 = cutLayout(msg.Text, marker)
	l.html, ok2 = cutLayout(msg.HTML, marker)
	if !ok1 || !ok2 || len(l.text.Holes) == 0 {
		return nil
	}
	// The same email rendered whole must come out identical.
	const tryManage, tryUnsub = "manage.s0me-id_1.0.AbC~9%2F", "unsubscribe.s0me-id_1.0.XyZ-8"
	check := v
	check.ManageURL = m.a.cfg.BaseURL + manageLinkPath + tryManage
	check.UnsubscribeURL = m.a.cfg.BaseURL + unsubscribeLinkPath + tryUnsub
	want, err := m.email(check, name)
	if err != nil {
		return nil
	}
	if got := l.fill(tryManage, tryUnsub); got.TextBody() != want.Text || got.HTMLBody() != want.HTML || got.Subject != want.Subject {
		return nil
	}
	return l
}

// cutLayout splits s at marker+"m" (hole 0) and marker+"u" (hole 1);
// false when a marker is followed by anything else.
func cutLayout(s, marker string) (*notifier.Layout, bool) {
	l := &notifier.Layout{}
	for {
		i := strings.Index(s, marker)
		if i < 0 {
			break
		}
		rest := s[i+len(marker):]
		if rest == "" || (rest[0] != 'm' && rest[0] != 'u') {
			return nil, false
		}
		l.Pieces = append(l.Pieces, s[:i])
		hole := 0
		if rest[0] == 'u' {
			hole = 1
		}
		l.Holes = append(l.Holes, hole)
		s = rest[1:]
	}
	l.Pieces = append(l.Pieces, s)
	return l, true
}

// fits reports whether tokens can fill the holes as they are: their
// characters are left alone by every escaper of text/template and
// html/template (text, attribute and URL contexts), so the result is what
// rendering the templates with them would give. url.QueryEscape and
// url.PathEscape of Beacon's tokens always fit.
func (l *mailLayout) fits(tokens ...string) bool {
	for _, t := range tokens {
		for i := 0; i < len(t); i++ {
			c := t[i]
			if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' || c == '%') {
				return false
			}
		}
	}
	return true
}

// fill returns the email with the tokens in its holes.
func (l *mailLayout) fill(manage, unsub string) notifier.Message {
	return notifier.Message{Subject: l.subject, TextLayout: l.text, HTMLLayout: l.html, Values: []string{manage, unsub}}
}

// smsSegments is the most an SMS may take; bodies are shortened to fit.
const smsSegments = 2

// smsText renders the SMS template, shortening the update text until the
// message fits in smsSegments segments (the link is always kept).
func (m messages) smsText(v mailView) (string, error) {
	body := strings.Join(strings.Fields(v.Body), " ")
	runes := []rune(body)
	for {
		v.Body = string(runes)
		if len(runes) < len([]rune(body)) {
			v.Body = strings.TrimSpace(string(runes)) + "..."
		}
		var buf bytes.Buffer
		if err := m.a.templates.Text(&buf, "sms/incident.txt", v); err != nil {
			return "", err
		}
		text := strings.TrimSpace(buf.String())
		if _, n := sms.Segments(text); n <= smsSegments || len(runes) == 0 {
			return text, nil
		}
		runes = runes[:max(0, len(runes)-max(8, len(runes)/8))]
	}
}

// headline names what happened, above the incident's name.
func headline(k notifier.EventKind) string {
	switch k {
	case notifier.IncidentCreated:
		return "New incident"
	case notifier.IncidentResolved:
		return "Resolved"
	case notifier.MaintenanceScheduled:
		return "Scheduled maintenance"
	case notifier.MaintenanceReminder:
		return "Maintenance reminder"
	case notifier.MaintenanceStarted:
		return "Maintenance in progress"
	case notifier.MaintenanceUpdated:
		return "Maintenance update"
	case notifier.MaintenanceCompleted:
		return "Maintenance completed"
	case notifier.PostmortemPublished:
		return "Postmortem"
	}
	return "Incident update"
}

// impactColor is Statuspage's palette for an impact.
func impactColor(i components.Impact) string {
	switch i {
	case components.ImpactCritical:
		return "#d1242f"
	case components.ImpactMajor:
		return "#e16f24"
	case components.ImpactMinor:
		return "#b88700"
	case components.ImpactMaintenance:
		return "#0969da"
	}
	return "#57606a"
}

// mailHost is the host used on the right of Message-IDs.
func mailHost(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Hostname() == "" {
		return "beacon.invalid"
	}
	return u.Hostname()
}
