package screen

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/web"
)

// What every screen's forms share: showing a refused form again with its
// errors, select options and ticked boxes.

// FormError renders name again with the submitted values and err beside
// its field (or above the form), with status 422.
func (f *Frame) FormError(c *fiber.Ctx, name string, v View, err error) error {
	field, msg, ok := fieldError(err)
	if !ok {
		return err
	}
	if v.Errors == nil {
		v.Errors = map[string]string{}
	}
	if field != "" {
		v.Errors[field] = msg
	}
	v.Error = f.F(c, "console.frame.correct", "Msg", msg)
	if field == "" {
		v.Error = msg
	}
	return f.Render(c, fiber.StatusUnprocessableEntity, name, v)
}

// Refuse shows a form again after err when err is the user's to correct
// (see fieldError): the message beside the field named key(field), when
// key is set, and above the form after lead. Any other error goes to the
// error handler.
func Refuse(err error, v View, key func(field string) string, lead string, show func(View) error) error {
	field, msg, ok := fieldError(err)
	if !ok {
		return err
	}
	if key != nil {
		if v.Errors == nil {
			v.Errors = map[string]string{}
		}
		v.Errors[key(field)] = msg
	}
	v.Error = lead + msg
	return show(v)
}

// Prefixed names a form's field by the field at fault, after prefix.
func Prefixed(prefix string) func(string) string {
	return func(field string) string { return prefix + field }
}

// Always names the same form field whatever the field at fault.
func Always(name string) func(string) string {
	return func(string) string { return name }
}

// fieldError turns a client's error (invalid input, a conflict) into a
// field and a message to show beside the form; anything else is not for
// the form to show.
func fieldError(err error) (field, msg string, ok bool) {
	var req *web.Error
	if errors.As(err, &req) && req.Status() < 500 {
		return req.Field(), req.Error(), true
	}
	status, body := web.Classify(err)
	if status == fiber.StatusUnprocessableEntity || status == fiber.StatusConflict {
		return body.Field, body.Message, true
	}
	return "", "", false
}

// Option is one entry of a select.
type Option struct {
	Value, Label string
	// Lang is the language of Label, when it is not the page's (a
	// language's own name).
	Lang string
	// Kind, when set, is the domain kind of Value, whose label the
	// template translates (Lang.Enum) instead of showing Label; ID, when
	// set, is the message shown instead.
	Kind, ID string
	Selected bool
}

// FormBool reads a checkbox or flag: "1", "on" or "true" is set.
func FormBool(c *fiber.Ctx, name string) bool {
	v := c.FormValue(name)
	return v == "1" || v == "on" || v == "true"
}
