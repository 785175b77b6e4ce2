package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/api"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/console"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/messages"
	"github.com/beacon-status/beacon/internal/schema"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/chat"
	"github.com/beacon-status/beacon/notifier/email"
	"github.com/beacon-status/beacon/notifier/sms"
	"github.com/beacon-status/beacon/notifier/webhook"
	"github.com/beacon-status/beacon/public"
	"github.com/beacon-status/beacon/subscribers"
	"github.com/beacon-status/beacon/templates"
)

// app is Beacon wired together: the one place that builds every part.
type app struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	db  *store.DB

	// The domain and its stores.
	outbox      *notifier.Outbox
	components  *components.Service
	incidents   *incidents.Service
	subscribers *subscribers.Service
	keys        *apikeys.Store
	accounts    *accounts.Store
	settings    *settings.Store

	// integrations turns monitoring's alerts into page changes.
	integrations *integrations.Service
	// systemMetrics keeps the metrics charted on the page (metrics is the
	// server's own request metrics).
	systemMetrics *metrics.Service

	// inForce answers which setting is in force and changes them.
	inForce   *settings.InForce
	templates *templates.Set
	pageID    string

	// Notifications: the dispatcher, what it says (messages) and the
	// configured channels' senders; a channel without settings has none,
	// and nothing pretends to send on it.
	dispatcher *notifier.Dispatcher
	messages   *messages.Renderer
	senders    map[notifier.Channel]notifier.Sender
	sms        *sms.Sender
	webhooks   webhook.Config
	closers    []func() error

	// The HTTP side: the three surfaces and what they share.
	public     *public.Site
	api        *api.V1
	console    *console.Screens
	auditLog   *web.Audit
	metrics    *web.Metrics
	limiter    *web.KeyLimiter
	secHeaders web.SecurityHeaders
}

// dbFile is the database's name inside the data directory.
const dbFile = "beacon.db"

// migrationCount is the number of migrations of every set.
func migrationCount() int {
	n := 0
	for _, set := range schema.Sets() {
		n += set.Len()
	}
	return n
}

