-- sqlite: foreign_keys off
-- Chat subscribers: a Slack, Microsoft Teams, Discord, Mattermost or
-- Google Chat incoming webhook, whose address is its URL. SQLite cannot
-- change a CHECK constraint in place, so the table is rebuilt with the
-- longer list of modes, as 0002 rebuilt it: with foreign keys off (four
-- tables refer to it), checked after.
CREATE TABLE subscribers_with_chat (
    id                 TEXT PRIMARY KEY,
    mode               TEXT NOT NULL CHECK (mode IN ('email', 'sms', 'webhook', 'slack', 'teams', 'discord', 'mattermost', 'google_chat')),
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
    unsubscribed_at    TEXT,
    contact_email      TEXT NOT NULL DEFAULT '',
    page_wide          INTEGER NOT NULL DEFAULT 1,
    page_pending       INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

INSERT INTO subscribers_with_chat (id, mode, address, phone_country, state, all_components, secret, permanent_failures,
    created_at, updated_at, confirmed_at, quarantined_at, unsubscribed_at, contact_email, page_wide, page_pending)
SELECT id, mode, address, phone_country, state, all_components, secret, permanent_failures,
    created_at, updated_at, confirmed_at, quarantined_at, unsubscribed_at, contact_email, page_wide, page_pending
FROM subscribers;

DROP TABLE subscribers;
ALTER TABLE subscribers_with_chat RENAME TO subscribers;

CREATE UNIQUE INDEX subscribers_address ON subscribers (mode, address);
CREATE INDEX subscribers_state ON subscribers (state, mode, id);
