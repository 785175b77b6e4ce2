-- Subscribers of every channel. address is the normalised email address,
-- E.164 phone number or webhook URL; one row per (mode, address), so a
-- second sign-up with the same address re-arms the existing row.
CREATE TABLE subscribers (
    id                 TEXT PRIMARY KEY,
    mode               TEXT NOT NULL CHECK (mode IN ('email', 'sms', 'webhook')),
    address            TEXT NOT NULL,
    phone_country      TEXT NOT NULL DEFAULT '',
    state              TEXT NOT NULL CHECK (state IN ('unconfirmed', 'active', 'quarantined', 'unsubscribed')),
    all_components     INTEGER NOT NULL DEFAULT 1,
    secret             TEXT NOT NULL,
    permanent_failures INTEGER NOT NULL DEFAULT 0,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    confirmed_at       TEXT,
    quarantined_at     TEXT,
    unsubscribed_at    TEXT
) STRICT;

CREATE UNIQUE INDEX subscribers_address ON subscribers (mode, address);
CREATE INDEX subscribers_state ON subscribers (state, mode, id);

CREATE TABLE subscriber_components (
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    component_id  TEXT NOT NULL REFERENCES components (id) ON DELETE CASCADE,
    PRIMARY KEY (subscriber_id, component_id)
) STRICT;

CREATE INDEX subscriber_components_component ON subscriber_components (component_id, subscriber_id);

-- SMS confirmation codes, stored hashed.
CREATE TABLE sms_codes (
    subscriber_id TEXT PRIMARY KEY REFERENCES subscribers (id) ON DELETE CASCADE,
    code_hash     TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    -- the components chosen with this sign-up, applied once the code is
    -- entered (JSON list; [] means all)
    components    TEXT NOT NULL DEFAULT '[]'
) STRICT;

-- Sign-ups and confirmation messages, kept to enforce durable limits
-- (SMS sign-ups per IP, confirmation messages per address).
CREATE TABLE subscription_attempts (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE INDEX subscription_attempts_key ON subscription_attempts (kind, key, created_at);

-- Webhook failures, for "quarantined after 10 failures within an hour".
CREATE TABLE webhook_failures (
    id            INTEGER PRIMARY KEY,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL
) STRICT;

CREATE INDEX webhook_failures_subscriber ON webhook_failures (subscriber_id, created_at);

-- The key that signs confirmation, manage and unsubscribe links, made once.
CREATE TABLE signing_keys (
    name TEXT PRIMARY KEY,
    key  BLOB NOT NULL
) STRICT;
