package main

import (
	"context"
	"slices"

	"github.com/beacon-status/beacon/components"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/email"
	"github.com/beacon-status/beacon/notifier/webhook"
)

// notifySettings are the notification settings in force: the
// environment's, overridden by those an admin saved in the console.
type notifySettings struct {
	EmailFrom, EmailFromName string
	SMSAllUpdates            bool
	SMSCountries             []string
	WebhookAllowPrivate      bool
	// Saved reports which of them come from the console.
	Saved settings.Notifications
}

// effectiveNotify lays saved over the environment's settings in cfg.
func effectiveNotify(cfg Config, saved settings.Notifications) notifySettings {
	n := notifySettings{EmailFrom: cfg.SMTP.From, EmailFromName: cfg.SMTP.FromName, SMSAllUpdates: cfg.SMSAllUpdates,
		SMSCountries: slices.Clone(cfg.SMSCountries), WebhookAllowPrivate: cfg.WebhookAllowPrivate, Saved: saved}
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

// loadNotify reads the saved settings into a.notify; the services are
// then built with them.
func (a *app) loadNotify(ctx context.Context) error {
	saved, err := a.settings.Notifications(ctx)
	if err != nil {
		return err
	}
	n := effectiveNotify(a.cfg, saved)
	a.notify.Store(&n)
	return nil
}

// notifyNow returns the notification settings in force.
func (a *app) notifyNow() notifySettings { return *a.notify.Load() }

// checkNotify validates the email sender an admin typed, reporting the
// first problem as a field error.
func checkNotify(n settings.Notifications) error {
	if n.EmailFrom != nil && *n.EmailFrom != "" && !email.ValidFrom(*n.EmailFrom) {
		return web.Unprocessable("email_from", "must be a bare address such as status@example.com")
	}
	if n.EmailFromName != nil && (!email.ValidFromName(*n.EmailFromName) || len(*n.EmailFromName) > 100) {
		return web.Unprocessable("email_from_name", "must be one line of at most 100 characters")
	}
	if n.EmailFromName != nil {
		if err := chars.CheckLine(*n.EmailFromName); err != nil {
			return web.Unprocessable("email_from_name", "%v", err)
		}
	}
	return nil
}

// fromName is the sender name of notification emails: the one set, or
// the page's name.
func (n notifySettings) fromName(pageName string) string {
	if n.EmailFromName != "" {
		return n.EmailFromName
	}
	return pageName
}

// saveNotify stores settings an admin saved and puts them in force at once.
func (a *app) saveNotify(ctx context.Context, saved settings.Notifications) error {
	if err := checkNotify(saved); err != nil {
		return err
	}
	if err := a.settings.SaveNotifications(ctx, saved); err != nil {
		return err
	}
	n := effectiveNotify(a.cfg, saved)
	a.notify.Store(&n)
	return a.applyNotify(ctx)
}

// savePage changes the page's settings, through the API or the console.
// The page's name is the default sender name of notification emails, which
// follows at once.
func (a *app) savePage(ctx context.Context, in components.PageInput) (components.Page, error) {
	page, err := a.components.UpdatePage(ctx, in)
	if err != nil {
		return page, err
	}
	return page, a.applyNotify(ctx)
}

// applyNotify hands the settings in force to the running services; the
// page's name counts too, as the default sender name.
func (a *app) applyNotify(ctx context.Context) error {
	n := a.notifyNow()
	a.subscribers.SetSMSCountries(n.SMSCountries)
	a.dispatcher.SetSMSKeyMomentsOnly(!n.SMSAllUpdates)
	if w, ok := a.senders[notifier.Webhook].(*webhook.Sender); ok {
		w.SetAllowPrivate(n.WebhookAllowPrivate)
	}
	if e, ok := a.senders[notifier.Email].(*email.Sender); ok {
		page, err := a.components.Page(ctx)
		if err != nil {
			return err
		}
		if n.EmailFrom != "" {
			return e.SetFrom(n.EmailFrom, n.fromName(page.Name))
		}
	}
	return nil
}
