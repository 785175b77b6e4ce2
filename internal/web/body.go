package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// Opt is a request field that tells "absent" from "null or empty". Clients
// of Statuspage's API send "" and null for unset fields, and form-encoded
// bodies send every value as a string, so numbers and booleans are also
// accepted in quotes.
type Opt[T any] struct {
	Set  bool // the field was present
	Null bool // it was null or ""
	V    T
}

// UnmarshalJSON implements json.Unmarshaler.
func (o *Opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if s := string(b); s == "null" || s == `""` {
		o.Null = true
		return nil
	}
	err := json.Unmarshal(b, &o.V)
	if err == nil {
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		if e := json.Unmarshal([]byte(s), &o.V); e == nil {
			return nil
		}
	}
	return err
}

// Ptr returns the value for a set, non-null field, and nil otherwise.
func (o Opt[T]) Ptr() *T {
	if !o.Set || o.Null {
		return nil
	}
	v := o.V
	return &v
}

// Clearable returns a pointer for a present optional text field, with null
// and "" meaning "clear it". Required fields use Ptr, for which null and ""
// mean "leave it as it is".
func Clearable(o Opt[string]) *string {
	if !o.Set {
		return nil
	}
	v := o.V
	return &v
}

// FlexTime accepts RFC 3339 timestamps and plain YYYY-MM-DD dates (UTC).
type FlexTime struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler.
func (t *FlexTime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New("must be a timestamp such as 2026-05-07T03:00:00Z")
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly} {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v
			return nil
		}
	}
	return errors.New("must be a timestamp such as 2026-05-07T03:00:00Z")
}

// Error is a client mistake: a 400 for a body that cannot be read,
// a 422 for a field of the wrong type.
type Error struct {
	status int
	field  string
	msg    string
}

func (e *Error) Error() string {
	if e.field != "" {
		return e.field + " " + e.msg
	}
	return e.msg
}

// Status is the HTTP status the mistake is answered with.
func (e *Error) Status() int { return e.status }

// Field is the request field to blame, "" for the whole request.
func (e *Error) Field() string { return e.field }

// badRequest is a 400: a body that cannot be read.
func badRequest(format string, args ...any) error {
	return &Error{status: fiber.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// Unprocessable is a 422 blaming field.
func Unprocessable(field, format string, args ...any) error {
	return &Error{status: fiber.StatusUnprocessableEntity, field: field, msg: fmt.Sprintf(format, args...)}
}

// DecodeBody reads a management API request body into dst. It takes JSON
// whatever the Content-Type says (clients often send none), or a
// form-encoded body with Rails-style keys (incident[name]=…), and unwraps
// the resource name ({"incident": {…}}) when present.
func DecodeBody(c *fiber.Ctx, resource string, dst any) error {
	raw := c.Body()
	// curl -d labels a JSON body as a form; a body that opens like a JSON
	// object is read as one whatever the label.
	isForm := strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationForm)
	if isForm && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{")) {
		var err error
		if raw, err = formToJSON(c); err != nil {
			return err
		}
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		var syn *json.SyntaxError
		if errors.As(err, &syn) {
			return badRequest("malformed JSON body: %v", err)
		}
		return badRequest("the body must be a JSON object")
	}
	whole := raw
	if inner, ok := top[resource]; ok && len(inner) > 0 && inner[0] == '{' {
		raw = inner
	}
	if err := checkJSONText(whole, raw); err != nil {
		return err
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		var typ *json.UnmarshalTypeError
		if errors.As(err, &typ) {
			return Unprocessable(typ.Field, "must be %s", describeType(typ.Type.String()))
		}
		return Unprocessable(badField(raw, dst), "%v", err)
	}
	return nil
}

// badField finds which top-level field of raw fails to decode into a value
// of dst's type, for errors (such as a malformed timestamp) that do not
// name it.
func badField(raw []byte, dst any) string {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil {
		return ""
	}
	for name, value := range fields {
		one, _ := json.Marshal(map[string]json.RawMessage{name: value})
		fresh := reflect.New(reflect.TypeOf(dst).Elem()).Interface()
		if json.Unmarshal(one, fresh) != nil {
			return name
		}
	}
	return ""
}

func describeType(t string) string {
	switch {
	case strings.Contains(t, "bool"):
		return "true or false"
	case strings.Contains(t, "int"), strings.Contains(t, "float"):
		return "a number"
	case strings.Contains(t, "[]"):
		return "a list"
	case strings.Contains(t, "map"):
		return "an object"
	}
	return "a string"
}

// formToJSON turns form fields such as incident[name]=x,
// incident[component_ids][]=a and incident[components][a]=major_outage into
// the equivalent JSON object.
func formToJSON(c *fiber.Ctx) ([]byte, error) {
	root := map[string]any{}
	var err error
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if err != nil {
			return
		}
		path := parseFormKey(string(k))
		if !utf8.Valid(k) || !utf8.Valid(v) {
			// json.Marshal would replace the bytes with U+FFFD unseen.
			err = Unprocessable(formField(path), "must be valid UTF-8 text")
			return
		}
		err = setPath(root, path, string(v))
	})
	if err != nil {
		return nil, err
	}
	return json.Marshal(root)
}

// formField names the field of a form key's path for errors: the first
// part in brackets (incident[components][id] is "components") or the key
// itself.
func formField(path []string) string {
	if len(path) > 1 && path[1] != "" {
		return path[1]
	}
	return path[0]
}

// parseFormKey splits "a[b][]" into ["a", "b", ""].
func parseFormKey(k string) []string {
	first, rest, _ := strings.Cut(k, "[")
	parts := []string{first}
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, "]")
		parts = append(parts, part)
		rest = strings.TrimPrefix(rest, "[")
	}
	return parts
}

func setPath(node map[string]any, path []string, value string) error {
	if len(path) > 5 {
		return badRequest("form field nested too deeply")
	}
	key := path[0]
	switch {
	case len(path) == 1:
		node[key] = value
	case len(path) == 2 && path[1] == "":
		list, _ := node[key].([]any)
		if len(list) >= 1000 {
			return badRequest("form list %s is too long", key)
		}
		node[key] = append(list, value)
	default:
		child, ok := node[key].(map[string]any)
		if !ok {
			child = map[string]any{}
			node[key] = child
		}
		return setPath(child, path[1:], value)
	}
	return nil
}

// maxPage bounds the page number, so that page × per_page stays far from
// overflowing (10⁹ at most).
const maxPage = 1_000_000

// Paging reads page and per_page (or limit) query parameters. Statuspage
// counts pages from 1 on most lists and from 0 on others, and clients send
// either: page 0 and page 1 are both the first page.
func Paging(c *fiber.Ctx, defaultPer int) (offset, limit int, err error) {
	page, err := QueryInt(c, "page", 1, 0, maxPage)
	if err != nil {
		return 0, 0, err
	}
	per, err := QueryInt(c, "per_page", defaultPer, 1, 1000)
	if err != nil {
		return 0, 0, err
	}
	if c.Query("per_page") == "" {
		if per, err = QueryInt(c, "limit", defaultPer, 1, 1000); err != nil {
			return 0, 0, err
		}
	}
	return max(page-1, 0) * per, per, nil
}

// QueryInt reads the whole-number query parameter name, def when absent,
// refusing one outside lo..hi.
func QueryInt(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, Unprocessable(name, "must be a whole number from %d to %d", lo, hi)
	}
	return n, nil
}
