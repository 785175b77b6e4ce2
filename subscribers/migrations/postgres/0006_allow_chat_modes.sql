-- Chat subscribers: a Slack, Microsoft Teams, Discord, Mattermost or
-- Google Chat incoming webhook, whose address is its URL. PostgreSQL
-- changes the CHECK constraint in place where SQLite rebuilds the table.
ALTER TABLE subscribers DROP CONSTRAINT subscribers_mode_check,
    ADD CONSTRAINT subscribers_mode_check
    CHECK (mode IN ('email', 'sms', 'webhook', 'slack', 'teams', 'discord', 'mattermost', 'google_chat'));
