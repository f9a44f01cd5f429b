//! Signing-key rotation and retirement, published public keys, a
//! deployment-supplied key, keys sealed at rest, and tokens forged with a
//! stolen key.

use base64::Engine as _;
use gatehouse::auth::keys::{EncryptionKey, Sealing, Stored};
use gatehouse::config::Config;
use pasetors::keys::{AsymmetricPublicKey, AsymmetricSecretKey};
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};
use pasetors::Public;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::graphql::client::*;
use crate::helpers::*;

/// The key id in a token's footer.
fn kid(token: &str) -> String {
    let footer = token.rsplit('.').next().unwrap();
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(footer)
        .unwrap();
    let v: Value = serde_json::from_slice(&raw).unwrap();
    v["kid"].as_str().unwrap().to_owned()
}

async fn published(app: &TestApp) -> Value {
    let resp = app
        .client
        .get(app.url("/.well-known/paseto-keys"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.json().await.unwrap()
}

#[tokio::test]
async fn the_published_keys_verify_tokens_offline_and_hold_no_private_key() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let doc = published(&app).await;
    let text = doc.to_string();
    assert!(!text.contains("secret"), "{text}");
    let keys = doc["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kid"], kid(&token));
    let paserk = keys[0]["paserk"].as_str().unwrap();
    assert!(paserk.starts_with("k4.public."), "{paserk}");

    // What another service would do with the document.
    let public = AsymmetricPublicKey::<V4>::try_from(paserk).unwrap();
    let untrusted = UntrustedToken::<Public, V4>::try_from(token.as_str()).unwrap();
    let assertion = doc["implicit_assertion"].as_str().unwrap();
    let trusted =
        PublicToken::verify(&public, &untrusted, None, Some(assertion.as_bytes())).unwrap();
    assert!(trusted.payload().contains("\"username\":\"alice\""));
}

#[tokio::test]
async fn after_rotation_new_tokens_use_the_new_key_and_old_ones_verify_until_retired() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (old_token, _, _) = app.login("alice", PASSWORD).await;
    let old_kid = kid(&old_token);

    let new_kid =
        gatehouse::auth::keys::rotate(app.state.db(), &Sealing::clear(), &Default::default())
            .await
            .unwrap();
    // What the periodic reload does (GATEHOUSE_KEY_RELOAD_SECS).
    app.state.keys().reload().await.unwrap();
    let (new_token, _, _) = app.login("alice", PASSWORD).await;
    assert_eq!(kid(&new_token), new_kid);
    assert_ne!(new_kid, old_kid);
    assert_no_errors(&app.me(Some(&bearer(&old_token))).await);
    assert_eq!(published(&app).await["keys"].as_array().unwrap().len(), 2);

    // Retired: refused at once, without waiting for a reload.
    gatehouse::auth::keys::retire(app.state.db(), &old_kid, false, &Default::default())
        .await
        .unwrap();
    assert_error(
        &app.me(Some(&bearer(&old_token))).await,
        "me",
        "TOKEN_INVALID",
    );
    assert_error(
        &app.verify_token(&old_token).await,
        "verifyToken",
        "TOKEN_INVALID",
    );
    assert_no_errors(&app.me(Some(&bearer(&new_token))).await);
    // The published list follows at the next reload (the periodic one, or
    // one asked for by a request at most once a second).
    app.state.keys().reload().await.unwrap();
    let keys = published(&app).await["keys"].clone();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["kid"], new_kid);
}

#[tokio::test]
async fn the_only_active_key_cannot_be_retired_and_unknown_keys_are_reported() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let err =
        gatehouse::auth::keys::retire(app.state.db(), &kid(&token), false, &Default::default())
            .await
            .unwrap_err();
    assert!(err.to_string().contains("only active key"), "{err}");
    let err =
        gatehouse::auth::keys::retire(app.state.db(), "k4.pid.nope", false, &Default::default())
            .await
            .unwrap_err();
    assert!(err.to_string().contains("no key"), "{err}");
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
}

