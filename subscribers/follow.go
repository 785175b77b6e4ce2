package subscribers

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/beacon-status/beacon/components"
	"github.com/beacon-status/beacon/internal/ids"
	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// Incident subscribers: an address may follow one incident (or scheduled
// maintenance) alone, as Statuspage's "Get updates on this incident" does.
// A follow is a row of incident_subscriptions beside the address's one
// subscriber row; an address made only to follow has PageWide false, so it
// is in no page-wide audience and no page-level list. Each follow is
// confirmed on its own (a link by email, a code by SMS), as a page sign-up
// is. Which events reach followers is decided by the incidents package
// (notifier.Event.ToFollowers); RecipientsTx adds them to the audience.
//
// The caller checks that the incident exists (and, for the public form,
// that it is still open): this package sits below incidents and does not
// know them.

// Follow is one subscriber following one incident.
type Follow struct {
	IncidentID string
	// Subscriber is the follower. Its State reads unconfirmed while the
	// follow awaits confirmation, whatever the address's page-wide state.
	Subscriber Subscriber
	CreatedAt  time.Time
	// ConfirmedAt is when the follow was confirmed; nil until then.
	ConfirmedAt *time.Time
}

// FollowRequest asks that an address follow one incident.
type FollowRequest struct {
	IncidentID   string
	Mode         notifier.Channel // email or sms
	Address      string           // email address or phone number
	PhoneCountry string           // default region for a phone number without +
	// IP is the caller's address for the public form's limits; "" for
	// staff through the API, who are not limited.
	IP string
	// SkipConfirmation confirms the follow at once (staff only).
	SkipConfirmation bool
	// Language is as Signup's; an address made to follow gets it.
	Language string
}

// FollowResult tells the caller what to show. As with Subscribe, the public
// answer is the same whether the address already followed or not.
type FollowResult struct {
	Follow Follow
	// VerifyToken, for SMS, is the token of the code-entry step.
	VerifyToken string
}

// followSep joins a subscriber id and an incident id in a follow link's
// token; ids are base32 and never contain it.
const followSep = "~"

