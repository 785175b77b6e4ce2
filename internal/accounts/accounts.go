// Package accounts holds the staff who sign in to the console: users and
// roles, bcrypt-hashed passwords, one-time links, server-side sessions,
// sign-in throttling, and the audit log of who changed what.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/beacon-status/beacon/internal/i18n"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns this package's schema changes.
func Migrations() store.Migrations {
	return store.Migrations{Package: "accounts", FS: store.Sub(migrations, "migrations")}
}

// Role is what a user may do.
type Role string

// The roles: admins manage everything; responders manage incidents,
// maintenance and component status.
const (
	Admin     Role = "admin"
	Responder Role = "responder"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == Admin || r == Responder }

// Errors returned by this package.
var (
	ErrNotFound = errors.New("not found")
	// ErrCredentials is a wrong address or password; which one is never said.
	ErrCredentials = errors.New("the email address or password is not right")
	// ErrExpired is a session or link that is unknown, used or too old.
	ErrExpired = errors.New("expired")
	// ErrLastAdmin refuses to leave the console without an admin.
	ErrLastAdmin = errors.New("the last admin cannot be removed or demoted")
	// ErrExists is an address that already has an account.
	ErrExists = errors.New("an account with this email address already exists")
)

// ValidationError reports an invalid field.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return e.Msg }

// LimitError is a sign-in refused because of too many failures.
type LimitError struct{ RetryAfter time.Duration }

func (e *LimitError) Error() string {
	return fmt.Sprintf("too many failed sign-ins: try again in %d minutes", e.Minutes())
}

// Minutes is how many minutes, rounded up, until signing in is allowed
// again.
func (e *LimitError) Minutes() int { return int(e.RetryAfter.Minutes()) + 1 }

// User is a member of staff.
type User struct {
	ID          string
	Email       string
	Role        Role
	HasPassword bool
	CreatedAt   time.Time
	// Language is the code of the language the console speaks to the
	// user (internal/i18n); empty to follow the page's.
	Language string
}

// Session is a signed-in user's session.
type Session struct {
	User       User
	CSRFToken  string // the token every form of this session must carry
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// Config tunes the store; zero fields take the defaults.
type Config struct {
	IdleTimeout time.Duration // a session unused this long ends (12 h)
	MaxAge      time.Duration // a session ends this long after sign-in (7 days)
	LinkTTL     time.Duration // a set-password link lasts this long (72 h)
	BcryptCost  int           // bcrypt.DefaultCost unless set
	// Failures within FailureWindow that lock out an address (5) or an IP
	// address (20) until the oldest falls out of the window (15 min).
	MaxFailuresPerEmail int
	MaxFailuresPerIP    int
	FailureWindow       time.Duration
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.IdleTimeout, 12*time.Hour)
	def(&c.MaxAge, 7*24*time.Hour)
	def(&c.LinkTTL, 72*time.Hour)
	def(&c.FailureWindow, 15*time.Minute)
	if c.BcryptCost == 0 {
		c.BcryptCost = bcrypt.DefaultCost
	}
	if c.MaxFailuresPerEmail <= 0 {
		c.MaxFailuresPerEmail = 5
	}
	if c.MaxFailuresPerIP <= 0 {
		c.MaxFailuresPerIP = 20
	}
	return c
}

// Store keeps accounts, sessions and the audit log.
type Store struct {
	db  *store.DB
	now func() time.Time
	cfg Config
	// dummy is a hash compared against when the address is unknown, so that
	// a wrong address takes as long as a wrong password. It is made on the
	// first such sign-in, not at start-up: hashing costs tens of
	// milliseconds, and every command and test opens a store.
	dummy func() []byte
}

// NewStore returns a store on db.
func NewStore(db *store.DB, now func() time.Time, cfg Config) *Store {
	cfg = cfg.withDefaults()
	dummy := sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("not a real password"), cfg.BcryptCost)
		return h
	})
	return &Store{db: db, now: now, cfg: cfg, dummy: dummy}
}

// Config returns the store's settings with defaults filled in.
func (s *Store) Config() Config { return s.cfg }

