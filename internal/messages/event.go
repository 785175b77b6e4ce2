package messages

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/palette"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// eventData is what an event's messages share in every language, loaded
// once per fan-out: its incident, the texts staff wrote, and the webhook
// objects, the same bytes whatever the subscriber's language.
type eventData struct {
	kind     notifier.EventKind
	incident incidents.Incident
	update   *incidents.Update
	// webhook holds the event's encoded objects: an incident, or a
	// component and its component_update.
	webhook statuspage.Webhook
	// closed is set when the event's update closes the incident (or is
	// its postmortem); at is when the update was shown as posted.
	closed bool
	at     time.Time
	// view holds the language-free part of every language's mailView.
	view mailView
	// status is the key of the event's label (storyLine.status), and
	// updateStatus its update's own status ("" for a postmortem).
	status, updateStatus string
	story                []storyLine
	components           []componentData
}

// storyLine is an update of the incident's story: the key of its label
// (an incidents.Status, or "update" for one that kept its status), when
// it was posted, and its text.
type storyLine struct {
	status     string
	at         time.Time
	body, text string
}

// componentData is a component an email names, with the status the update
// gave it, if any.
type componentData struct {
	name   string
	status components.Status
}

// eventView is an event's messages in one language, shared by every
// recipient who reads that language and made once per fan-out.
type eventView struct {
	data *eventData
	lang *i18n.Lang
	view mailView
	// chat holds the event's chat messages, one per platform, written
	// once with holes for each recipient's links.
	chat chatLayouts
	// email is the email rendered once for every recipient, with holes
	// for their links, made for the first email recipient; nil when the
	// holes could not be made to match a full rendering (each email is
	// then rendered whole).
	email     *mailLayout
	emailOnce sync.Once
	// sms is the SMS, the same for every recipient: made for the first.
	sms     string
	smsErr  error
	smsOnce sync.Once
}

// eventData loads what an event's messages share; nil when its incident
// is gone.
func (r *Renderer) eventData(ctx context.Context, st *state, e *notifier.Event) (*eventData, error) {
	sp := st.sp
	ev := &eventData{kind: e.Kind}
	if e.Kind == notifier.ComponentStatusChanged {
		c, ok := sp.ComponentByID(e.ComponentID)
		if !ok {
			return nil, nil
		}
		cu, _ := json.Marshal(statuspage.ComponentUpdate{
			CreatedAt: sp.Time(e.CreatedAt), NewStatus: e.NewStatus, OldStatus: e.OldStatus,
			ID: fmt.Sprintf("%s-%d", c.ID, e.ID), ComponentID: c.ID,
		})
		comp, _ := json.Marshal(sp.Component(c))
		ev.webhook.ComponentUpdate, ev.webhook.Component = cu, comp
		return ev, nil
	}
	in, err := r.incidents.Get(ctx, e.IncidentID)
	if err != nil {
		return nil, nil
	}
	ev.incident = in
	at := 0 // the event's update in in.Updates, newest first
	for i := range in.Updates {
		if in.Updates[i].ID == e.UpdateID {
			ev.update, at = &in.Updates[i], i
		}
	}
	base := r.cfg.BaseURL
	// Every text is cleaned whatever the database holds (internal/chars):
	// a control character must not reach a subject line, an HTML part or
	// an SMS. The webhook carries the stored values: JSON escapes them.
	v := st.mail
	v.IncidentName, v.IncidentURL = chars.CleanLine(in.Name), base+"/incidents/"+in.ID
	v.Maintenance, v.Color = in.Kind == incidents.KindMaintenance, palette.Impact(in.Impact)
	// The story, latest first: the event's update (or the postmortem),
	// then the updates before it (from at on), as Statuspage's emails
	// tell it.
	switch {
	case ev.update != nil:
		ev.status, ev.updateStatus = string(ev.update.Status), string(ev.update.Status)
		if (e.Kind == notifier.IncidentUpdated || e.Kind == notifier.MaintenanceUpdated) && incidents.UpdateRepeats(in, at) {
			// "Update" for one that did not change status, as Statuspage
			// labels it (the SMS says so; the email leads with the status).
			ev.status = statusUpdate
		}
		ev.at, ev.closed = ev.update.DisplayAt, ev.update.Status.Closed()
		v.Body = chars.Clean(ev.update.Body)
		for _, ch := range ev.update.AffectedComponents {
			ev.components = append(ev.components, componentData{chars.CleanLine(ch.Name), ch.NewStatus})
		}
	case e.Kind == notifier.PostmortemPublished:
		ev.status = string(incidents.Postmortem)
		ev.at, ev.closed = e.CreatedAt, true
		v.Body = chars.Clean(in.Postmortem.Body)
		ev.story = append(ev.story, storyLine{status: ev.status, at: e.CreatedAt, body: v.Body, text: r.templates.PlainText(v.Body)})
	default:
		return nil, nil // the update was removed with its incident
	}
	for i := at; i < len(in.Updates); i++ {
		if len(ev.story) == maxStory {
			v.Earlier = len(in.Updates) - i
			break
		}
		u := in.Updates[i]
		body, status := chars.Clean(u.Body), string(u.Status)
		if incidents.UpdateRepeats(in, i) {
			status = statusUpdate
		}
		ev.story = append(ev.story, storyLine{status: status, at: u.DisplayAt, body: body, text: r.templates.PlainText(body)})
	}
	v.Preheader = r.templates.PlainText(v.Body) // the lead goes before it (newEventView)
	if len(ev.components) == 0 {
		for _, id := range in.ComponentIDs {
			if c, ok := sp.ComponentByID(id); ok {
				ev.components = append(ev.components, componentData{name: chars.CleanLine(c.Name)})
			}
		}
	}
	// One subject for every message about the incident, so that mail
	// clients which thread by subject (Gmail) keep them together; what
	// changed leads the body and the preheader instead.
	v.Subject = fmt.Sprintf("[%s] %s", v.PageName, v.IncidentName)
	ev.view = v
	var payload any = sp.Incident(in)
	if in.Kind == incidents.KindMaintenance {
		payload = sp.Maintenances([]incidents.Incident{in})[0]
	}
	ev.webhook.Incident, err = json.Marshal(payload)
	return ev, err
}

