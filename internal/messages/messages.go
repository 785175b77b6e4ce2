// Package messages composes what every notification says — the emails, SMS
// and webhook payloads of incident events, sign-up confirmations, manage
// links and follow confirmations — from the domain services and the
// templates, in each subscriber's language (the catalogue's [email], [sms]
// and [chat] tables; webhook payloads stay Statuspage's English): it is
// the notifier's Renderer.
package messages

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
	"github.com/beacon-status/beacon/templates"
)

// Components reads the page and its components (*components.Service).
type Components interface {
	Page(ctx context.Context) (components.Page, error)
	List(ctx context.Context) ([]components.Component, error)
}

// Incidents reads incidents and maintenances (*incidents.Service).
type Incidents interface {
	Get(ctx context.Context, id string) (incidents.Incident, error)
	ListMany(ctx context.Context, filters ...incidents.Filter) ([][]incidents.Incident, error)
}

// Subscribers reads the recipients and signs the links in their messages
// (*subscribers.Service).
type Subscribers interface {
	GetMany(ctx context.Context, idList []string) (map[string]subscribers.Subscriber, error)
	Link(p subscribers.Purpose, id string) string
	FollowLink(subscriberID, incidentID string) string
}

// Config is what a Renderer needs to know beyond the services.
type Config struct {
	// BaseURL is the page's public address, without a trailing slash:
	// every link in a message starts with it.
	BaseURL string
	// SMSStatusPath is the path, below BaseURL, to which Twilio reports
	// what became of each SMS.
	SMSStatusPath string
}

// Renderer renders deliveries into emails, SMS and webhook payloads: the
// notifier's Renderer. Each subscriber reads its messages in its language,
// or the page's when it chose none; webhook payloads are the same bytes in
// every language. What an event's messages share is made once per fan-out
// and kept until the next change, which Changed reports: its incident and
// webhook objects once, and once per language the email rendered with
// holes for each recipient's links, the SMS and the chat messages.
type Renderer struct {
	cfg         Config
	templates   *templates.Set
	catalogue   *i18n.Catalogue
	components  Components
	incidents   Incidents
	subscribers Subscribers
	// viewsMade counts the event views made, one per event and language
	// between two changes.
	viewsMade atomic.Int64

	// changes counts Changed calls: a state loaded between the same two
	// changes shows the same data.
	changes atomic.Uint64
	load    sync.Mutex // serialises loads of the state
	mu      sync.Mutex // guards cur and its views
	cur     *state
}

var _ notifier.Renderer = (*Renderer)(nil)

// NewRenderer returns a Renderer whose messages link to cfg.BaseURL and are
// made from set's templates and what the services hold.
func NewRenderer(cfg Config, set *templates.Set, comps Components, incs Incidents, subs Subscribers) *Renderer {
	return &Renderer{cfg: cfg, templates: set, catalogue: set.Catalogue(), components: comps, incidents: incs, subscribers: subs}
}

// langOf is the language sub reads its messages in: its own, or the
// page's when it chose none.
func (r *Renderer) langOf(st *state, sub subscribers.Subscriber) *i18n.Lang {
	if l, ok := r.catalogue.Lookup(sub.Language); ok {
		return l
	}
	return st.lang
}

// Changed tells the renderer that the page, a component or an incident
// changed: messages rendered from then on read them again. Call it after
// every committed change.
func (r *Renderer) Changed() { r.changes.Add(1) }

// state is what every message of one moment shares: the page, its
// components and status, and the event views made from them.
type state struct {
	version uint64 // the count of changes it includes
	page    components.Page
	// mail is the page's part of every email: its name, address and
	// branding (pageView).
	mail   mailView
	status components.PageStatus
	sp     *statuspage.Renderer
	// lang is the page's language, that of a subscriber who chose none.
	lang *i18n.Lang
	// data holds what each event's messages share in every language, and
	// views each event's messages in one language; nil for an event whose
	// incident is gone. Guarded by Renderer.mu.
	data  map[int64]*eventData
	views map[viewKey]*eventView
}

// viewKey names an event's view in a language.
type viewKey struct {
	event int64
	lang  string
}

