// Package signup is how a visitor subscribes to the page and leaves it:
// subscribe (by email, SMS, webhook or chat), verify an SMS code, confirm
// an email, follow one incident, manage preferences and unsubscribe. The
// public site (package public) mounts these routes beside its pages and
// gives them what they read from its snapshot through Site; they render in
// the frame every public page shares (public/frame).
package signup

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/public/frame"
	"github.com/beacon-status/beacon/subscribers"
)

// Site is what the flows read from the public site's snapshot.
type Site interface {
	// Page returns the layout data of a page titled title in lang (the
	// page's default language when nil) and the page's components (groups
	// among them), both from one snapshot.
	Page(ctx context.Context, title string, lang *i18n.Lang) (frame.Head, []components.Component, error)
}

// Notifier is what the flows ask of the notification dispatcher.
type Notifier interface {
	// Wake makes the dispatcher look for new work now, so that a
	// sign-up's confirmation goes out at once.
	Wake()
}

// Deps are the services the flows use.
type Deps struct {
	Site        Site
	Replies     frame.Replies
	Incidents   *incidents.Service
	Subscribers *subscribers.Service
	Notifier    Notifier
	// Channels are the configured notification channels: the forms offer
	// only these.
	Channels Channels
}

// Flows are the sign-up handlers.
type Flows struct {
	signup *signup
	follow *follow
}

// New returns the flows on d's services.
func New(d Deps) *Flows {
	return &Flows{
		signup: &signup{site: d.Site, subscribers: d.Subscribers, notifier: d.Notifier, channels: d.Channels, reply: d.Replies},
		follow: &follow{incidents: d.Incidents, subscribers: d.Subscribers, notifier: d.Notifier, channels: d.Channels, reply: d.Replies},
	}
}

// Routes adds the subscription routes to app: public HTML forms and JSON.
func (f *Flows) Routes(app fiber.Router) {
	app.Get("/subscribe", f.signup.getSubscribe)
	app.Post("/subscribe", f.signup.postSubscribe)
	app.Post("/subscriptions/verify", f.signup.postVerify)
	app.Get("/subscriptions/confirm", f.signup.getConfirm)
	app.Post("/incidents/:id/subscribe", f.follow.postFollow)
	app.Get("/subscriptions/follow", f.follow.getConfirmFollow)
	app.Get("/subscriptions/manage", f.signup.getManage)
	app.Post("/subscriptions/manage", f.signup.postManage)
	app.Get("/unsubscribe/:token", f.signup.getUnsubscribe)
	app.Post("/unsubscribe/:token", f.signup.postUnsubscribe)
}

// Channels is the set of configured notification channels.
type Channels map[notifier.Channel]bool

// ChannelSet returns the set of list.
func ChannelSet(list []notifier.Channel) Channels {
	ch := Channels{}
	for _, c := range list {
		ch[c] = true
	}
	return ch
}
