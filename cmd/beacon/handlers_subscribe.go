package main

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// The public subscription endpoints answer HTML form posts with pages and
// JSON requests with JSON. They never say whether an address was already
// subscribed: every accepted sign-up gets the same answer.

// wantsJSON reports whether the caller sent or asked for JSON.
func wantsJSON(c *fiber.Ctx) bool {
	return strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) ||
		strings.Contains(c.Get(fiber.HeaderAccept), fiber.MIMEApplicationJSON)
}

// pageView is the data every HTML page's layout reads.
type pageView = head

// pageHead returns the layout data of a narrow page (forms, messages).
func pageHead(s *snapshot, title string) head {
	p := s.page
	return head{Title: title, PageName: p.Name, LogoURL: p.LogoURL, AccentColor: p.AccentColor, SupportURL: p.SupportURL}
}

// choice is one component checkbox.
type choice struct {
	ID, Name       string
	Group, InGroup bool
	Checked        bool
}

func (a *app) choices(all []components.Component, checked []string) []choice {
	on := map[string]bool{}
	for _, id := range checked {
		on[id] = true
	}
	out := make([]choice, 0, len(all))
	for _, c := range all {
		out = append(out, choice{ID: c.ID, Name: c.Name, Group: c.Group, InGroup: c.GroupID != "", Checked: on[c.ID]})
	}
	return out
}

// renderPage renders an HTML page template with status code.
func (a *app) renderPage(c *fiber.Ctx, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := a.templates.HTML(&buf, "pages/"+name+".html", data); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(status).Send(buf.Bytes())
}

type messagePage struct {
	pageView
	Message string
	IsError bool
	Secret  string
}

// message answers with a short page (or {"message"} for JSON callers).
func (a *app) message(c *fiber.Ctx, status int, title, msg string) error {
	if wantsJSON(c) {
		return c.Status(status).JSON(web.ErrorBody{Message: msg})
	}
	s, err := a.public.get(c.UserContext())
	if err != nil {
		return err
	}
	return a.renderPage(c, status, "message", messagePage{pageView: pageHead(s, title), Message: msg, IsError: status >= 400})
}

type channelChoice struct {
	Mode     notifier.Channel
	Label    string
	Selected bool
}

type subscribePage struct {
	pageView
	Channels   []channelChoice
	SMS        bool
	Components []choice
	Values     map[string]string
	Error      string
	Field      string
}

func (a *app) subscribeForm(c *fiber.Ctx, status int, values map[string]string, checked []string, errMsg, field string) error {
	s, err := a.public.get(c.UserContext())
	if err != nil {
		return err
	}
	v := subscribePage{pageView: pageHead(s, "Subscribe"), Components: a.choices(s.components, checked),
		Values: values, Error: errMsg, Field: field}
	mode := values["mode"]
	for _, ch := range []struct {
		mode  notifier.Channel
		label string
	}{{notifier.Email, "Email"}, {notifier.SMS, "SMS"}, {notifier.Webhook, "Webhook"}} {
		if _, ok := a.senders[ch.mode]; !ok {
			continue
		}
		if mode == "" {
			mode = string(ch.mode)
		}
		v.Channels = append(v.Channels, channelChoice{ch.mode, ch.label, string(ch.mode) == mode})
		v.SMS = v.SMS || ch.mode == notifier.SMS
	}
	return a.renderPage(c, status, "subscribe", v)
}

// subscribeRequest is the body of POST /subscribe, as a form or as JSON.
type subscribeRequest struct {
	Mode         string   `json:"mode" form:"mode"`
	Email        string   `json:"email" form:"email"`
	PhoneNumber  string   `json:"phone_number" form:"phone_number"`
	PhoneCountry string   `json:"phone_country" form:"phone_country"`
	Endpoint     string   `json:"endpoint" form:"endpoint"`
	ComponentIDs []string `json:"component_ids" form:"component_ids"`
}

func (r subscribeRequest) values() map[string]string {
	return map[string]string{"mode": r.Mode, "email": r.Email, "phone_number": r.PhoneNumber, "endpoint": r.Endpoint}
}

func (a *app) getSubscribe(c *fiber.Ctx) error {
	return a.subscribeForm(c, fiber.StatusOK, map[string]string{"mode": c.Query("mode")}, nil, "", "")
}

