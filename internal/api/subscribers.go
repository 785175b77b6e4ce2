package api

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// subscriberAPI answers /subscribers: the page's subscribers, one at a
// time and in bulk.
type subscriberAPI struct {
	subscribers *subscribers.Service
	dispatcher  *notifier.Dispatcher
	render      rendering
}

type subscriberRequest struct {
	// Mode names a chat platform (slack, teams, discord, mattermost,
	// google_chat), whose endpoint is its incoming webhook's URL; left
	// out, email, phone_number or endpoint say what the subscriber is.
	Mode                         web.Opt[string]   `json:"mode"`
	Email                        web.Opt[string]   `json:"email"`
	Endpoint                     web.Opt[string]   `json:"endpoint"`
	PhoneNumber                  web.Opt[string]   `json:"phone_number"`
	PhoneCountry                 web.Opt[string]   `json:"phone_country"`
	ComponentIDs                 web.Opt[[]string] `json:"component_ids"`
	SkipConfirmationNotification web.Opt[bool]     `json:"skip_confirmation_notification"`
	// Language is the code of the language to write to the subscriber
	// in; left out or null, it follows the page's.
	Language web.Opt[string] `json:"language"`
}

func (h subscriberAPI) create(c *fiber.Ctx) error {
	var req subscriberRequest
	if err := web.DecodeBody(c, "subscriber", &req); err != nil {
		return err
	}
	su := subscribers.Signup{ComponentIDs: req.ComponentIDs.V, SkipConfirmation: req.SkipConfirmationNotification.V, PhoneCountry: req.PhoneCountry.V,
		Language: req.Language.V}
	mode := notifier.Channel(req.Mode.V)
	switch {
	case mode.Chat():
		su.Mode, su.Address, su.ContactEmail = mode, req.Endpoint.V, req.Email.V
	case mode != "" && !mode.Valid():
		return web.Unprocessable("mode", "must be email, sms, webhook, slack, teams, discord, mattermost or google_chat")
	case req.Endpoint.V != "":
		// With an endpoint, email is the webhook owner's contact, as
		// Statuspage documents it.
		su.Mode, su.Address, su.ContactEmail = notifier.Webhook, req.Endpoint.V, req.Email.V
	case req.Email.V != "":
		su.Mode, su.Address = notifier.Email, req.Email.V
	case req.PhoneNumber.V != "":
		su.Mode, su.Address = notifier.SMS, req.PhoneNumber.V
	default:
		return web.Unprocessable("email", "or phone_number or endpoint is required")
	}
	res, err := h.subscribers.Subscribe(c.UserContext(), su)
	if err != nil {
		return err
	}
	h.dispatcher.Wake()
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	out := r.Subscriber(res.Subscriber)
	out.SkipConfirmationNotification = su.SkipConfirmation
	body := struct {
		statuspage.Subscriber
		// The webhook signing key, shown to staff who add a webhook.
		SigningSecret *string `json:"signing_secret,omitempty"`
	}{Subscriber: out}
	if su.Mode == notifier.Webhook {
		body.SigningSecret = &res.Secret
	}
	return c.Status(fiber.StatusCreated).JSON(body)
}

// list answers GET /subscribers: state defaults to active, as
// Statuspage's does (state=all for every state).
func (h subscriberAPI) list(c *fiber.Ctx) error {
	return h.listIn(c, subscribers.Active)
}

// listUnsubscribed answers GET /subscribers/unsubscribed: the same list,
// paging and sorting, of those who left; a state other than unsubscribed
// is refused.
func (h subscriberAPI) listUnsubscribed(c *fiber.Ctx) error {
	if st := c.Query("state"); st != "" && st != string(subscribers.Unsubscribed) {
		return web.Unprocessable("state", "must be unsubscribed here (or left out)")
	}
	return h.listIn(c, subscribers.Unsubscribed)
}

func (h subscriberAPI) listIn(c *fiber.Ctx, defaultState subscribers.State) error {
	f, err := web.SubscriberFilter(c, defaultState)
	if err != nil {
		return err
	}
	if f.Offset, f.Limit, err = subscriberPaging(c); err != nil {
		return err
	}
	list, err := h.subscribers.List(c.UserContext(), f)
	if err != nil {
		return err
	}
	total, err := h.subscribers.Count(c.UserContext(), f)
	if err != nil {
		return err
	}
	return sendSubscriberList(h.render, c, list, total, (*statuspage.Renderer).Subscriber)
}

