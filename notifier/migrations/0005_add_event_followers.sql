-- Whether an incident event also goes to the incident's own followers
-- (incident subscribers): decided by the incidents package when it writes
-- the event, which alone knows whether the incident had closed before.
ALTER TABLE notification_events ADD COLUMN to_followers INTEGER NOT NULL DEFAULT 0;