func (a *app) postSubscribe(c *fiber.Ctx) error {
	var req subscribeRequest
	if wantsJSON(c) {
		if err := web.DecodeBody(c, "subscriber", &req); err != nil {
			return err
		}
	} else if err := c.BodyParser(&req); err != nil {
		return a.subscribeForm(c, fiber.StatusBadRequest, nil, nil, "The form could not be read. Please try again.", "")
	}
	if len(req.ComponentIDs) > 500 {
		return a.subscribeError(c, req, web.Unprocessable("component_ids", "may name at most 500 components"))
	}
	mode := notifier.Channel(req.Mode)
	if mode == "" {
		switch {
		case req.PhoneNumber != "":
			mode = notifier.SMS
		case req.Endpoint != "":
			mode = notifier.Webhook
		default:
			mode = notifier.Email
		}
	}
	if _, ok := a.senders[mode]; !ok || !mode.Valid() {
		return a.subscribeError(c, req, web.Unprocessable("mode", "%s notifications are not available on this page", mode))
	}
	address := map[notifier.Channel]string{notifier.Email: req.Email, notifier.SMS: req.PhoneNumber, notifier.Webhook: req.Endpoint}[mode]
	res, err := a.subscribers.Subscribe(c.UserContext(), subscribers.Signup{Mode: mode, Address: address,
		PhoneCountry: req.PhoneCountry, ComponentIDs: req.ComponentIDs, IP: c.IP()})
	if err != nil {
		return a.subscribeError(c, req, err)
	}
	a.dispatcher.Wake()
	switch mode {
	case notifier.SMS:
		if wantsJSON(c) {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"message": "We sent a code by SMS: post it with this token to /subscriptions/verify.", "verify_token": res.VerifyToken})
		}
		s, err := a.public.get(c.UserContext())
		if err != nil {
			return err
		}
		return a.renderPage(c, fiber.StatusOK, "verify", verifyPage{pageView: pageHead(s, "Enter your code"), Token: res.VerifyToken})
	case notifier.Webhook:
		msg := "We are sending a test request to your URL. Once it answers with a 2xx status, it will receive notifications."
		if wantsJSON(c) {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"message": msg, "signing_secret": res.Secret})
		}
		s, err := a.public.get(c.UserContext())
		if err != nil {
			return err
		}
		return a.renderPage(c, fiber.StatusOK, "message", messagePage{pageView: pageHead(s, "Almost done"), Message: msg, Secret: res.Secret})
	}
	return a.message(c, fiber.StatusAccepted, "Check your inbox",
		"If this address can receive our messages, an email is on its way: follow its link to confirm your subscription.")
}

// signupRefusal is the status and body of a refused sign-up or follow: a
// limit is 429 with Retry-After, the rest as the one error mapping says.
func (a *app) signupRefusal(c *fiber.Ctx, err error) (int, web.ErrorBody) {
	status, body := web.Classify(err)
	var lim *subscribers.LimitError
	if errors.As(err, &lim) {
		status, body = fiber.StatusTooManyRequests, web.ErrorBody{Message: lim.Msg}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(lim.RetryAfter.Seconds()))))
	}
	return status, body
}

// subscribeError answers a refused sign-up: the form again with the
// problem beside its field, or JSON.
func (a *app) subscribeError(c *fiber.Ctx, req subscribeRequest, err error) error {
	status, body := a.signupRefusal(c, err)
	if status >= 500 {
		return err
	}
	if wantsJSON(c) {
		return c.Status(status).JSON(body)
	}
	return a.subscribeForm(c, status, req.values(), req.ComponentIDs, body.Message, body.Field)
}

type verifyPage struct {
	pageView
	Token string
	Error string
}

func (a *app) postVerify(c *fiber.Ctx) error {
	var req struct {
		Token string `json:"token" form:"token"`
		Code  string `json:"code" form:"code"`
	}
	if wantsJSON(c) {
		if err := web.DecodeBody(c, "verification", &req); err != nil {
			return err
		}
	} else if err := c.BodyParser(&req); err != nil {
		return a.message(c, fiber.StatusBadRequest, "Something went wrong", "The form could not be read. Please try again.")
	}
	_, err := a.subscribers.VerifySMS(c.UserContext(), req.Token, req.Code, c.IP())
	var lim *subscribers.LimitError
	switch {
	case errors.As(err, &lim):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(lim.RetryAfter.Seconds()))))
		return a.message(c, fiber.StatusTooManyRequests, "Too many attempts", lim.Msg)
	case errors.Is(err, subscribers.ErrBadToken):
		return a.message(c, fiber.StatusBadRequest, "Link expired", "This sign-up has expired. Please subscribe again.")
	case errors.Is(err, subscribers.ErrBadCode):
		if wantsJSON(c) {
			return c.Status(fiber.StatusUnprocessableEntity).JSON(web.ErrorBody{Message: err.Error(), Field: "code"})
		}
		s, err2 := a.public.get(c.UserContext())
		if err2 != nil {
			return err2
		}
		return a.renderPage(c, fiber.StatusUnprocessableEntity, "verify", verifyPage{pageView: pageHead(s, "Enter your code"),
			Token: req.Token, Error: "That code is not right, or it has expired. Check the SMS and try again."})
	case err != nil:
		return err
	}
	return a.message(c, fiber.StatusOK, "You are subscribed", "Your number is confirmed: you will receive SMS updates. Reply STOP at any time to opt out.")
}

func (a *app) getConfirm(c *fiber.Ctx) error {
	_, err := a.subscribers.ConfirmEmail(c.UserContext(), c.Query("token"))
	if errors.Is(err, subscribers.ErrBadToken) {
		return a.message(c, fiber.StatusBadRequest, "Link expired", "This confirmation link is invalid or has expired. Please subscribe again.")
	}
	if err != nil {
		return err
	}
	return a.message(c, fiber.StatusOK, "You are subscribed", "Your email address is confirmed: you will receive updates.")
}

