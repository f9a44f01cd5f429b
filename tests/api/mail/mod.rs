//! Account lifecycle by email (issue 14), against a real SMTP server: the
//! capture server in `smtp.rs`, which the app under test sends to. Each
//! flow runs end to end on both faces (the mail arrives, its link's token
//! completes the flow); delivery (outages, restarts, retries) is no face's.

pub mod smtp;

mod addresses;
mod at_rest;
mod capture;
mod delivery;
mod email_change;
mod events;
mod notices;
mod races;
mod required;
mod reset;
mod templates;
mod verify;

use std::time::Duration;

use gatehouse::config::Config;
use gatehouse::db::outbox::{self, Record};
use reqwest::Method;

use crate::helpers::*;
use crate::rest::client::Reply;
pub use smtp::{unescape_html, Mail, Smtp};

/// The sender the test apps are configured with.
pub const FROM: &str = "Gatehouse <noreply@gatehouse.test>";
pub const FROM_ADDRESS: &str = "noreply@gatehouse.test";

/// The default links (a localhost frontend) up to the token.
pub const VERIFY_LINK: &str = "http://localhost:3000/verify-email?token=";
pub const RESET_LINK: &str = "http://localhost:3000/reset-password?token=";
pub const CONFIRM_LINK: &str = "http://localhost:3000/confirm-email?token=";

/// The subjects of the built-in templates.
pub const VERIFY_SUBJECT: &str = "Confirm your email address";
pub const RESET_SUBJECT: &str = "Reset your password";
pub const CONFIRM_SUBJECT: &str = "Confirm your new email address";
pub const PASSWORD_CHANGED_SUBJECT: &str = "Your password was changed";
pub const PASSWORD_RESET_SUBJECT: &str = "Your password was reset";
pub const EMAIL_CHANGED_SUBJECT: &str = "Your email address was changed";

/// The default lifetimes and minimum interval, as `Config::default()` sets them.
pub const VERIFY_TTL: i64 = 24 * 3600;
pub const RESET_TTL: i64 = 30 * 60;
pub const EMAIL_CHANGE_TTL: i64 = 3600;
pub const MIN_INTERVAL: i64 = 60;

/// A new password that passes the policy.
pub const NEW_PASSWORD: &str = "a brand new passphrase";

/// Points `config`'s mail at `smtp`, from [`FROM`].
pub fn send_to(config: &mut Config, smtp: &Smtp) {
    config.mail.smtp_url = Some(smtp.url().parse().expect("an SMTP URL"));
    config.mail.from = FROM.to_owned();
}

/// A capture server and an app that mails to it; `configure` may change
/// the rest of the configuration.
pub async fn mail_app(configure: impl FnOnce(&mut Config)) -> (TestApp, Smtp) {
    let smtp = Smtp::start().await;
    let app = spawn_app_with(|c| {
        send_to(c, &smtp);
        configure(c);
    })
    .await;
    (app, smtp)
}

impl TestApp {
    /// Every outbox row, oldest first.
    pub async fn outbox(&self) -> Vec<Record> {
        outbox::records(self.state.db())
            .await
            .expect("the outbox is read")
    }

    /// The outbox rows for `recipient`.
    pub async fn outbox_to(&self, recipient: &str) -> Vec<Record> {
        let mut rows = self.outbox().await;
        rows.retain(|r| r.recipient.eq_ignore_ascii_case(recipient));
        rows
    }

