package web

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

// apiKey reads the key from "Authorization: OAuth <key>" (the scheme
// matched case-insensitively), "Bearer <key>", or ?api_key=.
func apiKey(c *fiber.Ctx) string {
	if h := c.Get(fiber.HeaderAuthorization); h != "" {
		scheme, key, ok := strings.Cut(strings.TrimSpace(h), " ")
		if ok && (strings.EqualFold(scheme, "OAuth") || strings.EqualFold(scheme, "Bearer")) {
			return strings.TrimSpace(key)
		}
		return ""
	}
	return c.Query("api_key")
}

// RequireKey authenticates management API requests with keys, applies the
// per-key rate limit, and checks that the page in the path is pageID (the
// page id never changes once made).
func RequireKey(keys *apikeys.Store, limiter *KeyLimiter, pageID string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		key, err := keys.Verify(c.UserContext(), apiKey(c))
		if errors.Is(err, apikeys.ErrInvalid) {
			c.Set(fiber.HeaderWWWAuthenticate, `OAuth realm="beacon"`)
			return c.Status(fiber.StatusUnauthorized).JSON(ErrorBody{Message: "Could not authenticate: a valid API key is required."})
		}
		if err != nil {
			return err
		}
		if ok, wait := limiter.Allow(key.ID); !ok {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return c.Status(fiber.StatusTooManyRequests).JSON(ErrorBody{Message: "Rate limit exceeded: retry after the number of seconds in Retry-After."})
		}
		setActor(c, "API key "+key.Name)
		if id := c.Params("page_id"); id != "" && id != pageID {
			return c.Status(fiber.StatusNotFound).JSON(ErrorBody{Message: "Page not found."})
		}
		return c.Next()
	}
}

// KeyLimiter is a token bucket per API key.
type KeyLimiter struct {
	mu    sync.Mutex
	rate  rate.Limit
	burst int
	now   func() time.Time
	keys  map[string]*rate.Limiter
}

// NewKeyLimiter allows each key perSecond requests, and burst at once.
func NewKeyLimiter(perSecond float64, burst int, now func() time.Time) *KeyLimiter {
	return &KeyLimiter{rate: rate.Limit(perSecond), burst: burst, now: now, keys: map[string]*rate.Limiter{}}
}

// Allow takes a token for key, or reports how long until one is free.
func (l *KeyLimiter) Allow(key string) (bool, time.Duration) {
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
