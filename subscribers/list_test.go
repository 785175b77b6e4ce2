package subscribers_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

func TestListCountHistogram(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	// Created a minute apart, in this order.
	made := map[string]string{} // address → id
	add := func(mode notifier.Channel, address string, state subscribers.State) {
		t.Helper()
		id := f.subscribe(t, subscribers.Signup{Mode: mode, Address: address}).Subscriber.ID
		switch state {
		case subscribers.Active:
			mustDo(t, f.svc.Reactivate(ctx, id))
		case subscribers.Unsubscribed:
			mustDo(t, f.svc.Unsubscribe(ctx, id))
		case subscribers.Quarantined:
			quarantine(t, f, id, mode)
		}
		made[f.get(t, id).Address] = id
		f.clock.Advance(time.Minute)
	}
	add(notifier.Email, "carol@example.com", subscribers.Active)
	add(notifier.Email, "alice@example.com", subscribers.Unconfirmed)
	add(notifier.Email, "50%_off@deals.example", subscribers.Active)
	add(notifier.SMS, "+14155550123", subscribers.Active)
	add(notifier.Email, "bob@Example.org", subscribers.Unsubscribed)
	add(notifier.Webhook, "https://hooks.example.com/Beacon", subscribers.Active)
	add(notifier.SMS, "+447400123456", subscribers.Quarantined)
	add(notifier.Email, "5000off@deals.example", subscribers.Active)

	byCreation := []string{"carol@example.com", "alice@example.com", "50%_off@deals.example", "+14155550123",
		"bob@example.org", "https://hooks.example.com/Beacon", "+447400123456", "5000off@deals.example"}
	reversed := func(list []string) []string {
		out := make([]string, len(list))
		for i, s := range list {
			out[len(list)-1-i] = s
		}
		return out
	}
	tests := []struct {
		name      string
		filter    subscribers.Filter
		want      []string // addresses, in order
		wantCount int
	}{
		{"everyone by creation", subscribers.Filter{}, byCreation, 8},
		{"everyone newest first", subscribers.Filter{Descending: true}, reversed(byCreation), 8},
		{"by address", subscribers.Filter{SortField: "address"}, []string{"+14155550123", "+447400123456", "50%_off@deals.example", "5000off@deals.example",
			"alice@example.com", "bob@example.org", "carol@example.com", "https://hooks.example.com/Beacon"}, 8},
		{"by address descending", subscribers.Filter{SortField: "address", Descending: true}, []string{"https://hooks.example.com/Beacon", "carol@example.com", "bob@example.org", "alice@example.com",
			"5000off@deals.example", "50%_off@deals.example", "+447400123456", "+14155550123"}, 8},
		{"quarantined first", subscribers.Filter{SortField: "quarantined_at", State: subscribers.Active}, []string{"carol@example.com", "50%_off@deals.example", "+14155550123", "https://hooks.example.com/Beacon", "5000off@deals.example"}, 5},
		{"by quarantine, the never quarantined last", subscribers.Filter{SortField: "quarantined_at", Mode: notifier.SMS}, []string{"+447400123456", "+14155550123"}, 2},
		{"by quarantine descending, the never quarantined still last", subscribers.Filter{SortField: "quarantined_at", Mode: notifier.SMS, Descending: true}, []string{"+447400123456", "+14155550123"}, 2},
		{"relevance: earliest then shortest match", subscribers.Filter{SortField: "relevance", Query: "example.com"}, []string{"alice@example.com", "carol@example.com", "https://hooks.example.com/Beacon"}, 3},
		{"relevance: exact match first", subscribers.Filter{SortField: "relevance", Query: "CAROL@example.com"}, []string{"carol@example.com"}, 1},
		{"relevance: match at the start first", subscribers.Filter{SortField: "relevance", Query: "5"}, []string{"50%_off@deals.example", "5000off@deals.example", "+14155550123", "+447400123456"}, 4},
		{"email", subscribers.Filter{Mode: notifier.Email}, []string{"carol@example.com", "alice@example.com", "50%_off@deals.example", "bob@example.org", "5000off@deals.example"}, 5},
		{"sms", subscribers.Filter{Mode: notifier.SMS}, []string{"+14155550123", "+447400123456"}, 2},
		{"active", subscribers.Filter{State: subscribers.Active}, []string{"carol@example.com", "50%_off@deals.example", "+14155550123", "https://hooks.example.com/Beacon", "5000off@deals.example"}, 5},
		{"active email", subscribers.Filter{Mode: notifier.Email, State: subscribers.Active}, []string{"carol@example.com", "50%_off@deals.example", "5000off@deals.example"}, 3},
		{"unsubscribed", subscribers.Filter{State: subscribers.Unsubscribed}, []string{"bob@example.org"}, 1},
		{"quarantined", subscribers.Filter{State: subscribers.Quarantined}, []string{"+447400123456"}, 1},
		{"unconfirmed", subscribers.Filter{State: subscribers.Unconfirmed}, []string{"alice@example.com"}, 1},
		{"query", subscribers.Filter{Query: "example.com"}, []string{"carol@example.com", "alice@example.com", "https://hooks.example.com/Beacon"}, 3},
		{"query ignores case", subscribers.Filter{Query: "BEACON"}, []string{"https://hooks.example.com/Beacon"}, 1},
		{"query percent is literal", subscribers.Filter{Query: "50%"}, []string{"50%_off@deals.example"}, 1},
		{"query underscore is literal", subscribers.Filter{Query: "_off"}, []string{"50%_off@deals.example"}, 1},
		{"query backslash", subscribers.Filter{Query: `\`}, []string{}, 0},
		{"query phone digits", subscribers.Filter{Query: "+44"}, []string{"+447400123456"}, 1},
		{"query and state", subscribers.Filter{Query: "deals", State: subscribers.Active}, []string{"50%_off@deals.example", "5000off@deals.example"}, 2},
		{"no match", subscribers.Filter{Query: "nobody"}, []string{}, 0},
		{"first page", subscribers.Filter{Limit: 3}, byCreation[:3], 8},
		{"second page", subscribers.Filter{Limit: 3, Offset: 3}, byCreation[3:6], 8},
		{"last page", subscribers.Filter{Limit: 3, Offset: 6}, byCreation[6:], 8},
		{"past the end", subscribers.Filter{Limit: 3, Offset: 9}, []string{}, 8},
		{"negative offset", subscribers.Filter{Limit: 2, Offset: -5}, byCreation[:2], 8},
		{"paged filter", subscribers.Filter{Mode: notifier.Email, Limit: 2, Offset: 1, SortField: "address"}, []string{"5000off@deals.example", "alice@example.com"}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := f.svc.List(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, s := range list {
				got = append(got, s.Address)
				if s.ID != made[s.Address] {
					t.Errorf("%s: id = %s, want %s", s.Address, s.ID, made[s.Address])
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("List = %v, want %v", got, tt.want)
			}
			n, err := f.svc.Count(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.wantCount {
				t.Errorf("Count = %d, want %d", n, tt.wantCount)
			}
		})
	}

	t.Run("refused sort fields", func(t *testing.T) {
		for _, f2 := range []subscribers.Filter{
			{SortField: "address; DROP TABLE subscribers"},
			{SortField: "relevance"},
			{SortField: "secret"},
		} {
			if _, err := f.svc.List(ctx, f2); validationField(err) != "sort_field" {
				t.Errorf("List(%+v): %v, want a ValidationError on sort_field", f2, err)
			}
		}
	})

	t.Run("histogram", func(t *testing.T) {
		got, err := f.svc.Histogram(ctx)
		if err != nil {
			t.Fatal(err)
		}
		zero := func() map[subscribers.State]int {
			return map[subscribers.State]int{subscribers.Active: 0, subscribers.Unconfirmed: 0, subscribers.Quarantined: 0, subscribers.Unsubscribed: 0}
		}
		want := map[notifier.Channel]map[subscribers.State]int{notifier.Email: zero(), notifier.SMS: zero(), notifier.Webhook: zero()}
		for _, ch := range notifier.Chats {
			want[ch] = zero()
		}
		want[notifier.Email][subscribers.Active] = 3
		want[notifier.Email][subscribers.Unconfirmed] = 1
		want[notifier.Email][subscribers.Unsubscribed] = 1
		want[notifier.SMS][subscribers.Active] = 1
		want[notifier.SMS][subscribers.Quarantined] = 1
		want[notifier.Webhook][subscribers.Active] = 1
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Histogram = %v, want %v", got, want)
		}
	})
}

func TestListDefaultLimit(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	for i := 0; i < 105; i++ {
		f.active(t, notifier.Email, fmt.Sprintf("u%03d@example.com", i))
	}
	list, err := f.svc.List(ctx, subscribers.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 100 {
		t.Errorf("List with no limit = %d subscribers, want 100", len(list))
	}
	if n, _ := f.svc.Count(ctx, subscribers.Filter{}); n != 105 {
		t.Errorf("Count = %d, want 105", n)
	}
}

func TestGetAndGetMany(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	api := f.component(t, "API")
	a := f.active(t, notifier.Email, "a@example.com", api.ID)
	b := f.active(t, notifier.SMS, "+14155550123")

	if _, err := f.svc.Get(ctx, "nosuchsubscr"); !errors.Is(err, subscribers.ErrNotFound) {
		t.Errorf("Get of an unknown id: error = %v, want ErrNotFound", err)
	}
	got, err := f.svc.GetMany(ctx, []string{a.ID, "nosuchsubscr", b.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[a.ID].Address != "a@example.com" || got[b.ID].Address != "+14155550123" {
		t.Errorf("GetMany = %+v, want a and b only", got)
	}
	if !reflect.DeepEqual(got[a.ID].ComponentIDs, []string{api.ID}) || !reflect.DeepEqual(got[b.ID].ComponentIDs, []string{}) {
		t.Errorf("GetMany components = %v, %v; want [%s], []", got[a.ID].ComponentIDs, got[b.ID].ComponentIDs, api.ID)
	}
	if none, err := f.svc.GetMany(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("GetMany(nil) = %v, %v; want empty", none, err)
	}
}

// TestListQueryFoldsASCIIOnly: the search text is folded as the SQL's
// lower(address) folds, ASCII letters only on both engines, so that a
// letter outside ASCII finds itself: lowering "Über" to "über" in Go found
// nothing.
func TestListQueryFoldsASCIIOnly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, roomy)
	f.subscribe(t, subscribers.Signup{Mode: notifier.Webhook, Address: "http://127.0.0.1:9/Über"})
	for _, tc := range []struct {
		filter subscribers.Filter
		want   int
	}{
		{subscribers.Filter{Query: "Über"}, 1},
		{subscribers.Filter{Query: "ÜBER"}, 1},
		{subscribers.Filter{Query: "über"}, 0},
		{subscribers.Filter{Query: "Über", SortField: "relevance"}, 1},
	} {
		list, err := f.svc.List(ctx, tc.filter)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != tc.want {
			t.Errorf("List(%+v) found %d, want %d", tc.filter, len(list), tc.want)
		}
	}
}