type managePage struct {
	pageView
	Address          string
	ModeLabel        string
	Components       []choice
	Token            string
	UnsubscribeToken string
	// FollowsOnly is true for an address that only follows incidents:
	// component choices mean nothing to it (public_follow.go).
	FollowsOnly bool
	Saved       bool
	Error       string
}

func (a *app) manageView(c *fiber.Ctx, sub subscribers.Subscriber, token string) (managePage, error) {
	s, err := a.public.get(c.UserContext())
	if err != nil {
		return managePage{}, err
	}
	return managePage{pageView: pageHead(s, "Manage subscription"), Address: sub.Address, ModeLabel: modeLabel(sub.Mode),
		Components: a.choices(s.components, sub.ComponentIDs), Token: token,
		UnsubscribeToken: a.subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID), FollowsOnly: !sub.PageWide}, nil
}

func modeLabel(m notifier.Channel) string {
	switch m {
	case notifier.SMS:
		return "SMS"
	case notifier.Webhook:
		return "webhook"
	}
	return "email"
}

func (a *app) getManage(c *fiber.Ctx) error {
	token := c.Query("token")
	sub, err := a.subscribers.ByToken(c.UserContext(), subscribers.PurposeManage, token)
	if errors.Is(err, subscribers.ErrBadToken) {
		return a.message(c, fiber.StatusBadRequest, "Link expired", "This link is invalid or has expired. Subscribe again with the same address to receive a new one.")
	}
	if err != nil {
		return err
	}
	v, err := a.manageView(c, sub, token)
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"mode": sub.Mode, "state": sub.State, "component_ids": sub.ComponentIDs})
	}
	return a.renderPage(c, fiber.StatusOK, "manage", v)
}

func (a *app) postManage(c *fiber.Ctx) error {
	var req struct {
		Token        string   `json:"token" form:"token"`
		ComponentIDs []string `json:"component_ids" form:"component_ids"`
	}
	if wantsJSON(c) {
		if err := web.DecodeBody(c, "subscription", &req); err != nil {
			return err
		}
	} else if err := c.BodyParser(&req); err != nil {
		return a.message(c, fiber.StatusBadRequest, "Something went wrong", "The form could not be read. Please try again.")
	}
	sub, err := a.subscribers.SetPreferences(c.UserContext(), req.Token, req.ComponentIDs)
	if errors.Is(err, subscribers.ErrBadToken) {
		return a.message(c, fiber.StatusBadRequest, "Link expired", "This link is invalid or has expired. Subscribe again with the same address to receive a new one.")
	}
	var verr *subscribers.ValidationError
	if errors.As(err, &verr) {
		return a.message(c, fiber.StatusUnprocessableEntity, "Not saved", verr.Error())
	}
	if err != nil {
		return err
	}
	if wantsJSON(c) {
		return c.JSON(fiber.Map{"mode": sub.Mode, "state": sub.State, "component_ids": sub.ComponentIDs})
	}
	v, err := a.manageView(c, sub, req.Token)
	if err != nil {
		return err
	}
	v.Saved = true
	return a.renderPage(c, fiber.StatusOK, "manage", v)
}

type unsubscribePage struct {
	pageView
	Address string
	Token   string
}

// getUnsubscribe asks before unsubscribing: link scanners in mail
// gateways follow GET links, and must not unsubscribe anyone.
func (a *app) getUnsubscribe(c *fiber.Ctx) error {
	token := c.Params("token")
	sub, err := a.subscribers.ByToken(c.UserContext(), subscribers.PurposeUnsubscribe, token)
	if errors.Is(err, subscribers.ErrBadToken) {
		return a.message(c, fiber.StatusBadRequest, "Link invalid", "This unsubscribe link is invalid.")
	}
	if err != nil {
		return err
	}
	s, err := a.public.get(c.UserContext())
	if err != nil {
		return err
	}
	return a.renderPage(c, fiber.StatusOK, "unsubscribe", unsubscribePage{pageView: pageHead(s, "Unsubscribe"), Address: sub.Address, Token: token})
}

// postUnsubscribe unsubscribes at once: the page's button, and RFC 8058
// one-click unsubscribe (a POST with List-Unsubscribe=One-Click from the
// mail client).
func (a *app) postUnsubscribe(c *fiber.Ctx) error {
	_, err := a.subscribers.UnsubscribeByToken(c.UserContext(), c.Params("token"))
	if errors.Is(err, subscribers.ErrBadToken) {
		return a.message(c, fiber.StatusBadRequest, "Link invalid", "This unsubscribe link is invalid.")
	}
	if err != nil {
		return err
	}
	return a.message(c, fiber.StatusOK, "Unsubscribed", "You will not receive any more notifications. You can subscribe again at any time.")
}
