-- Staff who sign in to the console. A user made by `beacon user create`
-- has no password until the one-time link is used.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'responder')),
    password_hash TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

-- One-time links: set a user's password, or (user_id NULL) create the first
-- admin of a fresh install. Only a SHA-256 hash of the token is kept.
CREATE TABLE password_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT REFERENCES users (id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
) STRICT;

-- Server-side sessions, keyed by a hash of the cookie's value.
CREATE TABLE sessions (
    hash         TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    ip           TEXT NOT NULL,
    user_agent   TEXT NOT NULL
) STRICT;
CREATE INDEX sessions_user_id ON sessions (user_id);

-- Failed sign-ins, counted per IP and per address to slow guessing.
CREATE TABLE sign_in_failures (
    at    TEXT NOT NULL,
    ip    TEXT NOT NULL,
    email TEXT NOT NULL COLLATE NOCASE
) STRICT;
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at);
CREATE INDEX sign_in_failures_email ON sign_in_failures (email, at);

-- Who changed what, when and from where, through the console or the API.
CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    ip     TEXT NOT NULL
) STRICT;
CREATE INDEX audit_log_at ON audit_log (at);