// openDB opens the database: PostgreSQL at cfg.DatabaseURL when set,
// else SQLite in cfg.DataDir. With migrate it brings the schema up to
// date; without, it changes nothing and refuses a schema this binary would
// have to migrate first.
func openDB(ctx context.Context, cfg Config, migrate bool) (*store.DB, error) {
	var db *store.DB
	var err error
	if cfg.DatabaseURL != "" {
		db, err = store.OpenPostgres(ctx, cfg.DatabaseURL)
	} else if err = os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	} else {
		db, err = store.Open(ctx, filepath.Join(cfg.DataDir, dbFile))
	}
	if err != nil {
		return nil, err
	}
	if !migrate {
		var pending []string
		pending, err = db.Pending(ctx, schema.Sets()...)
		switch {
		case err != nil || len(pending) == 0:
		case cfg.DatabaseURL != "" && len(pending) == migrationCount():
			// A PostgreSQL database no beacon has migrated is no
			// server's yet: it is set up as a server would.
			migrate = true
		case cfg.DatabaseURL != "":
			err = fmt.Errorf("the database's schema is older than this beacon's (%d migrations pending, first %s): "+
				"stop the servers, run `beacon migrate`, then start this version", len(pending), pending[0])
		default:
			err = fmt.Errorf("the database's schema is older than this beacon's (%d migrations pending, first %s) and a server is using it: "+
				"stop the server, run `beacon migrate`, then start this version", len(pending), pending[0])
		}
	}
	if err == nil && migrate {
		err = db.Migrate(ctx, schema.Sets()...)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// newApp opens (and migrates) the database and builds the services. now is
// the clock (time.Now outside tests).
func newApp(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time) (*app, error) {
	return buildApp(ctx, cfg, log, now, true, nil)
}

// buildApp is newApp, migrating the database only when migrate. tpl, when
// not nil, is the parsed templates to use instead of loading them (the
// tests share one Set among their many apps); a Set is read-only.
func buildApp(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time, migrate bool, tpl *templates.Set) (*app, error) {
	db, err := openDB(ctx, cfg, migrate)
	if err != nil {
		return nil, err
	}
	db.Log = log
	a := &app{cfg: cfg, log: log, now: now, db: db, templates: tpl}
	if err := a.build(ctx); err != nil {
		a.Close()
		return nil, err
	}
	return a, nil
}

// build makes every service on the open database.
func (a *app) build(ctx context.Context) error {
	cfg, db, now := a.cfg, a.db, a.now
	var err error
	if a.templates == nil {
		if a.templates, err = templates.Load(); err != nil {
			return fmt.Errorf("load templates: %w", err)
		}
	}
	a.outbox = notifier.NewOutbox(db)
	a.components = components.NewService(db, a.outbox, now, a.changed)
	a.incidents = incidents.NewService(db, a.components, a.outbox, now, a.changed)
	a.integrations = integrations.NewService(db, a.components, a.incidents, now, a.changed)
	a.systemMetrics = metrics.NewService(db, now, a.changed, metrics.Config{RawRetention: cfg.MetricsRawRetention})
	a.keys = apikeys.NewStore(db, now)
	a.accounts = accounts.NewStore(db, now, accounts.Config{BcryptCost: cfg.BcryptCost})
	a.auditLog = web.NewAudit(a.accounts, a.log, now)
	a.settings = settings.NewStore(db, now)
	env := settings.Notify{EmailFrom: cfg.SMTP.From, EmailFromName: cfg.SMTP.FromName, SMSAllUpdates: cfg.SMSAllUpdates,
		SMSCountries: cfg.SMSCountries, WebhookAllowPrivate: cfg.WebhookAllowPrivate}
	if a.inForce, err = settings.NewInForce(ctx, a.settings, a.components, env); err != nil {
		return err
	}
	notify := a.inForce.Notify()
	a.metrics = web.NewMetrics(a.outbox)
	a.limiter = web.NewKeyLimiter(cfg.APIRate, cfg.APIBurst, now)
	page, err := a.components.EnsurePage(ctx, components.PageInput{
		Name: &cfg.PageName, URL: &cfg.BaseURL, TimeZone: &cfg.TimeZone, SupportURL: &cfg.SupportURL,
		LogoURL: &cfg.LogoURL, AccentColor: &cfg.AccentColor, Language: &cfg.Language,
	})
	if err != nil {
		return fmt.Errorf("initialise page: %w", err)
	}
	a.pageID = page.ID
	a.secHeaders = web.NewSecurityHeaders(cfg.FrameAncestors)
	a.webhooks = webhook.Config{AllowPrivate: notify.WebhookAllowPrivate}
	a.subscribers, err = subscribers.NewService(ctx, db, a.components, a.outbox, now, subscribers.Config{
		SMSCountries: notify.SMSCountries,
		ValidateURL: func(ctx context.Context, raw string) error {
			return webhook.ValidateURL(ctx, raw, a.inForce.Notify().WebhookAllowPrivate)
		},
		Languages: i18n.Codes(),
	})
	if err != nil {
		return err
	}
	if err := a.buildSenders(page); err != nil {
		return err
	}
	channels := map[notifier.Channel]notifier.ChannelConfig{
		notifier.Email:   {Workers: cfg.SMTP.Pool, Batch: 200, Rate: cfg.channel("email").Rate, Burst: max(1, int(cfg.channel("email").Rate)), MaxAttempts: cfg.MaxAttempts},
		notifier.SMS:     {Workers: cfg.channel("sms").Workers, Batch: 10, Rate: cfg.channel("sms").Rate, Burst: 1, MaxAttempts: cfg.MaxAttempts},
		notifier.Webhook: {Workers: cfg.channel("webhook").Workers, Batch: 20, Rate: cfg.channel("webhook").Rate, Burst: max(1, int(cfg.channel("webhook").Rate)), MaxAttempts: cfg.MaxAttempts},
	}
	for _, ch := range notifier.Chats { // each chat platform as webhooks are
		channels[ch] = channels[notifier.Webhook]
	}
	a.messages = messages.NewRenderer(messages.Config{BaseURL: cfg.BaseURL, SMSStatusPath: public.TwilioStatusPath}, a.templates,
		a.components, a.incidents, a.subscribers)
	a.dispatcher = notifier.NewDispatcher(db, a.subscribers, a.messages, a.senders, notifier.Config{
		Channels: channels, SMSKeyMomentsOnly: !notify.SMSAllUpdates, BackoffBase: cfg.RetryBase, Poll: time.Second,
	}, now, a.log, a.metrics)
	a.public = public.New(public.Deps{BaseURL: cfg.BaseURL, Now: now, Log: a.log, CacheControl: cfg.PageCache, Templates: a.templates,
		Components: a.components, Incidents: a.incidents, Metrics: a.systemMetrics, Subscribers: a.subscribers, Settings: a.inForce,
		Notifier: a.dispatcher, SMS: a.sms, Channels: slices.Collect(maps.Keys(a.senders))})
	a.api = api.New(api.Deps{BaseURL: cfg.BaseURL, PageID: a.pageID, Now: now, Components: a.components,
		Incidents: a.incidents, Subscribers: a.subscribers, Outbox: a.outbox, Dispatcher: a.dispatcher,
		InForce: a.inForce, Keys: a.keys, Limiter: a.limiter, Audit: a.auditLog, Integrations: a.integrations,
		Metrics: a.systemMetrics})
	a.console = console.New(console.Deps{Log: a.log, BaseURL: cfg.BaseURL, Now: now, PageID: a.pageID, EmailConfigured: cfg.SMTP.Host != "",
		Templates: a.templates, Components: a.components, Incidents: a.incidents, Subscribers: a.subscribers, Outbox: a.outbox,
		Dispatcher: a.dispatcher, Accounts: a.accounts, Keys: a.keys, Audit: a.auditLog, InForce: a.inForce,
		Integrations: a.integrations, Metrics: a.systemMetrics})
	// Settings changed from now on reach the services just built.
	a.inForce.Attach(a.applyNotify, a.changed)
	return nil
}

// buildSenders makes a sender for each configured channel.
func (a *app) buildSenders(page components.Page) error {
	cfg := a.cfg
	hooks := webhook.New(a.webhooks)
	a.senders = map[notifier.Channel]notifier.Sender{notifier.Webhook: hooks}
	for _, ch := range notifier.Chats { // the webhooks' client: one address policy
		a.senders[ch] = chat.New(ch, hooks.Client)
	}
	if cfg.SMTP.Host != "" {
		notify := a.inForce.Notify()
		s, err := email.New(email.Config{Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, Username: cfg.SMTP.Username,
			Password: cfg.SMTP.Password, TLS: cfg.SMTP.TLS, From: notify.EmailFrom, FromName: notify.FromName(page.Name),
			Pool: cfg.SMTP.Pool}, a.log)
		if err != nil {
			return fmt.Errorf("email: %w", err)
		}
		a.senders[notifier.Email] = s
		a.closers = append(a.closers, s.Close)
	}
	if cfg.Twilio.AccountSID != "" {
		s, err := sms.New(sms.Config{AccountSID: cfg.Twilio.AccountSID, AuthToken: cfg.Twilio.AuthToken, From: cfg.Twilio.From,
			MessagingServiceSID: cfg.Twilio.MessagingServiceSID, APIURL: cfg.Twilio.APIURL, MaxPrice: cfg.Twilio.MaxPrice})
		if err != nil {
			return fmt.Errorf("sms: %w", err)
		}
		a.senders[notifier.SMS] = s
		a.sms = s
	}
	return nil
}

// changed is called after every committed change: cached pages and
// messages go stale and the dispatcher looks for new events.
func (a *app) changed() {
	// A change made while build() runs (the page it ensures) comes before
	// the caches exist: there is nothing stale yet.
	if a.public != nil {
		a.public.Changed()
	}
	if a.messages != nil {
		a.messages.Changed()
	}
	if a.dispatcher != nil {
		a.dispatcher.Wake()
	}
}

// Close releases the senders' connections and the database.
func (a *app) Close() error {
	var errs []error
	for _, c := range a.closers {
		errs = append(errs, c())
	}
	a.closers = nil
	return errors.Join(append(errs, a.db.Close())...)
}

// serve runs the HTTP server and the maintenance scheduler until ctx is
// done, then shuts down in order: stop accepting requests and drain them,
// stop the scheduler and wait for it. The caller closes the database.
func (a *app) serve(ctx context.Context, ready func(addr string)) error {
	srv := a.routes()
	ln, err := listen(a.cfg.Addr)
	if err != nil {
		return err
	}
	a.log.Info("beacon serving", "addr", ln.Addr().String(), "base_url", a.cfg.BaseURL, "database", a.cfg.database(),
		"replica", a.db.ReplicaID())
	if ready != nil {
		ready(ln.Addr().String())
	}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	a.auditLog.Start()
	workers.Go(func() { a.auditLog.Run(workCtx) })
	workers.Go(func() { a.incidents.Run(workCtx, a.log) })
	workers.Go(func() { a.dispatcher.Run(workCtx) })
	workers.Go(func() { a.integrations.Run(workCtx, a.log, 5*time.Second, a.accounts.Record) })
	workers.Go(func() { a.systemMetrics.Run(workCtx, a.log, 10*time.Minute) })
	workers.Go(func() { a.watchChanges(workCtx) })

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Listener(ln) }()

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		a.log.Info("shutting down")
		err = srv.ShutdownWithTimeout(a.cfg.ShutdownTimeout)
		if e := <-serveErr; e != nil && err == nil {
			err = e
		}
	}
	stopWork()
	workers.Wait()
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// watchChanges follows the changes other processes commit — another
// replica, `beacon demo`, a CLI import, a restored backup —, which the
// services' change hooks never see, until ctx is done (store.Watch: change
// notices on PostgreSQL, a cheap poll on SQLite).
func (a *app) watchChanges(ctx context.Context) {
	a.db.Watch(ctx, func(all bool) { a.outsideChange(ctx, all) })
}

