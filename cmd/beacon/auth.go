package main

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"

	"github.com/beacon-status/beacon/internal/apikeys"
)

// apiKeyFrom reads the key from "Authorization: OAuth <key>" (the scheme
// matched case-insensitively), "Bearer <key>", or ?api_key=.
func apiKeyFrom(c *fiber.Ctx) string {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, key, ok := strings.Cut(strings.TrimSpace(h), " ")
		if ok && (strings.EqualFold(scheme, "OAuth") || strings.EqualFold(scheme, "Bearer")) {
			return strings.TrimSpace(key)
		}
		return ""
	}
	return c.Query("api_key")
}

// requireKey authenticates management API requests, applies the per-key
// rate limit, and checks that the page in the path is this page.
func (a *app) requireKey(c *fiber.Ctx) error {
	key, err := a.keys.Verify(c.UserContext(), apiKeyFrom(c))
	if errors.Is(err, apikeys.ErrInvalid) {
		c.Set(fiber.HeaderWWWAuthenticate, `OAuth realm="beacon"`)
		return c.Status(fiber.StatusUnauthorized).JSON(errorJSON{Message: "Could not authenticate: a valid API key is required."})
	}
	if err != nil {
		return err
	}
	if ok, wait := a.limiter.allow(key.ID); !ok {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return c.Status(fiber.StatusTooManyRequests).JSON(errorJSON{Message: "Rate limit exceeded: retry after the number of seconds in Retry-After."})
	}
	c.Locals("actor", "API key "+key.Name)
	// The page id never changes once made.
	if id := c.Params("page_id"); id != "" && id != a.pageID {
		return c.Status(fiber.StatusNotFound).JSON(errorJSON{Message: "Page not found."})
	}
	return c.Next()
}

// keyLimiter is a token bucket per API key.
type keyLimiter struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	now   func() time.Time
	keys  map[string]*rate.Limiter
}

func newKeyLimiter(perSecond float64, burst int, now func() time.Time) *keyLimiter {
	return &keyLimiter{rate: rate.Limit(perSecond), burst: burst, now: now, keys: map[string]*rate.Limiter{}}
}

// allow takes a token for key, or reports how long until one is free.
func (l *keyLimiter) allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	lim, ok := l.keys[key]
	if !ok {
		lim = rate.NewLimiter(l.rate, l.burst)
		l.keys[key] = lim
	}
	l.mu.Unlock()
	now := l.now()
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}
