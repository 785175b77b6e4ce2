package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/web"
)

// postmortemAPI answers /incidents/{id}/postmortem: a draft, published
// (and maybe announced) or reverted to a draft again.
type postmortemAPI struct {
	incidents *incidents.Service
	render    rendering
}

type postmortemRequest struct {
	BodyDraft web.Opt[string] `json:"body_draft"`
	// Body is what Beacon took before it kept drafts apart; still
	// accepted as the draft.
	Body              web.Opt[string] `json:"body"`
	NotifySubscribers web.Opt[bool]   `json:"notify_subscribers"`
	NotifyTwitter     web.Opt[bool]   `json:"notify_twitter"`
	CustomTweet       web.Opt[string] `json:"custom_tweet"`
}

func (h postmortemAPI) send(c *fiber.Ctx, p incidents.PostmortemInfo) error {
	r, err := h.render.renderer(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(r.Postmortem(p))
}

func (h postmortemAPI) get(c *fiber.Ctx) error {
	p, err := h.incidents.Postmortem(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.send(c, p)
}

func (h postmortemAPI) set(c *fiber.Ctx) error {
	var req postmortemRequest
	if err := web.DecodeBody(c, "postmortem", &req); err != nil {
		return err
	}
	body := req.BodyDraft.V
	if !req.BodyDraft.Set {
		body = req.Body.V
	}
	in, err := h.incidents.SetPostmortem(c.UserContext(), c.Params("id"), body)
	if err != nil {
		return err
	}
	return h.send(c, in.Postmortem)
}

func (h postmortemAPI) publish(c *fiber.Ctx) error {
	var req postmortemRequest
	if err := web.DecodeBody(c, "postmortem", &req); err != nil {
		return err
	}
	in, err := h.incidents.PublishPostmortem(c.UserContext(), c.Params("id"), incidents.Publication{
		NotifySubscribers: req.NotifySubscribers.V, NotifyTwitter: req.NotifyTwitter.V, CustomTweet: req.CustomTweet.V})
	if err != nil {
		return err
	}
	return h.send(c, in.Postmortem)
}

func (h postmortemAPI) revert(c *fiber.Ctx) error {
	in, err := h.incidents.RevertPostmortem(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.send(c, in.Postmortem)
}

// delete removes the postmortem and answers it as it was, as
// Statuspage's DELETE answers 200 with the object for everything but
// components.
func (h postmortemAPI) delete(c *fiber.Ctx) error {
	p, err := h.incidents.DeletePostmortem(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return h.send(c, p)
}
