package messages

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// directMessage renders a confirmation or manage-link message.
func (r *Renderer) directMessage(st *state, d notifier.Delivery, sub subscribers.Subscriber, lang *i18n.Lang) (notifier.Message, error) {
	base := r.cfg.BaseURL
	v := st.mail
	v.Code, v.lang = d.Data, lang
	names := make([]string, 0, len(sub.ComponentIDs))
	for _, id := range sub.ComponentIDs {
		if c, ok := st.sp.ComponentByID(id); ok {
			names = append(names, chars.CleanLine(c.Name))
		}
	}
	switch d.Channel {
	case notifier.Email:
		name := "email/confirm"
		v.Subject = lang.F("email.subject_confirm", "Page", v.PageName)
		v.Reason = lang.F("email.reason_confirm", "Page", v.PageName)
		v.ActionURL = base + "/subscriptions/confirm?token=" + url.QueryEscape(r.subscribers.Link(subscribers.PurposeConfirm, sub.ID))
		if d.Purpose == notifier.PurposeManage {
			name = "email/manage"
			v.Subject = lang.F("email.subject_manage", "Page", v.PageName)
			v.Reason = lang.F("email.reason_manage", "Page", v.PageName)
			v.ActionURL = base + manageLinkPath + url.QueryEscape(r.subscribers.Link(subscribers.PurposeManage, sub.ID))
		}
		msg, err := r.emailWithComponents(v, name, names)
		msg.To = sub.Address
		return msg, err
	case notifier.SMS:
		return r.smsConfirmation(sub.Address, v)
	case notifier.Webhook:
		// The test delivery: Statuspage's envelope without an incident,
		// which receivers that branch on the payload's keys ignore.
		unsub := base + unsubscribeLinkPath + url.PathEscape(r.subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID))
		b, err := json.Marshal(statuspage.Webhook{Meta: r.webhookMeta(unsub), Page: webhookPage(st)})
		return notifier.Message{To: sub.Address, Body: b, Secret: sub.Secret}, err
	}
	if d.Channel.Chat() && d.Purpose == notifier.PurposeConfirm {
		// The test message, whose delivery confirms the subscription.
		return r.chatMessage(d, sub, confirmChat(lang, v, names), nil)
	}
	return notifier.Message{}, fmt.Errorf("unknown channel %q", d.Channel)
}

// followMessage renders the confirmation of a follow: by email a link
// naming the incident (whose id is the delivery's data), by SMS the code.
func (r *Renderer) followMessage(ctx context.Context, st *state, d notifier.Delivery, sub subscribers.Subscriber, lang *i18n.Lang) (notifier.Message, error) {
	base := r.cfg.BaseURL
	v := st.mail
	v.Code, v.lang = d.Data, lang
	switch d.Channel {
	case notifier.Email:
		in, err := r.incidents.Get(ctx, d.Data)
		if errors.Is(err, incidents.ErrNotFound) {
			return notifier.Message{}, notifier.ErrSkip // deleted since
		}
		if err != nil {
			return notifier.Message{}, err
		}
		v.IncidentName, v.IncidentURL, v.Maintenance = chars.CleanLine(in.Name), base+"/incidents/"+in.ID, in.Kind == incidents.KindMaintenance
		v.Subject = lang.F("email.subject_follow", "Incident", v.IncidentName, "Page", v.PageName)
		what := "incident"
		if v.Maintenance {
			what = "maintenance"
		}
		v.Reason = lang.F("email.reason_follow_"+what, "Page", v.PageName)
		quoted := lang.F("email.quoted", "Text", v.IncidentName)
		v.FollowTitle = lang.F("email.follow_title", "Incident", quoted)
		v.FollowText = lang.F("email.follow_body_"+what, "Incident", quoted, "Page", v.PageName)
		v.FollowBefore, v.FollowAfter = cutAt(lang.F("email.follow_body_"+what, "Incident", hole, "Page", v.PageName))
		v.ActionURL = base + "/subscriptions/follow?token=" + url.QueryEscape(r.subscribers.FollowLink(sub.ID, in.ID))
		msg, err := r.email(v, "email/follow")
		msg.To = sub.Address
		return msg, err
	case notifier.SMS:
		return r.smsConfirmation(sub.Address, v)
	}
	return notifier.Message{}, fmt.Errorf("no follow confirmation on channel %q", d.Channel)
}

// smsConfirmation is the SMS carrying a sign-up's or a follow's code,
// the page's name shortened when it would not fit.
func (r *Renderer) smsConfirmation(to string, v mailView) (notifier.Message, error) {
	text, err := r.smsFit("sms/confirm.txt", v)
	if err != nil {
		return notifier.Message{}, err
	}
	return notifier.Message{To: to, Text: text, StatusCallback: r.smsStatusURL()}, nil
}

// smsStatusURL is where Twilio reports what became of an SMS.
func (r *Renderer) smsStatusURL() string { return r.cfg.BaseURL + r.cfg.SMSStatusPath }
