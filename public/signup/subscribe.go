package signup

import (
	"errors"
	"html/template"
	"math"
	"net/url"
	"slices"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/public/frame"
	"github.com/beacon-status/beacon/subscribers"
)

// The public subscription endpoints answer HTML form posts with pages and
// JSON requests with JSON. They never say whether an address was already
// subscribed: every accepted sign-up gets the same answer.

// signup serves the sign-up flows: subscribe (by email, SMS or webhook),
// verify an SMS code, confirm an email, manage preferences, unsubscribe.
type signup struct {
	site        Site
	subscribers *subscribers.Service
	notifier    Notifier
	channels    Channels
	reply       frame.Replies
}

// choice is one component checkbox.
type choice struct {
	ID, Name       string
	Group, InGroup bool
	Checked        bool
}

// componentPicker is the component checkboxes of the subscribe and manage
// forms, with the refusal that names them, if any.
type componentPicker struct {
	Choices []choice
	Error   string
}

// pickComponents returns the boxes of all: those of checked ticked, or
// every box when every is set. An empty list means every component to the
// subscribers package, and every box ticked is how the forms show it, as
// Statuspage's do: a new subscriber starts with all of them.
func pickComponents(all []components.Component, checked []string, every bool) componentPicker {
	on := map[string]bool{}
	for _, id := range checked {
		on[id] = true
	}
	out := make([]choice, 0, len(all))
	for _, c := range all {
		out = append(out, choice{ID: c.ID, Name: c.Name, Group: c.Group, InGroup: c.GroupID != "", Checked: every || on[c.ID]})
	}
	return componentPicker{Choices: out}
}

// formComponents reads the component boxes of a subscribe or manage form
// (each box sends its id as component_ids[], which Fiber's form parser
// reads as component_ids, the name older forms send). Every box ticked,
// each once, means every component, also those added later: the
// subscribers package's empty list, as no box ticked has always meant.
// Any other choice is kept as posted, for the subscribers package to
// check. A JSON body names its components itself and is taken as it is.
func formComponents(all []components.Component, posted []string) []string {
	on := map[string]bool{}
	for _, id := range posted {
		on[id] = true
	}
	boxes := 0
	for _, c := range all {
		if c.Group {
			continue
		}
		if !on[c.ID] {
			return posted
		}
		boxes++
	}
	if len(posted) != boxes { // a box twice, or a group or unknown id besides
		return posted
	}
	return nil
}

// feedWay is the subscribe form's last way to follow the page, beside
// its channels: the Atom and RSS feeds, which need no address and no
// sign-up. Its radio shows their links instead of a field.
const feedWay = "feed"

// chatWay is the subscribe form's way for every chat platform: a select
// of the platforms (platform) and the incoming webhook's URL
// (chat_endpoint). A JSON sign-up names the platform as its mode.
const chatWay = "chat"

// way is one radio of the subscribe form: a channel, or the feeds.
type way struct {
	Mode     string
	Label    string
	Selected bool
}

// fieldWay is the channel whose field a refusal names, or "".
func fieldWay(field string) notifier.Channel {
	switch field {
	case "email":
		return notifier.Email
	case "phone_number":
		return notifier.SMS
	case "endpoint":
		return notifier.Webhook
	case "platform", "chat_endpoint":
		return chatWay
	}
	return ""
}

type subscribePage struct {
	frame.Head
	// Ways are the channels configured (a channel without settings is
	// absent), chat when a chat platform is, and the feeds; Email, SMS,
	// Webhook and Chat say which fields the form has. Exactly one way is
	// selected: its fields alone show.
	Ways                      []way
	Email, SMS, Webhook, Chat bool
	// Platforms are the chat platforms configured, for the chat way's
	// select.
	Platforms  []way
	Components componentPicker
	Values     map[string]string
	Error      string
	Field      string
	// FieldShown is set when Field is the chosen way's field (a refused
	// sign-up comes back with its way chosen): the error at the top links
	// to it, and shows again beside it.
	FieldShown bool
}