// FollowIncident makes an address follow one incident. The follow waits
// for confirmation, which is sent every time (a link by email, a code by
// SMS) unless SkipConfirmation: confirming again is harmless, and the
// answer must not depend on whether the address followed already.
func (s *Service) FollowIncident(ctx context.Context, r FollowRequest) (FollowResult, error) {
	if strings.TrimSpace(r.IncidentID) == "" {
		return FollowResult{}, invalid("incident_id", "can't be blank")
	}
	if r.Mode != notifier.Email && r.Mode != notifier.SMS {
		return FollowResult{}, invalid("mode", "must be email or sms")
	}
	su := Signup{Mode: r.Mode, Address: r.Address, PhoneCountry: r.PhoneCountry, IP: r.IP, Language: r.Language}
	if err := s.normalise(ctx, &su); err != nil {
		return FollowResult{}, err
	}
	var res FollowResult
	err := s.db.TxIn(ctx, s.signups, func(tx *sql.Tx) error {
		res = FollowResult{}
		now := s.now()
		if su.IP != "" {
			if err := s.checkSignupLimitsTx(ctx, tx, su, now); err != nil {
				return err
			}
		}
		sub, err := s.byAddressTx(ctx, tx, su.Mode, su.Address)
		if errors.Is(err, ErrNotFound) {
			sub = Subscriber{ID: ids.New(), Mode: su.Mode, Address: su.Address, PhoneCountry: su.PhoneCountry, State: Unconfirmed}
			_, err = tx.ExecContext(ctx, `INSERT INTO subscribers (id, mode, address, phone_country, state, secret, page_wide, created_at, updated_at, language)
				VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)`, sub.ID, sub.Mode, sub.Address, sub.PhoneCountry, sub.State, newSecret(),
				store.FormatTime(now), store.FormatTime(now), su.Language)
		}
		if err != nil {
			return fmt.Errorf("subscribers: follow %s: %w", ids.Quote(r.IncidentID), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO incident_subscriptions (incident_id, subscriber_id, created_at) VALUES (?, ?, ?)
			ON CONFLICT (incident_id, subscriber_id) DO NOTHING`, r.IncidentID, sub.ID, store.FormatTime(now)); err != nil {
			return fmt.Errorf("subscribers: follow %s: %w", ids.Quote(r.IncidentID), err)
		}
		if r.SkipConfirmation {
			if err := s.confirmFollowTx(ctx, tx, r.IncidentID, sub.ID, now); err != nil {
				return err
			}
		} else {
			if res.VerifyToken, err = s.sendFollowConfirmationTx(ctx, tx, sub, r.IncidentID, now, su.IP != ""); err != nil {
				return err
			}
		}
		res.Follow, err = s.followTx(ctx, tx, r.IncidentID, sub.ID)
		return err
	})
	return res, err
}

// sendFollowConfirmationTx queues the confirmation of sub's follow of
// incidentID: a link naming both by email, a code by SMS (whose entry
// confirms the follow, see VerifySMS). It returns the SMS code-entry token.
func (s *Service) sendFollowConfirmationTx(ctx context.Context, tx *sql.Tx, sub Subscriber, incidentID string, now time.Time, limited bool) (string, error) {
	data, verifyToken := incidentID, ""
	if sub.Mode == notifier.SMS {
		code, err := s.newCodeTx(ctx, tx, sub.ID, nil, now)
		if err != nil {
			return "", err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sms_codes SET incident_id = ? WHERE subscriber_id = ?`, incidentID, sub.ID); err != nil {
			return "", fmt.Errorf("subscribers: store code: %w", err)
		}
		data, verifyToken = code, s.tokens.sign(PurposeVerifySMS, sub.ID, now)
	}
	return verifyToken, s.queueConfirmationTx(ctx, tx, sub, notifier.PurposeFollow, data, now, limited)
}

// FollowLink returns the signed token of the link that confirms that
// subscriberID follows incidentID.
func (s *Service) FollowLink(subscriberID, incidentID string) string {
	return s.tokens.sign(PurposeFollow, subscriberID+followSep+incidentID, s.now())
}

// ConfirmFollow confirms the follow named by a follow link.
func (s *Service) ConfirmFollow(ctx context.Context, token string) (Follow, error) {
	pair, err := s.tokens.verify(PurposeFollow, token, s.now())
	if err != nil {
		return Follow{}, err
	}
	subID, incidentID, ok := strings.Cut(pair, followSep)
	if !ok {
		return Follow{}, ErrBadToken
	}
	var f Follow
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		if err := s.confirmFollowTx(ctx, tx, incidentID, subID, s.now()); err != nil {
			return err
		}
		f, err = s.followTx(ctx, tx, incidentID, subID)
		return err
	})
	return f, err
}

// confirmFollowTx confirms a follow. An address that was not active
// becomes active for its follows only: a page-wide sign-up it never
// confirmed, or one it left, does not come back with it.
func (s *Service) confirmFollowTx(ctx context.Context, tx *sql.Tx, incidentID, subID string, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE incident_subscriptions SET confirmed_at = COALESCE(confirmed_at, ?)
		WHERE incident_id = ? AND subscriber_id = ?`, store.FormatTime(now), incidentID, subID)
	if err != nil {
		return fmt.Errorf("subscribers: confirm follow: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrBadToken // the follow was removed since the link was sent
	}
	sub, err := s.getTx(ctx, tx, subID)
	if err != nil {
		return err
	}
	if sub.State == Active {
		return nil
	}
	if err := s.setStateTx(ctx, tx, subID, Active, now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET page_wide = 0, page_pending = 0 WHERE id = ?`, subID); err != nil {
		return fmt.Errorf("subscribers: confirm follow: %w", err)
	}
	// The address comes back for this incident only: follows it confirmed
	// before it left stay left, or its return would revive them too.
	if _, err := tx.ExecContext(ctx, `UPDATE incident_subscriptions SET confirmed_at = NULL
		WHERE subscriber_id = ? AND incident_id <> ?`, subID, incidentID); err != nil {
		return fmt.Errorf("subscribers: confirm follow: %w", err)
	}
	return nil
}

