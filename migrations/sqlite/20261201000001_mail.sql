-- Email verification, recovery and email change: whether an address is
-- confirmed, the single-use tokens mailed for it, and the outbox mail
-- leaves through.

-- Users who exist before this migration keep logging in when
-- GATEHOUSE_REQUIRE_VERIFIED_EMAIL is turned on: they count as verified.
ALTER TABLE users ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET email_verified = TRUE;

CREATE TABLE email_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    -- SHA-256 of the token; the token itself is only ever in the mail.
    token_hash   BLOB   NOT NULL,
    -- 'verify', 'reset' or 'email_change': a token works for its purpose only.
    purpose      TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The address it was sent to (for 'email_change', the new address).
    email        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    -- Set once, by the one request that uses it.
    used_at      INTEGER,
    -- Set when a newer token of the same purpose replaced it.
    superseded_at INTEGER
);
CREATE UNIQUE INDEX email_tokens_hash ON email_tokens (token_hash);
CREATE INDEX email_tokens_user ON email_tokens (user_id, purpose);
CREATE INDEX email_tokens_expiry ON email_tokens (expires_at);

-- Mail waiting to go out, written in the transaction of the change that
-- causes it; every instance's delivery worker takes from it.
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT    NOT NULL,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    -- Emptied once the mail is sent or given up: the links in it are secrets.
    body_text       TEXT    NOT NULL,
    body_html       TEXT    NOT NULL,
    -- 'pending', 'sent' or 'failed'.
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    -- When a worker may next take it: now for a new mail, after the
    -- backoff for a failed one, after the lease for one being sent.
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (status, next_attempt_at);