// subscribeForm renders the form with values (mode is the way chosen;
// email, phone_number and endpoint the fields' values) and the components
// of checked ticked (all of them when checked is empty), and errMsg beside
// field when set.
func (h *signup) subscribeForm(c *fiber.Ctx, status int, values map[string]string, checked []string, errMsg, field string) error {
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	head, all, err := h.site.Page(c.UserContext(), lang.T("signup.subscribe_title"))
	if err != nil {
		return err
	}
	head.SetLang(lang, head.Lang) // Page's head is in the page's default language
	v := subscribePage{Head: head, Components: pickComponents(all, checked, len(checked) == 0),
		Values: values, Error: errMsg, Field: field}
	if field == "component_ids" {
		v.Components.Error = errMsg
	}
	for _, ch := range []notifier.Channel{notifier.Email, notifier.SMS, notifier.Webhook} {
		if h.channels[ch] {
			v.Ways = append(v.Ways, way{Mode: string(ch), Label: lang.Enum("channel", string(ch))})
		}
	}
	v.Email, v.SMS, v.Webhook = h.channels[notifier.Email], h.channels[notifier.SMS], h.channels[notifier.Webhook]
	for _, ch := range notifier.Chats {
		if h.channels[ch] {
			v.Platforms = append(v.Platforms, way{Mode: string(ch), Label: lang.Enum("channel", string(ch)), Selected: values["platform"] == string(ch)})
		}
	}
	if v.Chat = len(v.Platforms) > 0; v.Chat {
		v.Ways = append(v.Ways, way{Mode: chatWay, Label: lang.T("signup.way_chat")})
	}
	v.Ways = append(v.Ways, way{Mode: feedWay, Label: lang.T("signup.way_feed")})
	i := max(slices.IndexFunc(v.Ways, func(w way) bool { return w.Mode == values["mode"] }), 0)
	v.Ways[i].Selected = true
	v.FieldShown = field != "" && string(fieldWay(field)) == v.Ways[i].Mode
	return h.reply.Render(c, status, "subscribe", v)
}

// subscribeRequest is the body of POST /subscribe, as a form or as JSON.
type subscribeRequest struct {
	Mode         string   `json:"mode" form:"mode"`
	Email        string   `json:"email" form:"email"`
	PhoneNumber  string   `json:"phone_number" form:"phone_number"`
	PhoneCountry string   `json:"phone_country" form:"phone_country"`
	Endpoint     string   `json:"endpoint" form:"endpoint"`
	ComponentIDs []string `json:"component_ids" form:"component_ids"`
	// Platform and ChatEndpoint are the chat way's fields.
	Platform     string `json:"-" form:"platform"`
	ChatEndpoint string `json:"-" form:"chat_endpoint"`
}

func (r subscribeRequest) values() map[string]string {
	return map[string]string{"mode": r.Mode, "email": r.Email, "phone_number": r.PhoneNumber, "endpoint": r.Endpoint,
		"platform": r.Platform, "chat_endpoint": r.ChatEndpoint}
}

func (h *signup) getSubscribe(c *fiber.Ctx) error {
	return h.subscribeForm(c, fiber.StatusOK, map[string]string{"mode": c.Query("mode")}, nil, "", "")
}

