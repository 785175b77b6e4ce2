// Package subscribers keeps the people and systems that want to hear about
// incidents: their channel and address, the components they follow, their
// confirmation state, the signed links they manage it with, and the limits
// that keep the public sign-up form from being abused.
package subscribers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nyaruka/phonenumbers"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/emailaddr"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

// Migrations returns this package's schema changes; they reference the
// components tables.
func Migrations() store.Migrations {
	return store.Migrations{Package: "subscribers", FS: store.Sub(migrations, "migrations")}
}

// State is where a subscriber stands.
type State string

// The states.
const (
	Unconfirmed  State = "unconfirmed"
	Active       State = "active"
	Quarantined  State = "quarantined"
	Unsubscribed State = "unsubscribed"
)

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	return s == Unconfirmed || s == Active || s == Quarantined || s == Unsubscribed
}

// Subscriber is one address on one channel.
type Subscriber struct {
	ID   string
	Mode notifier.Channel
	// Address is the email address, the E.164 number, or the webhook's
	// or chat channel's URL.
	Address      string
	PhoneCountry string // ISO region of an SMS number, such as "US"
	State        State
	// AllComponents is true when the subscriber hears about every
	// component; otherwise ComponentIDs lists those it follows.
	AllComponents bool
	ComponentIDs  []string
	// PageWide is false for an address that only follows incidents
	// (incident subscribers): it hears nothing page-wide and is left out of
	// the page's subscriber lists and counts.
	PageWide bool
	// Secret signs webhook payloads for this subscriber.
	Secret        string
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ConfirmedAt   *time.Time
	QuarantinedAt *time.Time
	// UnsubscribedAt is when the subscriber left.
	UnsubscribedAt *time.Time
	// ContactEmail is the address of a webhook's owner (Statuspage's
	// email of a webhook subscriber); "" when none was given and for
	// other channels. Nothing is sent to it.
	ContactEmail string
	// Language is the code of the language its messages are written in,
	// one of Config.Languages; "" follows the page's default language.
	Language string
}

// Errors returned by this package.
var (
	ErrNotFound = errors.New("not found")
)

// ValidationError reports an invalid field.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return e.Field + " " + e.Msg }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// LimitError is returned when an abuse limit is reached.
type LimitError struct {
	Msg        string
	RetryAfter time.Duration
}

func (e *LimitError) Error() string { return e.Msg }

// Config sets the sign-up policy.
type Config struct {
	// SMSCountries are the ISO regions SMS sign-ups are accepted from;
	// empty refuses every SMS sign-up.
	SMSCountries []string
	// ValidateURL checks a webhook or chat URL at sign-up (scheme, and
	// that it does not point at private addresses unless allowed).
	ValidateURL func(ctx context.Context, raw string) error
	Limits      Limits
	// Languages are the codes a Language may take (internal/i18n's).
	Languages []string
}

// Limits are the abuse limits on the public sign-up endpoints.
type Limits struct {
	SignupsPerIP         int           // sign-ups of any kind per IP per hour
	SMSSignupsPerIP      int           // SMS sign-ups per IP per SMSWindow
	SMSWindow            time.Duration // default 4 hours
	SignupsPerHour       int           // all sign-ups, all IPs
	SMSSignupsPerHour    int           // all SMS sign-ups, all IPs
	ConfirmationsPerDay  int           // confirmation messages per address per day
	CodeAttempts         int           // wrong SMS codes before the code dies
	CodeTTL              time.Duration // how long an SMS code works
	VerificationsPerIP   int           // code and link checks per IP per hour
	ConfirmationsPerHour int           // all confirmation messages, all addresses
}

// DefaultLimits are the limits used unless configured otherwise.
var DefaultLimits = Limits{
	SignupsPerIP: 20, SMSSignupsPerIP: 10, SMSWindow: 4 * time.Hour,
	SignupsPerHour: 1000, SMSSignupsPerHour: 100, ConfirmationsPerDay: 5,
	CodeAttempts: 5, CodeTTL: 10 * time.Minute, VerificationsPerIP: 60, ConfirmationsPerHour: 2000,
}

