-- PostgreSQL's form of 0004 (see the SQLite file beside this directory):
-- the preview key of a postmortem already there is 32 random hexadecimal
-- digits, from gen_random_uuid() where SQLite has randomblob().
ALTER TABLE incidents ADD COLUMN postmortem_draft TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN postmortem_draft_updated_at TEXT COLLATE "C";
ALTER TABLE incidents ADD COLUMN postmortem_body_updated_at TEXT COLLATE "C";
ALTER TABLE incidents ADD COLUMN postmortem_preview_key TEXT COLLATE "C";
ALTER TABLE incidents ADD COLUMN postmortem_notify_twitter BIGINT NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN postmortem_custom_tweet TEXT COLLATE "C";
ALTER TABLE incidents ADD COLUMN postmortem_created_at TEXT COLLATE "C";
ALTER TABLE incidents ADD COLUMN postmortem_updated_at TEXT COLLATE "C";

UPDATE incidents SET postmortem_draft = postmortem_body,
    postmortem_draft_updated_at = updated_at,
    postmortem_body_updated_at = postmortem_published_at,
    postmortem_preview_key = replace(gen_random_uuid()::text, '-', ''),
    postmortem_created_at = updated_at,
    postmortem_updated_at = updated_at
    WHERE postmortem_body <> '' OR postmortem_published_at IS NOT NULL;
UPDATE incidents SET postmortem_body = '' WHERE postmortem_published_at IS NULL;
