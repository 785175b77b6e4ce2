package signup

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/public/frame"
	"github.com/beacon-status/beacon/subscribers"
)

// "Get updates on this incident": a visitor follows one incident from its
// page. The form is part of the incident page, which is rendered once per
// change and served to every visitor from memory, so it carries nothing
// per visitor — no CSRF token, as the public /subscribe form has none: no
// session or cookie gives a forged post any power, and what a post does
// (queue a confirmation to the address it names) anyone may do directly,
// under the same per-IP, global and per-address limits. The follow starts
// only when the address confirms it (a link by email, a code by SMS).
//
// It is offered on incidents and on scheduled maintenance alike, until
// they close: a visitor who finds a maintenance window on the page wants
// to hear when it starts and ends as much as one who finds an outage, and
// a page-wide subscription would bring them every future incident too.
// Once the incident resolves (or the maintenance completes) the page is
// rendered again without the form: its followers hear nothing after.

// follow serves "Get updates on this incident".
type follow struct {
	incidents   *incidents.Service
	subscribers *subscribers.Service
	notifier    Notifier
	channels    Channels
	reply       frame.Replies
}

// FollowForm is what the incident page's form needs.
type FollowForm struct {
	Action      string
	Maintenance bool
	Email, SMS  bool
}

// FollowForm returns the form for in, or nil when in is over or no channel
// a follower can use (email, SMS) is configured.
func (ch Channels) FollowForm(in incidents.Incident) *FollowForm {
	email, sms := ch[notifier.Email], ch[notifier.SMS]
	if in.Status.Closed() || (!email && !sms) {
		return nil
	}
	return &FollowForm{Action: "/incidents/" + in.ID + "/subscribe", Maintenance: in.Kind == incidents.KindMaintenance, Email: email, SMS: sms}
}

// followRequest is the body of POST /incidents/{id}/subscribe, as a form
// or as JSON.
type followRequest struct {
	Email        string `json:"email" form:"email"`
	PhoneNumber  string `json:"phone_number" form:"phone_number"`
	PhoneCountry string `json:"phone_country" form:"phone_country"`
}

func (h *follow) postFollow(c *fiber.Ctx) error {
	ctx := c.UserContext()
	in, err := h.incidents.Get(ctx, c.Params("id"))
	if err != nil {
		return h.reply.NotFound(c, err)
	}
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	var req followRequest
	if frame.WantsJSON(c) {
		if err := web.DecodeBody(c, "subscriber", &req); err != nil {
			return err
		}
	} else if err := c.BodyParser(&req); err != nil {
		return h.reply.Message(c, fiber.StatusBadRequest, lang.T("signup.went_wrong"), lang.T("signup.form_unreadable"))
	}
	form := h.channels.FollowForm(in)
	if form == nil {
		return h.reply.Message(c, fiber.StatusUnprocessableEntity, lang.T("signup.not_subscribed"), lang.T("signup.incident_over"))
	}
	mode, address := notifier.Email, req.Email
	if req.Email == "" && req.PhoneNumber != "" {
		mode, address = notifier.SMS, req.PhoneNumber
	}
	if (mode == notifier.Email && !form.Email) || (mode == notifier.SMS && !form.SMS) {
		return h.followError(c, web.Unprocessable("mode", "%s notifications are not available on this page", mode))
	}
	res, err := h.subscribers.FollowIncident(ctx, subscribers.FollowRequest{IncidentID: in.ID, Mode: mode, Address: address,
		PhoneCountry: req.PhoneCountry, IP: c.IP(), Language: keptLanguage(h.reply, c, lang)})
	if err != nil {
		return h.followError(c, err)
	}
	h.notifier.Wake()
	if mode == notifier.SMS {
		if frame.WantsJSON(c) {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"message": "We sent a code by SMS: post it with this token to /subscriptions/verify.", "verify_token": res.VerifyToken})
		}
		head, err := h.reply.Head(c, lang.T("signup.code_title"))
		if err != nil {
			return err
		}
		return h.reply.Render(c, fiber.StatusOK, "verify", verifyPage{Head: head, Token: res.VerifyToken})
	}
	return h.reply.Message(c, fiber.StatusAccepted, lang.T("signup.check_inbox"), lang.T("signup.follow_inbox_body"))
}

// followError answers a refused follow with a short page (or JSON): the
// form lives on the cached incident page, which cannot show it.
func (h *follow) followError(c *fiber.Ctx, err error) error {
	status, body := signupRefusal(c, err)
	if status >= 500 {
		return err
	}
	if frame.WantsJSON(c) {
		return c.Status(status).JSON(body)
	}
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	reason := body.Message
	if !english(lang) {
		reason = strings.TrimSuffix(formMessage(lang, body), ".")
	}
	return h.reply.Message(c, status, lang.T("signup.not_subscribed"), lang.F("signup.follow_refused", "Reason", reason))
}

// getConfirmFollow confirms a follow from the link in its email.
func (h *follow) getConfirmFollow(c *fiber.Ctx) error {
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	_, err = h.subscribers.ConfirmFollow(c.UserContext(), c.Query("token"))
	if errors.Is(err, subscribers.ErrBadToken) {
		return h.reply.Message(c, fiber.StatusBadRequest, lang.T("signup.link_expired"), lang.T("signup.follow_expired"))
	}
	if err != nil {
		return err
	}
	return h.reply.Message(c, fiber.StatusOK, lang.T("signup.subscribed"), lang.T("signup.follow_confirmed"))
}