// sendSubscriber answers one subscriber (or follower) rendered by render.
func sendSubscriber[T any](rd rendering, c *fiber.Ctx, status int, x T, render func(*statuspage.Renderer, T) statuspage.Subscriber) error {
	r, err := rd.renderer(c.UserContext())
	if err != nil {
		return err
	}
	return c.Status(status).JSON(render(r, x))
}

// sendSubscriberList answers one page of a subscriber list, as the page's
// subscribers or an incident's followers, with the total in X-Total-Count.
func sendSubscriberList[T any](rd rendering, c *fiber.Ctx, list []T, total int, render func(*statuspage.Renderer, T) statuspage.Subscriber) error {
	r, err := rd.renderer(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]statuspage.Subscriber, 0, len(list))
	for _, x := range list {
		out = append(out, render(r, x))
	}
	c.Set("X-Total-Count", strconv.Itoa(total))
	return c.JSON(out)
}

// subscriberPaging reads page and per_page (or limit, default 100) for the
// API's subscriber lists, whose pages start at 0 as Statuspage's spec
// says: page=0 (the default) is the first page, page=1 the second.
func subscriberPaging(c *fiber.Ctx) (offset, limit int, err error) {
	page, err := web.QueryInt(c, "page", 0, 0, 1_000_000)
	if err != nil {
		return 0, 0, err
	}
	name := "per_page"
	if c.Query(name) == "" {
		name = "limit"
	}
	per, err := web.QueryInt(c, name, 100, 1, 1000)
	if err != nil {
		return 0, 0, err
	}
	return page * per, per, nil
}

