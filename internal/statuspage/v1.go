package statuspage

import (
	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// The management API's own objects (reference/statuspage.md §1(d)–(g)).

// Subscriber is Statuspage's subscriber object, plus Beacon's state.
type Subscriber struct {
	ID                           string   `json:"id"`
	Mode                         string   `json:"mode"`
	Email                        *string  `json:"email"`
	Endpoint                     *string  `json:"endpoint"`
	PhoneNumber                  *string  `json:"phone_number"`
	PhoneCountry                 *string  `json:"phone_country"`
	DisplayPhoneNumber           *string  `json:"display_phone_number"`
	State                        string   `json:"state"`
	QuarantinedAt                *string  `json:"quarantined_at"`
	PurgeAt                      *string  `json:"purge_at"`
	Components                   []string `json:"components"`
	CreatedAt                    string   `json:"created_at"`
	SkipConfirmationNotification bool     `json:"skip_confirmation_notification"`
	// Language is Beacon's: the language the subscriber's messages are
	// written in, null when it follows the page's.
	Language *string `json:"language"`
}

// Subscriber renders a page subscriber.
func (r *Renderer) Subscriber(s subscribers.Subscriber) Subscriber {
	out := Subscriber{ID: s.ID, Mode: string(s.Mode), State: string(s.State), QuarantinedAt: r.OptTime(s.QuarantinedAt),
		Components: append([]string{}, s.ComponentIDs...), CreatedAt: r.Time(s.CreatedAt), Language: optString(s.Language)}
	switch s.Mode {
	case notifier.Email:
		out.Email = optString(s.Address)
	case notifier.SMS:
		out.PhoneNumber, out.PhoneCountry, out.DisplayPhoneNumber = optString(s.Address), optString(s.PhoneCountry), optString(s.Address)
	case notifier.Webhook:
		// Statuspage's email of a webhook subscriber is its contact.
		out.Endpoint, out.Email = optString(s.Address), optString(s.ContactEmail)
	default:
		if s.Mode.Chat() {
			// A chat channel is its incoming webhook's URL.
			out.Endpoint = optString(s.Address)
		}
	}
	return out
}

// Follow is an incident subscriber as Statuspage's Subscriber object: it
// hears of one incident, so it names no components.
func (r *Renderer) Follow(f subscribers.Follow) Subscriber {
	out := r.Subscriber(f.Subscriber)
	out.Components = []string{}
	out.CreatedAt = r.Time(f.CreatedAt)
	return out
}

// Postmortem is Statuspage's postmortem object.
type Postmortem struct {
	PreviewKey         string  `json:"preview_key"`
	Body               *string `json:"body"`
	BodyUpdatedAt      *string `json:"body_updated_at"`
	BodyDraft          *string `json:"body_draft"`
	BodyDraftUpdatedAt *string `json:"body_draft_updated_at"`
	PublishedAt        *string `json:"published_at"`
	NotifySubscribers  bool    `json:"notify_subscribers"`
	NotifyTwitter      bool    `json:"notify_twitter"`
	CustomTweet        *string `json:"custom_tweet"`
	CreatedAt          *string `json:"created_at"`
	UpdatedAt          *string `json:"updated_at"`
}

// Postmortem renders an incident's postmortem.
func (r *Renderer) Postmortem(p incidents.PostmortemInfo) Postmortem {
	return Postmortem{PreviewKey: p.PreviewKey, Body: optString(p.Body), BodyUpdatedAt: r.OptTime(p.BodyUpdatedAt),
		BodyDraft: optString(p.Draft), BodyDraftUpdatedAt: r.OptTime(p.DraftUpdatedAt), PublishedAt: r.OptTime(p.PublishedAt),
		NotifySubscribers: p.NotifiedSubscribers, NotifyTwitter: p.NotifyTwitter, CustomTweet: optString(p.CustomTweet),
		CreatedAt: r.OptTime(p.CreatedAt), UpdatedAt: r.OptTime(p.UpdatedAt)}
}

// ManagedPage is the management API's page object (the subset Beacon
// keeps), with Beacon's logo_url and accent_color.
type ManagedPage struct {
	ID          string  `json:"id"`
	CreatedAt   string  `json:"created_at"`
	UpdatedAt   string  `json:"updated_at"`
	Name        string  `json:"name"`
	URL         string  `json:"url"`
	TimeZone    string  `json:"time_zone"`
	SupportURL  *string `json:"support_url"`
	LogoURL     *string `json:"logo_url"`
	AccentColor *string `json:"accent_color"`
	// EmailFooter is Statuspage's field; Beacon's is plain text.
	EmailFooter *string `json:"notifications_email_footer"`
}

// ManagedPage renders the page for the management API.
func (r *Renderer) ManagedPage(p components.Page) ManagedPage {
	return ManagedPage{ID: p.ID, CreatedAt: r.Time(p.CreatedAt), UpdatedAt: r.Time(p.UpdatedAt),
		Name: p.Name, URL: p.URL, TimeZone: p.TimeZone, SupportURL: optString(p.SupportURL),
		LogoURL: optString(p.LogoURL), AccentColor: optString(p.AccentColor), EmailFooter: optString(p.EmailFooter)}
}

// Template is an incident template; group_id and should_tweet are
// Statuspage fields Beacon has no use for, always null and false.
type Template struct {
	ID                      string      `json:"id"`
	Name                    string      `json:"name"`
	Title                   string      `json:"title"`
	Body                    string      `json:"body"`
	GroupID                 *string     `json:"group_id"`
	UpdateStatus            string      `json:"update_status"`
	ShouldTweet             bool        `json:"should_tweet"`
	ShouldSendNotifications bool        `json:"should_send_notifications"`
	Components              []Component `json:"components"`
	CreatedAt               string      `json:"created_at"`
	UpdatedAt               string      `json:"updated_at"`
}

// Template renders an incident template with its components.
func (r *Renderer) Template(t incidents.Template) Template {
	out := Template{ID: t.ID, Name: t.Name, Title: t.Title, Body: t.Body, UpdateStatus: string(t.Status),
		ShouldSendNotifications: t.DeliverNotifications, Components: []Component{},
		CreatedAt: r.Time(t.CreatedAt), UpdatedAt: r.Time(t.UpdatedAt)}
	for _, id := range t.ComponentIDs {
		if c, ok := r.byID[id]; ok {
			out.Components = append(out.Components, r.Component(c))
		}
	}
	return out
}
