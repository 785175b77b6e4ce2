-- The claim query reads only pending deliveries: an index of them alone
-- stays as small as the queue however long the history grows, and a sent
-- delivery leaves it (one index deletion) instead of moving within it (a
-- deletion and an insertion) as part of every acknowledgement.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (channel, next_attempt_at, id) WHERE state = 'pending';
