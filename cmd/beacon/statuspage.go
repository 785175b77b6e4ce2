package main

import (
	"encoding/json"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// The JSON shapes of Statuspage's public API v2 and management API v1
// (reference/statuspage.md §1). Field order follows real captures.

type pageJSON struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt string `json:"updated_at"`
}

type componentJSON struct {
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	Status             string  `json:"status"`
	CreatedAt          string  `json:"created_at"`
	UpdatedAt          string  `json:"updated_at"`
	Position           int     `json:"position"`
	Description        *string `json:"description"`
	Showcase           bool    `json:"showcase"`
	StartDate          *string `json:"start_date"`
	GroupID            *string `json:"group_id"`
	PageID             string  `json:"page_id"`
	Group              bool    `json:"group"`
	OnlyShowIfDegraded bool    `json:"only_show_if_degraded"`
	// Components lists a group's members; absent on ordinary components.
	Components *[]string `json:"components,omitempty"`
}

type groupJSON struct {
	ID          string   `json:"id"`
	PageID      string   `json:"page_id"`
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Components  []string `json:"components"`
	Position    int      `json:"position"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

type affectedJSON struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

type updateJSON struct {
	ID                   string          `json:"id"`
	Status               string          `json:"status"`
	Body                 string          `json:"body"`
	IncidentID           string          `json:"incident_id"`
	CreatedAt            string          `json:"created_at"`
	UpdatedAt            string          `json:"updated_at"`
	DisplayAt            string          `json:"display_at"`
	AffectedComponents   *[]affectedJSON `json:"affected_components"`
	DeliverNotifications bool            `json:"deliver_notifications"`
	CustomTweet          *string         `json:"custom_tweet"`
	TweetID              *string         `json:"tweet_id"`
}

type incidentJSON struct {
	ID              string          `json:"id"`
	Name            string          `json:"name"`
	Status          string          `json:"status"`
	CreatedAt       string          `json:"created_at"`
	UpdatedAt       string          `json:"updated_at"`
	MonitoringAt    *string         `json:"monitoring_at"`
	ResolvedAt      *string         `json:"resolved_at"`
	Impact          string          `json:"impact"`
	Shortlink       string          `json:"shortlink"`
	StartedAt       string          `json:"started_at"`
	PageID          string          `json:"page_id"`
	IncidentUpdates []updateJSON    `json:"incident_updates"`
	Components      []componentJSON `json:"components"`
}

// maintenanceJSON is a scheduled maintenance in the public API: the incident
// shape plus its window.
type maintenanceJSON struct {
	incidentJSON
	ScheduledFor   string `json:"scheduled_for"`
	ScheduledUntil string `json:"scheduled_until"`
}

// managedIncidentJSON is the management API's incident: the public shape
// plus the fields the public API dropped.
type managedIncidentJSON struct {
	incidentJSON
	ImpactOverride                            *string `json:"impact_override"`
	Backfilled                                bool    `json:"backfilled"`
	ScheduledFor                              *string `json:"scheduled_for"`
	ScheduledUntil                            *string `json:"scheduled_until"`
	ScheduledRemindPrior                      bool    `json:"scheduled_remind_prior"`
	ScheduledRemindedAt                       *string `json:"scheduled_reminded_at"`
	ScheduledAutoInProgress                   bool    `json:"scheduled_auto_in_progress"`
	ScheduledAutoCompleted                    bool    `json:"scheduled_auto_completed"`
	AutoTransitionToMaintenanceState          bool    `json:"auto_transition_to_maintenance_state"`
	AutoTransitionToOperationalState          bool    `json:"auto_transition_to_operational_state"`
	AutoTransitionDeliverNotificationsAtStart bool    `json:"auto_transition_deliver_notifications_at_start"`
	AutoTransitionDeliverNotificationsAtEnd   bool    `json:"auto_transition_deliver_notifications_at_end"`
	PostmortemBody                            *string `json:"postmortem_body"`
	PostmortemPublishedAt                     *string `json:"postmortem_published_at"`
	PostmortemNotifiedSubscribers             bool    `json:"postmortem_notified_subscribers"`
	PostmortemNotifiedTwitter                 bool    `json:"postmortem_notified_twitter"`
	PostmortemIgnored                         bool    `json:"postmortem_ignored"`
	// Metadata is the object staff attached, {} when none.
	Metadata json.RawMessage `json:"metadata"`
}

type statusJSON = components.PageStatus

type uptimeJSON struct {
	RangeStart       string      `json:"range_start"`
	RangeEnd         string      `json:"range_end"`
	UptimePercentage float64     `json:"uptime_percentage"`
	MajorOutage      int64       `json:"major_outage"`
	PartialOutage    int64       `json:"partial_outage"`
	Warnings         []string    `json:"warnings"`
	ID               string      `json:"id"`
	Name             string      `json:"name"`
	RelatedEvents    []eventJSON `json:"related_events"`
}

type eventJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// renderer turns domain values into these shapes for one page.
type renderer struct {
	page    components.Page
	loc     *time.Location
	baseURL string
	byID    map[string]components.Component
}

func newRenderer(page components.Page, baseURL string, all []components.Component) *renderer {
	r := &renderer{page: page, loc: page.Location(), baseURL: baseURL, byID: make(map[string]components.Component, len(all))}
	for _, c := range all {
		r.byID[c.ID] = c
	}
	return r
}

// timeLayout is RFC 3339 with milliseconds, as Statuspage emits, in the
// page's time zone.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

func (r *renderer) time(t time.Time) string { return t.In(r.loc).Format(timeLayout) }

func (r *renderer) optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := r.time(*t)
	return &s
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (r *renderer) pageJSON(updatedAt time.Time) pageJSON {
	return pageJSON{ID: r.page.ID, Name: r.page.Name, URL: r.page.URL, TimeZone: r.page.TimeZone, UpdatedAt: r.time(updatedAt)}
}

func (r *renderer) component(c components.Component) componentJSON {
	out := componentJSON{
		ID: c.ID, Name: c.Name, Status: string(c.Status), CreatedAt: r.time(c.CreatedAt), UpdatedAt: r.time(c.UpdatedAt),
		Position: c.Position, Description: optString(c.Description), Showcase: c.Showcase,
		StartDate: optString(c.StartDate), GroupID: optString(c.GroupID), PageID: r.page.ID, Group: c.Group,
		OnlyShowIfDegraded: c.OnlyShowIfDegraded,
	}
	if c.Group {
		members := append([]string{}, c.Members...)
		out.Components = &members
	}
	return out
}

func (r *renderer) components(list []components.Component) []componentJSON {
	out := make([]componentJSON, 0, len(list))
	for _, c := range list {
		out = append(out, r.component(c))
	}
	return out
}

func (r *renderer) group(g components.Component) groupJSON {
	return groupJSON{ID: g.ID, PageID: r.page.ID, Name: g.Name, Description: optString(g.Description),
		Components: append([]string{}, g.Members...), Position: g.Position,
		CreatedAt: r.time(g.CreatedAt), UpdatedAt: r.time(g.UpdatedAt)}
}

func (r *renderer) update(u incidents.Update) updateJSON {
	out := updateJSON{ID: u.ID, Status: string(u.Status), Body: u.Body, IncidentID: u.IncidentID,
		CreatedAt: r.time(u.CreatedAt), UpdatedAt: r.time(u.UpdatedAt), DisplayAt: r.time(u.DisplayAt),
		DeliverNotifications: u.DeliverNotifications}
	if u.AffectedComponents != nil {
		list := make([]affectedJSON, 0, len(u.AffectedComponents))
		for _, ch := range u.AffectedComponents {
			list = append(list, affectedJSON{Code: ch.ComponentID, Name: ch.Name, OldStatus: string(ch.OldStatus), NewStatus: string(ch.NewStatus)})
		}
		out.AffectedComponents = &list
	}
	return out
}

func (r *renderer) incident(in incidents.Incident) incidentJSON {
	out := incidentJSON{ID: in.ID, Name: in.Name, Status: string(in.Status),
		CreatedAt: r.time(in.CreatedAt), UpdatedAt: r.time(in.UpdatedAt),
		MonitoringAt: r.optTime(in.MonitoringAt), ResolvedAt: r.optTime(in.ResolvedAt),
		Impact: string(in.Impact), Shortlink: r.baseURL + "/incidents/" + in.ID,
		StartedAt: r.time(in.StartedAt), PageID: r.page.ID,
		IncidentUpdates: make([]updateJSON, 0, len(in.Updates)), Components: []componentJSON{}}
	for _, u := range in.Updates {
		out.IncidentUpdates = append(out.IncidentUpdates, r.update(u))
	}
	for _, id := range in.ComponentIDs {
		if c, ok := r.byID[id]; ok {
			out.Components = append(out.Components, r.component(c))
		}
	}
	return out
}

func (r *renderer) incidents(list []incidents.Incident) []incidentJSON {
	out := make([]incidentJSON, 0, len(list))
	for _, in := range list {
		out = append(out, r.incident(in))
	}
	return out
}

func (r *renderer) maintenances(list []incidents.Incident) []maintenanceJSON {
	out := make([]maintenanceJSON, 0, len(list))
	for _, in := range list {
		out = append(out, maintenanceJSON{incidentJSON: r.incident(in),
			ScheduledFor: r.time(*in.ScheduledFor), ScheduledUntil: r.time(*in.ScheduledUntil)})
	}
	return out
}

func (r *renderer) managedIncident(in incidents.Incident) managedIncidentJSON {
	a := in.Automation
	out := managedIncidentJSON{
		incidentJSON:                              r.incident(in),
		ImpactOverride:                            optString(string(in.ImpactOverride)),
		Backfilled:                                in.Backfilled,
		ScheduledFor:                              r.optTime(in.ScheduledFor),
		ScheduledUntil:                            r.optTime(in.ScheduledUntil),
		ScheduledRemindPrior:                      a.RemindPrior,
		ScheduledRemindedAt:                       r.optTime(in.RemindedAt),
		ScheduledAutoInProgress:                   a.AutoInProgress,
		ScheduledAutoCompleted:                    a.AutoCompleted,
		AutoTransitionToMaintenanceState:          a.ToMaintenanceState,
		AutoTransitionToOperationalState:          a.ToOperationalState,
		AutoTransitionDeliverNotificationsAtStart: a.NotifyAtStart,
		AutoTransitionDeliverNotificationsAtEnd:   a.NotifyAtEnd,
		PostmortemBody:                            optString(in.Postmortem.Body),
		PostmortemPublishedAt:                     r.optTime(in.Postmortem.PublishedAt),
		PostmortemNotifiedSubscribers:             in.Postmortem.NotifiedSubscribers,
		PostmortemNotifiedTwitter:                 in.Postmortem.PublishedAt != nil && in.Postmortem.NotifyTwitter,
		Metadata:                                  in.Metadata,
	}
	if out.Metadata == nil {
		out.Metadata = json.RawMessage("{}")
	}
	return out
}

func (r *renderer) managedIncidents(list []incidents.Incident) []managedIncidentJSON {
	out := make([]managedIncidentJSON, 0, len(list))
	for _, in := range list {
		out = append(out, r.managedIncident(in))
	}
	return out
}
