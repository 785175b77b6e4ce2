-- A version per component that moves with every change to its status
-- history, so the public page can keep computed uptime in memory and reload
-- only the components whose history changed. Triggers move it, so changes
-- made by another process (a CLI import, a restored backup) count too. The
-- version is random rather than a counter: a restored backup must not come
-- back to a number the running server has already seen.
CREATE TABLE component_history_versions (
    component_id TEXT PRIMARY KEY,
    version      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per component: random() is drawn per row, so DISTINCT over
-- (component_id, random()) would keep every interval.
INSERT INTO component_history_versions (component_id, version)
    SELECT component_id, random() FROM (SELECT DISTINCT component_id FROM component_status_intervals);

CREATE TRIGGER component_status_intervals_inserted AFTER INSERT ON component_status_intervals
BEGIN
    REPLACE INTO component_history_versions (component_id, version) VALUES (NEW.component_id, random());
END;

CREATE TRIGGER component_status_intervals_updated AFTER UPDATE ON component_status_intervals
BEGIN
    REPLACE INTO component_history_versions (component_id, version) VALUES (OLD.component_id, random());
    REPLACE INTO component_history_versions (component_id, version) VALUES (NEW.component_id, random());
END;

CREATE TRIGGER component_status_intervals_deleted AFTER DELETE ON component_status_intervals
BEGIN
    REPLACE INTO component_history_versions (component_id, version) VALUES (OLD.component_id, random());
END;
