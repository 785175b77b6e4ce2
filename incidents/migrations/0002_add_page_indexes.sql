-- The public page reads what was open at some time in the last days
-- (resolved_at IS NULL OR resolved_at >= ?): the bars' last 90 days and the
-- past incidents of the last week. This index turns both into two range
-- searches, so their cost follows the recent incidents, not the history.
CREATE INDEX incidents_resolved ON incidents (resolved_at);
