package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/statuspage"
)

// TestSubscribeDefaultLimitPerIP signs up through the public form of an app
// with the default configuration: the 21st sign-up from one address within
// an hour is refused with 429 and a Retry-After, and leaves no subscriber.
func TestSubscribeDefaultLimitPerIP(t *testing.T) {
	n := ntNew(t)
	address := func(i int) string { return fmt.Sprintf("reader%d@example.com", i) }
	for i := range 20 {
		n.clock.Advance(time.Minute)
		res := n.form("/subscribe", url.Values{"email": {address(i)}})
		if res.Status != http.StatusAccepted {
			t.Fatalf("sign-up %d of 20: status %d, want 202: %s", i+1, res.Status, res.Body)
		}
	}
	res := n.form("/subscribe", url.Values{"email": {address(20)}})
	if res.Status != http.StatusTooManyRequests {
		t.Fatalf("21st sign-up within the hour: status %d, want 429", res.Status)
	}
	// The first sign-up leaves the window 60 minutes after it was made.
	if got, want := res.Header.Get("Retry-After"), strconv.Itoa(int((41 * time.Minute).Seconds())); got != want {
		t.Errorf("Retry-After = %q, want %q seconds", got, want)
	}
	var found []statuspage.Subscriber
	n.mustAPI(http.StatusOK, "GET", "/subscribers?q="+url.QueryEscape(address(20)), nil).JSON(t, &found)
	if len(found) != 0 {
		t.Errorf("the refused sign-up left subscribers %+v", found)
	}
	var all []statuspage.Subscriber
	n.mustAPI(http.StatusOK, "GET", "/subscribers?state=unconfirmed&per_page=100", nil).JSON(t, &all)
	if len(all) != 20 {
		t.Errorf("%d unconfirmed subscribers, want the 20 sign-ups allowed", len(all))
	}
}
