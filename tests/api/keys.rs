//! Signing-key rotation and retirement, published public keys, and a
//! deployment-supplied key.

use base64::Engine as _;
use pasetors::keys::AsymmetricPublicKey;
use pasetors::token::UntrustedToken;
use pasetors::version4::{PublicToken, V4};
use pasetors::Public;
use secrecy::SecretString;
use serde_json::{json, Value};

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

    let new_kid = gatehouse::auth::keys::rotate(&app.state.db).await.unwrap();
    // What the periodic reload does (GATEHOUSE_KEY_RELOAD_SECS).
    app.state.keys.reload().await.unwrap();
    let (new_token, _, _) = app.login("alice", PASSWORD).await;
    assert_eq!(kid(&new_token), new_kid);
    assert_ne!(new_kid, old_kid);
    assert_no_errors(&app.me(Some(&bearer(&old_token))).await);
    assert_eq!(published(&app).await["keys"].as_array().unwrap().len(), 2);

    // Retired: refused at once, without waiting for a reload.
    gatehouse::auth::keys::retire(&app.state.db, &old_kid)
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
    app.state.keys.reload().await.unwrap();
    let keys = published(&app).await["keys"].clone();
    assert_eq!(keys.as_array().unwrap().len(), 1);
    assert_eq!(keys[0]["kid"], new_kid);
}

#[tokio::test]
async fn the_only_active_key_cannot_be_retired_and_unknown_keys_are_reported() {
    let app = spawn_app().await;
    app.sign_up_default("alice").await;
    let (token, _, _) = app.login("alice", PASSWORD).await;
    let err = gatehouse::auth::keys::retire(&app.state.db, &kid(&token))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("only active key"), "{err}");
    let err = gatehouse::auth::keys::retire(&app.state.db, "k4.pid.nope")
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
    let stored = gatehouse::db::keys::all(&first.state.db).await.unwrap();
    assert!(stored.iter().all(|k| k.kid != kid(&token)));
    let dir = first.stop().await;

    let second = spawn_app_in(dir, with_key).await;
    assert_no_errors(&second.me(Some(&bearer(&token))).await);
}
