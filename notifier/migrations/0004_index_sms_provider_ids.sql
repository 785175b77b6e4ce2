-- Only SMS deliveries are looked up by their provider's id, when Twilio
-- reports on a message. An email's provider id is its Message-ID, long and
-- never looked up: indexing it cost an index insertion per email sent.
DROP INDEX deliveries_provider;
CREATE INDEX deliveries_provider ON deliveries (provider_id) WHERE channel = 'sms' AND provider_id IS NOT NULL;
