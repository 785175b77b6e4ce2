package main

import (
	"bytes"
	"compress/gzip"
	"context"
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
// the summary from memory. One route, default settings, no middleware; the
// gzip body to clients that accept gzip, the plain body to the others.
func runRef(args []string) error {
	fs := flag.NewFlagSet("ref", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	path := fs.String("path", summaryPath, "the one route")
	bodyFile := fs.String("body", "", "file holding the plain body")
	gzFile := fs.String("gzip", "", "file holding the gzip body")
	contentType := fs.String("content-type", fiber.MIMEApplicationJSONCharsetUTF8, "Content-Type of both bodies")
	if err := fs.Parse(args); err != nil {
		return err
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	gz, err := os.ReadFile(*gzFile)
	if err != nil {
		return err
	}

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Get(*path, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, *contentType)
		if strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip") {
			c.Set(fiber.HeaderContentEncoding, "gzip")
			return c.Send(gz)
		}
		return c.Send(body)
	})

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		_ = app.ShutdownWithTimeout(5 * time.Second)
	}()
	return app.Listen(*addr)
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
