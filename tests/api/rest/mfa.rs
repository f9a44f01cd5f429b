//! REST-only second-factor behaviour: the QR code as an image.

use reqwest::Method;

use crate::helpers::*;

#[tokio::test]
async fn the_pending_secret_is_served_as_an_svg_qr_code() {
    let app = spawn_app().await;
    app.sign_up("alice", "alice@example.com", PASSWORD).await;
    let tokens = app.password_grant("alice", PASSWORD).await;
    let auth = bearer(
        tokens.expect(200)["access_token"]
            .as_str()
            .expect("a token"),
    );
    app.rest_get("/api/users/me/mfa/totp/qr", None)
        .await
        .expect_error(401, "UNAUTHENTICATED");
    app.rest_get("/api/users/me/mfa/totp/qr", Some(&auth))
        .await
        .expect_error(409, "CONFLICT");
    app.send(app.rest(Method::POST, "/api/users/me/mfa/totp", Some(&auth)))
        .await
        .expect(200);
    let resp = app
        .rest(Method::GET, "/api/users/me/mfa/totp/qr", Some(&auth))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let header = |name: &str| resp.headers()[name].to_str().unwrap().to_owned();
    assert_eq!(header("content-type"), "image/svg+xml");
    assert_eq!(header("cache-control"), "no-store");
    let svg = resp.text().await.expect("a body");
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");
}
