package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDialAddr(t *testing.T) {
	for _, tc := range []struct{ listen, want string }{
		{"", "127.0.0.1:8080"},
		{":8080", "127.0.0.1:8080"},
		{"0.0.0.0:9000", "127.0.0.1:9000"},
		{"[::]:9000", "[::1]:9000"},
		{"127.0.0.2:80", "127.0.0.2:80"},
		{"[::1]:8080", "[::1]:8080"},
	} {
		got, err := dialAddr(tc.listen)
		if err != nil || got != tc.want {
			t.Errorf("dialAddr(%q) = %q, %v; want %q", tc.listen, got, err, tc.want)
		}
	}
	if _, err := dialAddr("8080"); err == nil {
		t.Error("dialAddr(\"8080\"): no error, want one (no port separator)")
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  int
		wantErr string
	}{
		{"ready", http.StatusOK, ""},
		{"not ready", http.StatusServiceUnavailable, "503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var path string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				path = r.URL.Path
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			err := check(strings.TrimPrefix(srv.URL, "http://"), 5*time.Second)
			if path != "/readyz" {
				t.Errorf("asked for %q, want /readyz", path)
			}
			if tc.wantErr == "" && err != nil {
				t.Errorf("check: %v, want nil", err)
			}
			if tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("check: %v, want an error mentioning %q", err, tc.wantErr)
			}
		})
	}
	t.Run("nothing listening", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		if err := check(addr, 2*time.Second); err == nil {
			t.Errorf("check(%s) with nothing listening: nil, want an error", addr)
		}
	})
}