// setPageWideTx gives subscriber id the page-wide subscription, once its
// address confirmed a page sign-up (or staff vouched for it).
func (s *Service) setPageWideTx(ctx context.Context, tx *sql.Tx, id string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET page_wide = 1, page_pending = 0 WHERE id = ?`, id); err != nil {
		return fmt.Errorf("subscribers: set page-wide %s: %w", id, err)
	}
	return nil
}

// Follower returns subscriberID's follow of incidentID.
func (s *Service) Follower(ctx context.Context, incidentID, subscriberID string) (Follow, error) {
	return s.followTx(ctx, s.db.Read, incidentID, subscriberID)
}

func (s *Service) followTx(ctx context.Context, q components.Queryer, incidentID, subscriberID string) (Follow, error) {
	list, err := s.follows(ctx, q, ` WHERE incident_id = ? AND subscriber_id = ?`, incidentID, ids.OrEmpty(subscriberID))
	if err != nil {
		return Follow{}, err
	}
	if len(list) == 0 {
		return Follow{}, fmt.Errorf("subscribers: %s following %s: %w", ids.Quote(subscriberID), ids.Quote(incidentID), ErrNotFound)
	}
	return list[0], nil
}

// Followers returns a page of incidentID's followers, oldest first, and
// how many there are in all.
func (s *Service) Followers(ctx context.Context, incidentID string, limit, offset int) ([]Follow, int, error) {
	if limit <= 0 {
		limit = 100
	}
	list, err := s.follows(ctx, s.db.Read, ` WHERE incident_id = ? ORDER BY created_at, subscriber_id LIMIT ? OFFSET ?`,
		incidentID, limit, max(offset, 0))
	if err != nil {
		return nil, 0, err
	}
	var n int
	if err := s.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_subscriptions WHERE incident_id = ?`, incidentID).Scan(&n); err != nil {
		return nil, 0, fmt.Errorf("subscribers: count followers: %w", err)
	}
	return list, n, nil
}

// FollowerStates counts incidentID's followers by the state each shows in
// Followers: unconfirmed while the follow awaits confirmation, else the
// address's own state (a confirmed follower who left is unsubscribed).
func (s *Service) FollowerStates(ctx context.Context, incidentID string) (map[State]int, error) {
	rows, err := s.db.Read.QueryContext(ctx, `SELECT CASE WHEN f.confirmed_at IS NULL THEN ? ELSE s.state END, COUNT(*)
		FROM incident_subscriptions f JOIN subscribers s ON s.id = f.subscriber_id
		WHERE f.incident_id = ? GROUP BY 1`, string(Unconfirmed), incidentID)
	if err != nil {
		return nil, fmt.Errorf("subscribers: count followers: %w", err)
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var st State
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("subscribers: count followers: %w", err)
		}
		out[st] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("subscribers: count followers: %w", err)
	}
	return out, nil
}

