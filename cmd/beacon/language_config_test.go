package main

import (
	"context"
	"io"
	"strings"
	"testing"
)

// BEACON_LANGUAGE takes a language Beacon has, in any case, and sets the
// page's language on first start only.
func TestConfigLanguage(t *testing.T) {
	load := func(v string) (Config, error) {
		cfg, _, err := loadConfig("test", nil, func(k string) string {
			if k == "BEACON_LANGUAGE" {
				return v
			}
			return ""
		}, io.Discard, nil)
		return cfg, err
	}
	for v, want := range map[string]string{"": "en", "de": "de", "pt-br": "pt-BR", "AR": "ar"} {
		if cfg, err := load(v); err != nil || cfg.Language != want {
			t.Errorf("%q: %q, %v; want %q", v, cfg.Language, err, want)
		}
	}
	for _, v := range []string{"xx", "pt", "german"} {
		if _, err := load(v); err == nil || !strings.Contains(err.Error(), "BEACON_LANGUAGE") || !strings.Contains(err.Error(), "pt-BR") {
			t.Errorf("%q: err = %v, want one naming BEACON_LANGUAGE and the languages", v, err)
		}
	}

	e := newTestEnv(t, func(c *Config) { c.Language = "ja" })
	page, err := e.app.components.Page(context.Background())
	if err != nil || page.Language != "ja" {
		t.Fatalf("page language after first start: %q, %v; want ja", page.Language, err)
	}
	cfg := e.app.cfg
	e.app.Close()
	cfg.Language = "fr"
	again := openTestEnv(t, cfg, e.clock)
	if page, err := again.app.components.Page(context.Background()); err != nil || page.Language != "ja" {
		t.Errorf("page language after a restart with another BEACON_LANGUAGE: %q, %v; want ja kept", page.Language, err)
	}
}
