package apikeys_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beacon-status/beacon/internal/apikeys"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/internal/testutil"
)

// newStore returns a store on a fresh, migrated database file.
func newStore(t *testing.T) (*apikeys.Store, *store.DB, *testutil.Clock) {
	t.Helper()
	db := testutil.OpenDB(t, apikeys.Migrations())
	c := testutil.NewClock(time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC))
	return apikeys.NewStore(db, c.Now), db, c
}

func TestCreateAndVerify(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newStore(t)
	k, secret, err := s.Create(ctx, "  deploy bot  ")
	if err != nil {
		t.Fatal(err)
	}
	if k.Name != "deploy bot" {
		t.Errorf("Name = %q, want the name trimmed to %q", k.Name, "deploy bot")
	}
	if !strings.HasPrefix(secret, "bk_") || len(secret) < 3+32 {
		t.Errorf("secret %q: want bk_ and at least 32 characters of randomness", secret)
	}
	if !strings.HasPrefix(secret, k.Prefix) || len(k.Prefix) >= len(secret) {
		t.Errorf("Prefix %q is not a proper prefix of the secret %q", k.Prefix, secret)
	}
	if k.ID == "" || k.CreatedAt.IsZero() || k.RevokedAt != nil {
		t.Errorf("key = %+v, want an id, a creation time and not revoked", k)
	}

	got, err := s.Verify(ctx, secret)
	if err != nil {
		t.Fatalf("Verify(the secret): %v", err)
	}
	if got.ID != k.ID || got.Name != k.Name || got.Prefix != k.Prefix {
		t.Errorf("Verify = %+v, want %+v", got, k)
	}

	_, other, err := s.Create(ctx, "second")
	if err != nil {
		t.Fatal(err)
	}
	if other == secret {
		t.Fatal("two keys got the same secret")
	}

	long := "bk_" + strings.Repeat("a", 98)
	for _, tt := range []struct{ name, secret string }{
		{"empty", ""},
		{"without the prefix", strings.TrimPrefix(secret, "bk_")},
		{"one character changed", secret[:len(secret)-1] + flip(secret[len(secret)-1])},
		{"the prefix alone", k.Prefix},
		{"a hash of the secret", hashOf(secret)},
		{"longer than 100 characters", long},
		{"with a trailing space", secret + " "},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Verify(ctx, tt.secret); !errors.Is(err, apikeys.ErrInvalid) {
				t.Errorf("Verify(%q) error = %v, want ErrInvalid", tt.secret, err)
			}
		})
	}
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestSecretNotStored reads the row back: only the SHA-256 of the secret
// is kept, and no column holds the secret itself.
func TestSecretNotStored(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newStore(t)
	k, secret, err := s.Create(ctx, "ci")
	if err != nil {
		t.Fatal(err)
	}
	var id, name, prefix, hash, created string
	err = db.Read.QueryRowContext(ctx, `SELECT id, name, prefix, hash, created_at FROM api_keys WHERE id = ?`, k.ID).
		Scan(&id, &name, &prefix, &hash, &created)
	if err != nil {
		t.Fatal(err)
	}
	if want := hashOf(secret); hash != want {
		t.Errorf("stored hash = %q, want SHA-256 of the secret %q", hash, want)
	}
	for col, v := range map[string]string{"id": id, "name": name, "prefix": prefix, "hash": hash, "created_at": created} {
		if strings.Contains(v, secret) || strings.Contains(v, strings.TrimPrefix(secret, "bk_")) {
			t.Errorf("column %s = %q holds the secret", col, v)
		}
	}
	// Nowhere in the database, not only that row.
	if testutil.Engine() == store.Postgres {
		checkRowsOnPostgres(t, db, strings.TrimPrefix(secret, "bk_"), hash)
		return
	}
	// On SQLite: nowhere in a consistent copy of the whole file.
	copyPath := filepath.Join(t.TempDir(), "copy.db")
	if err := db.Backup(ctx, copyPath); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(strings.TrimPrefix(secret, "bk_"))) {
		t.Error("the database file holds the secret")
	}
	if !bytes.Contains(raw, []byte(hash)) {
		t.Error("the database file lacks the stored hash: the copy checked is not the live data")
	}
}

