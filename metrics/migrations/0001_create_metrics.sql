-- Metrics providers: where a metric's data comes from. Self providers'
-- data is pushed through the API; the other types (Pingdom, NewRelic,
-- Librato, Datadog) are stored with their credentials, which are never
-- returned, and not fetched.
CREATE TABLE metrics_providers (
    id                  TEXT PRIMARY KEY,
    type                TEXT NOT NULL,
    disabled            INTEGER NOT NULL DEFAULT 0,
    metric_base_uri     TEXT NOT NULL DEFAULT '',
    email               TEXT NOT NULL DEFAULT '',
    password            TEXT NOT NULL DEFAULT '',
    api_key             TEXT NOT NULL DEFAULT '',
    api_token           TEXT NOT NULL DEFAULT '',
    application_key     TEXT NOT NULL DEFAULT '',
    last_revalidated_at TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;

-- Metrics. key is the small integer the data tables use instead of the
-- 12-character id: it keeps their rows (millions of them) short.
CREATE TABLE metrics (
    key                 INTEGER PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    provider_id         TEXT NOT NULL REFERENCES metrics_providers (id) ON DELETE CASCADE,
    identifier          TEXT NOT NULL DEFAULT '',
    name                TEXT NOT NULL,
    application_id      TEXT NOT NULL DEFAULT '',
    transform           TEXT NOT NULL,
    display             INTEGER NOT NULL,
    tooltip_description TEXT NOT NULL DEFAULT '',
    suffix              TEXT NOT NULL DEFAULT '',
    decimal_places      INTEGER NOT NULL,
    y_axis_min          REAL,
    y_axis_max          REAL,
    y_axis_hidden       INTEGER NOT NULL DEFAULT 0,
    backfilled          INTEGER NOT NULL DEFAULT 0,
    most_recent_data_at TEXT,
    last_fetched_at     TEXT,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL
) STRICT;

CREATE INDEX metrics_provider ON metrics (provider_id);

-- Data points, one per metric per 30 s slot; at is the slot's start in
-- Unix seconds. Kept for the raw retention (7 days by default).
CREATE TABLE metric_points (
    metric INTEGER NOT NULL REFERENCES metrics (key) ON DELETE CASCADE,
    at     INTEGER NOT NULL,
    value  REAL NOT NULL,
    PRIMARY KEY (metric, at)
) STRICT, WITHOUT ROWID;

-- Rollups of the points into 5-minute buckets (kept 35 days) and 1-hour
-- buckets (kept 2 years), maintained in the transaction that writes the
-- points; at is the bucket's start in Unix seconds.
CREATE TABLE metric_rollups_5m (
    metric INTEGER NOT NULL REFERENCES metrics (key) ON DELETE CASCADE,
    at     INTEGER NOT NULL,
    min    REAL NOT NULL,
    max    REAL NOT NULL,
    sum    REAL NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (metric, at)
) STRICT, WITHOUT ROWID;

CREATE TABLE metric_rollups_1h (
    metric INTEGER NOT NULL REFERENCES metrics (key) ON DELETE CASCADE,
    at     INTEGER NOT NULL,
    min    REAL NOT NULL,
    max    REAL NOT NULL,
    sum    REAL NOT NULL,
    count  INTEGER NOT NULL,
    PRIMARY KEY (metric, at)
) STRICT, WITHOUT ROWID;
