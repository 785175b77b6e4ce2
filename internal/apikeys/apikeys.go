// Package apikeys creates, verifies and revokes the keys that authenticate
// management API clients. Keys carry 160 random bits, so a plain SHA-256
// hash is enough to store them safely; a slow password hash would only slow
// every API call.
package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/beacon-status/beacon/internal/chars"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns this package's schema changes.
func Migrations() store.Migrations {
	return store.Migrations{Package: "apikeys", FS: store.Sub(migrations, "migrations")}
}

// Errors returned by this package.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid API key")
	// ErrBadName refuses a key without a usable name.
	ErrBadName = errors.New("a key needs a name of 1 to 100 characters, with no control characters")
)

// Key describes a stored key; the secret itself is never kept.
type Key struct {
	ID         string
	Name       string
	Prefix     string // the first characters, to tell keys apart in lists
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// Store keeps API keys.
type Store struct {
	db  *store.DB
	now func() time.Time
}

// NewStore returns a store on db.
func NewStore(db *store.DB, now func() time.Time) *Store { return &Store{db: db, now: now} }

const keyPrefix = "bk_"

func hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Create makes a key named name and returns it with its secret, which is
// shown this once.
func (s *Store) Create(ctx context.Context, name string) (Key, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 100 || chars.CheckLine(name) != nil {
		return Key{}, "", ErrBadName
	}
	var raw [20]byte
	rand.Read(raw[:])
	secret := keyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:]))
	k := Key{ID: ids.New(), Name: name, Prefix: secret[:len(keyPrefix)+6], CreatedAt: s.now()}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, name, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
			k.ID, k.Name, k.Prefix, hash(secret), store.FormatTime(k.CreatedAt))
		return err
	})
	if err != nil {
		return Key{}, "", fmt.Errorf("apikeys: create: %w", err)
	}
	return k, secret, nil
}

// List returns every key, newest first.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_keys ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("apikeys: list: %w", err)
	}
	defer rows.Close()
	keys := []Key{}
	for rows.Next() {
		var k Key
		if err := rows.Scan(&k.ID, &k.Name, &k.Prefix, store.Time(&k.CreatedAt), store.OptTime(&k.LastUsedAt), store.OptTime(&k.RevokedAt)); err != nil {
			return nil, fmt.Errorf("apikeys: list: %w", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("apikeys: list: %w", err)
	}
	return keys, nil
}

// Revoke disables the key with id (or the key whose prefix is id).
func (s *Store) Revoke(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR prefix = ?) AND revoked_at IS NULL`,
			store.FormatTime(s.now()), id, id)
		if err != nil {
			return fmt.Errorf("apikeys: revoke %s: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("apikeys: revoke %s: %w", id, ErrNotFound)
		}
		return nil
	})
}

// Verify returns the live key whose secret is given, or ErrInvalid.
func (s *Store) Verify(ctx context.Context, secret string) (Key, error) {
	if !strings.HasPrefix(secret, keyPrefix) || len(secret) > 100 {
		return Key{}, ErrInvalid
	}
	var k Key
	err := s.db.Read.QueryRowContext(ctx, `SELECT id, name, prefix, created_at FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash(secret)).
		Scan(&k.ID, &k.Name, &k.Prefix, store.Time(&k.CreatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return Key{}, ErrInvalid
	}
	if err != nil {
		return Key{}, fmt.Errorf("apikeys: verify: %w", err)
	}
	return k, nil
}