// statusUpdate is the key of the label of an update that kept its
// status: "Update".
const statusUpdate = "update"

// statusLabel is the label of a story's status key in lang.
func statusLabel(lang *i18n.Lang, status string) string {
	if status == statusUpdate {
		return lang.T("status.update")
	}
	return lang.Enum("incident", status)
}

// newEventView writes an event's data in lang.
func (r *Renderer) newEventView(st *state, data *eventData, lang *i18n.Lang) *eventView {
	r.viewsMade.Add(1)
	ev := &eventView{data: data, lang: lang}
	if data.kind == notifier.ComponentStatusChanged {
		return ev // only webhook payloads tell a component's change
	}
	in, loc := data.incident, st.sp.Location()
	v := data.view
	v.lang = lang
	v.Reason = lang.F("email.reason_event", "Page", v.PageName)
	if in.ScheduledFor != nil {
		v.Window = lang.Date(i18n.DateTimeNoZone, in.ScheduledFor.In(loc)) + " – " + lang.Date(i18n.DayTimeZone, in.ScheduledUntil.In(loc))
	}
	v.StatusLabel, v.Time = statusLabel(lang, data.status), lang.Date(i18n.Stamp, data.at.In(loc))
	for _, u := range data.story {
		v.Updates = append(v.Updates, updateLine{Label: statusLabel(lang, u.status), Time: lang.Date(i18n.Stamp, u.at.In(loc)), Body: u.body, Text: u.text})
	}
	if v.Earlier > 0 {
		page := "email.incident_page"
		if v.Maintenance {
			page = "email.maintenance_page"
		}
		v.EarlierLink = lang.T(page)
		updates := lang.N("email.earlier_count", v.Earlier)
		v.EarlierText = lang.F("email.earlier", "Updates", updates, "Link", v.EarlierLink)
		v.EarlierBefore, v.EarlierAfter = cutAt(lang.F("email.earlier", "Updates", updates, "Link", hole))
	}
	for _, c := range data.components {
		line := componentLine{Name: c.name}
		if c.status != "" {
			line.Status = lang.Enum("component", string(c.status))
		}
		v.Components = append(v.Components, line)
	}
	status := v.StatusLabel
	if data.updateStatus != "" {
		status = lang.Enum("incident", data.updateStatus)
	}
	v.Lead = lead(lang, data.kind, status)
	v.Preheader = preheader(v.Lead, data.view.Preheader)
	ev.view = v
	return ev
}

// hole stands for the part of a message that a template writes itself,
// such as a link (cutAt): a NUL, which no cleaned text holds
// (internal/chars), so that a page's or incident's name cannot hold it.
const hole = "\x00"