// withDefaults fills every zero limit from DefaultLimits, so that a limit
// left out is never "off".
func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	fill := func(v *int, def int) {
		if *v <= 0 {
			*v = def
		}
	}
	fillD := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	fill(&l.SignupsPerIP, d.SignupsPerIP)
	fill(&l.SMSSignupsPerIP, d.SMSSignupsPerIP)
	fillD(&l.SMSWindow, d.SMSWindow)
	fill(&l.SignupsPerHour, d.SignupsPerHour)
	fill(&l.SMSSignupsPerHour, d.SMSSignupsPerHour)
	fill(&l.ConfirmationsPerDay, d.ConfirmationsPerDay)
	fill(&l.CodeAttempts, d.CodeAttempts)
	fillD(&l.CodeTTL, d.CodeTTL)
	fill(&l.VerificationsPerIP, d.VerificationsPerIP)
	fill(&l.ConfirmationsPerHour, d.ConfirmationsPerHour)
	return l
}

// Service manages subscribers.
type Service struct {
	db         *store.DB
	components *components.Service
	outbox     *notifier.Outbox
	now        func() time.Time
	cfg        Config
	tokens     *tokens
	q          queries
	// smsCountries starts as Config.SMSCountries; staff may change it
	// while the server runs (SetSMSCountries).
	smsCountries atomic.Pointer[[]string]
	signups      *store.Lane // Subscribe, FollowIncident and VerifySMS queue here: all update the attempt counters
}

// NewService returns a service on db. Zero limits take DefaultLimits.
func NewService(ctx context.Context, db *store.DB, comps *components.Service, outbox *notifier.Outbox, now func() time.Time, cfg Config) (*Service, error) {
	cfg.Limits = cfg.Limits.withDefaults()
	if cfg.ValidateURL == nil {
		return nil, errors.New("subscribers: Config.ValidateURL is required")
	}
	t, err := loadTokens(ctx, db.Write)
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, components: comps, outbox: outbox, now: now, cfg: cfg, tokens: t, q: newQueries(db), signups: store.NewLane()}
	s.SetSMSCountries(cfg.SMSCountries)
	return s, nil
}

// SetSMSCountries changes the ISO regions SMS sign-ups are accepted from.
func (s *Service) SetSMSCountries(regions []string) {
	list := slices.Clone(regions)
	s.smsCountries.Store(&list)
}

// SMSCountries returns the ISO regions SMS sign-ups are accepted from.
func (s *Service) SMSCountries() []string { return slices.Clone(*s.smsCountries.Load()) }

// Link returns a signed token letting the holder of a message act for
// subscriber id.
func (s *Service) Link(p Purpose, id string) string { return s.tokens.sign(p, id, s.now()) }

// Signup is a request to subscribe.
type Signup struct {
	Mode         notifier.Channel
	Address      string // email address, phone number, webhook or chat URL
	PhoneCountry string // default region for a phone number without +
	// ComponentIDs are the components to follow (groups stand for their
	// members); empty means all.
	ComponentIDs []string
	// IP is the caller's address for the public form's limits; "" for
	// staff through the API, who are not limited.
	IP string
	// SkipConfirmation makes the subscriber active at once (staff only).
	SkipConfirmation bool
	// ContactEmail is the owner's address for a webhook; it is refused
	// for other channels.
	ContactEmail string
	// Language is as Subscriber's; "" leaves an existing one's as it was.
	Language string
}

// SignupResult tells the caller what to show. The public form shows the
// same thing whatever happened, so it never reveals who is subscribed.
type SignupResult struct {
	Subscriber Subscriber
	// VerifyToken, for SMS, is the token of the code-entry step.
	VerifyToken string
	// Secret, for a webhook, is the key its payloads are signed with, to
	// show to whoever signed it up.
	Secret string
}