func (h *signup) postSubscribe(c *fiber.Ctx) error {
	var req subscribeRequest
	form := !frame.WantsJSON(c)
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	if !form {
		if err := web.DecodeBody(c, "subscriber", &req); err != nil {
			return err
		}
	} else if err := c.BodyParser(&req); err != nil {
		return h.subscribeForm(c, fiber.StatusBadRequest, nil, nil, lang.T("signup.form_unreadable"), "")
	}
	if form && req.Mode == feedWay {
		// The feeds need no sign-up: a browser that sent the form with
		// them chosen gets their links.
		return h.subscribeForm(c, fiber.StatusOK, req.values(), req.ComponentIDs, "", "")
	}
	if len(req.ComponentIDs) > 500 {
		return h.subscribeError(c, req, web.Unprocessable("component_ids", "may name at most 500 components"))
	}
	if form && notifier.Channel(req.Mode).Chat() {
		// A form naming the platform as its mode is the chat way's.
		req.Mode, req.Platform = chatWay, req.Mode
	}
	mode := notifier.Channel(req.Mode)
	if form && req.Mode == chatWay {
		mode = notifier.Channel(req.Platform)
		if !mode.Chat() || !h.channels[mode] {
			return h.subscribeError(c, req, web.Unprocessable("platform", "must be one of the chat apps listed"))
		}
	}
	if mode == "" {
		switch {
		case req.PhoneNumber != "":
			mode = notifier.SMS
		case req.Endpoint != "":
			mode = notifier.Webhook
		default:
			mode = notifier.Email
		}
		req.Mode = string(mode) // the way a refused form comes back with
	}
	if !h.channels[mode] || !mode.Valid() {
		return h.subscribeError(c, req, web.Unprocessable("mode", "%s notifications are not available on this page", mode))
	}
	if form {
		_, all, err := h.site.Page(c.UserContext(), "")
		if err != nil {
			return err
		}
		req.ComponentIDs = formComponents(all, req.ComponentIDs)
	}
	address := map[notifier.Channel]string{notifier.Email: req.Email, notifier.SMS: req.PhoneNumber, notifier.Webhook: req.Endpoint}[mode]
	if mode.Chat() {
		address = req.Endpoint
		if form {
			address = req.ChatEndpoint
		}
	}
	// The subscriber reads its messages in the language it saw the page in.
	res, err := h.subscribers.Subscribe(c.UserContext(), subscribers.Signup{Mode: mode, Address: address,
		PhoneCountry: req.PhoneCountry, ComponentIDs: req.ComponentIDs, IP: c.IP(), Language: lang.Code()})
	var verr *subscribers.ValidationError
	if form && mode.Chat() && errors.As(err, &verr) && verr.Field == "endpoint" {
		// The chat way's URL field is its own.
		err = &subscribers.ValidationError{Field: "chat_endpoint", Msg: verr.Msg}
	}
	if err != nil {
		return h.subscribeError(c, req, err)
	}
	h.notifier.Wake()
	switch mode {
	case notifier.SMS:
		if frame.WantsJSON(c) {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"message": "We sent a code by SMS: post it with this token to /subscriptions/verify.", "verify_token": res.VerifyToken})
		}
		head, err := h.reply.Head(c, lang.T("signup.code_title"))
		if err != nil {
			return err
		}
		return h.reply.Render(c, fiber.StatusOK, "verify", verifyPage{Head: head, Token: res.VerifyToken})
	case notifier.Webhook:
		msg := "We are sending a test request to your URL. Once it answers with a 2xx status, it will receive notifications."
		if frame.WantsJSON(c) {
			return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"message": msg, "signing_secret": res.Secret})
		}
		msg = lang.T("signup.webhook_test")
		head, err := h.reply.Head(c, lang.T("signup.almost_done"))
		if err != nil {
			return err
		}
		return h.reply.Render(c, fiber.StatusOK, "message", frame.MessagePage{Head: head, Message: msg, Secret: res.Secret})
	}
	if mode.Chat() {
		return h.reply.Message(c, fiber.StatusAccepted, lang.T("signup.almost_done"),
			lang.F("signup.chat_test", "Platform", lang.Enum("channel", string(mode))))
	}
	return h.reply.Message(c, fiber.StatusAccepted, lang.T("signup.check_inbox"), lang.T("signup.check_inbox_body"))
}

// signupRefusal is the status and body of a refused sign-up or follow: a
// limit is 429 with Retry-After, the rest as the one error mapping says.
func signupRefusal(c *fiber.Ctx, err error) (int, web.ErrorBody) {
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
func (h *signup) subscribeError(c *fiber.Ctx, req subscribeRequest, err error) error {
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
	return h.subscribeForm(c, status, req.values(), req.ComponentIDs, formMessage(lang, body), body.Field)
}

type verifyPage struct {
	frame.Head
	Token string
	Error string
}

func (h *signup) postVerify(c *fiber.Ctx) error {
	var req struct {
		Token string `json:"token" form:"token"`
		Code  string `json:"code" form:"code"`
	}
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	if frame.WantsJSON(c) {
		if err := web.DecodeBody(c, "verification", &req); err != nil {
			return err
		}
	} else if err := c.BodyParser(&req); err != nil {
		return h.reply.Message(c, fiber.StatusBadRequest, lang.T("signup.went_wrong"), lang.T("signup.form_unreadable"))
	}
	_, err = h.subscribers.VerifySMS(c.UserContext(), req.Token, req.Code, c.IP())
	var lim *subscribers.LimitError
	switch {
	case errors.As(err, &lim):
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(lim.RetryAfter.Seconds()))))
		return h.reply.Message(c, fiber.StatusTooManyRequests, lang.T("signup.too_many_attempts"), formMessage(lang, web.ErrorBody{Message: lim.Msg}))
	case errors.Is(err, subscribers.ErrBadToken):
		return h.reply.Message(c, fiber.StatusBadRequest, lang.T("signup.link_expired"), lang.T("signup.signup_expired"))
	case errors.Is(err, subscribers.ErrBadCode):
		if frame.WantsJSON(c) {
			return c.Status(fiber.StatusUnprocessableEntity).JSON(web.ErrorBody{Message: err.Error(), Field: "code"})
		}
		head, err2 := h.reply.Head(c, lang.T("signup.code_title"))
		if err2 != nil {
			return err2
		}
		return h.reply.Render(c, fiber.StatusUnprocessableEntity, "verify", verifyPage{Head: head,
			Token: req.Token, Error: lang.T("signup.bad_code")})
	case err != nil:
		return err
	}
	return h.reply.Message(c, fiber.StatusOK, lang.T("signup.subscribed"), lang.T("signup.sms_confirmed"))
}

