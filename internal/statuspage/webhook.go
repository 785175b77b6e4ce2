package statuspage

import "encoding/json"

// Webhook is the body of a webhook notification: Statuspage's envelope,
// with an incident (or maintenance), or a component and its status change,
// or neither for the test delivery sent when a webhook subscribes. The
// fields are in alphabetical order, the order in which Beacon has always
// sent them.
type Webhook struct {
	// Component, ComponentUpdate and Incident hold an encoded Component,
	// ComponentUpdate and Incident (or Maintenance): an event's are
	// encoded once for all its recipients. Empty ones are left out.
	Component       json.RawMessage `json:"component,omitempty"`
	ComponentUpdate json.RawMessage `json:"component_update,omitempty"`
	Incident        json.RawMessage `json:"incident,omitempty"`
	Meta            WebhookMeta     `json:"meta"`
	Page            WebhookPage     `json:"page"`
}

// WebhookMeta is a webhook's links: the recipient's unsubscribe link and
// the page's summary.json.
type WebhookMeta struct {
	Documentation string `json:"documentation"`
	Unsubscribe   string `json:"unsubscribe"`
}

// WebhookPage is the page and its status indicator in a webhook.
type WebhookPage struct {
	ID                string `json:"id"`
	StatusDescription string `json:"status_description"`
	StatusIndicator   string `json:"status_indicator"`
}

// ComponentUpdate is a component's status change in a webhook; its ID is
// the component's id and the event's number joined by a hyphen.
type ComponentUpdate struct {
	ComponentID string `json:"component_id"`
	CreatedAt   string `json:"created_at"`
	ID          string `json:"id"`
	NewStatus   string `json:"new_status"`
	OldStatus   string `json:"old_status"`
}
