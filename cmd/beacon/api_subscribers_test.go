package main

import (
	"testing"
)

// subEnv is an app whose webhook subscribers may point at loopback, so
// tests can add them without any address outside this machine.
func subEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnv(t, func(c *Config) { c.WebhookAllowPrivate = true })
}

// subCreate adds an active subscriber through the API and returns its id.
func subCreate(t *testing.T, env *testEnv, fields map[string]any) string {
	t.Helper()
	body := map[string]any{"skip_confirmation_notification": true}
	for k, v := range fields {
		body[k] = v
	}
	var got struct{ ID string }
	env.mustAPI(201, "POST", "/subscribers", map[string]any{"subscriber": body}).JSON(t, &got)
	return got.ID
}

// subState returns a subscriber's state through the API.
func subState(t *testing.T, env *testEnv, id string) string {
	t.Helper()
	var got struct{ State string }
	env.mustAPI(200, "GET", "/subscribers/"+id, nil).JSON(t, &got)
	return got.State
}

// TestAPIBulkUnsubscribeByType is the reported defect: "all" with
// type=webhook unsubscribed every active email subscriber instead.
func TestAPIBulkUnsubscribeByType(t *testing.T) {
	env := subEnv(t)
	mail := subCreate(t, env, map[string]any{"email": "reader@example.com"})
	hook := subCreate(t, env, map[string]any{"endpoint": "http://127.0.0.1:9/hook"})

	res := env.api("POST", "/subscribers/unsubscribe", map[string]any{"subscribers": "all", "type": "webhook"})
	var got struct {
		Processed int `json:"processed"`
	}
	res.JSON(t, &got)
	if res.Status != 201 || got.Processed != 1 {
		t.Errorf("unsubscribe all webhooks: status %d %s, want 201 with processed 1", res.Status, res.Body)
	}
	if st := subState(t, env, mail); st != "active" {
		t.Errorf("the email subscriber is %s, want active", st)
	}
	if st := subState(t, env, hook); st != "unsubscribed" {
		t.Errorf("the webhook subscriber is %s, want unsubscribed", st)
	}

	// A type Beacon has no subscribers of is accepted and touches nobody.
	env.mustAPI(201, "POST", "/subscribers/unsubscribe", map[string]any{"subscribers": "all", "type": "slack"})
	if st := subState(t, env, mail); st != "active" {
		t.Errorf("after type=slack the email subscriber is %s, want active", st)
	}
}
