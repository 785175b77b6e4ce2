package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// Incident subscribers (Statuspage's /incidents/{id}/subscribers): people
// who follow one incident. Each handler looks the incident up first, so an
// unknown incident answers 404 whatever else the request says; the
// subscribers package does not know incidents.

// followerAPI answers /incidents/{id}/subscribers.
type followerAPI struct {
	incidents   *incidents.Service
	subscribers *subscribers.Service
	dispatcher  *notifier.Dispatcher
	render      rendering
}

// incidentSubscriberRequest is Statuspage's body: email, or phone_number
// with phone_country. There is no webhook follower.
type incidentSubscriberRequest struct {
	Email                        web.Opt[string] `json:"email"`
	PhoneNumber                  web.Opt[string] `json:"phone_number"`
	PhoneCountry                 web.Opt[string] `json:"phone_country"`
	SkipConfirmationNotification web.Opt[bool]   `json:"skip_confirmation_notification"`
}

func (h followerAPI) create(c *fiber.Ctx) error {
	in, err := h.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	var req incidentSubscriberRequest
	if err := web.DecodeBody(c, "subscriber", &req); err != nil {
		return err
	}
	fr := subscribers.FollowRequest{IncidentID: in.ID, PhoneCountry: req.PhoneCountry.V, SkipConfirmation: req.SkipConfirmationNotification.V}
	switch {
	case req.Email.V != "":
		fr.Mode, fr.Address = notifier.Email, req.Email.V
	case req.PhoneNumber.V != "":
		fr.Mode, fr.Address = notifier.SMS, req.PhoneNumber.V
	default:
		return web.Unprocessable("email", "or phone_number is required")
	}
	res, err := h.subscribers.FollowIncident(c.UserContext(), fr)
	if err != nil {
		return err
	}
	h.dispatcher.Wake()
	return h.send(c, fiber.StatusCreated, res.Follow)
}

func (h followerAPI) list(c *fiber.Ctx) error {
	in, err := h.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	offset, limit, err := web.Paging(c, 100)
	if err != nil {
		return err
	}
	list, total, err := h.subscribers.Followers(c.UserContext(), in.ID, limit, offset)
	if err != nil {
		return err
	}
	return sendSubscriberList(h.render, c, list, total, (*statuspage.Renderer).Follow)
}

func (h followerAPI) get(c *fiber.Ctx) error {
	in, err := h.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := h.subscribers.Follower(c.UserContext(), in.ID, c.Params("subscriber_id"))
	if err != nil {
		return err
	}
	return h.send(c, fiber.StatusOK, f)
}

// delete stops a follow and answers the subscriber as it
// is after (unsubscribed if it follows nothing else and is no page
// subscriber).
func (h followerAPI) delete(c *fiber.Ctx) error {
	in, err := h.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	f, err := h.subscribers.Unfollow(c.UserContext(), in.ID, c.Params("subscriber_id"))
	if err != nil {
		return err
	}
	return h.send(c, fiber.StatusOK, f)
}

func (h followerAPI) resendConfirmation(c *fiber.Ctx) error {
	in, err := h.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	if err := h.subscribers.ResendFollowConfirmation(c.UserContext(), in.ID, c.Params("subscriber_id")); err != nil {
		return err
	}
	h.dispatcher.Wake()
	f, err := h.subscribers.Follower(c.UserContext(), in.ID, c.Params("subscriber_id"))
	if err != nil {
		return err
	}
	return h.send(c, fiber.StatusCreated, f)
}

func (h followerAPI) send(c *fiber.Ctx, status int, f subscribers.Follow) error {
	return sendSubscriber(h.render, c, status, f, (*statuspage.Renderer).Follow)
}
