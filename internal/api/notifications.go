package api

import (
	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/notifier"
)

// notificationAPI answers /incidents/{id}/notifications: what became of
// the messages an incident's changes queued.
type notificationAPI struct {
	incidents *incidents.Service
	outbox    *notifier.Outbox
}

// counts reports, per event of an incident, how many
// deliveries are pending, sending, sent and failed on each channel.
func (h notificationAPI) counts(c *fiber.Ctx) error {
	in, err := h.incidents.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	stats, err := h.outbox.Stats(c.UserContext(), in.ID)
	if err != nil {
		return err
	}
	return c.JSON(stats)
}
