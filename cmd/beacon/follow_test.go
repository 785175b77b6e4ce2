package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/beacon-status/beacon/internal/statuspage"
)

// TestFollowIncidentEndToEnd follows an incident from its public page: the
// form, the confirmation email from the loopback SMTP server, its link, and
// the updates that follow, until the incident resolves.
func TestFollowIncidentEndToEnd(t *testing.T) {
	n := ntNew(t)
	api := n.component("API")
	web := n.component("Website")
	n.subscriber(map[string]any{"email": "alice@example.com", "component_ids": []string{web}})
	id := n.incident(map[string]any{"name": "Elevated API errors", "body": "Looking.", "component_ids": []string{api}})
	ntWant(t, "incident created", n.round(), nil)

	page := string(n.do("GET", "/incidents/"+id, nil).Body)
	for _, want := range []string{`action="/incidents/` + id + `/subscribe"`, "Get updates on this incident", `name="email"`, `name="phone_number"`} {
		if !strings.Contains(page, want) {
			t.Errorf("incident page lacks %s", want)
		}
	}

	res := n.form("/incidents/"+id+"/subscribe", url.Values{"email": {"Carol@Example.com"}})
	if res.Status != 202 {
		t.Fatalf("POST follow form: status %d, want 202; body %s", res.Status, res.Body)
	}
	ntWant(t, "after the follow form", n.round(), map[string]int{"email:carol@example.com": 1})
	confirm := ntParseEmail(t, n.mailAt(0))
	if !strings.Contains(confirm.Subject, "Elevated API errors") {
		t.Errorf("confirmation subject %q does not name the incident", confirm.Subject)
	}
	link := ntLink(t, confirm.Text, ntBaseURL+"/subscriptions/follow?token=")
	// Nothing is heard before the link is followed.
	n.patch(id, map[string]any{"status": "identified", "body": "Found it."})
	ntWant(t, "update before confirming", n.round(), nil)
	if res := n.do("GET", strings.TrimPrefix(link, ntBaseURL), nil); res.Status != 200 {
		t.Fatalf("GET follow link: status %d, body %s", res.Status, res.Body)
	}

	// The same answer whether the address follows already or not.
	again := n.form("/incidents/"+id+"/subscribe", url.Values{"email": {"carol@example.com"}})
	fresh := n.form("/incidents/"+id+"/subscribe", url.Values{"email": {"dave@example.com"}})
	if again.Status != fresh.Status || string(again.Body) != string(fresh.Body) {
		t.Errorf("answers differ: following already %d %q, new address %d %q", again.Status, again.Body, fresh.Status, fresh.Body)
	}
	n.round() // the two confirmations

	// The update's manage link tells a follower what it follows, instead
	// of offering component choices that would not apply to it (its
	// language it may choose).
	n.patch(id, map[string]any{"body": "Still looking."})
	ntWant(t, "an update after confirming", n.round(), map[string]int{"email:carol@example.com": 1})
	update := ntParseEmail(t, n.mailAt(n.mail.Count()-1))
	manage := string(n.do("GET", strings.TrimPrefix(ntLink(t, update.Text, ntBaseURL+"/subscriptions/manage?token="), ntBaseURL), nil).Body)
	if !strings.Contains(manage, "single incidents only") || strings.Contains(manage, "component_ids") {
		t.Errorf("a follower's manage page does not say what it follows:\n%s", manage)
	}

	steps := []struct {
		name string
		do   func()
		want map[string]int
	}{
		{"an update", func() { n.patch(id, map[string]any{"status": "monitoring", "body": "Watching."}) }, map[string]int{"email:carol@example.com": 1}},
		{"another incident", func() {
			n.incident(map[string]any{"name": "Slow pages", "body": "Looking.", "component_ids": []string{web}})
		}, map[string]int{"email:alice@example.com": 1}},
		{"the resolve", func() { n.patch(id, map[string]any{"status": "resolved", "body": "Fixed."}) }, map[string]int{"email:carol@example.com": 1}},
		{"an update after it resolved", func() { n.patch(id, map[string]any{"body": "Root cause: a bad deploy."}) }, nil},
	}
	for _, s := range steps {
		s.do()
		ntWant(t, s.name, n.round(), s.want)
	}

	// A resolved incident offers no form, and refuses a post.
	if page := string(n.do("GET", "/incidents/"+id, nil).Body); strings.Contains(page, "/incidents/"+id+"/subscribe") {
		t.Error("the page of a resolved incident still offers the follow form")
	}
	if res := n.form("/incidents/"+id+"/subscribe", url.Values{"email": {"erin@example.com"}}); res.Status != 422 {
		t.Errorf("follow a resolved incident: status %d, want 422", res.Status)
	}
	if res := n.form("/incidents/nosuch/subscribe", url.Values{"email": {"erin@example.com"}}); res.Status != 404 {
		t.Errorf("follow an unknown incident: status %d, want 404", res.Status)
	}
	if res := n.do("GET", "/subscriptions/follow?token=forged", nil); res.Status != 400 {
		t.Errorf("forged follow link: status %d, want 400", res.Status)
	}

	// A follower who signs up for the whole page is sent the page's own
	// confirmation, and is one of its subscribers once it is followed.
	mark := n.mail.Count()
	if res := n.form("/subscribe", url.Values{"mode": {"email"}, "email": {"carol@example.com"}}); res.Status != 202 {
		t.Fatalf("POST /subscribe: status %d, body %s", res.Status, res.Body)
	}
	ntWant(t, "a follower's page sign-up", n.round(), map[string]int{"email:carol@example.com": 1})
	pageLink := ntLink(t, ntParseEmail(t, n.mailAt(mark)).Text, ntBaseURL+"/subscriptions/confirm?token=")
	if res := n.do("GET", strings.TrimPrefix(pageLink, ntBaseURL), nil); res.Status != 200 {
		t.Fatalf("GET page confirmation link: status %d, body %s", res.Status, res.Body)
	}
	var carol []statuspage.Subscriber
	n.mustAPI(200, "GET", "/subscribers?q=carol", nil).JSON(t, &carol)
	if len(carol) != 1 || carol[0].State != "active" {
		t.Errorf("page subscribers named carol: %+v, want one, active", carol)
	}
	n.incident(map[string]any{"name": "Everything is slow", "body": "Looking."})
	ntWant(t, "an incident on no component", n.round(), map[string]int{"email:alice@example.com": 1, "email:carol@example.com": 1})
}

