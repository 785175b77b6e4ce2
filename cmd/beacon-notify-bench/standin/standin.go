//go:build linux

// Package standin is beacon-notify-bench's Twilio stand-in: the Messages
// resource as Twilio answers it, with a token bucket of its own that
// answers 429 past its rate, recording when each message arrived.
package standin

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Standin is a Twilio stand-in: it answers the Messages resource as Twilio
// does, records when each message arrived, and answers 429 with Twilio's
// error 20429 to requests that come faster than its own token bucket
// allows.
type Standin struct {
	// Hit closes when as many messages as Expect named were accepted.
	Hit chan struct{}

	sid, token string
	limiter    *rate.Limiter
	srv        *http.Server
	addr       string

	mu       sync.Mutex
	arrivals []time.Time
	to       map[string]int
	rejected int // 429s
	bad      int // requests that were not a valid message creation
	badWhy   string
	target   int
}

// Start listens on a free loopback port for the account sid with auth
// token, answering 429 past limit messages a second (burst at once).
func Start(sid, token string, limit float64, burst int) (*Standin, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Standin{sid: sid, token: token, limiter: rate.NewLimiter(rate.Limit(limit), burst), addr: l.Addr().String(),
		to: map[string]int{}, Hit: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /2010-04-01/Accounts/{sid}/Messages.json", s.create)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

// URL is the stand-in's base address, for BEACON_TWILIO_API_URL.
func (s *Standin) URL() string { return "http://" + s.addr }

// Close stops the stand-in.
func (s *Standin) Close() { _ = s.srv.Close() }

// Expect sets the number of accepted messages that closes Hit.
func (s *Standin) Expect(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.target = n
}

func (s *Standin) fail(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"code": code, "message": msg, "more_info": fmt.Sprintf("https://www.twilio.com/docs/errors/%d", code), "status": status,
	})
}

func (s *Standin) create(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	if !s.limiter.AllowN(now, 1) {
		s.mu.Lock()
		s.rejected++
		s.mu.Unlock()
		s.fail(w, http.StatusTooManyRequests, 20429, "Too Many Requests")
		return
	}
	user, pass, ok := r.BasicAuth()
	sid := r.PathValue("sid")
	err := r.ParseForm()
	to, from, body := r.PostForm.Get("To"), r.PostForm.Get("From"), r.PostForm.Get("Body")
	if from == "" {
		from = r.PostForm.Get("MessagingServiceSid")
	}
	var why string
	switch {
	case !ok || user != s.sid || pass != s.token:
		why = "bad credentials"
	case sid != s.sid:
		why = "wrong account " + sid
	case err != nil:
		why = "bad form: " + err.Error()
	case !strings.HasPrefix(to, "+") || from == "" || body == "":
		why = fmt.Sprintf("missing To, From or Body (%q, %q, %d bytes)", to, from, len(body))
	}
	if why != "" {
		s.mu.Lock()
		s.bad++
		s.badWhy = why
		s.mu.Unlock()
		s.fail(w, http.StatusBadRequest, 21604, why)
		return
	}
	s.mu.Lock()
	s.arrivals = append(s.arrivals, now)
	s.to[to]++
	if s.target > 0 && len(s.arrivals) == s.target {
		close(s.Hit)
	}
	s.mu.Unlock()

	var id [16]byte
	_, _ = rand.Read(id[:])
	stamp := now.UTC().Format(time.RFC1123Z)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"sid": "SM" + hex.EncodeToString(id[:]), "account_sid": s.sid, "to": to, "from": from, "body": body,
		"status": "queued", "num_segments": "1", "direction": "outbound-api", "api_version": "2010-04-01",
		"date_created": stamp, "date_updated": stamp, "price": nil, "error_code": nil, "error_message": nil,
		"uri": "/2010-04-01/Accounts/" + s.sid + "/Messages/SM" + hex.EncodeToString(id[:]) + ".json",
	})
}

// Result summarises the arrivals.
type Result struct {
	Messages   int
	Distinct   int // distinct recipients
	Rejected   int // 429s answered
	Bad        int
	BadWhy     string
	Overall    float64 // (n-1) / (last - first)
	Steady     float64 // over the middle 80% of arrivals
	MaxWindow  float64 // most arrivals in any one-second window
	FirstAfter time.Duration
	Span       time.Duration
}

// Result summarises the arrivals since posted, when the message was asked for.
func (s *Standin) Result(posted time.Time) Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := slices.Clone(s.arrivals)
	slices.SortFunc(a, func(x, y time.Time) int { return x.Compare(y) })
	r := Result{Messages: len(a), Distinct: len(s.to), Rejected: s.rejected, Bad: s.bad, BadWhy: s.badWhy}
	if len(a) < 2 {
		return r
	}
	r.FirstAfter = a[0].Sub(posted)
	r.Span = a[len(a)-1].Sub(a[0])
	r.Overall = float64(len(a)-1) / r.Span.Seconds()
	i, j := len(a)/10, len(a)-1-len(a)/10
	if j > i {
		r.Steady = float64(j-i) / a[j].Sub(a[i]).Seconds()
	}
	for lo, hi := 0, 0; lo < len(a); lo++ {
		for hi < len(a) && a[hi].Sub(a[lo]) < time.Second {
			hi++
		}
		r.MaxWindow = max(r.MaxWindow, float64(hi-lo))
	}
	return r
}
