-- Integrations: monitoring systems (Alertmanager, Grafana, any script) that
-- post alerts to Beacon. Only a SHA-256 hash of each token is kept: the
-- token itself is shown once, when it is made. components and severities
-- are JSON objects (label value → component id, severity → status).
CREATE TABLE integrations (
    id                  TEXT PRIMARY KEY,
    name                TEXT NOT NULL UNIQUE,
    kind                TEXT NOT NULL,
    token_hash          TEXT NOT NULL UNIQUE,
    token_prefix        TEXT NOT NULL,
    component_label     TEXT NOT NULL,
    components          TEXT NOT NULL,
    severity_label      TEXT NOT NULL,
    severities          TEXT NOT NULL,
    default_status      TEXT NOT NULL,
    incident_mode       TEXT NOT NULL,
    template_id         TEXT REFERENCES incident_templates (id) ON DELETE SET NULL,
    auto_resolve        INTEGER NOT NULL,
    flap_window_seconds INTEGER NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    last_alert_at       TEXT
) STRICT;

-- One row per alert group an integration has seen (Alertmanager's and
-- Grafana's groupKey, a generic payload's dedupe key): the dedupe state.
-- alerts holds the group's firing alerts (fingerprint → component and
-- status), components the statuses Beacon set for them. incident_id is the
-- incident the group's alerts attach to; draft is 1 while that is a draft
-- waiting for staff (no incident yet). quiet_until is set while a flap's
-- changes go untold.
CREATE TABLE integration_groups (
    id             TEXT PRIMARY KEY,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    key            TEXT NOT NULL,
    state          TEXT NOT NULL,
    incident_id    TEXT REFERENCES incidents (id) ON DELETE SET NULL,
    draft          INTEGER NOT NULL DEFAULT 0,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    alerts         TEXT NOT NULL,
    components     TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    resolved_at    TEXT,
    quiet_until    TEXT,
    UNIQUE (integration_id, key)
) STRICT;

CREATE INDEX integration_groups_state ON integration_groups (state, draft);
CREATE INDEX integration_groups_incident ON integration_groups (incident_id);

-- The alerts each integration received, with what Beacon did with each;
-- the newest 50 per integration are kept.
CREATE TABLE integration_alerts (
    id             INTEGER PRIMARY KEY,
    integration_id TEXT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    received_at    TEXT NOT NULL,
    status         TEXT NOT NULL,
    name           TEXT NOT NULL,
    component      TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    incident_id    TEXT
) STRICT;

CREATE INDEX integration_alerts_recent ON integration_alerts (integration_id, id);
