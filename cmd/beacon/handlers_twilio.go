package main

import (
	"encoding/xml"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/web"
)

// Twilio calls these with form-encoded POSTs signed by X-Twilio-Signature:
// an HMAC of the URL it called and the parameters under the auth token.
const (
	twilioStatusPath  = "/webhooks/twilio/status"
	twilioInboundPath = "/webhooks/twilio/inbound"
)

// twilioParams checks the request's signature against the public URL
// Twilio was given and returns its parameters.
func (a *app) twilioParams(c *fiber.Ctx, path string) (map[string]string, bool) {
	if a.sms == nil {
		return nil, false
	}
	params := map[string]string{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) { params[string(k)] = string(v) })
	return params, a.sms.ValidSignature(a.cfg.BaseURL+path, params, c.Get("X-Twilio-Signature"))
}

// twilioStatus records a StatusCallback delivery report.
func (a *app) twilioStatus(c *fiber.Ctx) error {
	p, ok := a.twilioParams(c, twilioStatusPath)
	if !ok {
		return c.Status(fiber.StatusForbidden).JSON(web.ErrorBody{Message: "Invalid Twilio signature."})
	}
	if p["MessageSid"] == "" {
		return c.Status(fiber.StatusBadRequest).JSON(web.ErrorBody{Message: "MessageSid is required."})
	}
	if _, err := a.dispatcher.RecordProviderStatus(c.UserContext(), p["MessageSid"], p["MessageStatus"], p["ErrorCode"]); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type twiml struct {
	XMLName xml.Name `xml:"Response"`
	Message string   `xml:"Message,omitempty"`
}

// twilioInbound handles replies: STOP unsubscribes, START resubscribes,
// HELP explains. Twilio itself answers STOP and START on long codes with
// its own confirmation, so those get an empty reply.
func (a *app) twilioInbound(c *fiber.Ctx) error {
	p, ok := a.twilioParams(c, twilioInboundPath)
	if !ok {
		return c.Status(fiber.StatusForbidden).JSON(web.ErrorBody{Message: "Invalid Twilio signature."})
	}
	var reply twiml
	kw := strings.ToUpper(strings.TrimSpace(p["Body"]))
	if kw == "HELP" || kw == "INFO" {
		s, err := a.public.get(c.UserContext())
		if err != nil {
			return err
		}
		reply.Message = chars.CleanLine(s.page.Name) + " status alerts: " + a.cfg.BaseURL + " . Reply STOP to unsubscribe, START to resubscribe."
	} else if _, err := a.subscribers.HandleReply(c.UserContext(), p["From"], kw); err != nil {
		return err
	}
	out, err := xml.Marshal(reply)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationXMLCharsetUTF8)
	return c.Send(append([]byte(xml.Header), out...))
}