// checkRowsOnPostgres looks for secret in every row of every table of the
// PostgreSQL database, as text, and for hash to be found so (the rows
// checked are the live data).
func checkRowsOnPostgres(t *testing.T, db *store.DB, secret, hash string) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Read.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, table := range tables {
		for _, s := range []string{secret, hash} {
			var n int
			err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+table+`" t WHERE strpos(CAST(row_to_json(t) AS text), ?) > 0`, s).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			found[s] += n
		}
	}
	if found[secret] > 0 {
		t.Errorf("%d rows hold the secret", found[secret])
	}
	if found[hash] != 1 {
		t.Errorf("%d rows hold the stored hash, want 1: the rows checked are not the live data", found[hash])
	}
}

func TestBadNames(t *testing.T) {
	ctx := context.Background()
	s, db, _ := newStore(t)
	for _, tt := range []struct {
		name, in string
		ok       bool
	}{
		{"empty", "", false},
		{"blank", " \t\n ", false},
		{"101 characters", strings.Repeat("x", 101), false},
		{"101 runes", strings.Repeat("é", 101), false},
		{"100 runes of two bytes", strings.Repeat("é", 100), true},
		{"one character", "x", true},
		{"control character", "ci\x1b[31m", false},
		{"bidi override", "ci\u202ekey", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := s.Create(ctx, tt.in)
			if tt.ok && err != nil {
				t.Errorf("Create(%q) = %v, want success", tt.in, err)
			}
			if !tt.ok && !errors.Is(err, apikeys.ErrBadName) {
				t.Errorf("Create(%q) error = %v, want ErrBadName", tt.in, err)
			}
		})
	}
	var n int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM api_keys`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("%d keys stored, want only the 2 with good names", n)
	}
}

func TestRevokeAndList(t *testing.T) {
	ctx := context.Background()
	s, _, c := newStore(t)
	if keys, err := s.List(ctx); err != nil || keys == nil || len(keys) != 0 {
		t.Fatalf("List on an empty store = %v, %v; want an empty, non-nil list", keys, err)
	}
	type made struct {
		key    apikeys.Key
		secret string
	}
	var all []made
	for _, name := range []string{"first", "second", "third"} {
		k, secret, err := s.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, made{k, secret})
		c.Advance(time.Minute)
	}

	// By id, then by prefix, as the CLI and console allow.
	if err := s.Revoke(ctx, all[0].key.ID); err != nil {
		t.Fatalf("revoke by id: %v", err)
	}
	if err := s.Revoke(ctx, all[1].key.Prefix); err != nil {
		t.Fatalf("revoke by prefix: %v", err)
	}
	for _, tt := range []struct {
		name string
		id   string
		want error
	}{
		{"already revoked", all[0].key.ID, apikeys.ErrNotFound},
		{"unknown id", "nope", apikeys.ErrNotFound},
		{"the secret", all[2].secret, apikeys.ErrNotFound},
		{"empty", "", apikeys.ErrNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Revoke(ctx, tt.id); !errors.Is(err, tt.want) {
				t.Errorf("Revoke(%q) error = %v, want %v", tt.id, err, tt.want)
			}
		})
	}

	for i, m := range all {
		_, err := s.Verify(ctx, m.secret)
		if revoked := i < 2; revoked && !errors.Is(err, apikeys.ErrInvalid) {
			t.Errorf("Verify(revoked key %s) error = %v, want ErrInvalid", m.key.Name, err)
		} else if !revoked && err != nil {
			t.Errorf("Verify(live key %s) error = %v, want success", m.key.Name, err)
		}
	}

	keys, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	if got, want := strings.Join(names, ","), "third,second,first"; got != want {
		t.Fatalf("List names = %s, want %s (newest first, revoked ones kept)", got, want)
	}
	for _, k := range keys {
		revoked := k.Name != "third"
		if got := k.RevokedAt != nil; got != revoked {
			t.Errorf("%s: revoked = %v, want %v", k.Name, got, revoked)
		}
		if revoked && !k.RevokedAt.Equal(c.Now()) {
			t.Errorf("%s: RevokedAt = %v, want the clock's %v", k.Name, k.RevokedAt, c.Now())
		}
	}
}
