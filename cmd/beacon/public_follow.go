package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// followMessage renders the confirmation of a follow: by email a link
// naming the incident (whose id is the delivery's data), by SMS the code.
func (m messages) followMessage(ctx context.Context, snap *snapshot, d notifier.Delivery, sub subscribers.Subscriber) (notifier.Message, error) {
	a := m.a
	v := mailView{PageName: chars.CleanLine(snap.page.Name), PageURL: a.cfg.BaseURL, Code: d.Data}
	switch d.Channel {
	case notifier.Email:
		in, err := a.incidents.Get(ctx, d.Data)
		if errors.Is(err, incidents.ErrNotFound) {
			return notifier.Message{}, notifier.ErrSkip // deleted since
		}
		if err != nil {
			return notifier.Message{}, err
		}
		v.IncidentName, v.IncidentURL, v.Maintenance = chars.CleanLine(in.Name), a.cfg.BaseURL+"/incidents/"+in.ID, in.Kind == incidents.KindMaintenance
		v.Subject = "Confirm updates on " + v.IncidentName + " from " + v.PageName
		v.ActionURL = a.cfg.BaseURL + "/subscriptions/follow?token=" + url.QueryEscape(a.subscribers.FollowLink(sub.ID, in.ID))
		msg, err := m.email(v, "email/follow")
		msg.To = sub.Address
		return msg, err
	case notifier.SMS:
		return m.smsConfirmation(sub.Address, v)
	}
	return notifier.Message{}, fmt.Errorf("no follow confirmation on channel %q", d.Channel)
}
