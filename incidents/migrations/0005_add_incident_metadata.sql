-- Statuspage's incident metadata: a JSON object staff attach to an incident
-- (for example {"jira":{"issue_id":"OPS-1"}}), kept as compact JSON text and
-- returned as given. NULL means none.
ALTER TABLE incidents ADD COLUMN metadata TEXT;