// normalise validates and normalises the address of su.
func (s *Service) normalise(ctx context.Context, su *Signup) error {
	su.Address = strings.TrimSpace(su.Address)
	var err error
	if su.Language, err = s.language(su.Language); err != nil {
		return err
	}
	switch su.Mode {
	case notifier.Email:
		addr, err := emailaddr.Normalise(su.Address)
		if err != nil {
			return invalid("email", "%v", err)
		}
		su.Address = addr
	case notifier.SMS:
		if su.Address == "" {
			return invalid("phone_number", "can't be blank")
		}
		if len(su.Address) > 32 {
			return invalid("phone_number", "is too long")
		}
		region := strings.ToUpper(strings.TrimSpace(su.PhoneCountry))
		num, err := phonenumbers.Parse(su.Address, region)
		if err != nil || !phonenumbers.IsValidNumber(num) {
			return invalid("phone_number", "is not a valid phone number (use the international format, such as +14155550123)")
		}
		switch phonenumbers.GetNumberType(num) {
		case phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE, phonenumbers.UNKNOWN:
		default:
			return invalid("phone_number", "must be a mobile number that can receive SMS")
		}
		region = phonenumbers.GetRegionCodeForNumber(num)
		if !slices.Contains(*s.smsCountries.Load(), region) {
			return invalid("phone_number", "SMS notifications are not available for numbers in %s", region)
		}
		su.Address = phonenumbers.Format(num, phonenumbers.E164)
		su.PhoneCountry = region
	case notifier.Webhook, notifier.Slack, notifier.Teams, notifier.Discord, notifier.Mattermost, notifier.GoogleChat:
		// A chat channel's address is its incoming webhook's URL, under
		// the same address policy as a webhook's.
		if su.Address == "" {
			return invalid("endpoint", "can't be blank")
		}
		if err := s.cfg.ValidateURL(ctx, su.Address); err != nil {
			return invalid("endpoint", "%v", err)
		}
		if su.Mode != notifier.Webhook {
			break
		}
		if strings.TrimSpace(su.ContactEmail) != "" {
			addr, err := emailaddr.Normalise(su.ContactEmail)
			if err != nil {
				return invalid("email", "%v", err)
			}
			su.ContactEmail = addr
		}
		return nil
	default:
		return invalid("mode", "must be email, sms, webhook, slack, teams, discord, mattermost or google_chat")
	}
	if strings.TrimSpace(su.ContactEmail) != "" {
		return invalid("contact_email", "is only for webhook subscribers")
	}
	su.ContactEmail = ""
	return nil
}

