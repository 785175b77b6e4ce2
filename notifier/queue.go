package notifier

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/beacon-status/beacon/internal/store"
)

// Purpose says why a delivery exists.
type Purpose string

// The purposes of deliveries.
const (
	// PurposeEvent is a notification about an event from the outbox.
	PurposeEvent Purpose = "event"
	// PurposeConfirm asks a new subscriber to confirm: a link by email, a
	// code by SMS, a test delivery to a webhook.
	PurposeConfirm Purpose = "confirm"
	// PurposeManage sends an existing email subscriber a link to manage
	// their subscription.
	PurposeManage Purpose = "manage"
	// PurposeFollow asks a subscriber to confirm following one incident (an
	// incident subscriber): a link by email, a code by SMS. Data names the
	// incident, or holds the SMS code.
	PurposeFollow Purpose = "follow"
)

// Direct is a message to one subscriber that no event caused.
type Direct struct {
	SubscriberID string
	Channel      Channel
	Purpose      Purpose
	// Data is what the renderer needs beyond the subscriber (an SMS code).
	// It is erased once the message is sent.
	Data string
	At   time.Time
}

// EnqueueTx queues a direct message inside the caller's transaction.
func (o *Outbox) EnqueueTx(ctx context.Context, tx *sql.Tx, d Direct) error {
	if !d.Channel.Valid() {
		return fmt.Errorf("notifier: enqueue: unknown channel %q", d.Channel)
	}
	at := store.FormatTime(d.At)
	_, err := tx.ExecContext(ctx, `INSERT INTO deliveries
		(subscriber_id, channel, purpose, data, state, next_attempt_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`, d.SubscriberID, d.Channel, d.Purpose, d.Data, at, at, at)
	if err != nil {
		return fmt.Errorf("notifier: enqueue %s to %s: %w", d.Purpose, d.SubscriberID, err)
	}
	return nil
}
