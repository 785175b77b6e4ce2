-- How far the fan-out of an event has got: the last subscriber id given a
-- delivery. A restarted fan-out resumes after it.
ALTER TABLE notification_events ADD COLUMN fanout_cursor TEXT NOT NULL DEFAULT '';

-- One message to one subscriber on one channel: for an event, or a direct
-- message (a confirmation) with event_id NULL. state is pending until sent,
-- failed or cancelled; a pending row whose next_attempt_at is in the future
-- is either backing off or leased to a worker (claimed_at set).
CREATE TABLE deliveries (
    id              INTEGER PRIMARY KEY,
    event_id        INTEGER REFERENCES notification_events (id) ON DELETE CASCADE,
    subscriber_id   TEXT NOT NULL,
    channel         TEXT NOT NULL,
    purpose         TEXT NOT NULL,
    data            TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_at      TEXT,
    provider_id     TEXT,
    provider_status TEXT,
    error_code      TEXT NOT NULL DEFAULT '',
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    sent_at         TEXT
) STRICT;

-- At most one delivery per (event, subscriber, channel): fan-out is
-- idempotent.
CREATE UNIQUE INDEX deliveries_once ON deliveries (event_id, subscriber_id, channel) WHERE event_id IS NOT NULL;
-- The claim query: due pending rows of one channel, oldest first.
CREATE INDEX deliveries_due ON deliveries (channel, state, next_attempt_at, id);
CREATE INDEX deliveries_event ON deliveries (event_id, channel, state);
CREATE INDEX deliveries_subscriber ON deliveries (subscriber_id, id);
CREATE INDEX deliveries_provider ON deliveries (provider_id) WHERE provider_id IS NOT NULL;
