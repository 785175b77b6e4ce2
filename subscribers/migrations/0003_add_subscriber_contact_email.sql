-- The contact address of a webhook subscriber: Statuspage's API takes an
-- email beside a webhook's endpoint for its owner, shown in the
-- subscriber's JSON. Empty when none was given, and for other channels.
ALTER TABLE subscribers ADD COLUMN contact_email TEXT NOT NULL DEFAULT '';
