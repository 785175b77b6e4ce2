package main

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
)

// The management API's subscriber endpoints: create, list, count, export,
// import, delete and bulk actions.

// list fetches a subscriber list and its X-Total-Count.
func (n *ntEnv) list(query string) ([]statuspage.Subscriber, int) {
	n.t.Helper()
	res := n.mustAPI(200, "GET", "/subscribers"+query, nil)
	var out []statuspage.Subscriber
	res.JSON(n.t, &out)
	if out == nil {
		n.t.Fatalf("GET /subscribers%s: body %s is not a list", query, res.Body)
	}
	total, err := strconv.Atoi(res.Header.Get("X-Total-Count"))
	if err != nil {
		n.t.Fatalf("GET /subscribers%s: X-Total-Count %q", query, res.Header.Get("X-Total-Count"))
	}
	return out, total
}

// ntAddresses returns the addresses of list, in order.
func ntAddresses(list []statuspage.Subscriber) []string {
	return apitest.Addresses(list)
}

// count returns GET /subscribers/count with query, summed over the types.
func (n *ntEnv) count(query string) int {
	n.t.Helper()
	var c map[string]int
	n.mustAPI(200, "GET", "/subscribers/count"+query, nil).JSON(n.t, &c)
	total := 0
	for _, k := range []string{"email", "sms", "webhook", "integration_partner", "slack", "teams", "discord", "mattermost", "google_chat"} {
		v, ok := c[k]
		if !ok {
			n.t.Fatalf("GET /subscribers/count%s: %v has no %q", query, c, k)
		}
		total += v
	}
	return total
}

// TestNotifySubscribersAPI creates five subscribers, one of each kind and
// state, then runs its steps in order on them, each reading what the steps
// before it left.
func TestNotifySubscribersAPI(t *testing.T) {
	n := ntNew(t)
	api := n.component("API")
	hook := n.hooks.URL + "/ops"

	// Created a minute apart, so created_at orders them.
	create := func(fields map[string]any) statuspage.Subscriber {
		t.Helper()
		n.clock.Advance(time.Minute)
		res := n.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": fields})
		var s statuspage.Subscriber
		res.JSON(t, &s)
		return s
	}
	alice := create(map[string]any{"email": "alice@example.com", "skip_confirmation_notification": true})
	bob := create(map[string]any{"email": "bob@example.com"})
	carol := create(map[string]any{"email": "Carol@Example.org", "skip_confirmation_notification": true, "component_ids": []string{api}})
	dave := create(map[string]any{"phone_number": ntPhone1, "skip_confirmation_notification": true})
	eve := create(map[string]any{"endpoint": hook, "skip_confirmation_notification": true})
	for _, tc := range []struct {
		got        statuspage.Subscriber
		mode       string
		address    *string
		want       string
		state      string
		components []string
	}{
		{alice, "email", alice.Email, "alice@example.com", "active", []string{}},
		{bob, "email", bob.Email, "bob@example.com", "unconfirmed", []string{}},
		{carol, "email", carol.Email, "carol@example.org", "active", []string{api}},
		{dave, "sms", dave.PhoneNumber, ntPhone1, "active", []string{}},
		{eve, "webhook", eve.Endpoint, hook, "active", []string{}},
	} {
		if tc.got.ID == "" || tc.got.Mode != tc.mode || tc.address == nil || *tc.address != tc.want || tc.got.State != tc.state ||
			!slices.Equal(tc.got.Components, tc.components) || tc.got.CreatedAt == "" {
			t.Errorf("created %+v, want %s %s %s on %v", tc.got, tc.mode, tc.want, tc.state, tc.components)
		}
	}
	if !alice.SkipConfirmationNotification || bob.SkipConfirmationNotification {
		t.Errorf("skip_confirmation_notification: alice %v, bob %v", alice.SkipConfirmationNotification, bob.SkipConfirmationNotification)
	}
	// Only Bob, who was not vouched for, is asked to confirm.
	ntWant(t, "after creation", n.round(), map[string]int{"email:bob@example.com": 1})

	s := &ntSubscribersSteps{n: n, api: api, hook: hook, alice: alice, bob: bob, carol: carol, dave: dave}
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"get", s.get},
		{"list", s.list},
		{"count and histogram", s.countAndHistogram},
		{"create refusals", s.createRefusals},
		{"export", s.export},
		{"import", s.importCSV},
		{"delete", s.delete},
		{"unknown ids", s.unknownIDs},
		{"bulk actions", s.bulkActions},
		{"resend_confirmation to a confirmed subscriber", s.resendToConfirmed},
	} {
		t.Run(step.name, step.run)
	}
}