// follows loads follows and their subscribers.
func (s *Service) follows(ctx context.Context, q components.Queryer, tail string, args ...any) ([]Follow, error) {
	rows, err := q.QueryContext(ctx, `SELECT incident_id, subscriber_id, created_at, confirmed_at FROM incident_subscriptions`+tail, args...)
	if err != nil {
		return nil, fmt.Errorf("subscribers: list follows: %w", err)
	}
	var list []Follow
	var subIDs []string
	for rows.Next() {
		var f Follow
		if err := rows.Scan(&f.IncidentID, &f.Subscriber.ID, store.Time(&f.CreatedAt), store.OptTime(&f.ConfirmedAt)); err != nil {
			rows.Close()
			return nil, fmt.Errorf("subscribers: list follows: %w", err)
		}
		list = append(list, f)
		subIDs = append(subIDs, f.Subscriber.ID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("subscribers: list follows: %w", err)
	}
	out := make([]Follow, 0, len(list))
	if len(list) == 0 {
		return out, nil
	}
	subs, err := s.query(ctx, q, s.q.byIDs, store.IDList(subIDs))
	if err != nil {
		return nil, err
	}
	byID := make(map[string]Subscriber, len(subs))
	for _, sub := range subs {
		byID[sub.ID] = sub
	}
	for _, f := range list {
		f.Subscriber = byID[f.Subscriber.ID]
		if f.ConfirmedAt == nil {
			f.Subscriber.State = Unconfirmed
		}
		out = append(out, f)
	}
	return out, nil
}

// Unfollow ends subscriberID's follow of incidentID and returns it as it
// was. An address that follows nothing else and has no page-wide
// subscription is unsubscribed: it has nothing left to hear.
func (s *Service) Unfollow(ctx context.Context, incidentID, subscriberID string) (Follow, error) {
	var f Follow
	err := s.db.Tx(ctx, func(tx *sql.Tx) error {
		var err error
		if f, err = s.followTx(ctx, tx, incidentID, subscriberID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM incident_subscriptions WHERE incident_id = ? AND subscriber_id = ?`, incidentID, subscriberID); err != nil {
			return fmt.Errorf("subscribers: unfollow: %w", err)
		}
		var others int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM incident_subscriptions WHERE subscriber_id = ?`, subscriberID).Scan(&others); err != nil {
			return fmt.Errorf("subscribers: unfollow: %w", err)
		}
		sub, err := s.getTx(ctx, tx, subscriberID)
		if err != nil {
			return err
		}
		if others == 0 && !sub.PageWide && sub.State != Unsubscribed {
			if err := s.setStateTx(ctx, tx, subscriberID, Unsubscribed, s.now()); err != nil {
				return err
			}
			if sub, err = s.getTx(ctx, tx, subscriberID); err != nil {
				return err
			}
		}
		f.Subscriber = sub
		return nil
	})
	return f, err
}

// ResendFollowConfirmation sends the confirmation of an unconfirmed follow
// again (staff only).
func (s *Service) ResendFollowConfirmation(ctx context.Context, incidentID, subscriberID string) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		f, err := s.followTx(ctx, tx, incidentID, subscriberID)
		if err != nil {
			return err
		}
		if f.ConfirmedAt != nil {
			return invalid("state", "is active; only unconfirmed incident subscribers are sent confirmations")
		}
		sub, err := s.getTx(ctx, tx, subscriberID)
		if err != nil {
			return err
		}
		_, err = s.sendFollowConfirmationTx(ctx, tx, sub, incidentID, s.now(), false)
		return err
	})
}

// joinPageTx gives an address that only follows incidents the page-wide
// subscription, for a staff import: at once, or once it confirms when
// confirm (ConfirmEmail and VerifySMS set PageWide then).
func (s *Service) joinPageTx(ctx context.Context, tx *sql.Tx, sub Subscriber, comps []string, confirm bool, now time.Time) error {
	if err := s.setComponentsTx(ctx, tx, sub.ID, comps); err != nil {
		return err
	}
	if !confirm {
		if err := s.setStateTx(ctx, tx, sub.ID, Active, now); err != nil {
			return err
		}
		return s.setPageWideTx(ctx, tx, sub.ID)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET page_pending = 1 WHERE id = ?`, sub.ID); err != nil {
		return fmt.Errorf("subscribers: mark page sign-up pending: %w", err)
	}
	data := ""
	if sub.Mode == notifier.SMS {
		var err error
		if data, err = s.newCodeTx(ctx, tx, sub.ID, comps, now); err != nil {
			return err
		}
	}
	return s.queueConfirmationTx(ctx, tx, sub, notifier.PurposeConfirm, data, now, false)
}
