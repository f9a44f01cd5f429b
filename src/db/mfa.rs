//! The second factor's tables: `mfa_totp` (a user's secret, pending until
//! a first code confirms it, and the last time step used), its recovery
//! codes, and the challenges a password login hands out. `users.mfa_enabled`
//! mirrors a confirmed `mfa_totp` row and is written in the same
//! transaction.
//!
//! Every single-use rule is one conditional UPDATE, so of parallel uses
//! exactly one goes on: a time step moves `last_step` past it, a recovery
//! code sets `used_at`, a challenge counts an attempt and then sets
//! `used_at`.

use crate::db::events::NewEvent;
use crate::db::Db;
use crate::error::Result;
use crate::with_pool;

/// Replaces the user's recovery codes with `codes` (hashes), inside the
/// transaction `tx` (a macro: the body is compiled once per database).
macro_rules! store_codes {
    ($tx:ident, $user_id:expr, $codes:expr) => {{
        sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
            .bind($user_id)
            .execute(&mut *$tx)
            .await?;
        for code in $codes {
            sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                .bind($user_id)
                .bind(&code[..])
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// A user's TOTP secret as stored.
#[derive(sqlx::FromRow)]
pub struct TotpRow {
    pub secret: Vec<u8>,
    pub confirmed_at: Option<i64>,
    pub last_step: i64,
}

/// A challenge, counted: whose it is, and the user's token version when
/// the password was checked.
#[derive(Debug, sqlx::FromRow)]
pub struct Challenge {
    pub user_id: i64,
    pub token_version: i64,
}

/// What a challenge that could not be counted is (neither used nor
/// expired: out of tries).
#[derive(Debug, sqlx::FromRow)]
pub struct ChallengeState {
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// Stores a new pending secret for `user_id` (replacing a pending one),
/// unless TOTP is on already (`false`).
pub async fn begin(db: &Db, user_id: i64, secret: &[u8], now: i64) -> Result<bool> {
    let done = with_pool!(db, write, |p| sqlx::query(
        "INSERT INTO mfa_totp (user_id, secret, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET secret = excluded.secret, \
           created_at = excluded.created_at, last_step = 0 \
         WHERE mfa_totp.confirmed_at IS NULL"
    )
    .bind(user_id)
    .bind(secret)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// `user_id`'s secret, pending or confirmed.
pub async fn totp(db: &Db, user_id: i64) -> Result<Option<TotpRow>> {
    Ok(with_pool!(db, write, |p| sqlx::query_as::<_, TotpRow>(
        "SELECT secret, confirmed_at, last_step FROM mfa_totp WHERE user_id = $1"
    )
    .bind(user_id)
    .fetch_optional(p)
    .await)?)
}

/// Turns TOTP on with the code of time step `step`: the pending secret
/// `secret` (the one the code was checked against) becomes confirmed, the
/// user's `mfa_enabled` is set, `codes` (hashes) become the recovery codes,
/// and every session but `keep` ends (their logins had no second factor),
/// in one transaction. `false` when the secret is no longer pending and
/// the same, or the step was used.
pub async fn confirm(
    db: &Db,
    user_id: i64,
    secret: &[u8],
    (step, now): (i64, i64),
    codes: &[[u8; 32]],
    keep: &str,
    events: &[NewEvent],
) -> Result<bool> {
    let done = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let claimed = sqlx::query(
            "UPDATE mfa_totp SET confirmed_at = $3, last_step = $4 \
             WHERE user_id = $1 AND secret = $2 AND confirmed_at IS NULL AND last_step < $4",
        )
        .bind(user_id)
        .bind(secret)
        .bind(now)
        .bind(step)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            return Ok::<_, sqlx::Error>(false);
        }
        store_codes!(tx, user_id, codes);
        sqlx::query("UPDATE users SET mfa_enabled = TRUE WHERE id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        crate::end_sessions_in!(tx, user_id, now, keep, keep);
        crate::insert_events!(tx, events, Some(user_id), now)?;
        tx.commit().await?;
        Ok(true)
    }
    .await)?;
    Ok(done)
}

/// Marks time step `step` used for `user_id`'s confirmed secret, if no
/// later or equal step was: whether this use is the first.
pub async fn use_step(db: &Db, user_id: i64, step: i64) -> Result<bool> {
    let done = with_pool!(db, write, |p| sqlx::query(
        "UPDATE mfa_totp SET last_step = $2 \
         WHERE user_id = $1 AND confirmed_at IS NOT NULL AND last_step < $2"
    )
    .bind(user_id)
    .bind(step)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Marks recovery code `hash` of `user_id` used, if it is one of theirs and
/// unused: whether this use is the first.
pub async fn use_recovery_code(
    db: &Db,
    user_id: i64,
    hash: &[u8],
    now: i64,
    events: &[NewEvent],
) -> Result<bool> {
    let done = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        let used = sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $3 \
             WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL \
               AND EXISTS (SELECT 1 FROM mfa_totp t \
                 WHERE t.user_id = $1 AND t.confirmed_at IS NOT NULL)",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if used {
            crate::insert_events!(tx, events, Some(user_id), now)?;
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(used)
    }
    .await)?;
    Ok(done)
}

/// Replaces `user_id`'s recovery codes with `codes`, if TOTP is on
/// (`false` when it is not: turned off meanwhile).
pub async fn replace_recovery_codes(
    db: &Db,
    user_id: i64,
    codes: &[[u8; 32]],
    now: i64,
    events: &[NewEvent],
) -> Result<bool> {
    let done = with_pool!(db, write, |p| async {
        let mut tx = p.begin().await?;
        // Writing the row (PostgreSQL: locking it) orders this after, or
        // before, a concurrent disable.
        let on = sqlx::query(
            "UPDATE mfa_totp SET last_step = last_step \
             WHERE user_id = $1 AND confirmed_at IS NOT NULL",
        )
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
        if on.rows_affected() != 1 {
            return Ok::<_, sqlx::Error>(false);
        }
        store_codes!(tx, user_id, codes);
        crate::insert_events!(tx, events, Some(user_id), now)?;
        tx.commit().await?;
        Ok(true)
    }
    .await)?;
    Ok(done)
}

/// Turns `user_id`'s second factor off: the secret, recovery codes and
/// open challenges go, and `mfa_enabled` is cleared, in one transaction;
/// with `end_sessions` (a superuser's reset), every session of the user
/// ends too, with its tokens; `events` are written if it was on. Whether
/// it was on.
pub async fn disable(
    db: &Db,
    user_id: i64,
    now: i64,
    end_sessions: bool,
    events: &[NewEvent],
) -> Result<bool> {
    let done = with_pool!(db, write, |p| {
        async {
            let mut tx = p.begin().await?;
            let on =
                sqlx::query("DELETE FROM mfa_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    == 1;
            for sql in [
                "DELETE FROM mfa_totp WHERE user_id = $1",
                "DELETE FROM mfa_recovery_codes WHERE user_id = $1",
                "DELETE FROM mfa_challenges WHERE user_id = $1",
                "UPDATE users SET mfa_enabled = FALSE WHERE id = $1",
            ] {
                sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
            }
            if end_sessions {
                sqlx::query("UPDATE users SET token_version = token_version + 1 WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                crate::end_sessions_in!(tx, user_id, now, None::<&str>, None::<&str>);
            }
            if on {
                crate::insert_events!(tx, events, Some(user_id), now)?;
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(on)
        }
        .await
    })?;
    Ok(done)
}

/// Stores a login challenge (its hash) for `user_id` at `token_version`.
pub async fn add_challenge(
    db: &Db,
    hash: &[u8],
    user_id: i64,
    token_version: i64,
    now: i64,
    expires_at: i64,
) -> Result<()> {
    with_pool!(db, write, |p| sqlx::query(
        "INSERT INTO mfa_challenges (id_hash, user_id, token_version, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(hash)
    .bind(user_id)
    .bind(token_version)
    .bind(now)
    .bind(expires_at)
    .execute(p)
    .await
    .map(|_| ()))?;
    Ok(())
}

/// Counts one code tried with challenge `hash`, if it is unused, unexpired
/// and has attempts left (under `max_attempts`): the challenge, or `None`.
pub async fn count_challenge_attempt(
    db: &Db,
    hash: &[u8],
    now: i64,
    max_attempts: i64,
) -> Result<Option<Challenge>> {
    Ok(with_pool!(db, write, |p| sqlx::query_as::<_, Challenge>(
        "UPDATE mfa_challenges SET attempts = attempts + 1 \
         WHERE id_hash = $1 AND used_at IS NULL AND expires_at > $2 AND attempts < $3 \
         RETURNING user_id, token_version"
    )
    .bind(hash)
    .bind(now)
    .bind(max_attempts)
    .fetch_optional(p)
    .await)?)
}

/// What challenge `hash` is, to say why it could not be used.
pub async fn challenge_state(db: &Db, hash: &[u8]) -> Result<Option<ChallengeState>> {
    Ok(with_pool!(db, write, |p| sqlx::query_as::<
        _,
        ChallengeState,
    >(
        "SELECT expires_at, used_at FROM mfa_challenges WHERE id_hash = $1"
    )
    .bind(hash)
    .fetch_optional(p)
    .await)?)
}

/// Marks challenge `hash` used: whether this use is the first.
pub async fn use_challenge(db: &Db, hash: &[u8], now: i64) -> Result<bool> {
    let done = with_pool!(db, write, |p| sqlx::query(
        "UPDATE mfa_challenges SET used_at = $2 WHERE id_hash = $1 AND used_at IS NULL"
    )
    .bind(hash)
    .bind(now)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

/// Deletes challenges that expired before `before`.
pub async fn purge_challenges(db: &Db, before: i64, batch: i64) -> Result<u64> {
    crate::db::purge_batch(db, "mfa_challenges", "expires_at < $1", before, batch).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn each_single_use_is_used_once() {
        let (_dir, db, id) = crate::db::scratch_with_user().await;
        assert!(begin(&db, id, b"s1", 10).await.unwrap());
        assert!(
            begin(&db, id, b"s2", 11).await.unwrap(),
            "a pending secret is replaced"
        );
        assert!(!use_step(&db, id, 5).await.unwrap(), "not confirmed yet");
        assert!(
            !confirm(&db, id, b"s1", (5, 12), &[[1; 32]], "", &[])
                .await
                .unwrap(),
            "the replaced secret does not confirm"
        );
        assert!(
            confirm(&db, id, b"s2", (5, 12), &[[1; 32], [2; 32]], "", &[])
                .await
                .unwrap()
        );
        assert!(
            !begin(&db, id, b"s3", 13).await.unwrap(),
            "on: no new enrolment"
        );
        assert!(
            !use_step(&db, id, 5).await.unwrap(),
            "the confirming step is used"
        );
        assert!(use_step(&db, id, 6).await.unwrap());
        assert!(!use_step(&db, id, 6).await.unwrap());
        assert!(use_recovery_code(&db, id, &[1; 32], 20, &[]).await.unwrap());
        assert!(!use_recovery_code(&db, id, &[1; 32], 21, &[]).await.unwrap());
        assert!(replace_recovery_codes(&db, id, &[[3; 32]], 30, &[])
            .await
            .unwrap());
        assert!(
            !use_recovery_code(&db, id, &[2; 32], 22, &[]).await.unwrap(),
            "replaced"
        );
        add_challenge(&db, b"c", id, 0, 30, 330).await.unwrap();
        for _ in 0..3 {
            assert!(count_challenge_attempt(&db, b"c", 31, 3)
                .await
                .unwrap()
                .is_some());
        }
        assert!(count_challenge_attempt(&db, b"c", 31, 3)
            .await
            .unwrap()
            .is_none());
        add_challenge(&db, b"d", id, 0, 30, 330).await.unwrap();
        assert!(
            count_challenge_attempt(&db, b"d", 330, 3)
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        assert!(use_challenge(&db, b"d", 31).await.unwrap());
        assert!(!use_challenge(&db, b"d", 32).await.unwrap());
        assert!(disable(&db, id, 40, false, &[]).await.unwrap());
        assert!(
            !disable(&db, id, 40, false, &[]).await.unwrap(),
            "already off"
        );
        assert!(totp(&db, id).await.unwrap().is_none());
        assert!(
            challenge_state(&db, b"c").await.unwrap().is_none(),
            "challenges go too"
        );
        assert!(!use_recovery_code(&db, id, &[3; 32], 40, &[]).await.unwrap());
    }
}
