-- Users, refresh-token families and signing keys.
-- Times are integer Unix seconds, the same on SQLite and PostgreSQL.

CREATE TABLE users (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    username       TEXT    NOT NULL,
    -- Lower-cased forms: uniqueness is case-insensitive, enforced here.
    username_key   TEXT    NOT NULL,
    email          TEXT    NOT NULL DEFAULT '',
    email_key      TEXT,
    password_hash  TEXT    NOT NULL,
    first_name     TEXT    NOT NULL DEFAULT '',
    last_name      TEXT    NOT NULL DEFAULT '',
    is_active      BOOLEAN NOT NULL DEFAULT TRUE,
    is_staff       BOOLEAN NOT NULL DEFAULT FALSE,
    is_superuser   BOOLEAN NOT NULL DEFAULT FALSE,
    date_joined    INTEGER NOT NULL,
    last_login     INTEGER,
    -- Bumped by "revoke all" and password changes; access tokens carry it.
    token_version  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX users_username_key ON users (username_key);
CREATE UNIQUE INDEX users_email_key ON users (email_key);

CREATE TABLE refresh_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of the token; the token itself is never stored.
    token_hash  BLOB    NOT NULL,
    -- Every token rotated from one login shares the family.
    family_id   TEXT    NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER
);
CREATE UNIQUE INDEX refresh_tokens_hash ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);
CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

CREATE TABLE signing_keys (
    -- Generation order: the newest non-retired key signs.
    seq         INTEGER PRIMARY KEY,
    -- PASERK id (k4.pid.…) of the public key, sent in token footers.
    kid         TEXT    NOT NULL UNIQUE,
    secret_key  BLOB    NOT NULL,
    public_key  BLOB    NOT NULL,
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);
