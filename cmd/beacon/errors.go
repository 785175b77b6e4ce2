package main

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/subscribers"
)

// errorJSON is Statuspage's error body, with the offending field when one
// is to blame.
type errorJSON struct {
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// handleError is Fiber's one error handler: it maps domain errors to HTTP
// statuses and logs only what is the server's fault.
func (a *app) handleError(c *fiber.Ctx, err error) error {
	status, body := a.classify(err)
	if status >= 500 {
		a.log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	if strings.HasPrefix(c.Path(), "/console") && c.Get("X-Requested-With") == "" {
		title := "Something went wrong"
		switch {
		case status == fiber.StatusNotFound:
			title, body.Message = "Not found", "It may have been deleted. Go back to the list and try again."
		case status < 500:
			title = "That did not work"
		default:
			body.Message = "The server could not do this. Try again; if it keeps failing, the server's log says why."
		}
		return a.consoleMessage(c, status, title, body.Message)
	}
	return c.Status(status).JSON(body)
}

func (a *app) classify(err error) (int, errorJSON) {
	var (
		req   *requestError
		compV *components.ValidationError
		incV  *incidents.ValidationError
		subV  *subscribers.ValidationError
		accV  *accounts.ValidationError
		setV  *settings.ValidationError
		fe    *fiber.Error
	)
	switch {
	case errors.As(err, &req):
		return req.status, errorJSON{Message: req.Error(), Field: req.field}
	case errors.As(err, &compV):
		return fiber.StatusUnprocessableEntity, errorJSON{Message: compV.Error(), Field: compV.Field}
	case errors.As(err, &incV):
		return fiber.StatusUnprocessableEntity, errorJSON{Message: incV.Error(), Field: incV.Field}
	case errors.As(err, &subV):
		return fiber.StatusUnprocessableEntity, errorJSON{Message: subV.Error(), Field: subV.Field}
	case errors.As(err, &setV):
		return fiber.StatusUnprocessableEntity, errorJSON{Message: setV.Error(), Field: setV.Field}
	case errors.Is(err, apikeys.ErrBadName):
		return fiber.StatusUnprocessableEntity, errorJSON{Message: err.Error(), Field: "name"}
	case errors.As(err, &accV):
		return fiber.StatusUnprocessableEntity, errorJSON{Message: accV.Msg, Field: accV.Field}
	case errors.Is(err, subscribers.ErrNotFound), errors.Is(err, components.ErrNotFound), errors.Is(err, incidents.ErrNotFound),
		errors.Is(err, apikeys.ErrNotFound), errors.Is(err, accounts.ErrNotFound):
		return fiber.StatusNotFound, errorJSON{Message: "The requested resource could not be found."}
	case errors.Is(err, incidents.ErrConflict), errors.Is(err, accounts.ErrExists), errors.Is(err, accounts.ErrLastAdmin):
		return fiber.StatusConflict, errorJSON{Message: err.Error()}
	case errors.As(err, &fe):
		return fe.Code, errorJSON{Message: fe.Message}
	}
	return fiber.StatusInternalServerError, errorJSON{Message: "Internal server error"}
}
