package subscribers

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// BulkAction is one of Statuspage's bulk subscriber operations.
type BulkAction string

// The bulk actions.
const (
	BulkUnsubscribe        BulkAction = "unsubscribe"
	BulkReactivate         BulkAction = "reactivate"
	BulkResendConfirmation BulkAction = "resend_confirmation"
)

// Types are the subscriber types Statuspage's API names, in the order its
// count and histogram list them, then Beacon's other chat channels.
// integration_partner is accepted as a filter and matches nobody.
var Types = []string{"email", "sms", "webhook", "integration_partner", "slack", "teams", "discord", "mattermost", "google_chat"}

// ValidType reports whether t is one of Types.
func ValidType(t string) bool { return slices.Contains(Types, t) }

// MaxBulkIDs is how many ids one bulk request may name, as Statuspage.
const MaxBulkIDs = 100

// MaxBulkResend bounds the confirmations one resend_confirmation queues:
// each is a row written in the one transaction (and, for SMS, a new code),
// so "all" on a page with a huge unconfirmed backlog is refused with a
// clear error instead of holding the writer for minutes. Narrow it with
// type or a list of ids.
const MaxBulkResend = 10_000

// Bulk says which subscribers a bulk action touches.
type Bulk struct {
	Action BulkAction
	// All selects every subscriber matching Type and State; otherwise IDs
	// (1 to MaxBulkIDs of them) are the candidates.
	All bool
	IDs []string
	// Type narrows to one of Types; "" is every type.
	Type string
	// State narrows to one state, or "all" for every state the action
	// applies to; "" takes the action's default (see BulkStates).
	State string
	// SkipUnsubscriptionNotification is Statuspage's flag to unsubscribe
	// silently. Beacon never sends a notice on unsubscribing, so every
	// unsubscribe is silent whatever it says.
	SkipUnsubscriptionNotification bool
}

// BulkResult says what a bulk action did.
type BulkResult struct {
	// Changed is how many subscribers the action changed (for
	// resend_confirmation, how many confirmations it queued).
	Changed int
	// NotFound lists the named ids that are no subscriber.
	NotFound []string
	// Skipped lists the named ids whose type or state the action does not
	// touch.
	Skipped []string
}

// BulkStates returns the states an action touches: the states it can
// apply to when state is "all", the one named when it is one of them, and
// the default when it is "". The defaults: unsubscribe touches active
// subscribers under "all" (Statuspage's default) and active, unconfirmed
// and quarantined ones named by id; reactivate touches quarantined ones
// under "all" (as Statuspage: people who left are never written to again
// in bulk unless asked with state) and quarantined and unsubscribed ones
// named by id; resend_confirmation touches unconfirmed ones. A state the
// action cannot apply to is a ValidationError on "state".
func BulkStates(action BulkAction, all bool, state string) ([]State, error) {
	var applies, byDefault []State
	switch action {
	case BulkUnsubscribe:
		applies = []State{Active, Unconfirmed, Quarantined}
		byDefault = applies
		if all {
			byDefault = []State{Active}
		}
	case BulkReactivate:
		applies = []State{Quarantined, Unsubscribed}
		byDefault = applies
		if all {
			byDefault = []State{Quarantined}
		}
	case BulkResendConfirmation:
		applies = []State{Unconfirmed}
		byDefault = applies
	default:
		return nil, fmt.Errorf("subscribers: unknown bulk action %q", action)
	}
	switch {
	case state == "":
		return byDefault, nil
	case state == "all":
		return applies, nil
	case slices.Contains(applies, State(state)):
		return []State{State(state)}, nil
	}
	names := make([]string, 0, len(applies)+1)
	for _, s := range applies {
		names = append(names, string(s))
	}
	names = append(names, "all")
	return nil, invalid("state", "must be %s for %s", strings.Join(names, ", "), action)
}

