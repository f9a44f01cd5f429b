-- One table of every login name (username and email keys, see
-- `db::users::key`), unique across both kinds: a username may not be
-- another user's email, and the other way round. Kept by a trigger, so
-- every write to `users` (sign-up, import, email change, re-keying) is held
-- to it by the database, not by a SELECT that a parallel write can race.
CREATE TABLE login_keys (
    key      TEXT   PRIMARY KEY,
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE
);
CREATE INDEX login_keys_user ON login_keys (user_id);

-- Existing users: usernames first; an email that is already another
-- user's username (a clash the old check could race into) is left out.
INSERT INTO login_keys (key, user_id) SELECT username_key, id FROM users;
INSERT INTO login_keys (key, user_id)
    SELECT email_key, id FROM users WHERE email_key IS NOT NULL
    ON CONFLICT DO NOTHING;

CREATE FUNCTION users_login_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM login_keys WHERE user_id = NEW.id;
    END IF;
    INSERT INTO login_keys (key, user_id) VALUES (NEW.username_key, NEW.id);
    IF NEW.email_key IS NOT NULL AND NEW.email_key <> NEW.username_key THEN
        INSERT INTO login_keys (key, user_id) VALUES (NEW.email_key, NEW.id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_login_keys AFTER INSERT OR UPDATE OF username_key, email_key ON users
    FOR EACH ROW EXECUTE FUNCTION users_login_keys();
