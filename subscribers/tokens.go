package subscribers

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Purpose says what a signed link may do.
type Purpose string

// The purposes of links sent to subscribers.
const (
	PurposeConfirm     Purpose = "confirm"     // confirm an email address
	PurposeManage      Purpose = "manage"      // change component preferences
	PurposeUnsubscribe Purpose = "unsubscribe" // leave with one click
	PurposeVerifySMS   Purpose = "sms"         // enter the code sent by SMS
	PurposeFollow      Purpose = "follow"      // confirm following one incident
)

// How long each kind of link works. Unsubscribe links never expire: RFC
// 8058 one-click unsubscribe must work from any old message.
var tokenTTL = map[Purpose]time.Duration{
	PurposeConfirm:   90 * 24 * time.Hour, // as Statuspage
	PurposeFollow:    90 * 24 * time.Hour,
	PurposeManage:    30 * 24 * time.Hour,
	PurposeVerifySMS: time.Hour,
}

// ErrBadToken is returned for a link that is malformed, forged or expired.
var ErrBadToken = errors.New("this link is invalid or has expired")

// tokens signs and checks links: "<purpose>.<subscriber>.<expiry>.<mac>",
// where mac is a truncated HMAC-SHA256 under a key made on first start.
type tokens struct {
	key  []byte
	macs sync.Pool // of HMAC states keyed with key: a fan-out signs two links a message
}

func loadTokens(ctx context.Context, db *sql.DB) (*tokens, error) {
	fresh := make([]byte, 32)
	rand.Read(fresh)
	if _, err := db.ExecContext(ctx, `INSERT INTO signing_keys (name, key) VALUES ('links', ?) ON CONFLICT (name) DO NOTHING`, fresh); err != nil {
		return nil, fmt.Errorf("subscribers: signing key: %w", err)
	}
	var key []byte
	if err := db.QueryRowContext(ctx, `SELECT key FROM signing_keys WHERE name = 'links'`).Scan(&key); err != nil {
		return nil, fmt.Errorf("subscribers: signing key: %w", err)
	}
	return &tokens{key: key}, nil
}

func (t *tokens) mac(msg string) string {
	m, ok := t.macs.Get().(hash.Hash)
	if ok {
		m.Reset()
	} else {
		m = hmac.New(sha256.New, t.key)
	}
	defer t.macs.Put(m)
	_, _ = io.WriteString(m, msg)
	var sum [sha256.Size]byte
	return base64.RawURLEncoding.EncodeToString(m.Sum(sum[:0])[:18])
}

// sign returns a link token for subscriber id.
func (t *tokens) sign(p Purpose, id string, now time.Time) string {
	exp := "0"
	if ttl, ok := tokenTTL[p]; ok {
		exp = strconv.FormatInt(now.Add(ttl).Unix(), 36)
	}
	msg := string(p) + "." + id + "." + exp
	return msg + "." + t.mac(msg)
}

// verify returns the subscriber id of a valid, unexpired token for p.
func (t *tokens) verify(p Purpose, token string, now time.Time) (string, error) {
	if len(token) > 200 {
		return "", ErrBadToken
	}
	parts := strings.Split(token, ".")
	if len(parts) != 4 || parts[0] != string(p) {
		return "", ErrBadToken
	}
	msg := strings.Join(parts[:3], ".")
	if !hmac.Equal([]byte(parts[3]), []byte(t.mac(msg))) {
		return "", ErrBadToken
	}
	if parts[2] != "0" {
		exp, err := strconv.ParseInt(parts[2], 36, 64)
		if err != nil || now.Unix() > exp {
			return "", ErrBadToken
		}
	}
	return parts[1], nil
}