// ntSubscribersSteps is what TestNotifySubscribersAPI's steps share: the
// subscribers it created, a minute apart.
type ntSubscribersSteps struct {
	n     *ntEnv
	api   string                // a component, carol's
	hook  string                // eve's endpoint
	alice statuspage.Subscriber // email, active
	bob   statuspage.Subscriber // email, unconfirmed
	carol statuspage.Subscriber // email, active, on api
	dave  statuspage.Subscriber // SMS on ntPhone1, active
}

func (s *ntSubscribersSteps) get(t *testing.T) {
	n, api, carol := s.n, s.api, s.carol
	var got statuspage.Subscriber
	n.mustAPI(200, "GET", "/subscribers/"+carol.ID, nil).JSON(t, &got)
	if got.ID != carol.ID || *got.Email != "carol@example.org" || !slices.Equal(got.Components, []string{api}) {
		t.Errorf("GET: %+v", got)
	}
}

// list checks the filters, search, paging and sorting of GET /subscribers,
// and the refusal of bad parameters.
func (s *ntSubscribersSteps) list(t *testing.T) {
	n, hook := s.n, s.hook
	for _, tc := range []struct {
		query string
		want  []string
		total int
	}{
		// state defaults to active, as Statuspage's does.
		{"", []string{"alice@example.com", "carol@example.org", ntPhone1, hook}, 4},
		{"?type=email", []string{"alice@example.com", "carol@example.org"}, 2},
		{"?type=email&state=all", []string{"alice@example.com", "bob@example.com", "carol@example.org"}, 3},
		{"?type=slack", []string{}, 0},
		{"?type=sms", []string{ntPhone1}, 1},
		{"?type=webhook", []string{hook}, 1},
		{"?state=unconfirmed", []string{"bob@example.com"}, 1},
		{"?state=active&type=email", []string{"alice@example.com", "carol@example.org"}, 2},
		{"?state=all", []string{"alice@example.com", "bob@example.com", "carol@example.org", ntPhone1, hook}, 5},
		{"?q=CAROL", []string{"carol@example.org"}, 1},
		{"?q=example.com&state=all", []string{"alice@example.com", "bob@example.com"}, 2},
		{"?q=" + url.QueryEscape("%"), []string{}, 0},
		{"?q=" + url.QueryEscape("_"), []string{}, 0},
		{"?q=nobody", []string{}, 0},
		// Subscriber pages start at 0, as Statuspage's spec says.
		{"?per_page=2&state=all", []string{"alice@example.com", "bob@example.com"}, 5},
		{"?per_page=2&page=0&state=all", []string{"alice@example.com", "bob@example.com"}, 5},
		{"?per_page=2&page=1&state=all", []string{"carol@example.org", ntPhone1}, 5},
		{"?per_page=2&page=2&state=all", []string{hook}, 5},
		{"?per_page=2&page=3&state=all", []string{}, 5},
		{"?limit=1&page=1&type=email&state=all", []string{"bob@example.com"}, 3},
		{"?sort_direction=desc&type=email&state=all", []string{"carol@example.org", "bob@example.com", "alice@example.com"}, 3},
		{"?sort_field=primary&sort_direction=desc&state=active", []string{hook, "carol@example.org", "alice@example.com", ntPhone1}, 4},
	} {
		list, total := n.list(tc.query)
		if got := ntAddresses(list); !slices.Equal(got, tc.want) || total != tc.total {
			t.Errorf("GET /subscribers%s: %v (X-Total-Count %d), want %v (%d)", tc.query, got, total, tc.want, tc.total)
		}
	}
	for _, q := range []string{"?type=fax", "?state=happy", "?sort_field=secret", "?per_page=0", "?page=-1", "?per_page=abc", "?limit=0", "?page=abc", "?sort_direction=sideways", "?q=" + strings.Repeat("x", 201)} {
		res := n.api("GET", "/subscribers"+q, nil)
		var e web.ErrorBody
		res.JSON(t, &e)
		if res.Status != 422 || e.Message == "" || e.Field == "" {
			t.Errorf("GET /subscribers%.40s: status %d %+v, want 422 naming the field", q, res.Status, e)
		}
	}
}