// resolveComponents checks ids and expands groups into their members.
func (s *Service) resolveComponents(ctx context.Context, q components.Queryer, idList []string) ([]string, error) {
	if len(idList) > 500 {
		return nil, invalid("component_ids", "may name at most 500 components")
	}
	var out []string
	for _, id := range idList {
		c, err := s.components.GetTx(ctx, q, id)
		if err != nil {
			return nil, invalid("component_ids", "%s is not a component", ids.Quote(id))
		}
		if c.Group {
			out = append(out, c.Members...)
		} else {
			out = append(out, c.ID)
		}
	}
	if len(idList) > 0 && len(out) == 0 {
		// Only empty groups: an empty list would mean every component.
		return nil, invalid("component_ids", "names only groups with no components")
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Subscribe signs an address up. A new address, or one that left, becomes
// unconfirmed and is sent a confirmation (a link by email, a code by SMS, a
// test delivery to a webhook); an address already active by email is sent a
// link to manage its subscription instead. Nothing in the result or the
// error tells a public caller which of these happened.
func (s *Service) Subscribe(ctx context.Context, su Signup) (SignupResult, error) {
	if err := s.normalise(ctx, &su); err != nil {
		return SignupResult{}, err
	}
	var res SignupResult
	err := s.db.TxIn(ctx, s.signups, func(tx *sql.Tx) error {
		res = SignupResult{}
		now := s.now()
		comps, err := s.resolveComponents(ctx, tx, su.ComponentIDs)
		if err != nil {
			return err
		}
		if su.IP != "" {
			if err := s.checkSignupLimitsTx(ctx, tx, su, now); err != nil {
				return err
			}
		}
		sub, err := s.byAddressTx(ctx, tx, su.Mode, su.Address)
		existed := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if !existed {
			sub = Subscriber{ID: ids.New(), Mode: su.Mode, Address: su.Address, PhoneCountry: su.PhoneCountry,
				State: Unconfirmed, Secret: newSecret(), CreatedAt: now}
			if _, err := tx.ExecContext(ctx, `INSERT INTO subscribers (id, mode, address, phone_country, state, secret, created_at, updated_at, contact_email, language)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sub.ID, sub.Mode, sub.Address, sub.PhoneCountry, sub.State, sub.Secret,
				store.FormatTime(now), store.FormatTime(now), su.ContactEmail, su.Language); err != nil {
				return fmt.Errorf("subscribers: create: %w", err)
			}
		} else if su.ContactEmail != "" && (su.IP == "" || sub.State != Active) {
			// Staff may change a webhook's contact; the public form only
			// with a sign-up that re-arms it, so that knowing a URL is not
			// enough to change who answers for it.
			if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET contact_email = ? WHERE id = ?`, su.ContactEmail, sub.ID); err != nil {
				return fmt.Errorf("subscribers: set contact email: %w", err)
			}
		}
		// The language by the same rule: public sign-ups set it only
		// on an address they re-arm.
		if existed && su.Language != "" && (su.IP == "" || sub.State != Active) {
			if err := s.setLanguageTx(ctx, tx, sub.ID, su.Language); err != nil {
				return err
			}
		}

		switch {
		case su.SkipConfirmation:
			// Staff vouch for the address: it is active now, with the
			// components asked for.
			if err := s.setComponentsTx(ctx, tx, sub.ID, comps); err != nil {
				return err
			}
			if err := s.setStateTx(ctx, tx, sub.ID, Active, now); err != nil {
				return err
			}
			if err := s.setPageWideTx(ctx, tx, sub.ID); err != nil {
				return err
			}
		case existed && sub.State == Active && sub.PageWide && su.Mode != notifier.SMS:
			// Preferences change only through the manage link, so that
			// knowing an address is not enough to change what it hears.
			if su.Mode == notifier.Email {
				if err := s.queueConfirmationTx(ctx, tx, sub, notifier.PurposeManage, "", now, su.IP != ""); err != nil {
					return err
				}
			}
		default:
			if sub.State != Active || !sub.PageWide {
				if err := s.setComponentsTx(ctx, tx, sub.ID, comps); err != nil {
					return err
				}
			}
			// An active follower of an incident stays active (its follows
			// go on) until it confirms the page-wide sign-up, which is
			// marked pending so that only this sign-up's link promotes it.
			if sub.State != Active {
				if err := s.setStateTx(ctx, tx, sub.ID, Unconfirmed, now); err != nil {
					return err
				}
			} else if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET page_pending = 1 WHERE id = ?`, sub.ID); err != nil {
				return fmt.Errorf("subscribers: mark page sign-up pending: %w", err)
			}
			data := ""
			if su.Mode == notifier.SMS {
				code, err := s.newCodeTx(ctx, tx, sub.ID, comps, now)
				if err != nil {
					return err
				}
				data = code
				res.VerifyToken = s.tokens.sign(PurposeVerifySMS, sub.ID, now)
			}
			if err := s.queueConfirmationTx(ctx, tx, sub, notifier.PurposeConfirm, data, now, su.IP != ""); err != nil {
				return err
			}
		}
		if su.Mode == notifier.Webhook {
			res.Secret, err = s.webhookSecretTx(ctx, tx, sub, existed, su.IP != "")
			if err != nil {
				return err
			}
		}
		res.Subscriber, err = s.getTx(ctx, tx, sub.ID)
		return err
	})
	return res, err
}

// webhookSecretTx returns the signing key to show for a webhook sign-up.
// A webhook that is not active gets a fresh key, which only this caller
// sees. An active one keeps its key, which the public form must not hand to
// whoever types the URL: the form shows a decoy instead, so its answer is
// the same whether the URL was subscribed or not. (To rotate a key, the
// owner unsubscribes through meta.unsubscribe and signs up again.)
func (s *Service) webhookSecretTx(ctx context.Context, tx *sql.Tx, sub Subscriber, existed, public bool) (string, error) {
	if existed && sub.State == Active {
		if public {
			return newSecret(), nil
		}
		return sub.Secret, nil
	}
	if !existed {
		return sub.Secret, nil
	}
	secret := newSecret()
	if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET secret = ? WHERE id = ?`, secret, sub.ID); err != nil {
		return "", fmt.Errorf("subscribers: rotate webhook key: %w", err)
	}
	return secret, nil
}

func newSecret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "whsec_" + hex.EncodeToString(b)
}

// queueConfirmationTx puts a confirmation (or manage link) message in the
// delivery queue, subject to the per-address daily limit when limited.
func (s *Service) queueConfirmationTx(ctx context.Context, tx *sql.Tx, sub Subscriber, purpose notifier.Purpose, data string, now time.Time, limited bool) error {
	l := s.cfg.Limits
	key := string(sub.Mode) + ":" + sub.Address
	if limited {
		if err := s.limitTx(ctx, tx, "confirm_addr", key, l.ConfirmationsPerDay, 24*time.Hour, now,
			"Too many confirmation messages have been sent to this address today. Please try again tomorrow."); err != nil {
			return err
		}
		if err := s.limitTx(ctx, tx, "confirm_all", "", l.ConfirmationsPerHour, time.Hour, now,
			"Too many sign-ups right now. Please try again later."); err != nil {
			return err
		}
	}
	if err := s.recordTx(ctx, tx, "confirm_addr", key, now); err != nil {
		return err
	}
	if err := s.recordTx(ctx, tx, "confirm_all", "", now); err != nil {
		return err
	}
	return s.outbox.EnqueueTx(ctx, tx, notifier.Direct{SubscriberID: sub.ID, Channel: sub.Mode, Purpose: purpose, Data: data, At: now})
}

// newCodeTx makes a fresh 6-digit SMS code for id, replacing any earlier
// one, and returns it.
func (s *Service) newCodeTx(ctx context.Context, tx *sql.Tx, id string, comps []string, now time.Time) (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	code := fmt.Sprintf("%06d", n.Int64())
	compsJSON, _ := json.Marshal(comps)
	if compsJSON == nil || string(compsJSON) == "null" {
		compsJSON = []byte("[]")
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO sms_codes (subscriber_id, code_hash, expires_at, attempts, components) VALUES (?, ?, ?, 0, ?)
		ON CONFLICT (subscriber_id) DO UPDATE SET code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0, components = excluded.components, incident_id = ''`,
		id, hashCode(id, code), store.FormatTime(now.Add(s.cfg.Limits.CodeTTL)), string(compsJSON))
	if err != nil {
		return "", fmt.Errorf("subscribers: store code: %w", err)
	}
	return code, nil
}

func hashCode(id, code string) string {
	sum := sha256.Sum256([]byte(id + ":" + code))
	return hex.EncodeToString(sum[:])
}

// ErrBadCode is returned for a wrong or expired SMS code.
var ErrBadCode = errors.New("that code is not right, or it has expired")

// VerifySMS checks the code entered for the sign-up named by token and
// activates the subscriber with the components chosen at sign-up.
func (s *Service) VerifySMS(ctx context.Context, token, code, ip string) (Subscriber, error) {
	now := s.now()
	id, err := s.tokens.verify(PurposeVerifySMS, token, now)
	if err != nil {
		return Subscriber{}, err
	}
	code = strings.TrimSpace(code)
	var sub Subscriber
	var codeErr error
	err = s.db.TxIn(ctx, s.signups, func(tx *sql.Tx) error {
		sub, codeErr = Subscriber{}, nil
		if ip != "" {
			if err := s.limitTx(ctx, tx, "verify_ip", ip, s.cfg.Limits.VerificationsPerIP, time.Hour, now,
				"Too many attempts from your network. Please try again later."); err != nil {
				return err
			}
			if err := s.recordTx(ctx, tx, "verify_ip", ip, now); err != nil {
				return err
			}
		}
		var hash, comps, incidentID string
		var expires time.Time
		var attempts int
		err := tx.QueryRowContext(ctx, `SELECT code_hash, expires_at, attempts, components, incident_id FROM sms_codes WHERE subscriber_id = ?`, id).
			Scan(&hash, store.Time(&expires), &attempts, &comps, &incidentID)
		if errors.Is(err, sql.ErrNoRows) {
			codeErr = ErrBadCode
			return nil
		}
		if err != nil {
			return fmt.Errorf("subscribers: verify code: %w", err)
		}
		if now.After(expires) || attempts >= s.cfg.Limits.CodeAttempts {
			codeErr = ErrBadCode
			return nil
		}
		if len(code) != 6 || hashCode(id, code) != hash {
			// Count the miss in this transaction, which commits.
			_, err := tx.ExecContext(ctx, `UPDATE sms_codes SET attempts = attempts + 1 WHERE subscriber_id = ?`, id)
			codeErr = ErrBadCode
			return err
		}
		var list []string
		if err := json.Unmarshal([]byte(comps), &list); err != nil {
			return fmt.Errorf("subscribers: verify code: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM sms_codes WHERE subscriber_id = ?`, id); err != nil {
			return fmt.Errorf("subscribers: verify code: %w", err)
		}
		if incidentID != "" {
			if err := s.confirmFollowTx(ctx, tx, incidentID, id, now); err != nil {
				return err
			}
			sub, err = s.getTx(ctx, tx, id)
			return err
		}
		if err := s.setComponentsTx(ctx, tx, id, list); err != nil {
			return err
		}
		if err := s.setStateTx(ctx, tx, id, Active, now); err != nil {
			return err
		}
		if err := s.setPageWideTx(ctx, tx, id); err != nil {
			return err
		}
		sub, err = s.getTx(ctx, tx, id)
		return err
	})
	if err != nil {
		return Subscriber{}, err
	}
	if codeErr != nil {
		return Subscriber{}, codeErr
	}
	return sub, nil
}

// ConfirmEmail activates the subscriber named by a confirmation link.
func (s *Service) ConfirmEmail(ctx context.Context, token string) (Subscriber, error) {
	id, err := s.tokens.verify(PurposeConfirm, token, s.now())
	if err != nil {
		return Subscriber{}, err
	}
	var sub Subscriber
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		cur, err := s.getTx(ctx, tx, id)
		if err != nil {
			return ErrBadToken
		}
		// Confirming again is harmless; a link never revives an address
		// that left or was quarantined after it was sent. An active
		// follower of an incident who signed up for the page too (and
		// only then: page_pending) gains the page-wide subscription here.
		pending := false
		if cur.State == Active && !cur.PageWide {
			if err := tx.QueryRowContext(ctx, `SELECT page_pending FROM subscribers WHERE id = ?`, id).Scan(&pending); err != nil {
				return fmt.Errorf("subscribers: confirm %s: %w", id, err)
			}
		}
		if cur.State == Unconfirmed || pending {
			if err := s.setStateTx(ctx, tx, id, Active, s.now()); err != nil {
				return err
			}
			if err := s.setPageWideTx(ctx, tx, id); err != nil {
				return err
			}
		}
		sub, err = s.getTx(ctx, tx, id)
		return err
	})
	return sub, err
}

