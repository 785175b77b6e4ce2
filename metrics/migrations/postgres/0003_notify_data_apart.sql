-- PostgreSQL's form of 0003 (see the SQLite file beside this directory):
-- the data tables' triggers (installed by store.Migrate, which makes the
-- function first) notify of the kind 'data'; and the metrics' own trigger
-- leaves out the updates of most_recent_data_at alone, which a push makes
-- beside its data, so that a push sends nothing but 'data'. Any other
-- change of a metric still notifies every replica in full.
CREATE OR REPLACE TRIGGER beacon_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON metric_points
    FOR EACH STATEMENT EXECUTE FUNCTION beacon_notify('data');
CREATE OR REPLACE TRIGGER beacon_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON metric_rollups_5m
    FOR EACH STATEMENT EXECUTE FUNCTION beacon_notify('data');
CREATE OR REPLACE TRIGGER beacon_notify AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON metric_rollups_1h
    FOR EACH STATEMENT EXECUTE FUNCTION beacon_notify('data');

CREATE OR REPLACE TRIGGER beacon_notify AFTER INSERT OR DELETE OR TRUNCATE ON metrics
    FOR EACH STATEMENT EXECUTE FUNCTION beacon_notify();
-- Row by row, to see the columns: a push updates a row per metric.
CREATE TRIGGER beacon_notify_update AFTER UPDATE ON metrics FOR EACH ROW
    WHEN ((to_jsonb(OLD) - 'most_recent_data_at') IS DISTINCT FROM (to_jsonb(NEW) - 'most_recent_data_at'))
    EXECUTE FUNCTION beacon_notify();
