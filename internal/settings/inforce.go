package settings

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/notifier/email"
)

// Notify are the notification settings in force: the environment's,
// overridden by those an admin saved in the console.
type Notify struct {
	EmailFrom, EmailFromName string
	SMSAllUpdates            bool
	SMSCountries             []string
	WebhookAllowPrivate      bool
	// Saved reports which of them come from the console.
	Saved Notifications
}

// FromName is the sender name of notification emails: the one set, or the
// page's name.
func (n Notify) FromName(pageName string) string {
	if n.EmailFromName != "" {
		return n.EmailFromName
	}
	return pageName
}

// over lays saved over n, the environment's settings.
func (n Notify) over(saved Notifications) Notify {
	n.SMSCountries, n.Saved = slices.Clone(n.SMSCountries), saved
	if saved.EmailFrom != nil {
		n.EmailFrom = *saved.EmailFrom
	}
	if saved.EmailFromName != nil {
		n.EmailFromName = *saved.EmailFromName
	}
	if saved.SMSAllUpdates != nil {
		n.SMSAllUpdates = *saved.SMSAllUpdates
	}
	if saved.SMSCountries != nil {
		n.SMSCountries = slices.Clone(*saved.SMSCountries)
	}
	if saved.WebhookAllowPrivate != nil {
		n.WebhookAllowPrivate = *saved.WebhookAllowPrivate
	}
	return n
}

// checkNotifications validates the email sender an admin typed, reporting
// the first problem as a field error.
func checkNotifications(n Notifications) error {
	if n.EmailFrom != nil && *n.EmailFrom != "" && !email.ValidFrom(*n.EmailFrom) {
		return &ValidationError{Field: "email_from", Msg: "must be a bare address such as status@example.com"}
	}
	if n.EmailFromName != nil && (!email.ValidFromName(*n.EmailFromName) || len(*n.EmailFromName) > 100) {
		return &ValidationError{Field: "email_from_name", Msg: "must be one line of at most 100 characters"}
	}
	if n.EmailFromName != nil {
		if err := chars.CheckLine(*n.EmailFromName); err != nil {
			return &ValidationError{Field: "email_from_name", Msg: err.Error()}
		}
	}
	return nil
}

// Pages is the page store the settings in force read and change
// (*components.Service).
type Pages interface {
	Page(ctx context.Context) (components.Page, error)
	UpdatePage(ctx context.Context, in components.PageInput) (components.Page, error)
}

// InForce is the one place that answers which setting is in force — the
// environment's, what an admin saved, the page's own — and the one way to
// change them, through the API or the console, so that the running
// services follow at once.
type InForce struct {
	store *Store
	pages Pages
	env   Notify
	cur   atomic.Pointer[Notify]
	// apply hands the notification settings in force, and the page they
	// are for (its name is the default sender name), to the running
	// services.
	apply func(ctx context.Context, n Notify, page components.Page) error
	// changed is told that what visitors see changed.
	changed func()
}

// NewInForce reads the saved settings and lays them over env, the
// environment's. apply and changed may be set later with Attach.
func NewInForce(ctx context.Context, store *Store, pages Pages, env Notify) (*InForce, error) {
	s := &InForce{store: store, pages: pages, env: env,
		apply: func(context.Context, Notify, components.Page) error { return nil }, changed: func() {}}
	saved, err := store.Notifications(ctx)
	if err != nil {
		return nil, err
	}
	n := env.over(saved)
	s.cur.Store(&n)
	return s, nil
}

// Attach sets what follows a change: apply hands notification settings to
// the running services, changed hears that the public page changed.
func (s *InForce) Attach(apply func(ctx context.Context, n Notify, page components.Page) error, changed func()) {
	s.apply, s.changed = apply, changed
}

// Notify returns the notification settings in force.
func (s *InForce) Notify() Notify { return *s.cur.Load() }

// Env returns the environment's notification settings, before any saved.
func (s *InForce) Env() Notify { return s.env }

// SaveNotify stores settings an admin saved and puts them in force at once.
func (s *InForce) SaveNotify(ctx context.Context, saved Notifications) error {
	if err := checkNotifications(saved); err != nil {
		return err
	}
	if err := s.store.SaveNotifications(ctx, saved); err != nil {
		return err
	}
	n := s.env.over(saved)
	s.cur.Store(&n)
	return s.applyNow(ctx)
}

// SavePage changes the page's settings. The page's name is the default
// sender name of notification emails, which follows at once. Its language
// must be one Beacon has (internal/i18n), written as Beacon writes it
// ("pt-br" is stored as "pt-BR"), or empty for English.
func (s *InForce) SavePage(ctx context.Context, in components.PageInput) (components.Page, error) {
	if in.Language != nil && *in.Language != "" {
		code, ok := i18n.Canonical(*in.Language)
		if !ok {
			return components.Page{}, &ValidationError{Field: "language",
				Msg: "must be one of the languages Beacon has: " + strings.Join(i18n.Codes(), ", ")}
		}
		in.Language = &code
	}
	page, err := s.pages.UpdatePage(ctx, in)
	if err != nil {
		return page, err
	}
	return page, s.apply(ctx, s.Notify(), page)
}

// SaveEmbed changes the status embed's settings. The script other sites
// load carries them: it is rendered again from the next request on.
func (s *InForce) SaveEmbed(ctx context.Context, in EmbedInput) (Embed, error) {
	e, err := s.store.UpdateEmbed(ctx, in)
	if err != nil {
		return Embed{}, err
	}
	s.changed()
	return e, nil
}

// Embed returns the status embed's settings.
func (s *InForce) Embed(ctx context.Context) (Embed, error) { return s.store.Embed(ctx) }

// Reload reads the saved settings again and puts them in force: another
// process (a replica on the same database, a command) may have saved
// some. The running services are handed them whether they changed or not.
func (s *InForce) Reload(ctx context.Context) error {
	saved, err := s.store.Notifications(ctx)
	if err != nil {
		return err
	}
	n := s.env.over(saved)
	s.cur.Store(&n)
	return s.applyNow(ctx)
}

// applyNow hands the settings in force to the running services.
func (s *InForce) applyNow(ctx context.Context) error {
	page, err := s.pages.Page(ctx)
	if err != nil {
		return err
	}
	return s.apply(ctx, s.Notify(), page)
}