// ByToken returns the subscriber a manage or unsubscribe link names.
func (s *Service) ByToken(ctx context.Context, p Purpose, token string) (Subscriber, error) {
	id, err := s.tokens.verify(p, token, s.now())
	if err != nil {
		return Subscriber{}, err
	}
	sub, err := s.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return Subscriber{}, ErrBadToken
	}
	return sub, err
}

// SetPreferences replaces the components the subscriber of a manage link
// follows (none means all) and the language it reads ("" for the page's).
func (s *Service) SetPreferences(ctx context.Context, token string, componentIDs []string, language string) (Subscriber, error) {
	sub, err := s.ByToken(ctx, PurposeManage, token)
	if err != nil {
		return Subscriber{}, err
	}
	if language, err = s.language(language); err != nil {
		return Subscriber{}, err
	}
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.setLanguageTx(ctx, tx, sub.ID, language); err != nil {
			return err
		}
		comps, err := s.resolveComponents(ctx, tx, componentIDs)
		if err != nil {
			return err
		}
		if err := s.setComponentsTx(ctx, tx, sub.ID, comps); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE subscribers SET updated_at = ? WHERE id = ?`, store.FormatTime(s.now()), sub.ID)
		return err
	})
	if err != nil {
		return Subscriber{}, err
	}
	return s.Get(ctx, sub.ID)
}

// Change is what staff change of a subscriber (Update).
type Change struct {
	// SetComponents replaces the components it follows with ComponentIDs:
	// none means all, and groups stand for their members.
	SetComponents bool
	ComponentIDs  []string
	// Language, when not nil, is the language it reads; "" follows the
	// page's default language.
	Language *string
}

// Update applies a staff change to subscriber id, all of it or, refused,
// none of it.
func (s *Service) Update(ctx context.Context, id string, c Change) (Subscriber, error) {
	var language string
	if c.Language != nil {
		var err error
		if language, err = s.language(*c.Language); err != nil {
			return Subscriber{}, err
		}
	}
	var sub Subscriber
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.getTx(ctx, tx, id); err != nil {
			return err
		}
		if c.SetComponents {
			comps, err := s.resolveComponents(ctx, tx, c.ComponentIDs)
			if err != nil {
				return err
			}
			if err := s.setComponentsTx(ctx, tx, id, comps); err != nil {
				return err
			}
		}
		if c.Language != nil {
			if err := s.setLanguageTx(ctx, tx, id, language); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET updated_at = ? WHERE id = ?`, store.FormatTime(s.now()), id); err != nil {
			return fmt.Errorf("subscribers: update %s: %w", id, err)
		}
		var err error
		sub, err = s.getTx(ctx, tx, id)
		return err
	})
	return sub, err
}

