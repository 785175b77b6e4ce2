package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gofiber/fiber/v2"
)

// runRef is the reference server: the least a Fiber program can do to serve
// fixed bodies from memory. One route per body, default settings, no
// middleware; the gzip body to clients that accept gzip, the plain body to
// the others.
func runRef(args []string) error {
	fs := flag.NewFlagSet("ref", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	routesFile := fs.String("routes", "", "JSON file listing the routes: [{path, content_type, body, gzip}], body and gzip naming files")
	if err := fs.Parse(args); err != nil {
		return err
	}
	manifest, err := os.ReadFile(*routesFile)
	if err != nil {
		return err
	}
	var routes []refRoute
	if err := json.Unmarshal(manifest, &routes); err != nil {
		return fmt.Errorf("%s: %w", *routesFile, err)
	}

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	for _, rt := range routes {
		body, err := os.ReadFile(rt.Body)
		if err != nil {
			return err
		}
		gz, err := os.ReadFile(rt.Gzip)
		if err != nil {
			return err
		}
		contentType := rt.ContentType
		app.Get(rt.Path, func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderContentType, contentType)
			if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
				c.Set(fiber.HeaderContentEncoding, "gzip")
				return c.Send(gz)
			}
			return c.Send(body)
		})
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		_ = app.ShutdownWithTimeout(5 * time.Second)
	}()
	return app.Listen(*addr)
}

// refRoute is one route of the reference server.
type refRoute struct {
	Path        string `json:"path"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"` // file holding the plain body
	Gzip        string `json:"gzip"` // file holding the gzip body
}

// response is what a client sees of one answer.
type response struct {
	body            []byte
	contentType     string
	contentEncoding string
}

// responses are the two answers the load asks for.
type responses struct {
	plain, gzip response
}

// noGzipClient sends Accept-Encoding only when told and never decodes.
var noGzipClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableCompression: true}}

func fetch(ctx context.Context, url string, acceptGzip bool) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return response{}, err
	}
	if acceptGzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	resp, err := noGzipClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	if resp.StatusCode != http.StatusOK {
		return response{}, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return response{body: body, contentType: resp.Header.Get("Content-Type"), contentEncoding: resp.Header.Get("Content-Encoding")}, nil
}

// fetchBoth fetches url without and with Accept-Encoding: gzip and checks
// the two are the same document.
func fetchBoth(ctx context.Context, url string) (responses, error) {
	var r responses
	var err error
	if r.plain, err = fetch(ctx, url, false); err != nil {
		return r, err
	}
	if r.gzip, err = fetch(ctx, url, true); err != nil {
		return r, err
	}
	if r.plain.contentEncoding != "" {
		return r, fmt.Errorf("plain answer has Content-Encoding %q", r.plain.contentEncoding)
	}
	if r.gzip.contentEncoding != "gzip" {
		return r, fmt.Errorf("answer to Accept-Encoding: gzip has Content-Encoding %q", r.gzip.contentEncoding)
	}
	zr, err := gzip.NewReader(bytes.NewReader(r.gzip.body))
	if err != nil {
		return r, fmt.Errorf("gzip answer: %w", err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		return r, fmt.Errorf("gzip answer: %w", err)
	}
	if !bytes.Equal(unzipped, r.plain.body) {
		return r, errors.New("gzip answer does not decompress to the plain answer")
	}
	return r, nil
}

// sameResponses reports how got differs from want, if it does.
func sameResponses(want, got responses) error {
	for _, p := range []struct {
		name      string
		want, got response
	}{{"plain", want.plain, got.plain}, {"gzip", want.gzip, got.gzip}} {
		switch {
		case !bytes.Equal(p.want.body, p.got.body):
			return fmt.Errorf("%s body: %d bytes, want %d identical bytes", p.name, len(p.got.body), len(p.want.body))
		case p.want.contentType != p.got.contentType:
			return fmt.Errorf("%s Content-Type %q, want %q", p.name, p.got.contentType, p.want.contentType)
		case p.want.contentEncoding != p.got.contentEncoding:
			return fmt.Errorf("%s Content-Encoding %q, want %q", p.name, p.got.contentEncoding, p.want.contentEncoding)
		}
	}
	return nil
}