// current returns the state, loading it again if a change was reported
// since it was loaded.
func (r *Renderer) current(ctx context.Context) (*state, error) {
	if st := r.loaded(); st != nil {
		return st, nil
	}
	r.load.Lock()
	defer r.load.Unlock()
	if st := r.loaded(); st != nil {
		return st, nil
	}
	// The version is read before the data: a change committed during the
	// load makes the state stale at once.
	version := r.changes.Load()
	page, err := r.components.Page(ctx)
	if err != nil {
		return nil, err
	}
	all, err := r.components.List(ctx)
	if err != nil {
		return nil, err
	}
	// The page's status is raised to the impact of the worst unresolved
	// incident or maintenance in progress, as the public page's is.
	unresolved, active := incidents.UnresolvedFilter(), incidents.ActiveMaintenanceFilter()
	unresolved.Brief, active.Brief = true, true
	lists, err := r.incidents.ListMany(ctx, unresolved, active)
	if err != nil {
		return nil, err
	}
	st := &state{version: version, page: page, mail: pageView(page, r.cfg.BaseURL), status: incidents.PageStatus(all, lists...),
		sp: statuspage.NewRenderer(page, r.cfg.BaseURL, all), lang: r.catalogue.Get(page.Language),
		data: map[int64]*eventData{}, views: map[viewKey]*eventView{}}
	r.mu.Lock()
	r.cur = st
	r.mu.Unlock()
	return st, nil
}

// loaded returns the state if no change was reported since it was loaded.
func (r *Renderer) loaded() *state {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur != nil && r.cur.version == r.changes.Load() {
		return r.cur
	}
	return nil
}

// kept returns the data of event id and its view in lang kept in st, if
// any.
func (r *Renderer) kept(st *state, id int64, lang string) (data *eventData, dataOK bool, view *eventView, viewOK bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	data, dataOK = st.data[id]
	view, viewOK = st.views[viewKey{id, lang}]
	return data, dataOK, view, viewOK
}

// keep keeps the data of event id and its view in lang made from st.
func (r *Renderer) keep(st *state, id int64, data *eventData, lang string, view *eventView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st.data[id] = data
	st.views[viewKey{id, lang}] = view
}

// eventView returns the view of d's event in lang: this batch's, the
// state's, or made from the event's data (loaded once for every
// language). Nil when the event's incident is gone.
func (r *Renderer) eventView(ctx context.Context, st *state, batch map[viewKey]*eventView, d notifier.Delivery, lang *i18n.Lang) (*eventView, error) {
	key := viewKey{d.EventID, lang.Code()}
	if ev, ok := batch[key]; ok {
		return ev, nil
	}
	data, dataOK, ev, ok := r.kept(st, d.EventID, lang.Code())
	if !ok {
		if !dataOK {
			var err error
			if data, err = r.eventData(ctx, st, d.Event); err != nil {
				return nil, err
			}
		}
		if data != nil {
			ev = r.newEventView(st, data, lang)
		}
		r.keep(st, d.EventID, data, lang.Code(), ev)
	}
	batch[key] = ev
	return ev, nil
}

// Render implements notifier.Renderer.
func (r *Renderer) Render(ctx context.Context, ds []notifier.Delivery) []notifier.Rendered {
	out := make([]notifier.Rendered, len(ds))
	st, err := r.current(ctx)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	idList := make([]string, len(ds))
	for i, d := range ds {
		idList[i] = d.SubscriberID
	}
	subs, err := r.subscribers.GetMany(ctx, idList)
	if err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	views := map[viewKey]*eventView{} // this batch's, without the lock
	for i, d := range ds {
		sub, ok := subs[d.SubscriberID]
		if !ok {
			out[i].Err = notifier.ErrSkip
			continue
		}
		lang := r.langOf(st, sub)
		switch d.Purpose {
		case notifier.PurposeEvent:
			if sub.State != subscribers.Active {
				out[i].Err = notifier.ErrSkip
				continue
			}
			ev, err := r.eventView(ctx, st, views, d, lang)
			if err != nil {
				out[i].Err = err
				continue
			}
			if ev == nil {
				out[i].Err = notifier.ErrSkip // the incident was deleted
				continue
			}
			out[i].Message, out[i].Err = r.eventMessage(st, d, sub, ev)
		case notifier.PurposeConfirm, notifier.PurposeManage:
			want := subscribers.Unconfirmed
			if d.Purpose == notifier.PurposeManage {
				want = subscribers.Active
			}
			// An active follower of an incident confirms a page sign-up
			// too (subscribers.ConfirmEmail).
			followerSigningUp := d.Purpose == notifier.PurposeConfirm && sub.State == subscribers.Active && !sub.PageWide
			if sub.State != want && !followerSigningUp {
				out[i].Err = notifier.ErrSkip
				continue
			}
			out[i].Message, out[i].Err = r.directMessage(st, d, sub, lang)
		case notifier.PurposeFollow:
			out[i].Message, out[i].Err = r.followMessage(ctx, st, d, sub, lang)
		default:
			out[i].Err = fmt.Errorf("unknown delivery purpose %q", d.Purpose)
		}
	}
	return out
}