    /// Waits (up to 10 s) until the outbox has a row matching `check`.
    #[track_caller]
    pub fn outbox_row<'a>(
        &'a self,
        check: impl Fn(&Record) -> bool + 'a,
    ) -> impl std::future::Future<Output = Record> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let deadline = std::time::Instant::now() + smtp::WAIT;
            loop {
                let rows = self.outbox().await;
                if let Some(row) = rows.into_iter().find(&check) {
                    return row;
                }
                if std::time::Instant::now() >= deadline {
                    panic!("{caller}: no such outbox row: {:#?}", self.outbox().await);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// Seed 004's `user/update/` (PATCH) with `body`, logged in as `email`
    /// with [`PASSWORD`] through `user/obtain_token/`.
    pub async fn drf_update(&self, email: &str, body: serde_json::Value) -> Reply {
        let login = serde_json::json!({ "email": email, "password": PASSWORD });
        let reply = self.drf_post("/user/obtain_token/", login).await;
        let token = reply.expect(200)["token"]
            .as_str()
            .expect("a token")
            .to_owned();
        let path = "/user/update/";
        self.rest_json(Method::PATCH, path, body, Some(&bearer(&token)))
            .await
    }

    /// `gatehouse_mails_total{kind, result}` as `/metrics` shows it.
    pub async fn mails_counted(&self, kind: &str, result: &str) -> u64 {
        let metrics = self.client.get(self.url("/metrics")).send().await;
        let metrics = metrics.expect("/metrics").text().await.expect("a body");
        let prefix = format!("gatehouse_mails_total{{kind=\"{kind}\",result=\"{result}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .map_or(0, |n| n.parse().expect("a count"))
    }

    /// Waits (up to 10 s) until `n` attempts to send a mail of `kind` have
    /// ended in `result` (counted once the outbox row says so).
    #[track_caller]
    pub fn attempts_ended<'a>(
        &'a self,
        kind: &'a str,
        result: &'a str,
        n: u64,
    ) -> impl std::future::Future<Output = ()> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let deadline = std::time::Instant::now() + smtp::WAIT;
            while self.mails_counted(kind, result).await < n {
                if std::time::Instant::now() >= deadline {
                    panic!(
                        "{caller}: {n} × {kind} {result} not counted: {:#?}",
                        self.outbox().await
                    );
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }

    /// Lets the mail work requests handed off finish and sends what is due,
    /// so that a mail that was going to be written and sent has been.
    pub async fn settle(&self) {
        tokio::time::sleep(Duration::from_millis(300)).await;
        self.state.deliver_due().await.expect("a delivery pass");
    }
}

impl Smtp {
    /// The `n`th mail to `recipient` with `subject` (1-based), waiting for it.
    #[track_caller]
    pub fn nth<'a>(
        &'a self,
        recipient: &'a str,
        subject: &'a str,
        n: usize,
    ) -> impl std::future::Future<Output = Mail> + 'a {
        let caller = std::panic::Location::caller();
        async move {
            let found = smtp::poll(smtp::WAIT, || {
                let mut mails = self.mails_to(recipient);
                mails.retain(|m| m.subject() == subject);
                (mails.len() >= n).then(|| mails.swap_remove(n - 1))
            })
            .await;
            found.unwrap_or_else(|| {
                panic!(
                    "{caller}: expected {n} × `{subject}` to {recipient} within {:?}, got {:#?}",
                    smtp::WAIT,
                    self.summary()
                )
            })
        }
    }

    /// The first mail to `recipient` with `subject`, waiting for it.
    #[track_caller]
    pub fn first<'a>(
        &'a self,
        recipient: &'a str,
        subject: &'a str,
    ) -> impl std::future::Future<Output = Mail> + 'a {
        self.nth(recipient, subject, 1)
    }

    /// How many mails to `recipient` with `subject` have arrived.
    pub fn count(&self, recipient: &str, subject: &str) -> usize {
        self.mails_to(recipient)
            .iter()
            .filter(|m| m.subject() == subject)
            .count()
    }
}

/// Asserts what every mail Gatehouse sends has: one recipient, the sender,
/// the subject, both parts.
#[track_caller]
pub fn assert_mail(mail: &Mail, to: &str, subject: &str) {
    assert_eq!(mail.recipient(), to, "{}", mail.data);
    assert_eq!(mail.from, FROM_ADDRESS, "the envelope sender");
    let from = mail.header("From").unwrap_or_default();
    assert!(from.contains(FROM_ADDRESS), "From: {from}");
    let header_to = mail.header("To").unwrap_or_default();
    assert!(header_to.contains(to), "To: {header_to}");
    assert_eq!(mail.subject(), subject);
    assert!(!mail.text().trim().is_empty(), "a text part");
    assert!(!mail.html().trim().is_empty(), "an HTML part");
}

/// Asserts a notice: a mail that carries no link token.
#[track_caller]
pub fn assert_notice(mail: &Mail, to: &str, subject: &str) {
    assert_mail(mail, to, subject);
    assert!(
        mail.tokens().is_empty() && !mail.html().contains("ghl_"),
        "a notice carries no link:\n{}",
        mail.text()
    );
}

/// `token` with one character of its random part changed.
pub fn tampered(token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    let at = chars.len() / 2;
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}
