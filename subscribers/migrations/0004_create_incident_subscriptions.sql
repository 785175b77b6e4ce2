-- Incident subscribers: addresses that follow one incident (or scheduled
-- maintenance) instead of the whole page, as Statuspage's "Get updates on
-- this incident" does.
--
-- A subscriber row stays one per (mode, address). page_wide says whether
-- the row also has the page-wide subscription: rows made by a page sign-up
-- (all of them until now) have it; a row made only to follow an incident
-- does not, and so stays out of the page's audiences and lists until the
-- address confirms a page sign-up too.
ALTER TABLE subscribers ADD COLUMN page_wide INTEGER NOT NULL DEFAULT 1;

-- One row per (incident, subscriber) that follows it. A follow needs its own
-- confirmation (confirmed_at), even from an address that is already an
-- active page subscriber: knowing an address must not be enough to make it
-- receive more mail. incident_id has no foreign key: incidents sit above
-- subscribers, and their tables are created after these (cmd/beacon/app.go
-- migrates in dependency order). A deleted incident's rows match no event
-- again, since its id never comes back.
CREATE TABLE incident_subscriptions (
    incident_id   TEXT NOT NULL,
    subscriber_id TEXT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    confirmed_at  TEXT,
    PRIMARY KEY (incident_id, subscriber_id)
) STRICT, WITHOUT ROWID;

-- "Does this subscriber follow anything else?" when a follow ends.
CREATE INDEX incident_subscriptions_subscriber ON incident_subscriptions (subscriber_id, incident_id);

-- The incident an SMS code confirms a follow of; '' for a page sign-up.
ALTER TABLE sms_codes ADD COLUMN incident_id TEXT NOT NULL DEFAULT '';
