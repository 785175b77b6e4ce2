package main

import (
	"encoding/json"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/api/apitest"
	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/notifier/webhook"
)

// Webhook notifications: payloads and signatures, sign-up confirmed by a
// test delivery, and refused private addresses.

// ntPayload decodes a webhook body into its top-level keys.
func ntPayload(t testing.TB, r ntHookReq) map[string]json.RawMessage {
	t.Helper()
	var p map[string]json.RawMessage
	if err := json.Unmarshal(r.Body, &p); err != nil {
		t.Fatalf("payload to %s is not a JSON object: %v: %s", r.Path, err, r.Body)
	}
	return p
}

// ntVerify checks a webhook request's signature with secret.
func ntVerify(t testing.TB, r ntHookReq, secret string) {
	t.Helper()
	ts, err := strconv.ParseInt(r.Header.Get(webhook.TimestampHeader), 10, 64)
	if err != nil {
		t.Fatalf("%s: %s %q is not a unix time", r.Path, webhook.TimestampHeader, r.Header.Get(webhook.TimestampHeader))
	}
	sig := r.Header.Get(webhook.SignatureHeader)
	if !webhook.Verify(secret, sig, ts, r.Body) {
		t.Errorf("%s: %s %q does not verify with the subscriber's secret", r.Path, webhook.SignatureHeader, sig)
	}
	if webhook.Verify(secret+"x", sig, ts, r.Body) || webhook.Verify(secret, sig, ts+1, r.Body) ||
		webhook.Verify(secret, sig, ts, append(slices.Clone(r.Body), ' ')) {
		t.Errorf("%s: the signature verifies with another secret, timestamp or body", r.Path)
	}
}

// TestNotifyWebhooks runs its steps in order on one app that allows
// private addresses, so that the receiver on loopback can be reached.
func TestNotifyWebhooks(t *testing.T) {
	n := ntNew(t)
	s := &ntWebhookSteps{n: n, api: n.component("API")}
	for _, step := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"payload and signature", s.payload},
		{"public sign-up is confirmed by the test delivery", s.confirmedByTestDelivery},
		{"public sign-up of a known URL reveals nothing", s.knownURL},
		{"private addresses are refused", s.privateAddresses},
		{"refused at connect time", s.refusedAtConnect},
	} {
		t.Run(step.name, step.run)
	}
}

// ntWebhookSteps is what TestNotifyWebhooks's steps share.
type ntWebhookSteps struct {
	n   *ntEnv
	api string // a component
}

