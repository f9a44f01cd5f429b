-- Auth events: an append-only record of what happened to accounts, written
-- in the transaction of the change it records (a failed login, which
-- changes nothing, on its own). No foreign keys: an account's events
-- outlive it (user_deleted). Purged after GATEHOUSE_EVENTS_RETENTION_DAYS.
CREATE TABLE auth_events (
    -- Random, unique across databases and restores: the webhook message id.
    uid         TEXT    NOT NULL,
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    type        TEXT    NOT NULL,
    -- Whom it is about (NULL: a failed login for no account, a key event).
    user_id     INTEGER,
    -- Staff acting on someone else (NULL when the user acted themselves).
    actor_id    INTEGER,
    session_id  TEXT,
    -- The client's address and User-Agent (truncated); NULL when unknown
    -- (the command line).
    ip_address  TEXT,
    user_agent  TEXT,
    request_id  TEXT,
    created_at  INTEGER    NOT NULL,
    -- A small JSON object; never a password, token, code or key.
    details     TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX auth_events_user ON auth_events (user_id, id);
CREATE INDEX auth_events_created ON auth_events (created_at);
CREATE INDEX auth_events_type ON auth_events (type, id);

-- Webhook deliveries: one row per event and configured URL, written in the
-- event's transaction, taken by every instance's worker like mail_outbox.
CREATE TABLE webhook_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        INTEGER NOT NULL,
    url             TEXT    NOT NULL,
    -- 'pending', 'sent' or 'failed'.
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (status, next_attempt_at);