// cutAt cuts a message at its hole: the text before it, and after it.
func cutAt(s string) (before, after string) {
	before, after, _ = strings.Cut(s, hole)
	return before, after
}

// eventMessage renders one subscriber's copy of an event.
func (r *Renderer) eventMessage(st *state, d notifier.Delivery, sub subscribers.Subscriber, ev *eventView) (notifier.Message, error) {
	base := r.cfg.BaseURL
	manageToken := url.QueryEscape(r.subscribers.Link(subscribers.PurposeManage, sub.ID))
	unsubToken := url.PathEscape(r.subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID))
	manage := base + manageLinkPath + manageToken
	unsub := base + unsubscribeLinkPath + unsubToken
	switch d.Channel {
	case notifier.Email:
		ev.emailOnce.Do(func() { ev.email = r.layout(ev.view, "email/incident") })
		var msg notifier.Message
		if ev.email != nil && ev.email.fits(manageToken, unsubToken) {
			msg = ev.email.fill(manageToken, unsubToken)
		} else {
			v := ev.view
			v.ManageURL, v.UnsubscribeURL = manage, unsub
			var err error
			if msg, err = r.email(v, "email/incident"); err != nil {
				return msg, err
			}
		}
		// The ids have no domain: the email sender adds its address's, so
		// that every Message-ID Beacon sends carries the same one.
		thread := "<incident-" + ev.data.incident.ID + "." + sub.ID + ">"
		msg.Headers = map[string]string{
			"List-Unsubscribe":      "<" + unsub + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		}
		if d.Event.Kind == notifier.IncidentCreated || d.Event.Kind == notifier.MaintenanceScheduled {
			// The first message of an incident is the thread's root.
			msg.Headers["Message-ID"] = thread
		} else {
			msg.Headers["Message-ID"] = "<event-" + strconv.FormatInt(d.EventID, 10) + "." + sub.ID + ">"
			msg.Headers["In-Reply-To"] = thread
			msg.Headers["References"] = thread
		}
		msg.To = sub.Address
		return msg, nil
	case notifier.SMS:
		ev.smsOnce.Do(func() {
			v := ev.view
			v.StatusLabel = ev.lang.T("sms.status." + ev.data.status)
			ev.sms, ev.smsErr = r.smsText(v)
		})
		if ev.smsErr != nil {
			return notifier.Message{}, ev.smsErr
		}
		return notifier.Message{To: sub.Address, Text: ev.sms, StatusCallback: r.smsStatusURL()}, nil
	case notifier.Webhook:
		body := ev.data.webhook
		body.Meta, body.Page = r.webhookMeta(unsub), webhookPage(st)
		b, err := json.Marshal(body)
		return notifier.Message{To: sub.Address, Body: b, Secret: sub.Secret}, err
	}
	if d.Channel.Chat() {
		return r.chatMessage(d, sub, eventChat(ev), &ev.chat)
	}
	return notifier.Message{}, fmt.Errorf("unknown channel %q", d.Channel)
}

// webhookMeta is a webhook's links, with the recipient's unsubscribe link.
func (r *Renderer) webhookMeta(unsubscribe string) statuspage.WebhookMeta {
	return statuspage.WebhookMeta{Unsubscribe: unsubscribe, Documentation: r.cfg.BaseURL + "/api/v2/summary.json"}
}

// webhookPage is the page and its status in a webhook.
func webhookPage(st *state) statuspage.WebhookPage {
	return statuspage.WebhookPage{ID: st.page.ID, StatusIndicator: string(st.status.Indicator), StatusDescription: st.status.Description}
}

// maxStory is how many updates an email tells, the latest first; the
// incident page has the rest.
const maxStory = 12

// lead is what an email about the incident says first, in its preheader
// and above the incident's name: the status it is in, or what happened
// when the status alone would not say it.
func lead(lang *i18n.Lang, k notifier.EventKind, status string) string {
	switch k {
	case notifier.MaintenanceReminder:
		return lang.F("email.reminder", "Status", status)
	case notifier.PostmortemPublished:
		return lang.Enum("incident", string(incidents.Postmortem))
	}
	return status
}

// preheaderLen is about what mail clients show of the preheader beside
// the subject in a list of messages.
const preheaderLen = 140

// preheader is the line mail clients show after the subject: the lead and
// the start of the update's text, on one line.
func preheader(lead, text string) string {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return lead
	}
	s := lead + " – " + text
	if r := []rune(s); len(r) > preheaderLen {
		s = strings.TrimSpace(string(r[:preheaderLen-1])) + "…"
	}
	return s
}
