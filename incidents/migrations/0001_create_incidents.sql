-- Incidents and scheduled maintenances share one table, as they share one
-- shape in Statuspage's API; kind tells them apart.
CREATE TABLE incidents (
    id                          TEXT PRIMARY KEY,
    kind                        TEXT NOT NULL CHECK (kind IN ('incident', 'maintenance')),
    name                        TEXT NOT NULL,
    status                      TEXT NOT NULL,
    impact                      TEXT NOT NULL,
    impact_override             TEXT,
    backfilled                  INTEGER NOT NULL DEFAULT 0,
    started_at                  TEXT NOT NULL,
    monitoring_at               TEXT,
    resolved_at                 TEXT,
    scheduled_for               TEXT,
    scheduled_until             TEXT,
    scheduled_remind_prior      INTEGER NOT NULL DEFAULT 0,
    scheduled_reminded_at       TEXT,
    scheduled_auto_in_progress  INTEGER NOT NULL DEFAULT 0,
    scheduled_auto_completed    INTEGER NOT NULL DEFAULT 0,
    to_maintenance_state        INTEGER NOT NULL DEFAULT 0,
    to_operational_state        INTEGER NOT NULL DEFAULT 0,
    notify_at_start             INTEGER NOT NULL DEFAULT 0,
    notify_at_end               INTEGER NOT NULL DEFAULT 0,
    postmortem_body             TEXT NOT NULL DEFAULT '',
    postmortem_published_at     TEXT,
    postmortem_notified         INTEGER NOT NULL DEFAULT 0,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL
) STRICT;

CREATE INDEX incidents_kind_created ON incidents (kind, created_at);
CREATE INDEX incidents_kind_status ON incidents (kind, status, scheduled_for);

CREATE TABLE incident_components (
    incident_id  TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    component_id TEXT NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, component_id)
) STRICT;

CREATE INDEX incident_components_component ON incident_components (component_id);

-- The timeline. Rows are appended; only body and display_at are ever
-- edited. affected_components is a JSON snapshot of the status changes the
-- update made ({code, name, old_status, new_status}), or NULL.
CREATE TABLE incident_updates (
    seq                   INTEGER PRIMARY KEY,
    id                    TEXT NOT NULL UNIQUE,
    incident_id           TEXT NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
    status                TEXT NOT NULL,
    body                  TEXT NOT NULL,
    affected_components   TEXT,
    deliver_notifications INTEGER NOT NULL,
    display_at            TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
) STRICT;

CREATE INDEX incident_updates_incident ON incident_updates (incident_id, display_at);
