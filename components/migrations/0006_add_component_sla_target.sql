-- A component's uptime target (its SLA), which the public uptime report
-- marks months against: thousandths of a percent (99.9 % is 99900), so the
-- three decimals a target may have are kept exactly. NULL when unset.
ALTER TABLE components ADD COLUMN sla_target_thousandths INTEGER
    CHECK (sla_target_thousandths BETWEEN 1 AND 100000);
