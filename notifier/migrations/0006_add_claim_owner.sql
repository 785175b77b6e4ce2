-- Who holds a delivery's claim: the replica that claimed it last. Once the
-- lease ends another replica may take the delivery over, and the first
-- one's retry, cancellation or hand-back must not undo the new claim.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT NOT NULL DEFAULT '';
