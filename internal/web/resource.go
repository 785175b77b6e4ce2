package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// Resource is one rendered body, built once and sent to many, with its gzip form and entity tag.
type Resource struct {
	body      []byte
	etag      string
	etagBytes []byte
	// The gzip form is made by the first request that accepts it: most
	// bodies are never asked for between two changes, and a change should
	// not pay for compressing them.
	gzOnce sync.Once
	gzBody []byte
}

// Gzip returns the gzip form of the body.
func (r *Resource) Gzip() []byte {
	r.gzOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(r.body)
		zw.Close()
		r.gzBody = buf.Bytes()
	})
	return r.gzBody
}

// NewResource makes a resource of body, tagged by its hash.
func NewResource(body []byte) *Resource {
	sum := sha256.Sum256(body)
	etag := `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
	return &Resource{body: body, etag: etag, etagBytes: []byte(etag)}
}

// Header names in fasthttp's canonical form, and fixed values, as bytes:
// SetCanonical skips the normalising copy c.Set makes on every call, which
// shows on the hot path of a page under a traffic spike.
var (
	hdrETag         = []byte("Etag")
	hdrCacheControl = []byte("Cache-Control")
	hdrVary         = []byte("Vary")
	hdrACAO         = []byte("Access-Control-Allow-Origin")
	valAcceptEnc    = []byte("Accept-Encoding")
	valStar         = []byte("*")
	valGzip         = []byte("gzip")
)

// Send writes r with its validators, answering 304 to a matching
// If-None-Match and sending the gzip form to clients that accept it.
func (r *Resource) Send(c *fiber.Ctx, contentType string, cacheControl []byte) error {
	h := &c.Response().Header
	h.SetContentType(contentType)
	h.SetCanonical(hdrETag, r.etagBytes)
	h.SetCanonical(hdrCacheControl, cacheControl)
	h.SetCanonical(hdrVary, valAcceptEnc)
	// Peek, not c.Get: with Immutable, c.Get copies every value.
	req := &c.Request().Header
	if inm := req.Peek(fiber.HeaderIfNoneMatch); len(inm) > 0 && etagMatches(string(inm), r.etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	if bytes.Contains(req.Peek(fiber.HeaderAcceptEncoding), valGzip) {
		h.SetContentEncodingBytes(valGzip)
		return c.Send(r.Gzip())
	}
	return c.Send(r.body)
}

func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// Body is the rendered body.
func (r *Resource) Body() []byte { return r.body }

// ETag is the body's entity tag, quoted.
func (r *Resource) ETag() string { return r.etag }

// AllowAnyOrigin lets any site's script read the response. It is set
// whether or not the request carried an Origin, so that shared caches
// serve the same answer to widgets and to everything else.
func AllowAnyOrigin(c *fiber.Ctx) { c.Response().Header.SetCanonical(hdrACAO, valStar) }

// Resources keeps rendered resources by key, at most Max of them: past
// that, what is asked for is rendered for each request and not kept, so
// that callers who choose the keys cannot make the memory grow. The zero
// value with Max set is ready to use.
type Resources struct {
	Max int
	mu  sync.Mutex
	m   map[string]*Resource
}

// Get returns the resource kept under key, rendering it with render the
// first time.
//
// render runs outside the lock, so that a slow rendering (or a caller
// asking for key after key past Max) never holds up the others; two
// requests for one new key may both render it, and the first kept wins.
func (rs *Resources) Get(key string, render func() *Resource) *Resource {
	rs.mu.Lock()
	r, ok := rs.m[key]
	rs.mu.Unlock()
	if ok {
		return r
	}
	r = render()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if kept, ok := rs.m[key]; ok {
		return kept
	}
	if rs.m == nil {
		rs.m = map[string]*Resource{}
	}
	if len(rs.m) < rs.Max {
		rs.m[key] = r
	}
	return r
}

// Len is how many resources are kept.
func (rs *Resources) Len() int {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return len(rs.m)
}