// NewToken returns 32 random bytes, URL-safe encoded: the secret of a link,
// a session or a CSRF token.
func NewToken() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// normalEmail checks and trims an address.
func normalEmail(raw string) (string, error) {
	e := strings.TrimSpace(raw)
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 {
		return "", &ValidationError{Field: "email", Msg: "Enter a valid email address, such as name@example.com."}
	}
	return e, nil
}

// CheckPassword enforces the password rules: at least 10 characters, and at
// most 72 bytes, which is all bcrypt reads.
func CheckPassword(p string) error {
	switch {
	case utf8.RuneCountInString(p) < 10:
		return &ValidationError{Field: "password", Msg: "Use a password of at least 10 characters."}
	case len(p) > 72:
		return &ValidationError{Field: "password", Msg: "Use a password of at most 72 bytes."}
	}
	return nil
}

const userColumns = `id, email, role, password_hash <> '', created_at, language`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	err := row.Scan(&u.ID, &u.Email, &u.Role, &u.HasPassword, store.Time(&u.CreatedAt), &u.Language)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	return u, err
}

// CreateUser adds a user. With password "" the user has none until
// SetPassword or a link from PasswordLink gives them one.
func (s *Store) CreateUser(ctx context.Context, email string, role Role, password string) (User, error) {
	email, err := normalEmail(email)
	if err != nil {
		return User{}, err
	}
	if !role.Valid() {
		return User{}, &ValidationError{Field: "role", Msg: "Choose a role: admin or responder."}
	}
	var pwHash []byte
	if password != "" {
		if err := CheckPassword(password); err != nil {
			return User{}, err
		}
		if pwHash, err = bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost); err != nil {
			return User{}, fmt.Errorf("accounts: hash password: %w", err)
		}
	}
	u := User{ID: ids.New(), Email: email, Role: role, HasPassword: password != "", CreatedAt: s.now()}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE lower(email) = ?`, store.Lower(email)).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrExists
		}
		at := store.FormatTime(u.CreatedAt)
		_, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			u.ID, u.Email, u.Role, string(pwHash), at, at)
		return err
	})
	if err != nil {
		return User{}, fmt.Errorf("accounts: create user: %w", err)
	}
	return u, nil
}

// User returns the user with id.
func (s *Store) User(ctx context.Context, id string) (User, error) {
	u, err := scanUser(s.db.Read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return User{}, fmt.Errorf("accounts: user %s: %w", id, err)
	}
	return u, nil
}

// Users returns every user by address.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY lower(email), id`)
	if err != nil {
		return nil, fmt.Errorf("accounts: users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("accounts: users: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("accounts: users: %w", err)
	}
	return out, nil
}

// Count returns how many users there are.
func (s *Store) Count(ctx context.Context) (int, error) {
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("accounts: count: %w", err)
	}
	return n, nil
}