// payload checks what a subscriber added by staff receives: Statuspage's
// payload, signed with its secret, and a working meta.unsubscribe.
func (s *ntWebhookSteps) payload(t *testing.T) {
	n, api := s.n, s.api
	sub := n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/a"})
	secret, _ := sub["signing_secret"].(string)
	if sub["state"] != "active" || len(secret) < 32 {
		t.Fatalf("created webhook subscriber: %v, want active with a signing_secret", sub)
	}
	if got := apitest.Object(t, n.mustAPI(200, "GET", "/subscribers/"+sub["id"].(string), nil)); got["signing_secret"] != nil {
		t.Errorf("GET shows the signing secret again: %v", got)
	}
	ntWant(t, "after creation by staff", n.round(), nil)

	mark := n.hooks.count()
	id := n.incident(map[string]any{"name": "API down", "body": "We are *on it*.", "components": map[string]string{api: "major_outage"}})
	ntWant(t, "incident", n.round(), map[string]int{"webhook:/a": 2})
	var inc ntHookReq
	for _, r := range n.hooks.received(mark) {
		ntVerify(t, r, secret)
		if got := r.Header.Get("Content-Type"); got != "application/json" {
			t.Errorf("Content-Type %q, want application/json", got)
		}
		if got := r.Header.Get("User-Agent"); !strings.HasPrefix(got, "Beacon") {
			t.Errorf("User-Agent %q", got)
		}
		if _, ok := ntPayload(t, r)["incident"]; ok {
			inc = r
		}
	}
	if inc.Body == nil {
		t.Fatal("no incident payload")
	}
	p := ntPayload(t, inc)
	if got := slices.Sorted(maps.Keys(p)); !slices.Equal(got, []string{"incident", "meta", "page"}) {
		t.Errorf("payload keys %v, want incident, meta, page", got)
	}
	var meta struct{ Unsubscribe, Documentation string }
	var page struct {
		ID                string `json:"id"`
		StatusIndicator   string `json:"status_indicator"`
		StatusDescription string `json:"status_description"`
	}
	var in struct {
		ID, Name, Status, Impact, Shortlink string
		PageID                              string `json:"page_id"`
		Updates                             []struct {
			ID, Status, Body string
			IncidentID       string `json:"incident_id"`
			Affected         []struct {
				Code      string `json:"code"`
				NewStatus string `json:"new_status"`
			} `json:"affected_components"`
		} `json:"incident_updates"`
		Components []struct{ ID, Name, Status string } `json:"components"`
	}
	for k, v := range map[string]any{"meta": &meta, "page": &page, "incident": &in} {
		if err := json.Unmarshal(p[k], v); err != nil {
			t.Fatalf("%s: %v", k, err)
		}
	}
	if !strings.HasPrefix(meta.Unsubscribe, ntBaseURL+"/unsubscribe/") || !strings.HasPrefix(meta.Documentation, "http") {
		t.Errorf("meta %+v, want an unsubscribe link and documentation", meta)
	}
	if page.ID != n.pageID || page.StatusIndicator != "critical" || page.StatusDescription != "Major System Outage" {
		t.Errorf("page %+v, want id %s, critical, Major System Outage", page, n.pageID)
	}
	if in.ID != id || in.Name != "API down" || in.Status != "investigating" || in.Impact != "critical" || in.PageID != n.pageID {
		t.Errorf("incident %+v", in)
	}
	if len(in.Updates) != 1 || in.Updates[0].Body != "We are *on it*." || in.Updates[0].IncidentID != id ||
		len(in.Updates[0].Affected) != 1 || in.Updates[0].Affected[0].Code != api || in.Updates[0].Affected[0].NewStatus != "major_outage" {
		t.Errorf("incident_updates %+v", in.Updates)
	}
	if len(in.Components) != 1 || in.Components[0].ID != api || in.Components[0].Status != "major_outage" {
		t.Errorf("components %+v", in.Components)
	}

	// The next update carries the whole timeline, newest first.
	mark = n.hooks.count()
	n.patch(id, map[string]any{"status": "identified", "body": "Found"})
	n.round()
	got := n.hooks.received(mark)
	if len(got) != 1 {
		t.Fatalf("%d payloads for an update, want 1", len(got))
	}
	ntVerify(t, got[0], secret)
	_ = json.Unmarshal(ntPayload(t, got[0])["incident"], &in)
	if in.Status != "identified" || len(in.Updates) != 2 || in.Updates[0].Status != "identified" {
		t.Errorf("incident after an update: status %s, updates %+v", in.Status, in.Updates)
	}

	// meta.unsubscribe works as a one-click unsubscribe.
	if res := n.do("POST", strings.TrimPrefix(meta.Unsubscribe, ntBaseURL), nil); res.Status != 200 {
		t.Fatalf("POST meta.unsubscribe: status %d", res.Status)
	}
	if got := n.state(sub["id"].(string)); got != "unsubscribed" {
		t.Errorf("after POST meta.unsubscribe: state %s", got)
	}
}