func (s *ntSubscribersSteps) countAndHistogram(t *testing.T) {
	n := s.n
	for q, want := range map[string]int{"": 4, "?state=all": 5, "?type=email": 2, "?type=email&state=all": 3, "?state=active": 4, "?state=unconfirmed": 1, "?q=example.org": 1} {
		if got := n.count(q); got != want {
			t.Errorf("count%s: %d, want %d", q, got, want)
		}
	}
	var byType map[string]int
	n.mustAPI(200, "GET", "/subscribers/count?state=all", nil).JSON(t, &byType)
	if want := map[string]int{"email": 3, "sms": 1, "webhook": 1, "integration_partner": 0, "slack": 0, "teams": 0,
		"discord": 0, "mattermost": 0, "google_chat": 0}; !maps.Equal(byType, want) {
		t.Errorf("count by type %v, want %v", byType, want)
	}
	var h map[string]map[string]int
	n.mustAPI(200, "GET", "/subscribers/histogram_by_state", nil).JSON(t, &h)
	none := map[string]int{"active": 0, "unconfirmed": 0, "quarantined": 0, "unsubscribed": 0, "total": 0}
	want := map[string]map[string]int{
		"email":               {"active": 2, "unconfirmed": 1, "quarantined": 0, "unsubscribed": 0, "total": 3},
		"sms":                 {"active": 1, "unconfirmed": 0, "quarantined": 0, "unsubscribed": 0, "total": 1},
		"webhook":             {"active": 1, "unconfirmed": 0, "quarantined": 0, "unsubscribed": 0, "total": 1},
		"integration_partner": none, "slack": none, "teams": none, "discord": none, "mattermost": none, "google_chat": none,
	}
	if fmt.Sprint(h) != fmt.Sprint(want) {
		t.Errorf("histogram %v, want %v", h, want)
	}
}

// createRefusals posts invalid subscribers: each is refused naming its
// field, and nothing changes.
func (s *ntSubscribersSteps) createRefusals(t *testing.T) {
	n := s.n
	before := n.snapshot()
	for _, tc := range []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no address", map[string]any{"skip_confirmation_notification": true}, "email"},
		{"invalid email", map[string]any{"email": "nope"}, "email"},
		{"email with CR LF", map[string]any{"email": "a@example.com\r\nBcc: b@example.com"}, "email"},
		{"invalid phone", map[string]any{"phone_number": "555"}, "phone_number"},
		{"javascript: endpoint", map[string]any{"endpoint": "javascript:alert(1)"}, "endpoint"},
		{"unknown component", map[string]any{"email": "x@example.com", "component_ids": []string{"zzzzzzzzzzzz"}}, "component_ids"},
		{"components not a list", map[string]any{"email": "x@example.com", "component_ids": "all"}, "component_ids"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := n.api("POST", "/subscribers", map[string]any{"subscriber": tc.body})
			ntNo500(t, res)
			var e web.ErrorBody
			res.JSON(t, &e)
			if res.Status != 422 || e.Field != tc.field {
				t.Errorf("status %d %+v, want 422 on %s", res.Status, e, tc.field)
			}
		})
	}
	if after := n.snapshot(); after != before {
		t.Errorf("refused creations changed something:\n%s", after)
	}
}

