//! How a mail leaves: an SMTP server (lettre: `smtps://` implicit TLS,
//! `smtp://…?tls=required` STARTTLS, plain `smtp://`), or, with no server
//! set, the log at info, whole, as Django's console email backend does.

use std::time::Duration;

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::config::SmtpUrl;

/// How long one SMTP conversation may take before the attempt fails.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
}

/// A mail to send, as the outbox holds it.
pub struct Outgoing<'a> {
    /// The outbox row's id: part of the Message-ID.
    pub id: i64,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

/// Why a mail did not go: `permanent` when trying again cannot help (an
/// address the message cannot carry).
#[derive(Debug)]
pub struct SendError {
    pub reason: String,
    pub permanent: bool,
}

impl Transport {
    pub fn new(url: Option<&SmtpUrl>) -> Result<Self, String> {
        let Some(url) = url else {
            return Ok(Transport::Log);
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
            // lettre's message may quote the URL: say which setting instead.
            .map_err(|_| format!("GATEHOUSE_SMTP_URL: `{url}` is not a usable SMTP URL"))?;
        Ok(Transport::Smtp(builder.timeout(Some(SMTP_TIMEOUT)).build()))
    }

    pub async fn send(&self, from: &Mailbox, mail: &Outgoing<'_>) -> Result<(), SendError> {
        let message = build(from, mail)?;
        match self {
            Transport::Log => {
                tracing::info!(
                    target: "gatehouse::mail",
                    "mail (no GATEHOUSE_SMTP_URL: written here instead of sent)\n\
                     From: {from}\nTo: {}\nSubject: {}\n\n{}\n--- HTML ---\n{}",
                    mail.recipient,
                    mail.subject,
                    mail.text,
                    mail.html
                );
                Ok(())
            }
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                // A 5xx about this mail will not change; an authentication
                // refusal (53x) is the operator's to fix and is retried, as
                // is anything transient. What lettre refuses itself (an
                // address it cannot carry) will not change either.
                let auth = e.status().is_some_and(|c| c.to_string().starts_with("53"));
                SendError {
                    permanent: (e.is_permanent() && !auth) || e.is_client(),
                    reason: e.to_string(),
                }
            }),
        }
    }
}

fn build(from: &Mailbox, mail: &Outgoing<'_>) -> Result<Message, SendError> {
    let permanent = |reason: String| SendError {
        reason,
        permanent: true,
    };
    // An internationalised domain travels as its ASCII (punycode) form,
    // which every server accepts (the local part must be ASCII already).
    let recipient = match mail.recipient.rsplit_once('@') {
        Some((local, domain)) if !domain.is_ascii() => match idna::domain_to_ascii(domain) {
            Ok(ascii) => format!("{local}@{ascii}"),
            Err(_) => mail.recipient.to_owned(),
        },
        _ => mail.recipient.to_owned(),
    };
    let to: Mailbox = recipient.parse().map_err(|e| {
        permanent(format!(
            "the recipient is not an address lettre can send to: {e}"
        ))
    })?;
    let domain = from.email.domain().to_owned();
    let mut nonce = [0u8; 8];
    getrandom::getrandom(&mut nonce).map_err(|e| SendError {
        reason: format!("no randomness for the Message-ID: {e}"),
        permanent: false,
    })?;
    let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(mail.subject)
        .message_id(Some(format!("<{}.{nonce}.gatehouse@{domain}>", mail.id)))
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(mail.text.to_owned()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(mail.html.to_owned()),
                ),
        )
        .map_err(|e| permanent(format!("the message could not be built: {e}")))
}