// language returns code as Config.Languages spells it ("pt-br" is
// "pt-BR"); "" (the page's language) stays "".
func (s *Service) language(code string) (string, error) {
	if i := slices.IndexFunc(s.cfg.Languages, func(l string) bool { return strings.EqualFold(l, code) }); i >= 0 {
		return s.cfg.Languages[i], nil
	} else if code != "" {
		return "", invalid("language", "must be one of %s, or empty for the page's", strings.Join(s.cfg.Languages, ", "))
	}
	return "", nil
}

func (s *Service) setLanguageTx(ctx context.Context, tx *sql.Tx, id, language string) error {
	_, err := tx.ExecContext(ctx, `UPDATE subscribers SET language = ? WHERE id = ?`, language, id)
	return err
}

// UnsubscribeByToken unsubscribes the subscriber an unsubscribe (or
// manage) link names.
func (s *Service) UnsubscribeByToken(ctx context.Context, token string) (Subscriber, error) {
	sub, err := s.ByToken(ctx, PurposeUnsubscribe, token)
	if errors.Is(err, ErrBadToken) {
		sub, err = s.ByToken(ctx, PurposeManage, token)
	}
	if err != nil {
		return Subscriber{}, err
	}
	if err := s.Unsubscribe(ctx, sub.ID); err != nil {
		return Subscriber{}, err
	}
	return s.Get(ctx, sub.ID)
}