// otherAdminsTx reports whether an admin other than id exists.
func otherAdminsTx(ctx context.Context, tx *sql.Tx, id string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'admin' AND id <> ?`, id).Scan(&n)
	return n > 0, err
}

// SetRole changes a user's role; the last admin stays an admin.
func (s *Store) SetRole(ctx context.Context, id string, role Role) error {
	if !role.Valid() {
		return &ValidationError{Field: "role", Msg: "Choose a role: admin or responder."}
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if role != Admin {
			ok, err := otherAdminsTx(ctx, tx, id)
			if err != nil {
				return err
			}
			if !ok {
				return ErrLastAdmin
			}
		}
		return execOne(ctx, tx, `UPDATE users SET role = ?, updated_at = ? WHERE id = ?`, role, store.FormatTime(s.now()), id)
	})
	if err != nil {
		return fmt.Errorf("accounts: set role of %s: %w", id, err)
	}
	return nil
}

// SetLanguage sets the language the console speaks to user id: a code of
// internal/i18n's catalogue ("pt-br" is stored as "pt-BR"), or "" to
// follow the page's language.
func (s *Store) SetLanguage(ctx context.Context, id, language string) error {
	if language != "" {
		code, ok := i18n.Canonical(language)
		if !ok {
			return &ValidationError{Field: "language", Msg: "Choose one of the languages Beacon has: " + strings.Join(i18n.Codes(), ", ") + "."}
		}
		language = code
	}
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		return execOne(ctx, tx, `UPDATE users SET language = ?, updated_at = ? WHERE id = ?`, language, store.FormatTime(s.now()), id)
	})
	if err != nil {
		return fmt.Errorf("accounts: set language of %s: %w", id, err)
	}
	return nil
}

// DeleteUser removes a user and ends their sessions; the last admin stays.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		ok, err := otherAdminsTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if !ok {
			return ErrLastAdmin
		}
		return execOne(ctx, tx, `DELETE FROM users WHERE id = ?`, id)
	})
	if err != nil {
		return fmt.Errorf("accounts: delete user %s: %w", id, err)
	}
	return nil
}

// SetPassword sets a user's password and ends their other sessions.
func (s *Store) SetPassword(ctx context.Context, id, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if err != nil {
		return fmt.Errorf("accounts: hash password: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error { return s.setPasswordTx(ctx, tx, id, h) })
	if err != nil {
		return fmt.Errorf("accounts: set password of %s: %w", id, err)
	}
	return nil
}

func (s *Store) setPasswordTx(ctx context.Context, tx *sql.Tx, id string, h []byte) error {
	if err := execOne(ctx, tx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, string(h), store.FormatTime(s.now()), id); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
	return err
}

// execOne runs a statement that must change one user, or gives ErrNotFound.
func execOne(ctx context.Context, tx *sql.Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// PasswordLink returns a one-time token with which the user sets a new
// password; it lasts Config.LinkTTL.
func (s *Store) PasswordLink(ctx context.Context, userID string) (string, error) {
	if _, err := s.User(ctx, userID); err != nil {
		return "", err
	}
	return s.newLink(ctx, userID)
}

// FirstRunLink returns a one-time token with which the first admin creates
// their account, or ok false when users already exist.
func (s *Store) FirstRunLink(ctx context.Context) (token string, ok bool, err error) {
	n, err := s.Count(ctx)
	if err != nil || n > 0 {
		return "", false, err
	}
	token, err = s.newLink(ctx, "")
	return token, err == nil, err
}

func (s *Store) newLink(ctx context.Context, userID string) (string, error) {
	token := NewToken()
	now := s.now()
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO password_tokens (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)`,
			hash(token), store.NullString(userID), store.FormatTime(now), store.FormatTime(now.Add(s.cfg.LinkTTL)))
		return err
	})
	if err != nil {
		return "", fmt.Errorf("accounts: make link: %w", err)
	}
	return token, nil
}

// Link is what a one-time link is for: a user's new password, or (User
// zero) the first admin.
type Link struct {
	User     User
	FirstRun bool
}

// LinkFor checks a one-time token without using it.
func (s *Store) LinkFor(ctx context.Context, token string) (Link, error) {
	return s.linkTx(ctx, s.db.Read, token)
}

type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) linkTx(ctx context.Context, q queryer, token string) (Link, error) {
	if token == "" || len(token) > 100 {
		return Link{}, ErrExpired
	}
	var userID sql.NullString
	err := q.QueryRowContext(ctx, `SELECT user_id FROM password_tokens WHERE hash = ? AND used_at IS NULL AND expires_at > ?`,
		hash(token), store.FormatTime(s.now())).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return Link{}, ErrExpired
	}
	if err != nil {
		return Link{}, fmt.Errorf("accounts: link: %w", err)
	}
	if !userID.Valid {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n); err != nil {
			return Link{}, fmt.Errorf("accounts: link: %w", err)
		}
		if n > 0 { // someone already used a first-run link
			return Link{}, ErrExpired
		}
		return Link{FirstRun: true}, nil
	}
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, userID.String))
	if errors.Is(err, ErrNotFound) {
		return Link{}, ErrExpired
	}
	return Link{User: u}, err
}

