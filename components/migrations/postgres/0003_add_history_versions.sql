-- PostgreSQL's form of 0003 (see the SQLite file beside this directory for
-- why the version exists and why it is random): the triggers are one
-- PL/pgSQL function, and REPLACE INTO becomes an upsert. A version is a
-- random 63-bit number, as SQLite's random() is a random 64-bit one.
CREATE TABLE component_history_versions (
    component_id TEXT COLLATE "C" PRIMARY KEY,
    version      BIGINT NOT NULL
);

INSERT INTO component_history_versions (component_id, version)
    SELECT component_id, (random() * 9.2e18)::bigint
    FROM (SELECT DISTINCT component_id FROM component_status_intervals) AS moved;

CREATE FUNCTION component_history_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO component_history_versions (component_id, version) VALUES (OLD.component_id, (random() * 9.2e18)::bigint)
            ON CONFLICT (component_id) DO UPDATE SET version = excluded.version;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO component_history_versions (component_id, version) VALUES (NEW.component_id, (random() * 9.2e18)::bigint)
            ON CONFLICT (component_id) DO UPDATE SET version = excluded.version;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER component_status_intervals_inserted AFTER INSERT ON component_status_intervals
    FOR EACH ROW EXECUTE FUNCTION component_history_moved();

CREATE TRIGGER component_status_intervals_updated AFTER UPDATE ON component_status_intervals
    FOR EACH ROW EXECUTE FUNCTION component_history_moved();

CREATE TRIGGER component_status_intervals_deleted AFTER DELETE ON component_status_intervals
    FOR EACH ROW EXECUTE FUNCTION component_history_moved();