// Unsubscribe stops all messages to subscriber id. Deliveries still queued
// for it are cancelled when they come up.
func (s *Service) Unsubscribe(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.getTx(ctx, tx, id); err != nil {
			return err
		}
		return s.setStateTx(ctx, tx, id, Unsubscribed, s.now())
	})
}

// Reactivate makes an unsubscribed or quarantined subscriber active again
// (staff only).
func (s *Service) Reactivate(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := s.getTx(ctx, tx, id); err != nil {
			return err
		}
		return s.setStateTx(ctx, tx, id, Active, s.now())
	})
}

// ResendConfirmation queues a new confirmation for an unconfirmed
// subscriber (staff only).
func (s *Service) ResendConfirmation(ctx context.Context, id string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		sub, err := s.getTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if sub.State != Unconfirmed {
			return invalid("state", "is %s; only unconfirmed subscribers are sent confirmations", sub.State)
		}
		if !sub.PageWide {
			return invalid("subscriber", "follows an incident only; resend its confirmation through that incident")
		}
		now := s.now()
		data := ""
		if sub.Mode == notifier.SMS {
			if data, err = s.newCodeTx(ctx, tx, sub.ID, sub.ComponentIDs, now); err != nil {
				return err
			}
		}
		return s.queueConfirmationTx(ctx, tx, sub, notifier.PurposeConfirm, data, now, false)
	})
}