// export checks the CSV export.
func (s *ntSubscribersSteps) export(t *testing.T) {
	n, api, carol := s.n, s.api, s.carol
	res := n.mustAPI(200, "GET", "/subscribers/export", nil)
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q, want text/csv", ct)
	}
	if cd := res.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
		t.Errorf("Content-Disposition %q", cd)
	}
	recs, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v", err)
	}
	if len(recs) != 6 || !slices.Equal(recs[0][:3], []string{"id", "mode", "address"}) {
		t.Fatalf("export: %v", recs)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	byAddr := map[string][]string{}
	for _, r := range recs[1:] {
		byAddr[r[col["address"]]] = r
	}
	if r := byAddr["carol@example.org"]; r == nil || r[col["id"]] != carol.ID || r[col["state"]] != "active" || r[col["components"]] != api {
		t.Errorf("carol's row %v", r)
	}
	// A phone number starts with +: the export guards it from spreadsheets
	// (chars.CSVCell), and the import drops the guard.
	if r := byAddr["'"+ntPhone1]; r == nil || r[col["mode"]] != "sms" || r[col["phone_country"]] != "US" {
		t.Errorf("dave's row %v", r)
	}
	if strings.Contains(string(res.Body), "whsec_") {
		t.Errorf("the export holds webhook signing secrets")
	}
}

// importCSV checks the CSV import: refusals naming the line, creation,
// confirmation on request, and an export importing back as all existing.
func (s *ntSubscribersSteps) importCSV(t *testing.T) {
	n, api := s.n, s.api
	csvPost := func(query, body string) response {
		return n.api("POST", "/subscribers/import"+query, body, "Content-Type", "text/csv")
	}
	before := n.count("?state=all")
	for _, tc := range []struct {
		name, body, line, field string
	}{
		{"invalid email on line 3", "mode,address\nemail,ok1@example.com\nemail,not-an-email\n", "line 3", "email"},
		{"unknown mode", "mode,address\npigeon,coo@example.com\n", "line 2", "mode"},
		{"country not allowed", "mode,address\nsms,+33612345678\n", "line 2", "phone_number"},
		{"repeated address", "mode,address\nemail,ok1@example.com\nemail,OK1@example.com\n", "line 3", ""},
		{"unknown component", "mode,address,components\nemail,ok1@example.com,zzzzzzzzzzzz\n", "line 2", "component_ids"},
		{"no address column", "mode,email\nemail,ok1@example.com\n", "line 1", ""},
		{"empty file", "", "line 1", ""},
		{"bare quote", "mode,address\nemail,\"ok1@example.com\nemail,ok2@example.com\n", "line", ""},
		{"header injection", "mode,address\nemail,\"ok1@example.com\r\nBcc: x@example.com\"\n", "line 2", "email"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := csvPost("", tc.body)
			ntNo500(t, res)
			var e web.ErrorBody
			res.JSON(t, &e)
			if res.Status != 422 || !strings.Contains(e.Message, tc.line) || (tc.field != "" && e.Field != tc.field) {
				t.Errorf("status %d %+v, want 422 naming %s (field %q)", res.Status, e, tc.line, tc.field)
			}
			if got := n.count("?state=all"); got != before {
				t.Errorf("%d subscribers after a refused import, want %d", got, before)
			}
		})
	}

	res := csvPost("", "Mode,Address,Components\nemail,new1@example.com,\nemail,ALICE@example.com,\nsms,+12025550160,"+api+"\nwebhook,"+n.hooks.URL+"/imported,\n")
	if res.Status != 201 {
		t.Fatalf("import: status %d body %s", res.Status, res.Body)
	}
	var got struct{ Created, Existing int }
	res.JSON(t, &got)
	if got.Created != 3 || got.Existing != 1 {
		t.Errorf("import: %+v, want 3 created and 1 existing", got)
	}
	list, _ := n.list("?q=new1")
	if len(list) != 1 || list[0].State != "active" {
		t.Errorf("imported subscriber: %+v, want active", list)
	}
	list, _ = n.list("?q=" + url.QueryEscape("+12025550160"))
	if len(list) != 1 || !slices.Equal(list[0].Components, []string{api}) {
		t.Errorf("imported SMS subscriber: %+v, want on %s", list, api)
	}
	ntWant(t, "after an import", n.round(), nil)

	// With send_confirmation the imported are asked to confirm first.
	res = csvPost("?send_confirmation=true", "mode,address\nemail,new2@example.com\n")
	if res.Status != 201 {
		t.Fatalf("import with confirmation: status %d body %s", res.Status, res.Body)
	}
	if list, _ := n.list("?q=new2&state=all"); len(list) != 1 || list[0].State != "unconfirmed" {
		t.Errorf("imported with confirmation: %+v, want unconfirmed", list)
	}
	ntWant(t, "after an import with confirmation", n.round(), map[string]int{"email:new2@example.com": 1})

	// An export imports back as all existing.
	export := n.mustAPI(200, "GET", "/subscribers/export", nil)
	res = csvPost("", string(export.Body))
	res.JSON(t, &got)
	if res.Status != 201 || got.Created != 0 || got.Existing != n.count("?state=all") {
		t.Errorf("re-import of the export: status %d %+v, want every row existing", res.Status, got)
	}
}

