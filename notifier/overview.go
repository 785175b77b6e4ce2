package notifier

import (
	"context"
	"fmt"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

// Queue returns, per channel, the deliveries waiting (Pending), in flight
// (Sending), and sent or failed since since — the console's view of the
// notification queue.
func (o *Outbox) Queue(ctx context.Context, since time.Time) (map[Channel]Counts, error) {
	out := map[Channel]Counts{Email: {}, SMS: {}, Webhook: {}}
	rows, err := o.db.Read.QueryContext(ctx, `SELECT channel,
		COUNT(*) FILTER (WHERE state = 'pending' AND claimed_at IS NULL), COUNT(*) FILTER (WHERE state = 'pending' AND claimed_at IS NOT NULL),
		COUNT(*) FILTER (WHERE state = 'sent' AND updated_at >= ?1), COUNT(*) FILTER (WHERE state = 'failed' AND updated_at >= ?1)
		FROM deliveries WHERE state = 'pending' OR updated_at >= ?1 GROUP BY channel`, store.FormatTime(since))
	if err != nil {
		return nil, fmt.Errorf("notifier: queue: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch Channel
		var c Counts
		if err := rows.Scan(&ch, &c.Pending, &c.Sending, &c.Sent, &c.Failed); err != nil {
			return nil, fmt.Errorf("notifier: queue: %w", err)
		}
		out[ch] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notifier: queue: %w", err)
	}
	return out, nil
}

// Backlog returns what waits to be sent: events written but not yet fanned
// out, and per channel the pending deliveries (backing off or in flight
// included) — the numbers /metrics reports.
func (o *Outbox) Backlog(ctx context.Context) (events int, deliveries map[Channel]int, err error) {
	if err := o.db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notification_events WHERE fanned_out_at IS NULL`).Scan(&events); err != nil {
		return 0, nil, fmt.Errorf("notifier: count pending events: %w", err)
	}
	deliveries = map[Channel]int{Email: 0, SMS: 0, Webhook: 0}
	rows, err := o.db.Read.QueryContext(ctx, `SELECT channel, COUNT(*) FROM deliveries WHERE state = 'pending' GROUP BY channel`)
	if err != nil {
		return 0, nil, fmt.Errorf("notifier: count pending deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ch Channel
		var n int
		if err := rows.Scan(&ch, &n); err != nil {
			return 0, nil, fmt.Errorf("notifier: count pending deliveries: %w", err)
		}
		deliveries[ch] = n
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("notifier: count pending deliveries: %w", err)
	}
	return events, deliveries, nil
}