// count answers GET /subscribers/count with Statuspage's
// SubscriberCountByType: every type's key, each counting the subscribers
// of that type matching type and state (default active; state=all for
// every state), so a type filter leaves the other keys at 0.
func (h subscriberAPI) count(c *fiber.Ctx) error {
	f, err := web.SubscriberFilter(c, subscribers.Active)
	if err != nil {
		return err
	}
	n, err := h.subscribers.CountByMode(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make(map[string]int, len(subscribers.Types))
	for _, t := range subscribers.Types {
		out[t] = n[notifier.Channel(t)]
	}
	return c.JSON(out)
}

// histogram answers GET /subscribers/histogram_by_state: every
// type's key → its active, unconfirmed and quarantined counts and their
// total (Statuspage's SubscriberCountByState), plus Beacon's unsubscribed
// count, which is not in the total: those are no longer subscribers.
func (h subscriberAPI) histogram(c *fiber.Ctx) error {
	hist, err := h.subscribers.Histogram(c.UserContext())
	if err != nil {
		return err
	}
	out := make(map[string]map[string]int, len(subscribers.Types))
	for _, t := range subscribers.Types {
		byState := hist[notifier.Channel(t)]
		row := map[string]int{
			"active": byState[subscribers.Active], "unconfirmed": byState[subscribers.Unconfirmed],
			"quarantined": byState[subscribers.Quarantined], "unsubscribed": byState[subscribers.Unsubscribed],
		}
		row["total"] = row["active"] + row["unconfirmed"] + row["quarantined"]
		out[t] = row
	}
	return c.JSON(out)
}

func (h subscriberAPI) get(c *fiber.Ctx) error {
	s, err := h.subscribers.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return sendSubscriber(h.render, c, fiber.StatusOK, s, (*statuspage.Renderer).Subscriber)
}

// update answers PATCH /subscribers/{id}: component_ids (wrapped
// in "subscriber" or not) replaces the components it follows; left out or
// null, it follows every component; an empty list is refused, as
// Statuspage's spec asks for at least one. language (Beacon's) sets the
// language of its messages, null for the page's; a body naming only
// language leaves the components as they are.
func (h subscriberAPI) update(c *fiber.Ctx) error {
	var req struct {
		ComponentIDs web.Opt[[]string] `json:"component_ids"`
		Language     web.Opt[string]   `json:"language"`
	}
	if err := web.DecodeBody(c, "subscriber", &req); err != nil {
		return err
	}
	if req.ComponentIDs.Set && !req.ComponentIDs.Null && len(req.ComponentIDs.V) == 0 {
		return web.Unprocessable("component_ids", "must list at least one component (leave it out to follow every component)")
	}
	ch := subscribers.Change{SetComponents: req.ComponentIDs.Set || !req.Language.Set, ComponentIDs: req.ComponentIDs.V}
	if req.Language.Set {
		ch.Language = &req.Language.V
	}
	s, err := h.subscribers.Update(c.UserContext(), c.Params("id"), ch)
	if err != nil {
		return err
	}
	return sendSubscriber(h.render, c, fiber.StatusOK, s, (*statuspage.Renderer).Subscriber)
}

// delete unsubscribes one subscriber, as Statuspage's DELETE does.
func (h subscriberAPI) delete(c *fiber.Ctx) error {
	if err := h.subscribers.Unsubscribe(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return h.get(c)
}

// resendConfirmation answers POST /subscribers/{id}/resend_confirmation:
// 201 and the subscriber, or 422 when it is not unconfirmed.
func (h subscriberAPI) resendConfirmation(c *fiber.Ctx) error {
	if err := h.subscribers.ResendConfirmation(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	h.dispatcher.Wake()
	s, err := h.subscribers.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return sendSubscriber(h.render, c, fiber.StatusCreated, s, (*statuspage.Renderer).Subscriber)
}

// bulkRequest is the body of the three bulk subscriber endpoints.
type bulkRequest struct {
	// Subscribers is "all", one id, or a list of ids.
	Subscribers                    any             `json:"subscribers"`
	Type                           web.Opt[string] `json:"type"`
	State                          web.Opt[string] `json:"state"`
	SkipUnsubscriptionNotification web.Opt[bool]   `json:"skip_unsubscription_notification"`
}

// bulk answers POST /subscribers/unsubscribe, reactivate and
// resend_confirmation: one transaction touching exactly the subscribers
// the body names, and 201 with how many changed.
func (h subscriberAPI) bulk(action subscribers.BulkAction) fiber.Handler {
	return func(c *fiber.Ctx) error {
		var req bulkRequest
		if err := web.DecodeBody(c, "subscriber", &req); err != nil {
			return err
		}
		b := subscribers.Bulk{Action: action, Type: req.Type.V, State: req.State.V,
			SkipUnsubscriptionNotification: req.SkipUnsubscriptionNotification.V}
		switch v := req.Subscribers.(type) {
		case string:
			if v == "all" {
				b.All = true
			} else {
				b.IDs = []string{v}
			}
		case []any:
			for _, x := range v {
				id, ok := x.(string)
				if !ok {
					return web.Unprocessable("subscribers", "must be \"all\", a subscriber id or a list of ids")
				}
				b.IDs = append(b.IDs, id)
			}
		default:
			return web.Unprocessable("subscribers", "must be \"all\", a subscriber id or a list of ids")
		}
		res, err := h.subscribers.BulkApply(c.UserContext(), b)
		if err != nil {
			return err
		}
		if action == subscribers.BulkResendConfirmation && res.Changed > 0 {
			h.dispatcher.Wake()
		}
		return c.Status(fiber.StatusCreated).JSON(fiber.Map{"processed": res.Changed, "not_found": res.NotFound, "skipped": res.Skipped})
	}
}

// export answers GET /subscribers/export: every subscriber as CSV.
func (h subscriberAPI) export(c *fiber.Ctx) error {
	var buf bytes.Buffer
	if err := h.subscribers.Export(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="subscribers.csv"`)
	return c.Send(buf.Bytes())
}

// importCSV answers POST /subscribers/import: 201 with how many were
// created and how many existed, or 422 naming the record refused.
func (h subscriberAPI) importCSV(c *fiber.Ctx) error {
	res, err := h.subscribers.Import(c.UserContext(), bytes.NewReader(c.Body()), c.QueryBool("send_confirmation"))
	var ierr *subscribers.ImportError
	if errors.As(err, &ierr) {
		var verr *subscribers.ValidationError
		field := ""
		if errors.As(ierr.Err, &verr) {
			field = verr.Field
		}
		return c.Status(fiber.StatusUnprocessableEntity).JSON(web.ErrorBody{Message: ierr.Error(), Field: field})
	}
	if err != nil {
		return err
	}
	h.dispatcher.Wake()
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"created": res.Created, "existing": res.Existing})
}
