//! Logins for one account from one address, some right and some wrong, all
//! at once: counting (`throttle::take`) and settling a success
//! (`throttle::settle_success`) lock the same two rows. The second attack
//! review found them deadlocking on PostgreSQL (500s); both now lock in one
//! order.

use futures_util::future::join_all;

use crate::graphql::client::*;
use crate::helpers::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn right_and_wrong_logins_at_once_never_fail_with_an_internal_error() {
    let app = spawn_app_with(|c| {
        c.throttle.login_failures_per_account = 1_000_000;
        c.throttle.login_failures_per_address = 1_000_000;
        c.argon2.memory_kib = 64;
        c.argon2.iterations = 1;
    })
    .await;
    app.sign_up_default("mia").await;
    let app = &app;
    for round in 0..5 {
        let attempts = (0..30).map(|i| {
            let password = if i % 2 == 0 {
                PASSWORD
            } else {
                "a wrong password"
            };
            async move {
                if i % 3 == 0 {
                    let reply = app.password_grant("mia", password).await;
                    assert!(
                        reply.status == 200 || reply.status == 400,
                        "round {round}: {} {:#}",
                        reply.status,
                        reply.body
                    );
                } else {
                    let body = app.token_auth("mia", password, None).await;
                    let code = error_code(&body);
                    assert!(
                        code.is_none() || code == Some("INVALID_CREDENTIALS"),
                        "round {round}: {body:#}"
                    );
                }
            }
        });
        join_all(attempts).await;
    }
}
