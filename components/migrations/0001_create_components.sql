-- The page: one row, created on first start from configuration.
CREATE TABLE pages (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    url         TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    support_url TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- Components and groups share one table, as they share one list in
-- Statuspage's API; a group is a row with is_group = 1 whose members point
-- at it through group_id. A group's status is derived from its members.
CREATE TABLE components (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    description           TEXT,
    position              INTEGER NOT NULL,
    group_id              TEXT REFERENCES components (id) ON DELETE SET NULL,
    is_group              INTEGER NOT NULL DEFAULT 0,
    showcase              INTEGER NOT NULL DEFAULT 1,
    only_show_if_degraded INTEGER NOT NULL DEFAULT 0,
    start_date            TEXT,
    status                TEXT NOT NULL,
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
) STRICT;

CREATE INDEX components_group ON components (group_id, position);

-- Every status a component has been in, as intervals. The open interval has
-- ended_at NULL. Uptime is computed from these rows only.
CREATE TABLE component_status_intervals (
    id           INTEGER PRIMARY KEY,
    component_id TEXT NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    status       TEXT NOT NULL,
    started_at   TEXT NOT NULL,
    ended_at     TEXT
) STRICT;

CREATE INDEX component_status_intervals_component ON component_status_intervals (component_id, started_at);
CREATE UNIQUE INDEX component_status_intervals_open ON component_status_intervals (component_id) WHERE ended_at IS NULL;
