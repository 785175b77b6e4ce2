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

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/palette"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// eventView is the part of a message shared by every recipient of one
// event, built once per fan-out.
type eventView struct {
	incident incidents.Incident
	update   *incidents.Update
	view     mailView
	// webhook holds the event's encoded objects: an incident, or a
	// component and its component_update.
	webhook statuspage.Webhook
	// closed is set when the event's update closes the incident (or is
	// its postmortem); at is when the update was shown as posted.
	closed bool
	at     time.Time
	// chat holds the event's chat messages, one per platform, written
	// once with holes for each recipient's links.
	chat chatLayouts
	// email is the email rendered once for every recipient, with holes
	// for their links, made for the first email recipient; nil when the
	// holes could not be made to match a full rendering (each email is
	// then rendered whole).
	email     *mailLayout
	emailOnce sync.Once
}

// eventView loads what an event's messages share; nil when its incident is
// gone.
func (r *Renderer) eventView(ctx context.Context, st *state, e *notifier.Event) (*eventView, error) {
	sp := st.sp
	ev := &eventView{}
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
	loc := sp.Location()
	base := r.cfg.BaseURL
	// Every text is cleaned whatever the database holds (internal/chars):
	// a control character must not reach a subject line, an HTML part or
	// an SMS. The webhook carries the stored values: JSON escapes them.
	v := st.mail
	v.IncidentName, v.IncidentURL = chars.CleanLine(in.Name), base+"/incidents/"+in.ID
	v.Maintenance, v.Color = in.Kind == incidents.KindMaintenance, palette.Impact(in.Impact)
	v.Reason = "You receive this because you subscribed to updates from " + v.PageName + "."
	if in.ScheduledFor != nil {
		v.Window = in.ScheduledFor.In(loc).Format("Jan 2, 2006 15:04") + " – " + in.ScheduledUntil.In(loc).Format("Jan 2, 15:04 MST")
	}
	// The story, latest first: the event's update (or the postmortem),
	// then the updates before it (from at on), as Statuspage's emails
	// tell it.
	switch {
	case ev.update != nil:
		v.StatusLabel = ev.update.Status.Label()
		if e.Kind == notifier.IncidentUpdated || e.Kind == notifier.MaintenanceUpdated {
			// "Update" for one that did not change status, as Statuspage
			// labels it (the SMS says so; the email leads with the status).
			v.StatusLabel = incidents.UpdateLabel(in, at)
		}
		v.Time = ev.update.DisplayAt.In(loc).Format(timeLayout)
		ev.at, ev.closed = ev.update.DisplayAt, ev.update.Status.Closed()
		v.Body = chars.Clean(ev.update.Body)
		for _, ch := range ev.update.AffectedComponents {
			v.Components = append(v.Components, componentLine{chars.CleanLine(ch.Name), ch.NewStatus.Label()})
		}
	case e.Kind == notifier.PostmortemPublished:
		v.StatusLabel = "Postmortem"
		v.Time = e.CreatedAt.In(loc).Format(timeLayout)
		ev.at, ev.closed = e.CreatedAt, true
		v.Body = chars.Clean(in.Postmortem.Body)
		v.Updates = append(v.Updates, updateLine{Label: v.StatusLabel, Time: v.Time, Body: v.Body, Text: r.templates.PlainText(v.Body)})
	default:
		return nil, nil // the update was removed with its incident
	}
	for i := at; i < len(in.Updates); i++ {
		if len(v.Updates) == maxStory {
			v.Earlier = len(in.Updates) - i
			break
		}
		u := in.Updates[i]
		body := chars.Clean(u.Body)
		v.Updates = append(v.Updates, updateLine{Label: incidents.UpdateLabel(in, i), Time: u.DisplayAt.In(loc).Format(timeLayout),
			Body: body, Text: r.templates.PlainText(body)})
	}
	status := v.StatusLabel
	if ev.update != nil {
		status = ev.update.Status.Label()
	}
	v.Lead = lead(e.Kind, status)
	v.Preheader = preheader(v.Lead, r.templates.PlainText(v.Body))
	if len(v.Components) == 0 {
		for _, id := range in.ComponentIDs {
			if c, ok := sp.ComponentByID(id); ok {
				v.Components = append(v.Components, componentLine{Name: chars.CleanLine(c.Name)})
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
		thread := "<incident-" + ev.incident.ID + "." + sub.ID + ">"
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
		text, err := r.smsText(ev.view)
		if err != nil {
			return notifier.Message{}, err
		}
		return notifier.Message{To: sub.Address, Text: text, StatusCallback: r.smsStatusURL()}, nil
	case notifier.Webhook:
		body := ev.webhook
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

// timeLayout is how an email and an SMS write an update's time.
const timeLayout = "Jan 2, 2006 - 15:04 MST"

// maxStory is how many updates an email tells, the latest first; the
// incident page has the rest.
const maxStory = 12

// lead is what an email about the incident says first, in its preheader
// and above the incident's name: the status it is in, or what happened
// when the status alone would not say it.
func lead(k notifier.EventKind, status string) string {
	switch k {
	case notifier.MaintenanceReminder:
		return "Reminder: " + status
	case notifier.PostmortemPublished:
		return "Postmortem"
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
