//! Mail: what Gatehouse sends (`Kind`), how it is written (`templates`),
//! and how it leaves (`transport`: SMTP, or the log when no server is
//! set). Queuing, retries and the worker that drains the outbox are the
//! service's (`service::mail`); this module touches no database.

pub mod templates;
pub mod transport;

use std::path::Path;

use crate::config::MailSettings;
pub use templates::{Context, Person, RenderError, Rendered, Templates};
pub use transport::Transport;

/// The mails Gatehouse sends. The name is the templates' file stem and the
/// `kind` label of `gatehouse_mails_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A link that confirms an address (after sign-up, on request).
    VerifyEmail,
    /// A link that sets a new password.
    ResetPassword,
    /// A link, to the new address, that confirms an email change.
    ConfirmEmailChange,
    /// Notice: the password was changed.
    PasswordChanged,
    /// Notice: the password was reset by a mailed link.
    PasswordReset,
    /// Notice, to the old address: the email address was changed.
    EmailChanged,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::VerifyEmail,
        Kind::ResetPassword,
        Kind::ConfirmEmailChange,
        Kind::PasswordChanged,
        Kind::PasswordReset,
        Kind::EmailChanged,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::VerifyEmail => "verify_email",
            Kind::ResetPassword => "reset_password",
            Kind::ConfirmEmailChange => "confirm_email_change",
            Kind::PasswordChanged => "password_changed",
            Kind::PasswordReset => "password_reset",
            Kind::EmailChanged => "email_changed",
        }
    }

    /// The kind named `name` (as stored in the outbox).
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// Whether `describe` warns.
pub fn warns(settings: &MailSettings) -> bool {
    settings
        .smtp_url
        .as_ref()
        .is_none_or(|url| sends_credentials_in_clear(url.expose()))
}

/// Whether `url` is plain `smtp://` with credentials, to a host other than
/// this one, without `tls=required`.
fn sends_credentials_in_clear(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("smtp://") else {
        return false;
    };
    let (authority, query) = rest.split_once('?').unwrap_or((rest, ""));
    let authority = authority.split('/').next().unwrap_or_default();
    let Some((_, host)) = authority.rsplit_once('@') else {
        return false;
    };
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]");
    let tls = query
        .split('&')
        .any(|kv| kv.eq_ignore_ascii_case("tls=required"));
    !local && !tls
}

#[cfg(test)]
#[test]
fn credentials_in_clear_to_another_host_are_noticed() {
    assert!(sends_credentials_in_clear(
        "smtp://u:p@smtp.example.com:587"
    ));
    assert!(!sends_credentials_in_clear(
        "smtp://u:p@smtp.example.com:587?tls=required"
    ));
    assert!(!sends_credentials_in_clear(
        "smtps://u:p@smtp.example.com:465"
    ));
    assert!(!sends_credentials_in_clear("smtp://u:p@127.0.0.1:25"));
    assert!(!sends_credentials_in_clear("smtp://relay.internal:25"));
}

/// Templates, transport and sender, ready to use.
pub struct Mailer {
    pub templates: Templates,
    pub transport: Transport,
    pub from: lettre::message::Mailbox,
}

impl Mailer {
    /// Loads the templates and sets up the transport the settings name; an
    /// error says which setting is wrong and why (never the SMTP password).
    pub fn new(settings: &MailSettings) -> Result<Self, String> {
        let templates = Templates::load(settings.templates.as_deref().map(Path::new))
            .map_err(|e| format!("GATEHOUSE_MAIL_TEMPLATES: {e}"))?;
        let from = settings.from.parse().map_err(|e| {
            format!(
                "GATEHOUSE_MAIL_FROM: `{}` is not an address: {e}",
                settings.from
            )
        })?;
        let transport = Transport::new(settings.smtp_url.as_ref())?;
        Ok(Self {
            templates,
            transport,
            from,
        })
    }
}

/// What `config check` says about mail (a warning for mail that is not
/// sent, or a password sent in the clear).
pub fn describe(settings: &MailSettings) -> String {
    match &settings.smtp_url {
        Some(url) if sends_credentials_in_clear(url.expose()) => format!(
            "GATEHOUSE_SMTP_URL sends its password unencrypted to {url}: add \
             `?tls=required` (STARTTLS) or use smtps:// (implicit TLS) unless the server \
             is on this host"
        ),
        Some(url) => format!("mail goes to the SMTP server {url}"),
        None => "no GATEHOUSE_SMTP_URL: mail is written to the log at info, whole, \
                 links included (for development; set GATEHOUSE_SMTP_URL in production)"
            .to_owned(),
    }
}