// confirmedByTestDelivery signs up on the public API: a test delivery
// answered 2xx, at once or on a retry, confirms the subscriber.
func (s *ntWebhookSteps) confirmedByTestDelivery(t *testing.T) {
	n := s.n
	n.hooks.answer("/c", 500)
	n.hooks.answer("/d", 404)
	secrets := map[string]string{}
	for _, path := range []string{"/b", "/c", "/d"} {
		res := n.do("POST", "/subscribe", map[string]any{"mode": "webhook", "endpoint": n.hooks.URL + path})
		if res.Status != 202 {
			t.Fatalf("sign-up %s: status %d, body %s", path, res.Status, res.Body)
		}
		secrets[path] = apitest.String(t, res, "signing_secret")
	}
	ids := map[string]string{}
	var subs []statuspage.Subscriber
	n.mustAPI(200, "GET", "/subscribers?type=webhook&state=unconfirmed", nil).JSON(t, &subs)
	for _, s := range subs {
		ids[strings.TrimPrefix(*s.Endpoint, n.hooks.URL)] = s.ID
	}
	if len(ids) != 3 {
		t.Fatalf("unconfirmed webhooks %v, want /b, /c and /d", ids)
	}
	mark := n.hooks.count()
	ntWant(t, "test deliveries", n.round(), map[string]int{"webhook:/b": 1, "webhook:/c": 1, "webhook:/d": 1})
	for _, r := range n.hooks.received(mark) {
		ntVerify(t, r, secrets[r.Path])
		p := ntPayload(t, r)
		if got := slices.Sorted(maps.Keys(p)); !slices.Equal(got, []string{"meta", "page"}) {
			t.Errorf("test delivery to %s: keys %v, want meta and page", r.Path, got)
		}
	}
	for path, want := range map[string]string{"/b": "active", "/c": "unconfirmed", "/d": "unconfirmed"} {
		if got := n.state(ids[path]); got != want {
			t.Errorf("%s after its test delivery: state %s, want %s", path, got, want)
		}
	}
	// Unconfirmed webhooks hear nothing.
	n.incident(map[string]any{"name": "While unconfirmed", "body": "x"})
	ntWant(t, "incident", n.round(), map[string]int{"webhook:/b": 1})
	// The 500 was temporary: the test delivery is retried and then
	// confirms; the 404 was not.
	n.clock.Advance(2 * time.Hour)
	ntWant(t, "retries", n.round(), map[string]int{"webhook:/c": 1})
	if got := n.state(ids["/c"]); got != "active" {
		t.Errorf("/c after a successful retry: state %s, want active", got)
	}
	if got := n.state(ids["/d"]); got != "unconfirmed" {
		t.Errorf("/d after a 404: state %s, want unconfirmed", got)
	}
}

// knownURL signs up a URL staff added: the answer hands out no secret and
// changes nothing for the subscriber.
func (s *ntWebhookSteps) knownURL(t *testing.T) {
	n := s.n
	staff := n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/staff"})
	res := n.do("POST", "/subscribe", map[string]any{"mode": "webhook", "endpoint": n.hooks.URL + "/staff"})
	if res.Status != 202 {
		t.Fatalf("status %d, body %s", res.Status, res.Body)
	}
	decoy, _ := apitest.Object(t, res)["signing_secret"].(string)
	if decoy == staff["signing_secret"] {
		t.Fatalf("the public sign-up hands out the existing subscriber's signing_secret: anyone who knows " +
			"the URL could forge signed payloads to it")
	}
	if !strings.HasPrefix(decoy, "whsec_") || len(decoy) != len(staff["signing_secret"].(string)) {
		t.Errorf("signing_secret %q does not look like a new subscriber's", decoy)
	}
	// Nothing changed for the subscriber: no test delivery, and its
	// payloads are still signed with the key staff were given.
	mark := n.hooks.count()
	n.incident(map[string]any{"name": "After a public sign-up of a known URL", "body": "x"})
	n.round()
	var got []ntHookReq
	for _, r := range n.hooks.received(mark) {
		if r.Path == "/staff" {
			got = append(got, r)
		}
	}
	if len(got) != 1 {
		t.Fatalf("%d requests to /staff, want the incident alone", len(got))
	}
	ntVerify(t, got[0], staff["signing_secret"].(string))
}

