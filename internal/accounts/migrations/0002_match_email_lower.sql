-- Addresses are matched with lower(email) = ?, which both SQLite and
-- PostgreSQL run alike (lower() folds ASCII letters only on both), instead
-- of the NOCASE collation, which PostgreSQL does not have. These indexes
-- serve those queries, and the unique one keeps two users from having one
-- address in different case, as UNIQUE COLLATE NOCASE does on SQLite.
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
DROP INDEX sign_in_failures_email;
CREATE INDEX sign_in_failures_email_lower ON sign_in_failures (lower(email), at);