// setStateTx moves subscriber id to state, stamping when it happened.
func (s *Service) setStateTx(ctx context.Context, tx *sql.Tx, id string, state State, now time.Time) error {
	stamp := store.FormatTime(now)
	q := `UPDATE subscribers SET state = ?, updated_at = ?`
	args := []any{state, stamp}
	switch state {
	case Active:
		q += `, confirmed_at = COALESCE(confirmed_at, ?), quarantined_at = NULL, unsubscribed_at = NULL, permanent_failures = 0`
		args = append(args, stamp)
	case Quarantined:
		q += `, quarantined_at = ?`
		args = append(args, stamp)
	case Unsubscribed:
		q += `, unsubscribed_at = ?`
		args = append(args, stamp)
	case Unconfirmed:
		q += `, confirmed_at = NULL, quarantined_at = NULL, unsubscribed_at = NULL, permanent_failures = 0`
	}
	if _, err := tx.ExecContext(ctx, q+` WHERE id = ?`, append(args, id)...); err != nil {
		return fmt.Errorf("subscribers: set state of %s: %w", id, err)
	}
	if state == Active || state == Unconfirmed {
		// A fresh start, as permanent_failures above: the webhook failures
		// that quarantined it must not count again.
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_failures WHERE subscriber_id = ?`, id); err != nil {
			return fmt.Errorf("subscribers: set state of %s: %w", id, err)
		}
	}
	return nil
}

// setComponentsTx makes comps the components id follows; none means all.
func (s *Service) setComponentsTx(ctx context.Context, tx *sql.Tx, id string, comps []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM subscriber_components WHERE subscriber_id = ?`, id); err != nil {
		return fmt.Errorf("subscribers: set components: %w", err)
	}
	for _, c := range comps {
		if _, err := tx.ExecContext(ctx, `INSERT INTO subscriber_components (subscriber_id, component_id) VALUES (?, ?)`, id, c); err != nil {
			return fmt.Errorf("subscribers: set components: %w", err)
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE subscribers SET all_components = ? WHERE id = ?`, len(comps) == 0, id)
	return err
}
