package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// BEACON_DATABASE_URL takes PostgreSQL URLs only, and an error about one
// never shows its password.
func TestDatabaseURLSetting(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		ok          bool
	}{
		{"postgres", "postgres://beacon:s3cret@db.example.com:5432/beacon?sslmode=require", true},
		{"postgresql", "postgresql://beacon@/beacon?host=/run/postgresql", true},
		{"mysql", "mysql://beacon:s3cret@db.example.com/beacon", false},
		{"key-value", "host=db.example.com user=beacon password=s3cret", false},
		{"opaque", "postgres:s3cret", false},
		{"bad escape", "postgres://beacon:s3cret%zz@db.example.com/beacon", false},
		{"file", "/var/lib/beacon/beacon.db", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"BEACON_DATABASE_URL": tc.value}
			cfg, _, err := loadConfig("test", nil, func(k string) string { return env[k] }, &bytes.Buffer{}, nil)
			if tc.ok {
				if err != nil || cfg.DatabaseURL != tc.value {
					t.Fatalf("loadConfig: %v, DatabaseURL %q; want %q", err, cfg.DatabaseURL, tc.value)
				}
				if got := cfg.database(); strings.Contains(got, "s3cret") {
					t.Errorf("the database is named %q, password included", got)
				}
				return
			}
			if err == nil {
				t.Fatalf("loadConfig accepted %q", tc.value)
			}
			if msg := err.Error(); !strings.Contains(msg, "BEACON_DATABASE_URL") || !strings.Contains(msg, "postgres://") || strings.Contains(msg, "s3cret") {
				t.Errorf("error %q: want the setting named, the form it takes, and no password", msg)
			}
		})
	}

	// The flag wins over the environment, as for the other settings.
	cfg, _, err := loadConfig("test", []string{"--database-url", "postgres://flag@/beacon"},
		func(k string) string {
			if k == "BEACON_DATABASE_URL" {
				return "postgres://env@/beacon"
			}
			return ""
		}, &bytes.Buffer{}, nil)
	if err != nil || cfg.DatabaseURL != "postgres://flag@/beacon" {
		t.Errorf("--database-url: %v, DatabaseURL %q", err, cfg.DatabaseURL)
	}
}

// redactURL hides a password wherever the URL carries one.
func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://beacon:s3cret@db:5432/beacon":            "postgres://beacon:xxxxx@db:5432/beacon",
		"postgres://beacon@db/beacon?password=s3cret&x=1":    "postgres://beacon@db/beacon?password=xxxxx&x=1",
		"postgres://beacon@/beacon?host=%2Frun%2Fpostgresql": "postgres://beacon@/beacon?host=%2Frun%2Fpostgresql",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// beacon backup on PostgreSQL refuses and says what to use instead.
func TestBackupOnPostgresPointsToPgDump(t *testing.T) {
	var stdout, stderr bytes.Buffer
	env := map[string]string{"BEACON_DATABASE_URL": "postgres://beacon:s3cret@127.0.0.1:1/beacon", "BEACON_DATA_DIR": t.TempDir()}
	err := run(context.Background(), []string{"backup", "--to", t.TempDir() + "/copy.db"}, func(k string) string { return env[k] }, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Fatalf("beacon backup on PostgreSQL: %v, want an error naming pg_dump", err)
	}
}

// /readyz answers 503 once the database does not answer.
func TestReadyzChecksTheDatabase(t *testing.T) {
	env := newTestEnv(t)
	if res := env.do("GET", "/readyz", nil); res.Status != 200 {
		t.Fatalf("GET /readyz: %d, want 200", res.Status)
	}
	if err := env.app.db.Close(); err != nil {
		t.Fatal(err)
	}
	if res := env.do("GET", "/readyz", nil); res.Status != 503 {
		t.Errorf("GET /readyz with the database closed: %d, want 503", res.Status)
	}
}
