package incidents_test

import (
	"reflect"
	"testing"

	"github.com/beacon-status/beacon/incidents"
)

// hostileNames are names no incident or template may take: each holds a
// character that would break a feed, split a line or reverse the text
// around it.
var hostileNames = map[string]string{
	"SOH":                 "API \u0001 down",
	"ANSI colour":         "\u001b[31mAPI down",
	"NUL":                 "API\u0000down",
	"DEL":                 "API\u007fdown",
	"NEL inside":          "API\u0085down",
	"noncharacter":        "API \ufffe down",
	"right-to-left":       "API \u202edown",
	"line break inside":   "API\ndown",
	"tab inside":          "API\tdown",
	"invalid UTF-8":       "API \xff down",
	"lone surrogate UTF8": "API \xed\xa0\x80 down",
}

func TestNamesRefuseControlCharacters(t *testing.T) {
	e := newEnv(t)
	p := newPage(e)
	in, err := e.svc.Create(e.ctx, incidents.NewIncident{Name: "Existing", ComponentIDs: []string{p.api}})
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := e.svc.CreateTemplate(e.ctx, incidents.TemplateInput{Name: ptr("Outage"), Title: ptr("Outage")})
	if err != nil {
		t.Fatal(err)
	}
	for name, val := range hostileNames {
		t.Run(name, func(t *testing.T) {
			for _, tc := range []struct {
				what, field string
				do          func() error
			}{
				{"create", "name", func() error {
					_, err := e.svc.Create(e.ctx, incidents.NewIncident{Name: val})
					return err
				}},
				{"update", "name", func() error {
					_, err := e.svc.Update(e.ctx, in.ID, incidents.Change{Name: ptr(val)})
					return err
				}},
				{"template name", "name", func() error {
					_, err := e.svc.CreateTemplate(e.ctx, incidents.TemplateInput{Name: ptr(val), Title: ptr("x")})
					return err
				}},
				{"template title", "title", func() error {
					_, err := e.svc.UpdateTemplate(e.ctx, tpl.ID, incidents.TemplateInput{Title: ptr(val)})
					return err
				}},
			} {
				before := e.counts()
				err := tc.do()
				if got := validationField(err); got != tc.field {
					t.Errorf("%s: got %v (field %q), want a ValidationError on %q", tc.what, err, got, tc.field)
				}
				if after := e.counts(); !reflect.DeepEqual(after, before) {
					t.Errorf("%s: database after a refused name: got %+v, want %+v", tc.what, after, before)
				}
			}
		})
	}
	got, err := e.svc.Get(e.ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "Existing" {
		t.Errorf("incident name after refused updates: got %q, want %q", got.Name, "Existing")
	}
	tpl, err = e.svc.Template(e.ctx, tpl.ID)
	if err != nil {
		t.Fatal(err)
	}
	if tpl.Title != "Outage" {
		t.Errorf("template title after refused updates: got %q, want %q", tpl.Title, "Outage")
	}
}

// TestBodiesAreCleaned posts hostile Markdown everywhere a body is taken:
// it is stored without the control characters, with line breaks as LF.
func TestBodiesAreCleaned(t *testing.T) {
	const hostile = "Line one\r\n\u001b[31mred\u001b[0m \u0000nul \u0001soh \u007fdel \u0085nel \ufffe\uffff tab\there\rlast ]]> <![CDATA[ &#1; &#x1b; \u202e"
	const want = "Line one\n[31mred[0m nul soh del nel  tab\there\nlast ]]> <![CDATA[ &#1; &#x1b; \u202e"
	e := newEnv(t)
	p := newPage(e)

	in, err := e.svc.Create(e.ctx, incidents.NewIncident{Name: "Outage", Body: hostile, ComponentIDs: []string{p.api}})
	if err != nil {
		t.Fatal(err)
	}
	first := in.Updates[0]
	in, err = e.svc.Update(e.ctx, in.ID, incidents.Change{Body: ptr(hostile)})
	if err != nil {
		t.Fatal(err)
	}
	second := in.Updates[0]
	if _, err := e.svc.EditUpdate(e.ctx, in.ID, first.ID, incidents.UpdateEdit{Body: ptr("edited " + hostile)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Update(e.ctx, in.ID, incidents.Change{Status: ptr(incidents.Resolved)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetPostmortem(e.ctx, in.ID, hostile); err != nil {
		t.Fatal(err)
	}
	tpl, err := e.svc.CreateTemplate(e.ctx, incidents.TemplateInput{Name: ptr("t"), Title: ptr("t"), Body: ptr(hostile)})
	if err != nil {
		t.Fatal(err)
	}

	got, err := e.svc.Get(e.ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	bodies := map[string]string{}
	for _, u := range got.Updates {
		bodies[u.ID] = u.Body
	}
	tpl, err = e.svc.Template(e.ctx, tpl.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ what, got, want string }{
		{"create body (edited)", bodies[first.ID], "edited " + want},
		{"update body", bodies[second.ID], want},
		{"postmortem draft", got.Postmortem.Draft, want},
		{"template body", tpl.Body, want},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.what, tc.got, tc.want)
		}
	}

	// A body of nothing but control characters is blank once cleaned.
	_, err = e.svc.EditUpdate(e.ctx, in.ID, first.ID, incidents.UpdateEdit{Body: ptr("\u0001\u001b")})
	if got := validationField(err); got != "body" {
		t.Errorf("edit to control characters only: got %v (field %q), want a ValidationError on body", err, got)
	}
}
