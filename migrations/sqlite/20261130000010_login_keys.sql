-- One table of every login name (username and email keys, see
-- `db::users::key`), unique across both kinds: a username may not be
-- another user's email, and the other way round. Kept by triggers, so
-- every write to `users` (sign-up, import, email change, re-keying) is held
-- to it by the database, not by a SELECT that a parallel write can race.
CREATE TABLE login_keys (
    key      TEXT    PRIMARY KEY,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX login_keys_user ON login_keys (user_id);

-- Existing users: usernames first; an email that is already another
-- user's username (a clash the old check could race into) is left out.
INSERT INTO login_keys (key, user_id) SELECT username_key, id FROM users;
INSERT OR IGNORE INTO login_keys (key, user_id)
    SELECT email_key, id FROM users WHERE email_key IS NOT NULL;

CREATE TRIGGER users_login_keys_insert AFTER INSERT ON users
BEGIN
    INSERT INTO login_keys (key, user_id) VALUES (NEW.username_key, NEW.id);
    INSERT INTO login_keys (key, user_id)
        SELECT NEW.email_key, NEW.id
        WHERE NEW.email_key IS NOT NULL AND NEW.email_key <> NEW.username_key;
END;

CREATE TRIGGER users_login_keys_update AFTER UPDATE OF username_key, email_key ON users
BEGIN
    DELETE FROM login_keys WHERE user_id = NEW.id;
    INSERT INTO login_keys (key, user_id) VALUES (NEW.username_key, NEW.id);
    INSERT INTO login_keys (key, user_id)
        SELECT NEW.email_key, NEW.id
        WHERE NEW.email_key IS NOT NULL AND NEW.email_key <> NEW.username_key;
END;
