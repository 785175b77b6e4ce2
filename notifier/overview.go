package notifier

import (
	"context"
	"fmt"
	"time"

	"github.com/beacon-status/beacon/internal/sqlite"
)

// Queue returns, per channel, the deliveries waiting (Pending), in flight
// (Sending), and sent or failed since since — the console's view of the
// notification queue.
func (o *Outbox) Queue(ctx context.Context, since time.Time) (map[Channel]Counts, error) {
	out := map[Channel]Counts{Email: {}, SMS: {}, Webhook: {}}
	rows, err := o.db.Read.QueryContext(ctx, `SELECT channel,
		SUM(state = 'pending' AND claimed_at IS NULL), SUM(state = 'pending' AND claimed_at IS NOT NULL),
		SUM(state = 'sent' AND updated_at >= ?1), SUM(state = 'failed' AND updated_at >= ?1)
		FROM deliveries WHERE state = 'pending' OR updated_at >= ?1 GROUP BY channel`, sqlite.FormatTime(since))
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
