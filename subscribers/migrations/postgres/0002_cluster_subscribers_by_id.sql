-- Nothing to do on PostgreSQL: the SQLite file rebuilds subscribers
-- WITHOUT ROWID to keep its rows in id order, and PostgreSQL has no such
-- table kind (its primary key index already serves reads by id).
SELECT 1;
