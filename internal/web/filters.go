package web

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/beacon-status/beacon/notifier"
	"github.com/beacon-status/beacon/subscribers"
)

// SubscriberFilter reads a subscriber list or count query, as the
// management API and the console send it: type, state (default
// defaultState; "all" for every state), q, sort_field (Statuspage's
// primary, created_at, quarantined_at and relevance, and Beacon's address)
// and sort_direction (asc or desc, any case).
func SubscriberFilter(c *fiber.Ctx, defaultState subscribers.State) (subscribers.Filter, error) {
	q, err := SearchText(c)
	if err != nil {
		return subscribers.Filter{}, err
	}
	f := subscribers.Filter{Mode: notifier.Channel(c.Query("type")), State: subscribers.State(c.Query("state", string(defaultState))), Query: q,
		SortField: c.Query("sort_field")}
	// Statuspage's integration_partner is accepted and matches nobody:
	// Beacon has none.
	if f.Mode != "" && !subscribers.ValidType(string(f.Mode)) {
		return f, Unprocessable("type", "must be one of %s", strings.Join(subscribers.Types, ", "))
	}
	if f.State == "all" {
		f.State = ""
	}
	if f.State != "" && !f.State.Valid() {
		return f, Unprocessable("state", "must be active, unconfirmed, quarantined, unsubscribed or all")
	}
	switch dir := c.Query("sort_direction"); {
	case dir == "" || strings.EqualFold(dir, "asc"):
	case strings.EqualFold(dir, "desc"):
		f.Descending = true
	default:
		return f, Unprocessable("sort_direction", "must be asc or desc")
	}
	switch f.SortField {
	case "primary":
		f.SortField = "address"
	case "", "created_at", "address", "quarantined_at":
	case "relevance":
		if strings.TrimSpace(f.Query) == "" {
			return f, Unprocessable("sort_field", "relevance needs a search text (q)")
		}
	default:
		return f, Unprocessable("sort_field", "must be primary, created_at, quarantined_at, relevance or address")
	}
	return f, nil
}

// SearchText reads the search text q: at most 200 bytes, and Storable, so
// that both engines answer alike (a 422 on q).
func SearchText(c *fiber.Ctx) (string, error) {
	q := c.Query("q")
	switch {
	case len(q) > 200:
		return "", Unprocessable("q", "is too long (maximum is 200 characters)")
	case !Storable(q):
		return "", Unprocessable("q", "must be UTF-8 text without NUL characters")
	}
	return q, nil
}

// Storable reports whether s can be a query's argument on both engines:
// UTF-8 without NUL. PostgreSQL refuses anything else (an error, not "no
// rows"); SQLite takes it, but no stored text holds it.
func Storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