// UseLink spends a one-time token: it sets the user's password, or for a
// first-run link creates the admin with email. It returns the user.
func (s *Store) UseLink(ctx context.Context, token, email, password string) (User, error) {
	if err := CheckPassword(password); err != nil {
		return User{}, err
	}
	var u User
	var err error
	if _, err = s.LinkFor(ctx, token); err != nil {
		return User{}, err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.BcryptCost)
	if err != nil {
		return User{}, fmt.Errorf("accounts: hash password: %w", err)
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		link, err := s.linkTx(ctx, tx, token) // again, inside the transaction
		if err != nil {
			return err
		}
		now := s.now()
		if link.FirstRun {
			e, err := normalEmail(email)
			if err != nil {
				return err
			}
			u = User{ID: ids.New(), Email: e, Role: Admin, HasPassword: true, CreatedAt: now}
			at := store.FormatTime(now)
			if _, err := tx.ExecContext(ctx, `INSERT INTO users (id, email, role, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
				u.ID, u.Email, u.Role, string(h), at, at); err != nil {
				return err
			}
		} else {
			u = link.User
			u.HasPassword = true
			if err := s.setPasswordTx(ctx, tx, u.ID, h); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE password_tokens SET used_at = ? WHERE hash = ?`, store.FormatTime(now), hash(token))
		return err
	})
	if err != nil {
		var v *ValidationError
		if errors.As(err, &v) || errors.Is(err, ErrExpired) {
			return User{}, err
		}
		return User{}, fmt.Errorf("accounts: use link: %w", err)
	}
	return u, nil
}

// SignIn checks an address and password and starts a session. It returns
// the session's secret (the cookie's value) and the session. Too many
// failures for the address or the IP give a *LimitError, even with the
// right password.
func (s *Store) SignIn(ctx context.Context, email, password, ip, userAgent string) (string, Session, error) {
	email = strings.TrimSpace(email)
	if len(email) > 254 || len(password) > 1024 {
		return "", Session{}, ErrCredentials
	}
	if err := s.checkFailures(ctx, email, ip); err != nil {
		return "", Session{}, err
	}
	var u User
	var pwHash string
	err := s.db.Read.QueryRowContext(ctx, `SELECT id, email, role, password_hash, created_at, language FROM users WHERE lower(email) = ?`, store.Lower(email)).
		Scan(&u.ID, &u.Email, &u.Role, &pwHash, store.Time(&u.CreatedAt), &u.Language)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", Session{}, fmt.Errorf("accounts: sign in: %w", err)
	}
	if err != nil || pwHash == "" {
		bcrypt.CompareHashAndPassword(s.dummy(), []byte(password))
		return "", Session{}, s.fail(ctx, email, ip)
	}
	if bcrypt.CompareHashAndPassword([]byte(pwHash), []byte(password)) != nil {
		return "", Session{}, s.fail(ctx, email, ip)
	}
	u.HasPassword = true
	now := s.now()
	token := NewToken()
	sess := Session{User: u, CSRFToken: NewToken(), CreatedAt: now, LastSeenAt: now}
	if len(userAgent) > 300 {
		userAgent = userAgent[:300]
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		at := store.FormatTime(now)
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, csrf_token, created_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			hash(token), u.ID, sess.CSRFToken, at, at, ip, strings.ToValidUTF8(userAgent, "")); err != nil {
			return err
		}
		// A success forgives the address's failures and sweeps old rows.
		if _, err := tx.ExecContext(ctx, `DELETE FROM sign_in_failures WHERE lower(email) = ? OR at < ?`, store.Lower(email),
			store.FormatTime(now.Add(-s.cfg.FailureWindow))); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at < ? OR created_at < ?`,
			store.FormatTime(now.Add(-s.cfg.IdleTimeout)), store.FormatTime(now.Add(-s.cfg.MaxAge)))
		return err
	})
	if err != nil {
		return "", Session{}, fmt.Errorf("accounts: sign in: %w", err)
	}
	return token, sess, nil
}

// checkFailures refuses a sign-in while the address or IP has too many
// recent failures.
func (s *Store) checkFailures(ctx context.Context, email, ip string) error {
	since := s.now().Add(-s.cfg.FailureWindow)
	for _, c := range []struct {
		column, value string
		max           int
	}{{"lower(email)", store.Lower(email), s.cfg.MaxFailuresPerEmail}, {"ip", ip, s.cfg.MaxFailuresPerIP}} {
		var n int
		var oldest sql.NullString
		err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*), MIN(at) FROM sign_in_failures WHERE `+c.column+` = ? AND at >= ?`,
			c.value, store.FormatTime(since)).Scan(&n, &oldest)
		if err != nil {
			return fmt.Errorf("accounts: check failures: %w", err)
		}
		if n >= c.max {
			var first time.Time
			if err := store.Time(&first).Scan(oldest.String); err != nil {
				return fmt.Errorf("accounts: check failures: %w", err)
			}
			return &LimitError{RetryAfter: max(time.Second, first.Add(s.cfg.FailureWindow).Sub(s.now()))}
		}
	}
	return nil
}

