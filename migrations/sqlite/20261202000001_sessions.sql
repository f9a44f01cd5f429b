-- Sessions people can see and end: one row per login, that is per
-- refresh-token family (`refresh_tokens.family_id` is the session's id).
-- Access tokens carry the id, and the per-request check refuses a token
-- whose session has ended.
CREATE TABLE sessions (
    id            TEXT    PRIMARY KEY,
    user_id       INTEGER  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER  NOT NULL,
    -- The last login, refresh or keep-alive in it (not every request).
    last_used_at  INTEGER  NOT NULL,
    -- When its newest refresh token (or keep-alive window) runs out.
    expires_at    INTEGER  NOT NULL,
    -- The client's User-Agent, truncated; '' when none was sent.
    user_agent    TEXT    NOT NULL DEFAULT '',
    -- The client's address (IPv6 by /64); '' when unknown.
    ip_address    TEXT    NOT NULL DEFAULT '',
    -- Set once, when it is revoked, logged out, or ended by a password
    -- change, a revoke-all, a deactivation or a detected token reuse.
    ended_at      INTEGER
);
CREATE INDEX sessions_user ON sessions (user_id, last_used_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Logins that are live now go on as sessions (their device unknown).
INSERT INTO sessions (id, user_id, created_at, last_used_at, expires_at)
SELECT family_id, user_id, min(issued_at), max(issued_at), max(expires_at)
FROM refresh_tokens WHERE revoked_at IS NULL
GROUP BY family_id, user_id;
