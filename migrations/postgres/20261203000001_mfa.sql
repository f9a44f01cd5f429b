-- A second factor: TOTP, recovery codes, and the challenges a password
-- login hands out when a code is still needed.

-- Mirrors whether `mfa_totp` holds a confirmed row for the user, written in
-- the same transaction, so reading a user reads it too.
ALTER TABLE users ADD COLUMN mfa_enabled BOOLEAN NOT NULL DEFAULT FALSE;

-- How the session's login was authenticated, and when (a re-authentication
-- moves both): access tokens carry them as `amr` and `authTime`.
ALTER TABLE sessions ADD COLUMN auth_time BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
UPDATE sessions SET auth_time = created_at;

CREATE TABLE mfa_totp (
    user_id       BIGINT  PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- The shared secret (20 bytes).
    secret        BYTEA   NOT NULL,
    created_at    BIGINT  NOT NULL,
    -- NULL while enrolment waits for a first code.
    confirmed_at  BIGINT,
    -- The last time step whose code was accepted: a code is good once.
    last_step     BIGINT  NOT NULL DEFAULT 0
);

CREATE TABLE mfa_recovery_codes (
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the canonical code, bound to the user.
    code_hash  BYTEA   NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

CREATE TABLE mfa_challenges (
    -- SHA-256 of the challenge handed to the client.
    id_hash        BYTEA   PRIMARY KEY,
    user_id        BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The user's token version when the password was checked: a password
    -- change or logout-all since makes the challenge worthless.
    token_version  BIGINT  NOT NULL,
    created_at     BIGINT  NOT NULL,
    expires_at     BIGINT  NOT NULL,
    -- Codes tried with it, counted before each is checked.
    attempts       BIGINT  NOT NULL DEFAULT 0,
    used_at        BIGINT
);
CREATE INDEX mfa_challenges_expiry ON mfa_challenges (expires_at);
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id);
