// Package statuspage holds the JSON shapes of Statuspage's public API v2,
// management API v1 and webhook payloads (reference/statuspage.md §1), and
// the renderer that turns domain values into them. Field order follows real
// captures.
package statuspage

import (
	"encoding/json"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
)

// Page is the page object every API v2 body starts with.
type Page struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	URL       string `json:"url"`
	TimeZone  string `json:"time_zone"`
	UpdatedAt string `json:"updated_at"`
}

// Component is a component (or a group, with Components set).
type Component struct {
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

// Group is a component group of the management API.
type Group struct {
	ID          string   `json:"id"`
	PageID      string   `json:"page_id"`
	Name        string   `json:"name"`
	Description *string  `json:"description"`
	Components  []string `json:"components"`
	Position    int      `json:"position"`
	CreatedAt   string   `json:"created_at"`
	UpdatedAt   string   `json:"updated_at"`
}

// Affected is one component change an update made.
type Affected struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldStatus string `json:"old_status"`
	NewStatus string `json:"new_status"`
}

// Update is an incident update.
type Update struct {
	ID                   string      `json:"id"`
	Status               string      `json:"status"`
	Body                 string      `json:"body"`
	IncidentID           string      `json:"incident_id"`
	CreatedAt            string      `json:"created_at"`
	UpdatedAt            string      `json:"updated_at"`
	DisplayAt            string      `json:"display_at"`
	AffectedComponents   *[]Affected `json:"affected_components"`
	DeliverNotifications bool        `json:"deliver_notifications"`
	CustomTweet          *string     `json:"custom_tweet"`
	TweetID              *string     `json:"tweet_id"`
}

// Incident is an incident or maintenance as API v2 shows it.
type Incident struct {
	ID              string      `json:"id"`
	Name            string      `json:"name"`
	Status          string      `json:"status"`
	CreatedAt       string      `json:"created_at"`
	UpdatedAt       string      `json:"updated_at"`
	MonitoringAt    *string     `json:"monitoring_at"`
	ResolvedAt      *string     `json:"resolved_at"`
	Impact          string      `json:"impact"`
	Shortlink       string      `json:"shortlink"`
	StartedAt       string      `json:"started_at"`
	PageID          string      `json:"page_id"`
	IncidentUpdates []Update    `json:"incident_updates"`
	Components      []Component `json:"components"`
}

// Maintenance is a scheduled maintenance in the public API: the incident
// shape plus its window.
type Maintenance struct {
	Incident
	ScheduledFor   string `json:"scheduled_for"`
	ScheduledUntil string `json:"scheduled_until"`
}

// ManagedIncident is the management API's incident: the public shape
// plus the fields the public API dropped.
type ManagedIncident struct {
	Incident
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

// Status is the page's summary indicator.
type Status = components.PageStatus

// Uptime is the uptime of a component or group over a range of days.
type Uptime struct {
	RangeStart       string   `json:"range_start"`
	RangeEnd         string   `json:"range_end"`
	UptimePercentage float64  `json:"uptime_percentage"`
	MajorOutage      int64    `json:"major_outage"`
	PartialOutage    int64    `json:"partial_outage"`
	Warnings         []string `json:"warnings"`
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	RelatedEvents    []Event  `json:"related_events"`
}

// Event is an incident behind some downtime.
type Event struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Renderer turns domain values into these shapes for one page.
type Renderer struct {
	page    components.Page
	loc     *time.Location
	baseURL string
	byID    map[string]components.Component
}

// NewRenderer returns a renderer for page, whose links start at baseURL and whose
// incidents and templates name components from all.
func NewRenderer(page components.Page, baseURL string, all []components.Component) *Renderer {
	return &Renderer{page: page, loc: page.Location(), baseURL: baseURL, byID: components.ByID(all)}
}

// timeLayout is RFC 3339 with milliseconds, as Statuspage emits, in the
// page's time zone.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Time formats t as Statuspage does, in the page's time zone.
func (r *Renderer) Time(t time.Time) string { return t.In(r.loc).Format(timeLayout) }

// OptTime is Time for an optional time: nil stays null.
func (r *Renderer) OptTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := r.Time(*t)
	return &s
}

// optString is s, or null when it is empty.
func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Page is the page object of API v2, last changed at updatedAt.
func (r *Renderer) Page(updatedAt time.Time) Page {
	return Page{ID: r.page.ID, Name: r.page.Name, URL: r.page.URL, TimeZone: r.page.TimeZone, UpdatedAt: r.Time(updatedAt)}
}

