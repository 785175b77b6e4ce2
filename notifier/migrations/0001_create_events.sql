-- The outbox: one row per change that subscribers may need to hear about,
-- written in the same transaction as the change itself.
CREATE TABLE notification_events (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                  TEXT NOT NULL,
    incident_id           TEXT,
    update_id             TEXT,
    component_id          TEXT,
    old_status            TEXT,
    new_status            TEXT,
    component_ids         TEXT NOT NULL DEFAULT '[]',
    deliver_notifications INTEGER NOT NULL,
    created_at            TEXT NOT NULL,
    fanned_out_at         TEXT
) STRICT;

CREATE INDEX notification_events_pending ON notification_events (fanned_out_at, id);
CREATE INDEX notification_events_incident ON notification_events (incident_id, id);
