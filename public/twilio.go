package public

import (
	"encoding/xml"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/web"
	"github.com/beacon-status/beacon/notifier/sms"
	"github.com/beacon-status/beacon/subscribers"
)

// Twilio calls these with form-encoded POSTs signed by X-Twilio-Signature:
// an HMAC of the URL it called and the parameters under the auth token.
const (
	// TwilioStatusPath receives delivery reports: every SMS names it as
	// its StatusCallback.
	TwilioStatusPath = "/webhooks/twilio/status"
	// TwilioInboundPath receives replies (STOP, START, HELP).
	TwilioInboundPath = "/webhooks/twilio/inbound"
)

// twilio serves the SMS provider's callbacks.
type twilio struct {
	cache *cache
	// sms checks signatures; nil when SMS is not configured.
	sms         *sms.Sender
	baseURL     string
	notifier    Notifier
	subscribers *subscribers.Service
}

// params checks the request's signature against the public URL
// Twilio was given and returns its parameters.
func (h *twilio) params(c *fiber.Ctx, path string) (map[string]string, bool) {
	if h.sms == nil {
		return nil, false
	}
	params := map[string]string{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) { params[string(k)] = string(v) })
	return params, h.sms.ValidSignature(h.baseURL+path, params, c.Get("X-Twilio-Signature"))
}

// status records a StatusCallback delivery report.
func (h *twilio) status(c *fiber.Ctx) error {
	p, ok := h.params(c, TwilioStatusPath)
	if !ok {
		return c.Status(fiber.StatusForbidden).JSON(web.ErrorBody{Message: "Invalid Twilio signature."})
	}
	if p["MessageSid"] == "" {
		return c.Status(fiber.StatusBadRequest).JSON(web.ErrorBody{Message: "MessageSid is required."})
	}
	if _, err := h.notifier.RecordProviderStatus(c.UserContext(), p["MessageSid"], p["MessageStatus"], p["ErrorCode"]); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type twiml struct {
	XMLName xml.Name `xml:"Response"`
	Message string   `xml:"Message,omitempty"`
}

// inbound handles replies: STOP unsubscribes, START resubscribes,
// HELP explains. Twilio itself answers STOP and START on long codes with
// its own confirmation, so those get an empty reply.
func (h *twilio) inbound(c *fiber.Ctx) error {
	p, ok := h.params(c, TwilioInboundPath)
	if !ok {
		return c.Status(fiber.StatusForbidden).JSON(web.ErrorBody{Message: "Invalid Twilio signature."})
	}
	var reply twiml
	kw := strings.ToUpper(strings.TrimSpace(p["Body"]))
	if kw == "HELP" || kw == "INFO" {
		s, err := h.cache.get(c.UserContext())
		if err != nil {
			return err
		}
		reply.Message = chars.CleanLine(s.page.Name) + " status alerts: " + h.baseURL + " . Reply STOP to unsubscribe, START to resubscribe."
	} else if _, err := h.subscribers.HandleReply(c.UserContext(), p["From"], kw); err != nil {
		return err
	}
	out, err := xml.Marshal(reply)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationXMLCharsetUTF8)
	return c.Send(append([]byte(xml.Header), out...))
}