func (h *signup) getConfirm(c *fiber.Ctx) error {
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	_, err = h.subscribers.ConfirmEmail(c.UserContext(), c.Query("token"))
	if errors.Is(err, subscribers.ErrBadToken) {
		return h.reply.Message(c, fiber.StatusBadRequest, lang.T("signup.link_expired"), lang.T("signup.confirm_expired"))
	}
	if err != nil {
		return err
	}
	return h.reply.Message(c, fiber.StatusOK, lang.T("signup.subscribed"), lang.T("signup.email_confirmed"))
}

type managePage struct {
	frame.Head
	// For says whose subscription this is: address and channel.
	For        template.HTML
	Components componentPicker
	// LanguageOptions are the options of the language select, the first the
	// page's default ("").
	LanguageOptions  []way
	Token            string
	UnsubscribeToken string
	// FollowsOnly is true for an address that only follows incidents:
	// component choices mean nothing to it (follow.go).
	FollowsOnly bool
	Saved       bool
	Error       string
}

func (h *signup) manageView(c *fiber.Ctx, sub subscribers.Subscriber, token string) (managePage, error) {
	lang, err := h.reply.Lang(c)
	if err != nil {
		return managePage{}, err
	}
	head, all, err := h.site.Page(c.UserContext(), lang.T("signup.manage_title"))
	if err != nil {
		return managePage{}, err
	}
	head.SetLang(lang, head.Lang)
	def, err := h.reply.Heads(c.UserContext(), "")
	if err != nil {
		return managePage{}, err
	}
	v := managePage{Head: head, For: htmlF(lang, "signup.manage_for_html", "Address", strong(shownAddress(lang, sub)), "Mode", modeLabel(lang, sub.Mode)),
		Components: pickComponents(all, sub.ComponentIDs, sub.AllComponents), Token: token,
		UnsubscribeToken: h.subscribers.Link(subscribers.PurposeUnsubscribe, sub.ID), FollowsOnly: !sub.PageWide}
	v.LanguageOptions = append(v.LanguageOptions, way{Label: lang.F("signup.language_default", "Name", def.Lang.Name()), Selected: sub.Language == ""})
	for _, l := range lang.Catalogue().Langs() {
		v.LanguageOptions = append(v.LanguageOptions, way{Mode: l.Code(), Label: l.Name(), Selected: sub.Language == l.Code()})
	}
	return v, nil
}

func modeLabel(lang *i18n.Lang, m notifier.Channel) string {
	switch {
	case m == notifier.SMS || m.Chat():
		return lang.Enum("channel", string(m))
	case m == notifier.Webhook:
		return lang.T("signup.mode_webhook")
	}
	return lang.T("signup.mode_email")
}

// shownAddress is a subscriber's address as the manage and unsubscribe
// screens show it. A chat channel's URL is the key that posts to the
// channel, and its links reach everyone in it: the screens name its host
// alone.
func shownAddress(lang *i18n.Lang, sub subscribers.Subscriber) string {
	if !sub.Mode.Chat() {
		return sub.Address
	}
	if u, err := url.Parse(sub.Address); err == nil && u.Host != "" {
		return lang.F("signup.channel_at", "Host", u.Host)
	}
	return lang.T("signup.a_channel")
}

func (h *signup) getManage(c *fiber.Ctx) error {
	token := c.Query("token")
	sub, err := h.subscribers.ByToken(c.UserContext(), subscribers.PurposeManage, token)
	if errors.Is(err, subscribers.ErrBadToken) {
		return h.manageExpired(c)
	}
	if err != nil {
		return err
	}
	v, err := h.manageView(c, sub, token)
	if err != nil {
		return err
	}
	if frame.WantsJSON(c) {
		return c.JSON(manageJSON(sub))
	}
	return h.reply.Render(c, fiber.StatusOK, "manage", v)
}

// manageJSON is a subscription as GET and POST /subscriptions/manage
// answer scripts; language is null when it follows the page's.
func manageJSON(sub subscribers.Subscriber) fiber.Map {
	m := fiber.Map{"mode": sub.Mode, "state": sub.State, "component_ids": sub.ComponentIDs, "language": nil}
	if sub.Language != "" {
		m["language"] = sub.Language
	}
	return m
}