// privateAddresses signs up loopback, private and metadata addresses on an
// app that refuses them.
func (s *ntWebhookSteps) privateAddresses(t *testing.T) {
	n := s.n
	strict := ntNew(t, func(c *Config) { c.WebhookAllowPrivate = false })
	var answers []response
	for _, u := range []string{
		n.hooks.URL + "/x", "http://localhost/x", "http://10.0.0.1/x", "http://192.168.1.1/x",
		"http://169.254.169.254/latest/meta-data", "http://[::1]/x", "http://0.0.0.0/x", "http://[::ffff:127.0.0.1]/x",
	} {
		res := strict.do("POST", "/subscribe", map[string]any{"mode": "webhook", "endpoint": u})
		answers = append(answers, res)
		if res.Status != 500 && (res.Status != 422 || !strings.Contains(string(res.Body), `"field":"endpoint"`)) {
			t.Errorf("JSON sign-up of %s: status %d body %s, want 422 on endpoint", u, res.Status, res.Body)
		}
		res = strict.form("/subscribe", url.Values{"mode": {"webhook"}, "endpoint": {u}})
		answers = append(answers, res)
		if res.Status != 500 && (res.Status != 422 || !ntFieldMarked(res.Body, "endpoint")) {
			t.Errorf("form sign-up of %s: status %d, want 422 with the endpoint field marked", u, res.Status)
		}
	}
	res := strict.api("POST", "/subscribers", map[string]any{"subscriber": map[string]any{"endpoint": n.hooks.URL + "/x", "skip_confirmation_notification": true}})
	answers = append(answers, res)
	if res.Status != 500 && res.Status != 422 {
		t.Errorf("API create with a private endpoint: status %d body %s, want 422", res.Status, res.Body)
	}
	// Whatever the answer, nothing is stored and nothing is sent.
	if got := ntWebhookCount(t, strict.testEnv); got != 0 {
		t.Errorf("%d webhook subscribers after refusals, want 0", got)
	}
	strict.round()
	if got := strict.hooks.count(); got != 0 {
		t.Errorf("%d requests reached the receiver", got)
	}
	for _, res := range answers {
		ntNo500(t, res)
	}
}

// refusedAtConnect turns private addresses off after a subscriber on one
// signed up: the sender refuses to connect.
func (s *ntWebhookSteps) refusedAtConnect(t *testing.T) {
	n := s.n
	// Signed up while private addresses were allowed, then the
	// operator turned that off: the sender refuses to connect.
	sub := n.subscriber(map[string]any{"endpoint": n.hooks.URL + "/was-allowed"})
	cfg := n.app.cfg
	cfg.WebhookAllowPrivate = false
	strict := &ntEnv{testEnv: openTestEnv(t, cfg, n.clock), mail: n.mail, tw: n.tw, hooks: n.hooks}
	strict.mark = [3]int{n.mail.Count(), n.tw.Count(), n.hooks.count()}
	id := strict.incident(map[string]any{"name": "After the switch", "body": "x"})
	if got := strict.round(); got["webhook:/was-allowed"] != 0 {
		t.Fatalf("the webhook reached %v", got)
	}
	counts, fails := strict.channelStats(id, 0, notifier.Webhook)
	var reason string
	for _, f := range fails {
		if f.SubscriberID == sub["id"] {
			reason = f.Error
			if !f.Final {
				t.Errorf("refusal is not final: %+v", f)
			}
		}
	}
	if counts.Failed == 0 || !strings.Contains(reason, "refused") || !strings.Contains(reason, "private address") {
		t.Errorf("counts %+v, reason %q: want a final failure naming the forbidden address", counts, reason)
	}
	if strings.Contains(reason, n.hooks.URL) {
		t.Errorf("the failure reason shows the URL: %q", reason)
	}
}

// ntWebhookCount returns how many webhook subscribers exist in any state.
func ntWebhookCount(t testing.TB, env *testEnv) int {
	t.Helper()
	var h map[string]map[string]int
	env.mustAPI(200, "GET", "/subscribers/histogram_by_state", nil).JSON(t, &h)
	total := 0
	for _, n := range h["webhook"] {
		total += n
	}
	return total
}