// BulkApply runs a bulk action in one transaction: every row it names is
// changed, or none is. Unsubscribe and reactivate are one UPDATE each, so
// "all" costs no more memory on a million subscribers than on ten;
// resend_confirmation queues one confirmation per row, at most
// MaxBulkResend.
func (s *Service) BulkApply(ctx context.Context, b Bulk) (BulkResult, error) {
	states, err := BulkStates(b.Action, b.All, b.State)
	if err != nil {
		return BulkResult{}, err
	}
	if b.Type != "" && !ValidType(b.Type) {
		return BulkResult{}, invalid("type", "must be one of %s", strings.Join(Types, ", "))
	}
	if !b.All {
		if len(b.IDs) == 0 || len(b.IDs) > MaxBulkIDs {
			return BulkResult{}, invalid("subscribers", "must be \"all\", a subscriber id or a list of 1 to %d ids", MaxBulkIDs)
		}
		for _, id := range b.IDs {
			if id == "" || len(id) > 64 {
				return BulkResult{}, invalid("subscribers", "must hold subscriber ids (1 to 64 characters)")
			}
		}
	}
	stateNames := make([]string, len(states))
	for i, st := range states {
		stateNames[i] = string(st)
	}
	// sel is the condition naming exactly the rows the action touches;
	// its arguments are the states, the type and the ids (unless "all").
	// "all" is the page's subscribers: those who only follow an incident
	// are reached through that incident, or by naming them. The two forms
	// are chosen here rather than in SQL so that a list of ids is looked
	// up by primary key instead of scanning the table.
	sel := `state IN ` + s.q.inList + ` AND (? = '' OR mode = ?) AND `
	args := []any{store.IDList(stateNames), b.Type, b.Type}
	if b.All {
		sel += `page_wide = 1`
	} else {
		sel += `id IN ` + s.q.inList
		args = append(args, store.IDList(b.IDs))
	}
	if b.Action == BulkResendConfirmation {
		// A follower's confirmation is its incident's (resent there); a
		// page confirmation would sign it up for the whole page.
		sel += ` AND page_wide = 1`
	}

	var res BulkResult
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		res = BulkResult{NotFound: []string{}, Skipped: []string{}}
		if !b.All {
			if err := s.bulkMissesTx(ctx, tx, sel, args, b.IDs, &res); err != nil {
				return err
			}
		}
		now := store.FormatTime(s.now())
		var n int64
		switch b.Action {
		case BulkUnsubscribe:
			r, err := tx.ExecContext(ctx, `UPDATE subscribers SET state = 'unsubscribed', updated_at = ?, unsubscribed_at = ? WHERE `+sel,
				append([]any{now, now}, args...)...)
			if err != nil {
				return fmt.Errorf("subscribers: bulk unsubscribe: %w", err)
			}
			n, _ = r.RowsAffected()
		case BulkReactivate:
			// As setStateTx for Active: a fresh start, so the failures
			// that quarantined a webhook do not count again. Cleared
			// before the UPDATE, while sel still names those rows.
			if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_failures WHERE subscriber_id IN (SELECT id FROM subscribers WHERE `+sel+`)`, args...); err != nil {
				return fmt.Errorf("subscribers: bulk reactivate: %w", err)
			}
			r, err := tx.ExecContext(ctx, `UPDATE subscribers SET state = 'active', updated_at = ?, confirmed_at = COALESCE(confirmed_at, ?),
				quarantined_at = NULL, unsubscribed_at = NULL, permanent_failures = 0 WHERE `+sel, append([]any{now, now}, args...)...)
			if err != nil {
				return fmt.Errorf("subscribers: bulk reactivate: %w", err)
			}
			n, _ = r.RowsAffected()
		case BulkResendConfirmation:
			var err error
			if n, err = s.bulkResendTx(ctx, tx, sel, args); err != nil {
				return err
			}
		}
		res.Changed = int(n)
		return nil
	})
	if err != nil {
		return BulkResult{}, err
	}
	return res, nil
}

// bulkMissesTx fills NotFound and Skipped for a request naming ids.
func (s *Service) bulkMissesTx(ctx context.Context, tx *sql.Tx, sel string, args []any, ids []string, res *BulkResult) error {
	rows, err := tx.QueryContext(ctx, `SELECT n.value, s.id IS NOT NULL, CASE WHEN s.id IN (SELECT id FROM subscribers WHERE `+sel+`) THEN 1 ELSE 0 END
		FROM `+s.db.JSONArray("n")+` LEFT JOIN subscribers s ON s.id = n.value ORDER BY n.key`, append(args, store.IDList(ids))...)
	if err != nil {
		return fmt.Errorf("subscribers: bulk: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		var exists, selected bool
		if err := rows.Scan(&id, &exists, &selected); err != nil {
			return fmt.Errorf("subscribers: bulk: %w", err)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		switch {
		case !exists:
			res.NotFound = append(res.NotFound, id)
		case !selected:
			res.Skipped = append(res.Skipped, id)
		}
	}
	return rows.Err()
}

// bulkResendTx queues a confirmation to each selected subscriber (a new
// code for SMS), refusing more than MaxBulkResend. The rows are read
// whole first: the inserts must not run while the query is open on the
// same connection.
func (s *Service) bulkResendTx(ctx context.Context, tx *sql.Tx, sel string, args []any) (int64, error) {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM subscribers WHERE `+sel, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("subscribers: bulk resend: %w", err)
	}
	if n > MaxBulkResend {
		return 0, invalid("subscribers", "selects %d unconfirmed subscribers; one request resends at most %d confirmations (narrow it with type or a list of ids)", n, MaxBulkResend)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, mode, address FROM subscribers WHERE `+sel+` ORDER BY id`, args...)
	if err != nil {
		return 0, fmt.Errorf("subscribers: bulk resend: %w", err)
	}
	list := make([]Subscriber, 0, n)
	for rows.Next() {
		var sub Subscriber
		if err := rows.Scan(&sub.ID, &sub.Mode, &sub.Address); err != nil {
			rows.Close()
			return 0, fmt.Errorf("subscribers: bulk resend: %w", err)
		}
		list = append(list, sub)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("subscribers: bulk resend: %w", err)
	}
	now := s.now()
	for _, sub := range list {
		data := ""
		if sub.Mode == notifier.SMS {
			// The code keeps the components chosen at sign-up.
			var comps []string
			if err := s.componentsTx(ctx, tx, sub.ID, &comps); err != nil {
				return 0, err
			}
			if data, err = s.newCodeTx(ctx, tx, sub.ID, comps, now); err != nil {
				return 0, err
			}
		}
		if err := s.queueConfirmationTx(ctx, tx, sub, notifier.PurposeConfirm, data, now, false); err != nil {
			return 0, err
		}
	}
	return int64(len(list)), nil
}

// componentsTx reads the components subscriber id follows (none: all).
func (s *Service) componentsTx(ctx context.Context, tx *sql.Tx, id string, out *[]string) error {
	rows, err := tx.QueryContext(ctx, `SELECT component_id FROM subscriber_components WHERE subscriber_id = ? ORDER BY component_id`, id)
	if err != nil {
		return fmt.Errorf("subscribers: components of %s: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return fmt.Errorf("subscribers: components of %s: %w", id, err)
		}
		*out = append(*out, c)
	}
	return rows.Err()
}
