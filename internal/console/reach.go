package console

import (
	"context"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/console/screen"
	"github.com/beacon-status/beacon/notifier"
)

// reach is whom an update about to be posted will reach on each channel
// (in channels order): the subscribers of the incident's components and of
// those its form sets, and its followers. The dispatcher may still skip a
// channel that is not set up, or SMS for updates that are not key moments.
type reach struct {
	Counts []struct{ Channel, N string }
	Total  int
	Off    bool // the update is to notify no one
}

// Why an update reached no one, as the timeline says it: the ids of its
// messages.
const (
	nobodyOff        = "console.nobody.off"
	nobodySubscribed = "console.nobody.subscribed"
	nobodyOnAChannel = "console.nobody.on_a_channel"
)

// audience counts who an update of in touching the components in set
// would reach now, by channel.
func (h *incidentPages) audience(ctx context.Context, in incidents.Incident, set map[string]components.Status) (map[notifier.Channel]int, error) {
	ids := slices.Clone(in.ComponentIDs)
	for id := range set {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	closed := slices.ContainsFunc(in.Updates, func(u incidents.Update) bool { return u.Status.Closed() })
	return h.subscribers.CountAudience(ctx, notifier.Event{IncidentID: in.ID, ComponentIDs: ids, ToFollowers: !closed}, channels)
}

// reachOf is what the update form says before posting.
func (h *incidentPages) reachOf(ctx context.Context, in incidents.Incident, set map[string]components.Status, notify bool) (reach, error) {
	if !notify {
		return reach{Off: true}, nil
	}
	counts, err := h.audience(ctx, in, set)
	if err != nil {
		return reach{}, err
	}
	var r reach
	for _, ch := range channels {
		if !listed(ch, counts[ch]) {
			continue
		}
		r.Counts = append(r.Counts, struct{ Channel, N string }{string(ch), strconv.Itoa(counts[ch])})
		r.Total += counts[ch]
	}
	return r, nil
}

// setOf is the component statuses an update form sets.
func setOf(rows []componentRow) map[string]components.Status {
	out := map[string]components.Status{}
	for _, r := range rows {
		if r.Set != "" {
			out[r.ID] = r.Set
		}
	}
	return out
}

// postPreview shows the incident's screen with the update form as filled
// in, its Markdown rendered as the timeline will show it and who it will
// reach; nothing is posted.
func (h *incidentPages) postPreview(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, err := h.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return err
	}
	all, err := h.components.List(ctx)
	if err != nil {
		return err
	}
	status := incidents.Status(c.FormValue("status"))
	s := keptUpdateForm(in, all, status, c.FormValue("body"), screen.FormBool(c, "deliver_notifications"), formStatuses(c, all))
	s.Preview.Shown = true
	s.Preview.Label = h.Lang(c).Enum("incident", string(status))
	s.Preview.Body = h.Templates().Markdown(s.Form.Body)
	return h.renderIncident(c, fiber.StatusOK, screen.View{Data: s})
}

// keptUpdateForm is the incident screen's update form as it was sent,
// for a preview or a refusal.
func keptUpdateForm(in incidents.Incident, all []components.Component, status incidents.Status, body string, notify bool, set map[string]components.Status) incidentScreen {
	var s incidentScreen
	s.Form.Body, s.Form.Quiet = body, !notify
	if in.Kind == incidents.KindMaintenance {
		s.Statuses = statusOptions(maintenanceStatuses, status)
	} else {
		s.Statuses = statusOptions(incidentStatuses, status)
	}
	s.Components = componentRows(all, set, nil)
	return s
}

// nobodyWhy returns, for each update of in, why it reached no one, or ""
// when it reached someone or its notifications are still being prepared.
// The incident's audience is counted only when an update needs it.
func (h *incidentPages) nobodyWhy(ctx context.Context, in incidents.Incident, counts map[string][]deliveryCounts, preparing map[string]bool) (func(incidents.Update) string, error) {
	var aud map[notifier.Channel]int
	for _, u := range in.Updates {
		if u.DeliverNotifications && !preparing[u.ID] && len(counts[u.ID]) == 0 {
			var err error
			if aud, err = h.audience(ctx, in, nil); err != nil {
				return nil, err
			}
			break
		}
	}
	return func(u incidents.Update) string {
		switch {
		case !u.DeliverNotifications:
			return nobodyOff
		case preparing[u.ID] || len(counts[u.ID]) > 0:
			return ""
		}
		for _, n := range aud {
			if n > 0 {
				return nobodyOnAChannel
			}
		}
		return nobodySubscribed
	}, nil
}
