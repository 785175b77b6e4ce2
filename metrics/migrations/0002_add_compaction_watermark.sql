-- The newest cut-off below which compaction has dropped raw points (Unix
-- seconds, a whole hour). Only a point before it can land in a bucket whose
-- raw rows are gone, so only such points pay the check that refuses them;
-- the cut-off only grows, even when the raw retention is raised. A database
-- compacted before this table existed starts at the hour after its newest
-- rollup: every bucket it holds is checked.
CREATE TABLE metric_compaction (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    raw_before INTEGER NOT NULL
) STRICT;

INSERT INTO metric_compaction (id, raw_before)
SELECT 1, coalesce(max(at) + 3600, 0) FROM metric_rollups_5m;
