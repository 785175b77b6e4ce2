package subscribers

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/beacon-status/beacon/internal/store"
	"github.com/beacon-status/beacon/notifier"
)

// The Service is the notifier's Audience: it decides who hears about an
// event and what a delivery's outcome does to its subscriber.
var _ notifier.Audience = (*Service)(nil)

// Quarantine thresholds.
const (
	// permanentFailuresToQuarantine is how many permanent failures in a
	// row quarantine an email subscriber (a bounce can be a fluke).
	permanentFailuresToQuarantine = 3
	// webhookFailuresPerHour quarantine a webhook, as Statuspage does.
	webhookFailuresPerHour = 10
)

// RecipientsTx implements notifier.Audience.
func (s *Service) RecipientsTx(ctx context.Context, tx *sql.Tx, e notifier.Event, channels []notifier.Channel, after string, limit int) ([]notifier.Recipient, error) {
	if len(channels) == 0 {
		return nil, nil
	}
	where, args := audienceWhere(e, channels)
	args = append(args, after, limit)
	rows, err := tx.QueryContext(ctx, `SELECT s.id, s.mode FROM subscribers s WHERE `+where+` AND s.id > ? ORDER BY s.id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("subscribers: recipients of event %d: %w", e.ID, err)
	}
	defer rows.Close()
	var out []notifier.Recipient
	for rows.Next() {
		var r notifier.Recipient
		if err := rows.Scan(&r.SubscriberID, &r.Channel); err != nil {
			return nil, fmt.Errorf("subscribers: recipients of event %d: %w", e.ID, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CountAudience counts, on each channel, the subscribers RecipientsTx
// would give for e now: what an update about to be posted will reach,
// before the dispatcher's choice of channels for the event's kind. A
// channel with none is absent.
func (s *Service) CountAudience(ctx context.Context, e notifier.Event, channels []notifier.Channel) (map[notifier.Channel]int, error) {
	out := map[notifier.Channel]int{}
	if len(channels) == 0 {
		return out, nil
	}
	where, args := audienceWhere(e, channels)
	rows, err := s.db.Read.QueryContext(ctx, `SELECT s.mode, COUNT(*) FROM subscribers s WHERE `+where+` GROUP BY s.mode`, args...)
	if err != nil {
		return nil, fmt.Errorf("subscribers: count the audience of incident %s: %w", e.IncidentID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch notifier.Channel
		var n int
		if err := rows.Scan(&ch, &n); err != nil {
			return nil, fmt.Errorf("subscribers: count the audience of incident %s: %w", e.IncidentID, err)
		}
		out[ch] = n
	}
	return out, rows.Err()
}

// audienceWhere is the condition on subscribers s that selects those who
// hear of e on channels (at least one), with its arguments.
func audienceWhere(e notifier.Event, channels []notifier.Channel) (string, []any) {
	where := `s.state = 'active' AND s.mode IN (?` + strings.Repeat(`, ?`, len(channels)-1) + `)`
	var args []any
	for _, ch := range channels {
		args = append(args, ch)
	}
	// The page's subscribers (page_wide) hear of the event by its
	// components; those who follow its incident alone hear of it when
	// e.ToFollowers says the incident had not closed before. A page
	// subscriber who also follows the incident is one row: one message.
	audience := `s.page_wide = 1`
	if len(e.ComponentIDs) > 0 {
		// Subscribers of every component, and those following one the
		// event touches.
		audience += ` AND (s.all_components = 1 OR EXISTS (SELECT 1 FROM subscriber_components sc
			WHERE sc.subscriber_id = s.id AND sc.component_id IN (?` + strings.Repeat(`, ?`, len(e.ComponentIDs)-1) + `)))`
		for _, id := range e.ComponentIDs {
			args = append(args, id)
		}
	}
	if e.ToFollowers && e.IncidentID != "" {
		audience += ` OR EXISTS (SELECT 1 FROM incident_subscriptions f
			WHERE f.incident_id = ? AND f.subscriber_id = s.id AND f.confirmed_at IS NOT NULL)`
		args = append(args, e.IncidentID)
	}
	return where + ` AND (` + audience + `)`, args
}

// DeliveredManyTx implements notifier.Audience: a delivery resets the count of permanent failures,
// and a webhook's or chat channel's successful test message confirms it. One UPDATE covers a
// batch's subscribers: only those with failures to reset are written. Both go in id order (see
// queries.delivered), so that two replicas' acknowledgements lock shared rows in one order.
func (s *Service) DeliveredManyTx(ctx context.Context, tx *sql.Tx, ds []notifier.Delivery) error {
	idList := make([]string, len(ds))
	var confirmed []string
	for i, d := range ds {
		idList[i] = d.SubscriberID
		if (d.Channel == notifier.Webhook || d.Channel.Chat()) && d.Purpose == notifier.PurposeConfirm {
			confirmed = append(confirmed, d.SubscriberID)
		}
	}
	slices.Sort(confirmed)
	now := store.FormatTime(s.now())
	for _, id := range slices.Compact(confirmed) {
		_, err := tx.ExecContext(ctx, `UPDATE subscribers SET state = 'active', confirmed_at = COALESCE(confirmed_at, ?), updated_at = ?
			WHERE id = ? AND state = 'unconfirmed'`, now, now, id)
		if err != nil {
			return fmt.Errorf("subscribers: confirm webhook %s: %w", id, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q.delivered, store.IDList(idList)); err != nil {
		return fmt.Errorf("subscribers: reset failures of %d subscribers: %w", len(ds), err)
	}
	return nil
}

// FailedTx implements notifier.Audience. A recipient who told the provider
// to stop (SMS STOP) is unsubscribed, and an address that is gone (a
// deleted chat webhook) quarantined at once. Otherwise permanent failures
// quarantine: an SMS number at once (it is invalid or cannot receive SMS),
// an email address after a few in a row; a webhook or chat channel is
// quarantined after 10 failures of any kind within an hour, an answer that
// asks to wait (429 with Retry-After) not counted.
func (s *Service) FailedTx(ctx context.Context, tx *sql.Tx, d notifier.Delivery, e *notifier.SendError, final bool) error {
	now := s.now()
	switch {
	case e.Unsubscribe:
		return s.setStateTx(ctx, tx, d.SubscriberID, Unsubscribed, now)
	case e.Gone:
		return s.quarantineTx(ctx, tx, d.SubscriberID, now)
	}
	switch d.Channel {
	case notifier.Webhook, notifier.Slack, notifier.Teams, notifier.Discord, notifier.Mattermost, notifier.GoogleChat:
		if !e.Permanent && e.RetryAfter > 0 {
			// A receiver that asks to wait (429 with Retry-After) is busy,
			// not failing: the delivery waits as asked, and the endpoint
			// is not a step nearer quarantine.
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_failures (subscriber_id, created_at) VALUES (?, ?)`,
			d.SubscriberID, store.FormatTime(now)); err != nil {
			return fmt.Errorf("subscribers: record webhook failure: %w", err)
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM webhook_failures WHERE subscriber_id = ? AND created_at > ?`,
			d.SubscriberID, store.FormatTime(now.Add(-time.Hour))).Scan(&n); err != nil {
			return fmt.Errorf("subscribers: count webhook failures: %w", err)
		}
		if n >= webhookFailuresPerHour {
			return s.quarantineTx(ctx, tx, d.SubscriberID, now)
		}
	case notifier.SMS:
		if e.Permanent {
			return s.quarantineTx(ctx, tx, d.SubscriberID, now)
		}
	case notifier.Email:
		if !e.Permanent {
			return nil
		}
		var n int
		err := tx.QueryRowContext(ctx, `UPDATE subscribers SET permanent_failures = permanent_failures + 1 WHERE id = ? RETURNING permanent_failures`,
			d.SubscriberID).Scan(&n)
		if err != nil {
			return fmt.Errorf("subscribers: count failures of %s: %w", d.SubscriberID, err)
		}
		if n >= permanentFailuresToQuarantine {
			return s.quarantineTx(ctx, tx, d.SubscriberID, now)
		}
	}
	return nil
}

// quarantineTx quarantines an active or unconfirmed subscriber.
func (s *Service) quarantineTx(ctx context.Context, tx *sql.Tx, id string, now time.Time) error {
	stamp := store.FormatTime(now)
	_, err := tx.ExecContext(ctx, `UPDATE subscribers SET state = 'quarantined', quarantined_at = ?, updated_at = ?
		WHERE id = ? AND state IN ('active', 'unconfirmed')`, stamp, stamp, id)
	if err != nil {
		return fmt.Errorf("subscribers: quarantine %s: %w", id, err)
	}
	return nil
}
