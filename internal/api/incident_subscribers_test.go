package api_test

import (
	"testing"

	"github.com/beacon-status/beacon/internal/statuspage"
	"github.com/beacon-status/beacon/internal/web"
)

// TestIncidentSubscribersAPI covers an incident's followers through the
// API: create, list, get, resend and delete, and the refusals.
func TestIncidentSubscribersAPI(t *testing.T) {
	e := newTestEnv(t)
	var in struct{ ID string }
	e.mustAPI(201, "POST", "/incidents", map[string]any{"incident": map[string]any{"name": "X"}}).JSON(t, &in)
	base := "/incidents/" + in.ID + "/subscribers"

	var created statuspage.Subscriber
	e.mustAPI(201, "POST", base, map[string]any{"subscriber": map[string]any{"email": "f@example.com", "skip_confirmation_notification": true}}).JSON(t, &created)
	if created.Email == nil || *created.Email != "f@example.com" || created.State != "active" || created.Mode != "email" {
		t.Fatalf("created %+v, want an active email subscriber", created)
	}
	var pending statuspage.Subscriber
	e.mustAPI(201, "POST", base, map[string]any{"subscriber": map[string]any{"phone_number": "4155550123", "phone_country": "US"}}).JSON(t, &pending)
	if pending.State != "unconfirmed" || pending.PhoneNumber == nil || *pending.PhoneNumber != "+14155550123" {
		t.Fatalf("created by phone %+v, want unconfirmed +14155550123", pending)
	}

	tests := []struct {
		name, method, path string
		body               any
		want               int
		wantField          string
	}{
		{"list", "GET", base, nil, 200, ""},
		{"list, paged", "GET", base + "?per_page=1&page=2", nil, 200, ""},
		{"list of an unknown incident", "GET", "/incidents/nosuch/subscribers", nil, 404, ""},
		{"get", "GET", base + "/" + created.ID, nil, 200, ""},
		{"get one that does not follow", "GET", base + "/nosuch", nil, 404, ""},
		{"get on an unknown incident", "GET", "/incidents/nosuch/subscribers/" + created.ID, nil, 404, ""},
		{"create without an address", "POST", base, map[string]any{"subscriber": map[string]any{}}, 422, "email"},
		{"create with a bad email", "POST", base, map[string]any{"subscriber": map[string]any{"email": "a@-b"}}, 422, "email"},
		{"create with a bad number", "POST", base, map[string]any{"subscriber": map[string]any{"phone_number": "12"}}, 422, "phone_number"},
		{"create on an unknown incident", "POST", "/incidents/nosuch/subscribers", map[string]any{"subscriber": map[string]any{"email": "a@example.com"}}, 404, ""},
		{"resend for an unconfirmed follower", "POST", base + "/" + pending.ID + "/resend_confirmation", nil, 201, ""},
		{"resend for a confirmed follower", "POST", base + "/" + created.ID + "/resend_confirmation", nil, 422, "state"},
		{"resend for one that does not follow", "POST", base + "/nosuch/resend_confirmation", nil, 404, ""},
		{"delete", "DELETE", base + "/" + created.ID, nil, 200, ""},
		{"delete again", "DELETE", base + "/" + created.ID, nil, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.api(tt.method, tt.path, tt.body)
			if res.Status != tt.want {
				t.Fatalf("status %d, want %d; body %s", res.Status, tt.want, res.Body)
			}
			if tt.wantField != "" {
				var body web.ErrorBody
				res.JSON(t, &body)
				if body.Field != tt.wantField {
					t.Errorf("field %q, want %q (%s)", body.Field, tt.wantField, res.Body)
				}
			}
		})
	}

	// The list pages with X-Total-Count; the deleted follower (who followed
	// nothing else and was no page subscriber) is unsubscribed.
	var list []statuspage.Subscriber
	res := e.mustAPI(200, "GET", base+"?per_page=10", nil)
	res.JSON(t, &list)
	if len(list) != 1 || list[0].ID != pending.ID || res.Header.Get("X-Total-Count") != "1" {
		t.Errorf("list after delete: %s (total %s), want the SMS follower alone", res.Body, res.Header.Get("X-Total-Count"))
	}
	var gone statuspage.Subscriber
	e.mustAPI(200, "GET", "/subscribers/"+created.ID, nil).JSON(t, &gone)
	if gone.State != "unsubscribed" {
		t.Errorf("follower after delete: %s, want unsubscribed", gone.State)
	}
	// Followers are not the page's subscribers.
	var page []statuspage.Subscriber
	e.mustAPI(200, "GET", "/subscribers?state=all", nil).JSON(t, &page)
	if len(page) != 0 {
		t.Errorf("page subscribers %d, want 0", len(page))
	}
}
