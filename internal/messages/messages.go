// Package messages composes what every notification says — the emails, SMS
// and webhook payloads of incident events, sign-up confirmations, manage
// links and follow confirmations — from the domain services and the
// templates: it is the notifier's Renderer.
package messages

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
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
// notifier's Renderer. What an event's messages share (its incident, the
// email rendered once with holes for each recipient's links, the webhook
// objects) is made once per fan-out and kept until the next change, which
// Changed reports.
type Renderer struct {
	cfg         Config
	templates   *templates.Set
	components  Components
	incidents   Incidents
	subscribers Subscribers

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
	return &Renderer{cfg: cfg, templates: set, components: comps, incidents: incs, subscribers: subs}
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
	views  map[int64]*eventView // nil for an event whose incident is gone; guarded by Renderer.mu
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
		sp: statuspage.NewRenderer(page, r.cfg.BaseURL, all), views: map[int64]*eventView{}}
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

// view returns the view of event id kept in st, if any.
func (r *Renderer) view(st *state, id int64) (*eventView, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev, ok := st.views[id]
	return ev, ok
}

// keep keeps ev as the view of event id made from st.
func (r *Renderer) keep(st *state, id int64, ev *eventView) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st.views[id] = ev
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
	views := map[int64]*eventView{} // this batch's, without the lock
	for i, d := range ds {
		sub, ok := subs[d.SubscriberID]
		if !ok {
			out[i].Err = notifier.ErrSkip
			continue
		}
		switch d.Purpose {
		case notifier.PurposeEvent:
			if sub.State != subscribers.Active {
				out[i].Err = notifier.ErrSkip
				continue
			}
			ev, ok := views[d.EventID]
			if !ok {
				ev, ok = r.view(st, d.EventID)
			}
			if !ok {
				ev, err = r.eventView(ctx, st, d.Event)
				if err != nil {
					out[i].Err = err
					continue
				}
				r.keep(st, d.EventID, ev)
			}
			views[d.EventID] = ev
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
			out[i].Message, out[i].Err = r.directMessage(st, d, sub)
		case notifier.PurposeFollow:
			out[i].Message, out[i].Err = r.followMessage(ctx, st, d, sub)
		default:
			out[i].Err = fmt.Errorf("unknown delivery purpose %q", d.Purpose)
		}
	}
	return out
}
