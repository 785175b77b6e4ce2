package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/internal/web"
)

// optView describes each opt field of the struct v points to, by its JSON
// name: "unset", "null", or "=" and its value as JSON. A nil list or map
// is written as an empty one, as a client would send it.
func optView(v any) map[string]string {
	out := map[string]string{}
	rv := reflect.ValueOf(v).Elem()
	for i := range rv.NumField() {
		name, _, _ := strings.Cut(rv.Type().Field(i).Tag.Get("json"), ",")
		f := rv.Field(i)
		switch {
		case !f.FieldByName("Set").Bool():
			out[name] = "unset"
		case f.FieldByName("Null").Bool():
			out[name] = "null"
		default:
			val := f.FieldByName("V")
			b, err := json.Marshal(val.Interface())
			if err != nil {
				out[name] = "unencodable: " + err.Error()
				continue
			}
			if string(b) == "null" {
				switch val.Kind() {
				case reflect.Slice:
					b = []byte("[]")
				case reflect.Map:
					b = []byte("{}")
				}
			}
			out[name] = "=" + string(b)
		}
	}
	return out
}

// viewBody is the JSON object a view was decoded from, as a client would
// send it again: unset fields left out.
func viewBody(view map[string]string) []byte {
	obj := map[string]json.RawMessage{}
	for _, name := range slices.Sorted(maps.Keys(view)) {
		switch v := view[name]; {
		case v == "null":
			obj[name] = json.RawMessage("null")
		case strings.HasPrefix(v, "="):
			obj[name] = json.RawMessage(v[1:])
		}
	}
	b, _ := json.Marshal(obj) // RawMessages from json.Marshal always encode
	return b
}

// decodeApp is a Fiber app with Beacon's error handler and one route per
// request type, each answering the view of what web.DecodeBody read.
func decodeApp() *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: web.ErrorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	route := func(path, resource string, fresh func() any) {
		app.Post(path, func(c *fiber.Ctx) error {
			dst := fresh()
			if err := web.DecodeBody(c, resource, dst); err != nil {
				return err
			}
			return c.JSON(optView(dst))
		})
	}
	route("/incident", "incident", func() any { return &incidentRequest{} })
	route("/component", "component", func() any { return &componentRequest{} })
	return app
}

// FuzzDecodeBody sends arbitrary bodies, JSON or form-encoded, through
// web.DecodeBody in a Fiber app with Beacon's error handler. A body is either
// read (200) or refused as the client's mistake (400 or 422 with a
// message), never a 500 or a panic; and what was read, sent again as
// plain JSON, reads back the same.
func FuzzDecodeBody(f *testing.F) {
	seeds := []struct {
		form, component bool
		body            string
	}{
		{false, false, `{"incident":{"name":"Down","status":"investigating","component_ids":["a","b"],"components":{"a":"major_outage"},"deliver_notifications":"true"}}`},
		{false, false, `{"name":"","body":null,"scheduled_for":"2026-05-07","scheduled_until":"2026-05-07T03:00:00+02:00","backfilled":false}`},
		{false, true, `{"component":{"name":"API","position":"3","showcase":"false","group_id":""}}`},
		{false, true, `{"position":1e400}`},
		{false, false, `{"incident":"name"}`},
		{false, false, `[1,2]`},
		{false, false, `{"name":{"x":1}}`},
		{false, false, `{"scheduled_for":"yesterday"}`},
		{true, false, "incident[name]=Down&incident[component_ids][]=a&incident[component_ids][]=b&incident[components][a]=major_outage"},
		{true, false, "incident[a][b][c][d][e]=deep"},
		{true, true, "component[position]=2&component[showcase]=true"},
		{true, false, ` {"name":"json under a form label"}`},
		{true, false, "a=1&a[]=2&a[b]=3&%ff=%fe"},
	}
	for _, s := range seeds {
		f.Add(s.form, s.component, s.body)
	}
	app := decodeApp()
	send := func(t *testing.T, path, contentType string, body []byte) (int, []byte) {
		req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		res, err := app.Test(req, -1)
		if err != nil {
			t.Fatalf("POST %s: %v", path, err)
		}
		defer res.Body.Close()
		out, err := io.ReadAll(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		return res.StatusCode, out
	}
	f.Fuzz(func(t *testing.T, form, component bool, body string) {
		path, contentType := "/incident", fiber.MIMEApplicationJSON
		if component {
			path = "/component"
		}
		if form {
			contentType = fiber.MIMEApplicationForm
		}
		status, out := send(t, path, contentType, []byte(body))
		switch status {
		case http.StatusOK:
		case http.StatusBadRequest, http.StatusUnprocessableEntity:
			var e web.ErrorBody
			if err := json.Unmarshal(out, &e); err != nil || e.Message == "" {
				t.Fatalf("body %q: status %d with %q, want a JSON error with a message", body, status, out)
			}
			return
		default:
			t.Fatalf("body %q (form %v): status %d: %s, want 200, 400 or 422", body, form, status, out)
		}
		var first map[string]string
		if err := json.Unmarshal(out, &first); err != nil {
			t.Fatalf("view %q: %v", out, err)
		}
		for name, v := range first {
			if strings.HasPrefix(v, "unencodable") {
				t.Fatalf("body %q: field %s read as a value that cannot be written back: %s", body, name, v)
			}
		}
		again := viewBody(first)
		status, out = send(t, path, fiber.MIMEApplicationJSON, again)
		if status != http.StatusOK {
			t.Fatalf("body %q read as %v; sent again as %s: status %d: %s", body, first, again, status, out)
		}
		var second map[string]string
		if err := json.Unmarshal(out, &second); err != nil {
			t.Fatalf("view %q: %v", out, err)
		}
		if !maps.Equal(first, second) {
			t.Fatalf("body %q read as\n%v\nsent again as %s read as\n%v", body, first, again, second)
		}
	})
}