// Component renders a component or a group as API v2 and v1 show it.
func (r *Renderer) Component(c components.Component) Component {
	out := Component{
		ID: c.ID, Name: c.Name, Status: string(c.Status), CreatedAt: r.Time(c.CreatedAt), UpdatedAt: r.Time(c.UpdatedAt),
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

// Components renders a list of components.
func (r *Renderer) Components(list []components.Component) []Component {
	out := make([]Component, 0, len(list))
	for _, c := range list {
		out = append(out, r.Component(c))
	}
	return out
}

// Group renders a group as the component-groups resource shows it.
func (r *Renderer) Group(g components.Component) Group {
	return Group{ID: g.ID, PageID: r.page.ID, Name: g.Name, Description: optString(g.Description),
		Components: append([]string{}, g.Members...), Position: g.Position,
		CreatedAt: r.Time(g.CreatedAt), UpdatedAt: r.Time(g.UpdatedAt)}
}

// Update renders one incident update.
func (r *Renderer) Update(u incidents.Update) Update {
	out := Update{ID: u.ID, Status: string(u.Status), Body: u.Body, IncidentID: u.IncidentID,
		CreatedAt: r.Time(u.CreatedAt), UpdatedAt: r.Time(u.UpdatedAt), DisplayAt: r.Time(u.DisplayAt),
		DeliverNotifications: u.DeliverNotifications}
	if u.AffectedComponents != nil {
		list := make([]Affected, 0, len(u.AffectedComponents))
		for _, ch := range u.AffectedComponents {
			list = append(list, Affected{Code: ch.ComponentID, Name: ch.Name, OldStatus: string(ch.OldStatus), NewStatus: string(ch.NewStatus)})
		}
		out.AffectedComponents = &list
	}
	return out
}

// Incident renders an incident as API v2 shows it.
func (r *Renderer) Incident(in incidents.Incident) Incident {
	out := Incident{ID: in.ID, Name: in.Name, Status: string(in.Status),
		CreatedAt: r.Time(in.CreatedAt), UpdatedAt: r.Time(in.UpdatedAt),
		MonitoringAt: r.OptTime(in.MonitoringAt), ResolvedAt: r.OptTime(in.ResolvedAt),
		Impact: string(in.Impact), Shortlink: r.baseURL + "/incidents/" + in.ID,
		StartedAt: r.Time(in.StartedAt), PageID: r.page.ID,
		IncidentUpdates: make([]Update, 0, len(in.Updates)), Components: []Component{}}
	for _, u := range in.Updates {
		out.IncidentUpdates = append(out.IncidentUpdates, r.Update(u))
	}
	for _, id := range in.ComponentIDs {
		if c, ok := r.byID[id]; ok {
			out.Components = append(out.Components, r.Component(c))
		}
	}
	return out
}

// Incidents renders a list of incidents.
func (r *Renderer) Incidents(list []incidents.Incident) []Incident {
	out := make([]Incident, 0, len(list))
	for _, in := range list {
		out = append(out, r.Incident(in))
	}
	return out
}

// Maintenances renders scheduled maintenances with their windows.
func (r *Renderer) Maintenances(list []incidents.Incident) []Maintenance {
	out := make([]Maintenance, 0, len(list))
	for _, in := range list {
		out = append(out, Maintenance{Incident: r.Incident(in),
			ScheduledFor: r.Time(*in.ScheduledFor), ScheduledUntil: r.Time(*in.ScheduledUntil)})
	}
	return out
}

// ManagedIncident renders an incident as the management API shows it.
func (r *Renderer) ManagedIncident(in incidents.Incident) ManagedIncident {
	a := in.Automation
	out := ManagedIncident{
		Incident:                                  r.Incident(in),
		ImpactOverride:                            optString(string(in.ImpactOverride)),
		Backfilled:                                in.Backfilled,
		ScheduledFor:                              r.OptTime(in.ScheduledFor),
		ScheduledUntil:                            r.OptTime(in.ScheduledUntil),
		ScheduledRemindPrior:                      a.RemindPrior,
		ScheduledRemindedAt:                       r.OptTime(in.RemindedAt),
		ScheduledAutoInProgress:                   a.AutoInProgress,
		ScheduledAutoCompleted:                    a.AutoCompleted,
		AutoTransitionToMaintenanceState:          a.ToMaintenanceState,
		AutoTransitionToOperationalState:          a.ToOperationalState,
		AutoTransitionDeliverNotificationsAtStart: a.NotifyAtStart,
		AutoTransitionDeliverNotificationsAtEnd:   a.NotifyAtEnd,
		PostmortemBody:                            optString(in.Postmortem.Body),
		PostmortemPublishedAt:                     r.OptTime(in.Postmortem.PublishedAt),
		PostmortemNotifiedSubscribers:             in.Postmortem.NotifiedSubscribers,
		PostmortemNotifiedTwitter:                 in.Postmortem.PublishedAt != nil && in.Postmortem.NotifyTwitter,
		Metadata:                                  in.Metadata,
	}
	if out.Metadata == nil {
		out.Metadata = json.RawMessage("{}")
	}
	return out
}

// ManagedIncidents renders a list of incidents for the management API.
func (r *Renderer) ManagedIncidents(list []incidents.Incident) []ManagedIncident {
	out := make([]ManagedIncident, 0, len(list))
	for _, in := range list {
		out = append(out, r.ManagedIncident(in))
	}
	return out
}

// ComponentByID returns one of the page's components by id.
func (r *Renderer) ComponentByID(id string) (components.Component, bool) {
	c, ok := r.byID[id]
	return c, ok
}

// Location is the page's time zone, in which every time is rendered.
func (r *Renderer) Location() *time.Location { return r.loc }
