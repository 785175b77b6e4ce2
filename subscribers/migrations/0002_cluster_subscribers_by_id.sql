-- sqlite: foreign_keys off
-- Subscribers kept in id order (WITHOUT ROWID) instead of sign-up order.
-- Ids are random, and a fan-out reads subscribers in id order: 200 at a
-- time for each batch of messages, and once more to clear their failure
-- counts. In sign-up order each of those rows sat on a page of its own;
-- in id order a batch's rows share a few pages. Rebuilt as SQLite's
-- procedure for redefining a table asks: with foreign keys off, since
-- subscriber_components, sms_codes and webhook_failures refer to it and
-- dropping it with them on would delete their rows; checked after.
CREATE TABLE subscribers_by_id (
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
) STRICT, WITHOUT ROWID;

INSERT INTO subscribers_by_id (id, mode, address, phone_country, state, all_components, secret, permanent_failures,
    created_at, updated_at, confirmed_at, quarantined_at, unsubscribed_at)
SELECT id, mode, address, phone_country, state, all_components, secret, permanent_failures,
    created_at, updated_at, confirmed_at, quarantined_at, unsubscribed_at
FROM subscribers;

DROP TABLE subscribers;
ALTER TABLE subscribers_by_id RENAME TO subscribers;

CREATE UNIQUE INDEX subscribers_address ON subscribers (mode, address);
CREATE INDEX subscribers_state ON subscribers (state, mode, id);
