package notifier

import (
	"context"
	"fmt"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

// Counts is how many deliveries of one event on one channel are in each
// state. Sending counts those pending and claimed by a worker right now.
type Counts struct {
	Pending   int `json:"pending"`
	Sending   int `json:"sending"`
	Sent      int `json:"sent"`
	Failed    int `json:"failed"`
	Cancelled int `json:"cancelled"`
}

// Failure is one recent failed or retried attempt.
type Failure struct {
	Channel      Channel   `json:"channel"`
	SubscriberID string    `json:"subscriber_id"`
	Code         string    `json:"code"`
	Error        string    `json:"error"`
	Final        bool      `json:"final"`
	At           time.Time `json:"at"`
}

// EventStats is the delivery progress of one event.
type EventStats struct {
	EventID   int64              `json:"event_id"`
	Kind      EventKind          `json:"kind"`
	UpdateID  string             `json:"update_id,omitempty"`
	FannedOut bool               `json:"fanned_out"`
	Channels  map[Channel]Counts `json:"channels"`
	Failures  []Failure          `json:"recent_failures"`
}

// Stats returns the delivery progress of every event of an incident, in
// the order the events were written, with up to five recent failures each.
func (o *Outbox) Stats(ctx context.Context, incidentID string) ([]EventStats, error) {
	events, err := o.Events(ctx, EventFilter{IncidentID: incidentID, Limit: 10000})
	if err != nil {
		return nil, err
	}
	out := make([]EventStats, 0, len(events))
	index := map[int64]int{}
	for _, e := range events {
		index[e.ID] = len(out)
		out = append(out, EventStats{EventID: e.ID, Kind: e.Kind, UpdateID: e.UpdateID, FannedOut: e.FannedOutAt != nil,
			Channels: map[Channel]Counts{}, Failures: []Failure{}})
	}
	rows, err := o.db.Read.QueryContext(ctx, `SELECT d.event_id, d.channel, d.state, d.claimed_at IS NOT NULL, COUNT(*)
		FROM deliveries d JOIN notification_events e ON e.id = d.event_id
		WHERE e.incident_id = ? GROUP BY d.event_id, d.channel, d.state, d.claimed_at IS NOT NULL`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("notifier: stats of %s: %w", incidentID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var eventID int64
		var ch Channel
		var state string
		var claimed bool
		var n int
		if err := rows.Scan(&eventID, &ch, &state, &claimed, &n); err != nil {
			return nil, fmt.Errorf("notifier: stats of %s: %w", incidentID, err)
		}
		i, ok := index[eventID]
		if !ok {
			continue
		}
		c := out[i].Channels[ch]
		switch {
		case state == "pending" && claimed:
			c.Sending += n
		case state == "pending":
			c.Pending += n
		case state == "sent":
			c.Sent += n
		case state == "failed":
			c.Failed += n
		case state == "cancelled":
			c.Cancelled += n
		}
		out[i].Channels[ch] = c
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("notifier: stats of %s: %w", incidentID, err)
	}
	frows, err := o.db.Read.QueryContext(ctx, `SELECT d.event_id, d.channel, d.subscriber_id, d.error_code, d.last_error, d.state = 'failed', d.updated_at
		FROM deliveries d JOIN notification_events e ON e.id = d.event_id
		WHERE e.incident_id = ? AND d.last_error <> '' ORDER BY d.updated_at DESC, d.id DESC LIMIT 200`, incidentID)
	if err != nil {
		return nil, fmt.Errorf("notifier: failures of %s: %w", incidentID, err)
	}
	defer frows.Close()
	for frows.Next() {
		var eventID int64
		var f Failure
		if err := frows.Scan(&eventID, &f.Channel, &f.SubscriberID, &f.Code, &f.Error, &f.Final, store.Time(&f.At)); err != nil {
			return nil, fmt.Errorf("notifier: failures of %s: %w", incidentID, err)
		}
		if i, ok := index[eventID]; ok && len(out[i].Failures) < 5 {
			out[i].Failures = append(out[i].Failures, f)
		}
	}
	return out, frows.Err()
}
