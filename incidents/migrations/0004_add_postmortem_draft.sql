-- A postmortem is drafted apart from what is published, as in Statuspage's
-- API: postmortem_body is the published text, postmortem_draft the text staff
-- are editing, which publishing copies into postmortem_body. A postmortem
-- exists once postmortem_created_at is set. postmortem_preview_key lets staff
-- see the draft on the public incident page (?preview_key=…).
ALTER TABLE incidents ADD COLUMN postmortem_draft TEXT NOT NULL DEFAULT '';
ALTER TABLE incidents ADD COLUMN postmortem_draft_updated_at TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_body_updated_at TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_preview_key TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_notify_twitter INTEGER NOT NULL DEFAULT 0;
ALTER TABLE incidents ADD COLUMN postmortem_custom_tweet TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_created_at TEXT;
ALTER TABLE incidents ADD COLUMN postmortem_updated_at TEXT;

-- Until now postmortem_body was the draft and, once published_at was set,
-- also the published text: it becomes the draft of every postmortem, and
-- stays the published text only of those that are published.
UPDATE incidents SET postmortem_draft = postmortem_body,
    postmortem_draft_updated_at = updated_at,
    postmortem_body_updated_at = postmortem_published_at,
    postmortem_preview_key = lower(hex(randomblob(16))),
    postmortem_created_at = updated_at,
    postmortem_updated_at = updated_at
    WHERE postmortem_body <> '' OR postmortem_published_at IS NOT NULL;
UPDATE incidents SET postmortem_body = '' WHERE postmortem_published_at IS NULL;
