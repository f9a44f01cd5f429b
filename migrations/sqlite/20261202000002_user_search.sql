-- Staff search users by a prefix of their username or email key
-- (`db::users::admin::search`): a range in code point order, which SQLite's
-- BINARY collation is, so the unique indexes on `username_key` and
-- `email_key` already answer it. Nothing to add here; the file keeps the
-- two folders in step.
SELECT 1;