func (s *ntSubscribersSteps) delete(t *testing.T) {
	n, api, carol := s.n, s.api, s.carol
	res := n.mustAPI(200, "DELETE", "/subscribers/"+carol.ID, nil)
	var got statuspage.Subscriber
	res.JSON(t, &got)
	if got.ID != carol.ID || got.State != "unsubscribed" {
		t.Errorf("DELETE: %+v, want carol unsubscribed", got)
	}
	n.incident(map[string]any{"name": "After delete", "body": "x", "component_ids": []string{api}})
	if r := n.round(); r["email:carol@example.org"] != 0 || r["email:alice@example.com"] != 1 {
		t.Errorf("incident after DELETE: %v", r)
	}
}

func (s *ntSubscribersSteps) unknownIDs(t *testing.T) {
	n := s.n
	before := n.snapshot()
	var answers []response
	for _, req := range [][2]string{{"GET", "/subscribers/zzzzzzzzzzzz"}, {"DELETE", "/subscribers/zzzzzzzzzzzz"}, {"GET", "/subscribers/..%2f..%2fetc"}, {"GET", "/subscribers/" + strings.Repeat("x", 3000)}} {
		res := n.api(req[0], req[1], nil)
		answers = append(answers, res)
		if res.Status != 500 && res.Status != 404 {
			t.Errorf("%s %.40s: status %d, want 404", req[0], req[1], res.Status)
		}
	}
	if after := n.snapshot(); after != before {
		t.Errorf("unknown ids changed something:\n%s", after)
	}
	for _, res := range answers {
		ntNo500(t, res)
	}
}

