-- Staff search users by a prefix of their username or email key
-- (`db::users::admin::search`): a range in code point order, which the
-- "C" collation sorts by whatever the database's default collation is.
CREATE INDEX users_username_key_c ON users (username_key COLLATE "C");
CREATE INDEX users_email_key_c ON users (email_key COLLATE "C");
