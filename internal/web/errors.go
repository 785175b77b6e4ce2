package web

import (
	"errors"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/incidents"
	"github.com/beacon-status/beacon/integrations"
	"github.com/beacon-status/beacon/internal/accounts"
	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/settings"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/metrics"
	"github.com/beacon-status/beacon/subscribers"
)

// ErrorBody is Statuspage's error body, with the offending field when one
// is to blame.
type ErrorBody struct {
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// ErrorPage renders an error as a page for a person rather than as JSON.
type ErrorPage func(c *fiber.Ctx, status int, body ErrorBody) error

// PageFor has the errors of requests whose path starts with Prefix
// rendered by Page: a surface for people (the console) shows its errors as
// its own pages. It goes by the path, not by a route's middleware, because
// Fiber answers some requests before routing them (a body over the limit,
// headers too large, a read timeout), and those must look the same.
type PageFor struct {
	Prefix string
	Page   ErrorPage
}

// ErrorHandler is Fiber's one error handler: it maps domain errors to HTTP
// statuses (Classify) and logs only what is the server's fault. An error
// under one of pages' prefixes is rendered by its page, unless the request
// came from a script (X-Requested-With), which gets JSON as everywhere else.
func ErrorHandler(log *slog.Logger, pages ...PageFor) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, body := Classify(err)
		if status >= 500 {
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		if c.Get("X-Requested-With") == "" {
			for _, p := range pages {
				if strings.HasPrefix(c.Path(), p.Prefix) {
					return p.Page(c, status, body)
				}
			}
		}
		return c.Status(status).JSON(body)
	}
}

// Classify maps an error to its HTTP status and the body that tells the
// client what went wrong: validation errors are 422 naming the field,
// missing things 404, conflicts 409, text the database refuses 422, and
// anything unknown a 500 that says nothing more.
func Classify(err error) (int, ErrorBody) {
	var (
		req   *Error
		compV *components.ValidationError
		incV  *incidents.ValidationError
		subV  *subscribers.ValidationError
		accV  *accounts.ValidationError
		setV  *settings.ValidationError
		intV  *integrations.ValidationError
		metV  *metrics.ValidationError
		fe    *fiber.Error
	)
	switch {
	case errors.As(err, &req):
		return req.status, ErrorBody{Message: req.Error(), Field: req.field}
	case errors.As(err, &compV):
		return fiber.StatusUnprocessableEntity, ErrorBody{Message: compV.Error(), Field: compV.Field}
	case errors.As(err, &incV):
		return fiber.StatusUnprocessableEntity, ErrorBody{Message: incV.Error(), Field: incV.Field}
	case errors.As(err, &subV):
		return fiber.StatusUnprocessableEntity, ErrorBody{Message: subV.Error(), Field: subV.Field}
	case errors.As(err, &setV):
		return fiber.StatusUnprocessableEntity, ErrorBody{Message: setV.Error(), Field: setV.Field}
	case errors.As(err, &intV):
		return fiber.StatusUnprocessableEntity, ErrorBody{Message: intV.Error(), Field: intV.Field}
	case errors.As(err, &metV):
		return fiber.StatusUnprocessableEntity, ErrorBody{Message: metV.Error(), Field: metV.Field}
	case errors.Is(err, apikeys.ErrBadName):
		return fiber.StatusUnprocessableEntity, ErrorBody{Message: err.Error(), Field: "name"}
	case errors.As(err, &accV):
		return fiber.StatusUnprocessableEntity, ErrorBody{Message: accV.Msg, Field: accV.Field}
	case errors.Is(err, subscribers.ErrNotFound), errors.Is(err, components.ErrNotFound), errors.Is(err, incidents.ErrNotFound),
		errors.Is(err, apikeys.ErrNotFound), errors.Is(err, accounts.ErrNotFound), errors.Is(err, integrations.ErrNotFound),
		errors.Is(err, metrics.ErrNotFound):
		return fiber.StatusNotFound, ErrorBody{Message: "The requested resource could not be found."}
	case errors.Is(err, incidents.ErrConflict), errors.Is(err, accounts.ErrExists), errors.Is(err, accounts.ErrLastAdmin):
		return fiber.StatusConflict, ErrorBody{Message: err.Error()}
	case errors.Is(err, store.ErrUnstorableText):
		// Input no check above caught, refused by PostgreSQL: the
		// client's doing, said plainly, as on SQLite it finds nothing.
		return fiber.StatusUnprocessableEntity, ErrorBody{Message: "The request holds text with a NUL character or bytes that are not UTF-8, which Beacon cannot store or look up."}
	case errors.As(err, &fe):
		return fe.Code, ErrorBody{Message: fe.Message}
	}
	return fiber.StatusInternalServerError, ErrorBody{Message: "Internal server error"}
}