// bulkActions checks unsubscribe, reactivate and resend_confirmation on
// lists of ids and on "all".
func (s *ntSubscribersSteps) bulkActions(t *testing.T) {
	n, alice, bob, carol, dave := s.n, s.alice, s.bob, s.carol, s.dave
	type bulkResult struct {
		Processed int      `json:"processed"`
		NotFound  []string `json:"not_found"`
		Skipped   []string `json:"skipped"`
	}
	bulk := func(action string, body map[string]any, want bulkResult) {
		t.Helper()
		res := n.api("POST", "/subscribers/"+action, body)
		ntNo500(t, res)
		var got bulkResult
		res.JSON(t, &got)
		if res.Status != 201 || got.Processed != want.Processed || !slices.Equal(got.NotFound, want.NotFound) || !slices.Equal(got.Skipped, want.Skipped) {
			t.Errorf("%s %v: status %d %+v, want 201 %+v", action, body, res.Status, got, want)
		}
	}
	bulk("unsubscribe", map[string]any{"subscribers": []string{alice.ID, "zzzzzzzzzzzz"}}, bulkResult{1, []string{"zzzzzzzzzzzz"}, []string{}})
	if s := n.state(alice.ID); s != "unsubscribed" {
		t.Errorf("alice after bulk unsubscribe: %s", s)
	}
	// carol left by DELETE; dave is active: reactivate names him but
	// leaves him alone.
	bulk("reactivate", map[string]any{"subscribers": []string{alice.ID, carol.ID, dave.ID}}, bulkResult{2, []string{}, []string{dave.ID}})
	for _, id := range []string{alice.ID, carol.ID} {
		if s := n.state(id); s != "active" {
			t.Errorf("%s after reactivate: %s", id, s)
		}
	}
	// One id as a string is a list of one.
	bulk("resend_confirmation", map[string]any{"subscribers": bob.ID}, bulkResult{1, []string{}, []string{}})
	ntWant(t, "resend_confirmation", n.round(), map[string]int{"email:bob@example.com": 1})
	bulk("unsubscribe", map[string]any{"subscribers": "everyone"}, bulkResult{0, []string{"everyone"}, []string{}})

	ids := make([]string, 101)
	for i := range ids {
		ids[i] = alice.ID
	}
	for _, tc := range []struct {
		action string
		body   map[string]any
		field  string
	}{
		{"unsubscribe", map[string]any{"subscribers": ids}, "subscribers"},
		{"unsubscribe", map[string]any{"subscribers": []string{}}, "subscribers"},
		{"unsubscribe", map[string]any{"subscribers": []int{1, 2}}, "subscribers"},
		{"unsubscribe", map[string]any{"subscribers": nil}, "subscribers"},
		{"unsubscribe", map[string]any{"subscribers": "all", "type": "fax"}, "type"},
		{"unsubscribe", map[string]any{"subscribers": "all", "state": "unsubscribed"}, "state"},
		{"reactivate", map[string]any{"subscribers": "all", "state": "active"}, "state"},
		{"resend_confirmation", map[string]any{"subscribers": "all", "state": "active"}, "state"},
	} {
		res := n.api("POST", "/subscribers/"+tc.action, tc.body)
		var e web.ErrorBody
		res.JSON(t, &e)
		if res.Status != 422 || e.Field != tc.field {
			t.Errorf("%s %.60v: status %d %+v, want 422 on %s", tc.action, tc.body, res.Status, e, tc.field)
		}
	}
	if s := n.state(alice.ID); s != "active" {
		t.Errorf("alice after refused bulk requests: %s", s)
	}

	// "all" is allowed on reactivate and resend_confirmation too: with
	// nobody quarantined, reactivate touches nobody; resend reaches the
	// two unconfirmed email subscribers (bob, and new2 of the import).
	bulk("reactivate", map[string]any{"subscribers": "all"}, bulkResult{0, []string{}, []string{}})
	bulk("resend_confirmation", map[string]any{"subscribers": "all", "type": "email"}, bulkResult{2, []string{}, []string{}})
	ntWant(t, "resend_confirmation to all", n.round(), map[string]int{"email:bob@example.com": 1, "email:new2@example.com": 1})

	// "all" unsubscribes every active subscriber, and nothing is sent
	// after.
	active := n.count("?state=active")
	bulk("unsubscribe", map[string]any{"subscribers": "all", "skip_unsubscription_notification": true}, bulkResult{active, []string{}, []string{}})
	if got := n.count("?state=active"); got != 0 {
		t.Errorf("%d active after unsubscribing all", got)
	}
	if got := n.state(bob.ID); got != "unconfirmed" {
		t.Errorf("bob (unconfirmed) after unsubscribing all: %s", got)
	}
	n.incident(map[string]any{"name": "After all left", "body": "x"})
	ntWant(t, "after unsubscribing all", n.round(), nil)
}

func (s *ntSubscribersSteps) resendToConfirmed(t *testing.T) {
	n, alice := s.n, s.alice
	n.mustAPI(201, "POST", "/subscribers/reactivate", map[string]any{"subscribers": []string{alice.ID}})
	// In bulk, an active subscriber named is skipped, and nothing sent.
	var skipped struct {
		Processed int      `json:"processed"`
		Skipped   []string `json:"skipped"`
	}
	n.mustAPI(201, "POST", "/subscribers/resend_confirmation", map[string]any{"subscribers": []string{alice.ID}}).JSON(t, &skipped)
	if skipped.Processed != 0 || !slices.Equal(skipped.Skipped, []string{alice.ID}) {
		t.Errorf("bulk resend to active alice: %+v, want her skipped", skipped)
	}
	// Alone, by her id, it is refused naming her state.
	res := n.api("POST", "/subscribers/"+alice.ID+"/resend_confirmation", nil)
	if res.Status != 500 {
		var e web.ErrorBody
		res.JSON(t, &e)
		if res.Status != 422 || e.Field != "state" {
			t.Errorf("status %d %+v, want 422 on state", res.Status, e)
		}
	}
	ntWant(t, "after a refused resend", n.round(), nil)
	ntNo500(t, res)
}