// outsideChange follows a change committed by another process: cached
// pages, charts and messages go stale (the charts' data first, so the page
// rebuilt for the change may draw them), the scheduler looks again and the
// saved settings are read again. Points pushed alone (not all) move the
// charts' data only, as they do in the process they are pushed to.
func (a *app) outsideChange(ctx context.Context, all bool) {
	a.systemMetrics.OutsideChange()
	if !all {
		return
	}
	a.changed()
	a.incidents.Wake()
	if err := a.inForce.Reload(ctx); err != nil && ctx.Err() == nil {
		a.log.Error("reload the settings in force", "err", err)
	}
}

// errors is the app's one error handler: JSON, except under /console,
// where errors are console pages.
func (a *app) errors() fiber.ErrorHandler { return web.ErrorHandler(a.log, a.console.ErrorPage()) }

// newFiber returns a Fiber app with Beacon's settings.
func (a *app) newFiber() *fiber.App {
	return fiber.New(fiber.Config{
		// Fiber hands out strings that alias its reusable request buffers;
		// Immutable copies them so values kept beyond a handler stay valid.
		Immutable:             true,
		BodyLimit:             a.cfg.BodyLimit,
		ProxyHeader:           a.cfg.ProxyHeader,
		ErrorHandler:          a.errors(),
		DisableStartupMessage: true,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           2 * time.Minute,
		AppName:               "beacon",
	})
}

// applyNotify hands the notification settings in force to the running
// services; the page's name counts too, as the default sender name.
func (a *app) applyNotify(ctx context.Context, n settings.Notify, page components.Page) error {
	a.subscribers.SetSMSCountries(n.SMSCountries)
	a.dispatcher.SetSMSKeyMomentsOnly(!n.SMSAllUpdates)
	if w, ok := a.senders[notifier.Webhook].(*webhook.Sender); ok {
		w.SetAllowPrivate(n.WebhookAllowPrivate)
	}
	if e, ok := a.senders[notifier.Email].(*email.Sender); ok && n.EmailFrom != "" {
		return e.SetFrom(n.EmailFrom, n.FromName(page.Name))
	}
	return nil
}