func (s *Store) fail(ctx context.Context, email, ip string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sign_in_failures (at, ip, email) VALUES (?, ?, ?)`,
			store.FormatTime(s.now()), ip, strings.ToValidUTF8(email, ""))
		return err
	})
	if err != nil {
		return fmt.Errorf("accounts: record failure: %w", err)
	}
	return ErrCredentials
}

// touchEvery is how stale last_seen_at may get before a request writes it:
// idle expiry needs minutes, not every request's write.
const touchEvery = time.Minute

// Session returns the live session whose secret is token, or ErrExpired.
func (s *Store) Session(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 100 {
		return Session{}, ErrExpired
	}
	var sess Session
	u := &sess.User
	err := s.db.Read.QueryRowContext(ctx, `SELECT s.csrf_token, s.created_at, s.last_seen_at, u.id, u.email, u.role, u.password_hash <> '', u.created_at, u.language
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?`, hash(token)).
		Scan(&sess.CSRFToken, store.Time(&sess.CreatedAt), store.Time(&sess.LastSeenAt), &u.ID, &u.Email, &u.Role, &u.HasPassword, store.Time(&u.CreatedAt), &u.Language)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrExpired
	}
	if err != nil {
		return Session{}, fmt.Errorf("accounts: session: %w", err)
	}
	now := s.now()
	if now.Sub(sess.LastSeenAt) > s.cfg.IdleTimeout || now.Sub(sess.CreatedAt) > s.cfg.MaxAge {
		s.SignOut(ctx, token)
		return Session{}, ErrExpired
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		err := s.db.Tx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE hash = ?`, store.FormatTime(now), hash(token))
			return err
		})
		if err != nil {
			return Session{}, fmt.Errorf("accounts: session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// SignOut ends the session whose secret is token.
func (s *Store) SignOut(ctx context.Context, token string) error {
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash(token))
		return err
	})
	if err != nil {
		return fmt.Errorf("accounts: sign out: %w", err)
	}
	return nil
}

// Entry is one line of the audit log.
type Entry struct {
	ID     int64
	At     time.Time
	Actor  string // "user name@example.com" or "API key ci-deploy"
	Action string // what was done, such as "incident.create"
	Target string // the id of what it was done to, if any
	IP     string
}

// Record appends entries to the audit log, in one transaction. An entry
// without a time is dated now. It is background work (the server hands
// entries over to a writer and does not wait for them; see web.Audit), so
// staff writes go before it.
func (s *Store) Record(ctx context.Context, entries ...Entry) error {
	err := s.db.BackgroundTx(ctx, func(tx *sql.Tx) error {
		for _, e := range entries {
			if e.At.IsZero() {
				e.At = s.now()
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, ip) VALUES (?, ?, ?, ?, ?)`,
				store.FormatTime(e.At), e.Actor, e.Action, e.Target, e.IP); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("accounts: audit: %w", err)
	}
	return nil
}

// Audit returns up to limit entries older than the entry before (all when
// before is 0), newest first.
func (s *Store) Audit(ctx context.Context, before int64, limit int) ([]Entry, error) {
	q := `SELECT id, at, actor, action, target, ip FROM audit_log`
	args := []any{}
	if before > 0 {
		q += ` WHERE id < ?`
		args = append(args, before)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	rows, err := s.db.Read.QueryContext(ctx, q, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("accounts: audit log: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		if err := rows.Scan(&e.ID, store.Time(&e.At), &e.Actor, &e.Action, &e.Target, &e.IP); err != nil {
			return nil, fmt.Errorf("accounts: audit log: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("accounts: audit log: %w", err)
	}
	return out, nil
}