func (h *signup) manageExpired(c *fiber.Ctx) error {
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	return h.reply.Message(c, fiber.StatusBadRequest, lang.T("signup.link_expired"), lang.T("signup.manage_expired"))
}

func (h *signup) postManage(c *fiber.Ctx) error {
	var req struct {
		Token        string   `json:"token" form:"token"`
		ComponentIDs []string `json:"component_ids" form:"component_ids"`
		// Language is "" for the page's; a script that names none (nil)
		// keeps the subscriber's.
		Language *string `json:"language" form:"language"`
	}
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	if frame.WantsJSON(c) {
		if err := web.DecodeBody(c, "subscription", &req); err != nil {
			return err
		}
	} else if err := c.BodyParser(&req); err != nil {
		return h.reply.Message(c, fiber.StatusBadRequest, lang.T("signup.went_wrong"), lang.T("signup.form_unreadable"))
	} else {
		_, all, err := h.site.Page(c.UserContext(), "")
		if err != nil {
			return err
		}
		req.ComponentIDs = formComponents(all, req.ComponentIDs)
	}
	if req.Language == nil {
		cur, err := h.subscribers.ByToken(c.UserContext(), subscribers.PurposeManage, req.Token)
		if errors.Is(err, subscribers.ErrBadToken) {
			return h.manageExpired(c)
		} else if err != nil {
			return err
		}
		req.Language = &cur.Language
	}
	sub, err := h.subscribers.SetPreferences(c.UserContext(), req.Token, req.ComponentIDs, *req.Language)
	if errors.Is(err, subscribers.ErrBadToken) {
		return h.manageExpired(c)
	}
	var verr *subscribers.ValidationError
	if errors.As(err, &verr) {
		msg := verr.Error()
		if !english(lang) {
			msg = formMessage(lang, web.ErrorBody{Message: msg, Field: verr.Field})
		}
		return h.reply.Message(c, fiber.StatusUnprocessableEntity, lang.T("signup.not_saved"), msg)
	}
	if err != nil {
		return err
	}
	if frame.WantsJSON(c) {
		return c.JSON(manageJSON(sub))
	}
	v, err := h.manageView(c, sub, req.Token)
	if err != nil {
		return err
	}
	v.Saved = true
	return h.reply.Render(c, fiber.StatusOK, "manage", v)
}

type unsubscribePage struct {
	frame.Head
	// Ask is the question, naming the page and the address.
	Ask   template.HTML
	Token string
}

// getUnsubscribe asks before unsubscribing: link scanners in mail
// gateways follow GET links, and must not unsubscribe anyone.
func (h *signup) getUnsubscribe(c *fiber.Ctx) error {
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	token := c.Params("token")
	sub, err := h.subscribers.ByToken(c.UserContext(), subscribers.PurposeUnsubscribe, token)
	if errors.Is(err, subscribers.ErrBadToken) {
		return h.reply.Message(c, fiber.StatusBadRequest, lang.T("signup.link_invalid"), lang.T("signup.unsubscribe_invalid"))
	}
	if err != nil {
		return err
	}
	head, err := h.reply.Head(c, lang.T("signup.unsubscribe_title"))
	if err != nil {
		return err
	}
	ask := htmlF(lang, "signup.unsubscribe_ask_html", "Name", head.PageName, "Address", strong(shownAddress(lang, sub)))
	return h.reply.Render(c, fiber.StatusOK, "unsubscribe", unsubscribePage{Head: head, Ask: ask, Token: token})
}

// postUnsubscribe unsubscribes at once: the page's button, and RFC 8058
// one-click unsubscribe (a POST with List-Unsubscribe=One-Click from the
// mail client).
func (h *signup) postUnsubscribe(c *fiber.Ctx) error {
	lang, err := h.reply.Lang(c)
	if err != nil {
		return err
	}
	_, err = h.subscribers.UnsubscribeByToken(c.UserContext(), c.Params("token"))
	if errors.Is(err, subscribers.ErrBadToken) {
		return h.reply.Message(c, fiber.StatusBadRequest, lang.T("signup.link_invalid"), lang.T("signup.unsubscribe_invalid"))
	}
	if err != nil {
		return err
	}
	return h.reply.Message(c, fiber.StatusOK, lang.T("signup.unsubscribed"), lang.T("signup.unsubscribed_body"))
}