#[tokio::test]
async fn a_deployment_supplied_key_signs_and_survives_a_restart() {
    let secret = gatehouse::auth::keys::generate_paserk_secret().unwrap();
    let with_key = |c: &mut gatehouse::config::Config| {
        c.signing_key = Some(SecretString::from(secret.clone()));
    };
    let first = spawn_app_with(with_key).await;
    first.sign_up_default("alice").await;
    let (token, _, _) = first.login("alice", PASSWORD).await;
    let doc = published(&first).await;
    assert!(doc["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["kid"] == json!(kid(&token))));
    // The supplied key is never written to the database.
    let stored = gatehouse::db::keys::all(first.state.db()).await.unwrap();
    assert!(stored.iter().all(|k| k.kid != kid(&token)));
    let dir = first.stop().await;

    let second = spawn_app_in(dir, with_key).await;
    assert_no_errors(&second.me(Some(&bearer(&token))).await);
}

/// The private key stored for `kid`, opened with `sealing`: what someone who
/// can read the database file (and knows the encryption key, if any) has.
async fn stolen_key(app: &TestApp, kid: &str, sealing: &Sealing) -> AsymmetricSecretKey<V4> {
    let rows = gatehouse::db::keys::all(app.state.db()).await.unwrap();
    let row = rows
        .iter()
        .find(|r| r.kid == kid)
        .expect("the key is stored");
    let raw = sealing.open(kid, &row.secret_key).unwrap();
    AsymmetricSecretKey::<V4>::from(&raw[..]).unwrap()
}

/// A token like `real` (same user, version, username), re-signed with
/// `key` under key id `kid`, with `iat`/`nbf` and `exp` as given.
fn forge(real: &str, key: &AsymmetricSecretKey<V4>, kid: &str, iat: i64, exp: i64) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let body = b64.decode(real.split('.').nth(2).unwrap()).unwrap();
    let mut claims: Value = serde_json::from_slice(&body[..body.len() - 64]).unwrap();
    let time = |t: i64| {
        time::OffsetDateTime::from_unix_timestamp(t)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    claims["iat"] = json!(time(iat));
    claims["nbf"] = json!(time(iat.min(now())));
    claims["exp"] = json!(time(exp));
    claims["jti"] = json!("forged");
    let footer = format!("{{\"kid\":\"{kid}\"}}");
    PublicToken::sign(
        key,
        claims.to_string().as_bytes(),
        Some(footer.as_bytes()),
        Some(gatehouse::auth::tokens::ACCESS_PURPOSE),
    )
    .unwrap()
}

/// Refused on both faces, and by `verifyToken`.
async fn assert_refused(app: &TestApp, token: &str) {
    assert_error(&app.me(Some(&bearer(token))).await, "me", "TOKEN_INVALID");
    assert_error(
        &app.verify_token(token).await,
        "verifyToken",
        "TOKEN_INVALID",
    );
    assert_eq!(app.rest_me(token).await.status, 401);
}

/// Issue 19, item 1: a token signed with the real key (read from the
/// database file) but made to live ten years, or dated in the future, is
/// refused: a stolen key cannot mint long-lived tokens unnoticed.
#[tokio::test]
async fn a_token_forged_with_the_real_key_to_live_ten_years_is_refused() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let kid = kid(&token);
    let key = stolen_key(&app, &kid, &Sealing::clear()).await;
    let now = now();
    let ten_years = 10 * 365 * 24 * 3600;

    assert_refused(&app, &forge(&token, &key, &kid, now, now + ten_years)).await;
    // Dated ahead so that `exp − iat` looks like a normal lifetime.
    let later = now + ten_years;
    assert_refused(&app, &forge(&token, &key, &kid, later - ACCESS_TTL, later)).await;
    // What the key still allows: a token within the lifetime, which dies
    // with the lifetime (and with the key, once it is retired).
    let short = forge(&token, &key, &kid, now, now + ACCESS_TTL);
    assert_no_errors(&app.me(Some(&bearer(&short))).await);
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
}

/// The database a stopped test app in `dir` used (SQLite file, or the
/// PostgreSQL database the helpers made for it), for a start that may fail.
fn config_in(dir: &tempfile::TempDir) -> Config {
    let database_url = match std::fs::read_to_string(dir.path().join("postgres-url")) {
        Ok(url) => url,
        Err(_) => format!("sqlite://{}/test.db", dir.path().display()),
    };
    Config {
        database_url,
        addr: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    }
}

async fn start_error(config: Config) -> String {
    match gatehouse::app::Application::build(config).await {
        Ok(_) => panic!("the application should not start"),
        Err(e) => {
            assert!(gatehouse::auth::keys::is_config_error(&e), "{e:#}");
            format!("{e:#}")
        }
    }
}

/// Issue 19, item 1: with an encryption key, the private key in the
/// database is sealed (read from the raw column: a versioned blob, nothing
/// of the key in it); without that key, or with another, the server does
/// not start and says why; a new encryption key takes over with `reseal`,
/// the old one given meanwhile, and issued tokens stay valid throughout.
#[tokio::test]
async fn stored_keys_are_sealed_under_the_encryption_key_and_need_it_to_start() {
    let kek = EncryptionKey::generate().unwrap();
    let with_kek = |k: String| {
        move |c: &mut Config| {
            c.key_encryption_key = Some(SecretString::from(k));
        }
    };
    let app = spawn_app_with(with_kek(kek.clone())).await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let kid = kid(&token);

    let raw: Vec<Vec<u8>> = gatehouse::with_pool!(app.state.db(), write, |p| {
        sqlx::query_scalar("SELECT secret_key FROM signing_keys")
            .fetch_all(p)
            .await
            .unwrap()
    });
    assert_eq!(raw.len(), 1);
    let sealed = &raw[0];
    assert!(sealed.starts_with(b"ghsk\x01"), "{sealed:?}");
    assert_eq!(sealed.len(), gatehouse::auth::keys::SEALED_LEN);
    let sealing = Sealing::new(Some(EncryptionKey::parse(&kek).unwrap()), None);
    let key = stolen_key(&app, &kid, &sealing).await;
    let seed = &key.as_bytes()[..32];
    assert!(
        !seed.windows(8).any(|w| sealed.windows(8).any(|s| s == w)),
        "the sealed column holds part of the private key"
    );
    assert!(Sealing::clear().open(&kid, sealed).is_err());
    let dir = app.stop().await;

    // No encryption key, or the wrong one: a clear refusal, not a panic.
    let err = start_error(config_in(&dir)).await;
    assert!(err.contains("GATEHOUSE_KEY_ENCRYPTION_KEY"), "{err}");
    assert!(err.contains(&kid), "{err}");
    assert!(!err.contains(&kek), "{err}");
    let mut wrong = config_in(&dir);
    wrong.key_encryption_key = Some(SecretString::from(EncryptionKey::generate().unwrap()));
    let err = start_error(wrong).await;
    assert!(err.contains("not under the configured one"), "{err}");

    // A new encryption key, the old one given while re-sealing.
    let new_kek = EncryptionKey::generate().unwrap();
    let app = spawn_app_in(dir, |c| {
        c.key_encryption_key = Some(SecretString::from(new_kek.clone()));
        c.key_encryption_key_old = Some(SecretString::from(kek.clone()));
    })
    .await;
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
    let rolled = Sealing::new(
        Some(EncryptionKey::parse(&new_kek).unwrap()),
        Some(EncryptionKey::parse(&kek).unwrap()),
    );
    let done = gatehouse::auth::keys::reseal(app.state.db(), &rolled)
        .await
        .unwrap();
    assert_eq!(done.sealed, vec![kid.clone()]);
    let dir = app.stop().await;
    let app = spawn_app_in(dir, with_kek(new_kek.clone())).await;
    let rows = gatehouse::db::keys::all(app.state.db()).await.unwrap();
    let new_id = EncryptionKey::parse(&new_kek).unwrap().id_hex();
    assert_eq!(
        Stored::of(&rows[0].secret_key).to_string(),
        format!("sealed:{new_id}")
    );
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
    app.login("alice", PASSWORD).await;
}

/// Issue 19, item 2: on a database that has a key, a supplied key takes
/// over signing. The stored key keeps verifying what it signed (a
/// rollover) until retired, and may be retired although it is the only
/// stored key; then its tokens, and tokens forged with it, are refused and
/// only the supplied key is published.
#[tokio::test]
async fn a_supplied_key_signs_and_the_stored_key_can_then_be_retired() {
    let first = spawn_app().await;
    first.sign_up_default("alice").await;
    let (old_token, _, _) = first.login("alice", PASSWORD).await;
    let stored = kid(&old_token);
    let key = stolen_key(&first, &stored, &Sealing::clear()).await;
    let dir = first.stop().await;

    let secret = gatehouse::auth::keys::generate_paserk_secret().unwrap();
    let supplied = gatehouse::auth::keys::external_kid(&secret).unwrap();
    let app = spawn_app_in(dir, |c| {
        c.signing_key = Some(SecretString::from(secret.clone()));
    })
    .await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    assert_eq!(kid(&token), supplied);
    assert_eq!(app.state.keys().signing().kid, supplied);
    let listed: Vec<Value> = published(&app).await["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].clone())
        .collect();
    assert!(listed.contains(&json!(supplied)) && listed.contains(&json!(stored)));
    assert_no_errors(&app.me(Some(&bearer(&old_token))).await);
    let now = now();
    let forged = forge(&old_token, &key, &stored, now, now + ACCESS_TTL);
    assert_no_errors(&app.me(Some(&bearer(&forged))).await);

    gatehouse::auth::keys::retire(app.state.db(), &stored, true, &Default::default())
        .await
        .unwrap();
    assert_refused(&app, &old_token).await;
    assert_refused(&app, &forged).await;
    assert_no_errors(&app.me(Some(&bearer(&token))).await);
    app.state.keys().reload().await.unwrap();
    let keys = published(&app).await["keys"].clone();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["kid"], supplied);
}