// TestFollowIncidentBySMS follows by SMS: the code arrives at the Twilio
// stand-in and is entered on the same verify page as a page sign-up's.
func TestFollowIncidentBySMS(t *testing.T) {
	n := ntNew(t)
	id := n.incident(map[string]any{"name": "Outage", "body": "Looking."})
	n.round()
	res := n.form("/incidents/"+id+"/subscribe", url.Values{"phone_number": {"+14155550123"}})
	if res.Status != 200 || !strings.Contains(string(res.Body), `name="token"`) {
		t.Fatalf("POST follow by SMS: status %d, body %s", res.Status, res.Body)
	}
	token := ntLink(t, string(res.Body), `name="token" value="`)
	token = strings.TrimPrefix(token, `name="token" value="`)
	n.round()
	sms := n.tw.Received(0)
	if len(sms) != 1 {
		t.Fatalf("%d SMS sent, want the code", len(sms))
	}
	code := strings.Fields(sms[0].Body)[0]
	if res := n.form("/subscriptions/verify", url.Values{"token": {token}, "code": {code}}); res.Status != 200 {
		t.Fatalf("verify: status %d, body %s", res.Status, res.Body)
	}
	n.patch(id, map[string]any{"status": "resolved", "body": "Fixed."})
	ntWant(t, "resolve", n.round(), map[string]int{"sms:+14155550123": 1})
	got := n.mustAPI(200, "GET", "/subscribers/count?state=all", nil)
	var counts map[string]int
	if err := json.Unmarshal(got.Body, &counts); err != nil || len(counts) == 0 {
		t.Fatalf("page subscriber count %s: %v", got.Body, err)
	}
	for mode, c := range counts {
		if c != 0 {
			t.Errorf("page subscriber count of %s is %d, want 0: a follower is no page subscriber", mode, c)
		}
	}
}
