//! The mail settings' values: where mail goes (`SmtpUrl`, whose password
//! never shows), who it is from, and the links it carries (`LinkTemplate`).

use std::fmt;
use std::str::FromStr;

/// `GATEHOUSE_SMTP_URL`, `GATEHOUSE_MAIL_*`, `GATEHOUSE_*_URL`,
/// `GATEHOUSE_*_TOKEN_TTL_SECS`, `GATEHOUSE_REQUIRE_VERIFIED_EMAIL`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    /// `GATEHOUSE_REQUIRE_VERIFIED_EMAIL`.
    pub require_verified_email: bool,
    /// `GATEHOUSE_SMTP_URL`; `None`: mail is written to the log.
    pub smtp_url: Option<SmtpUrl>,
    /// `GATEHOUSE_MAIL_FROM`.
    pub from: String,
    /// `GATEHOUSE_MAIL_TEMPLATES`: a directory whose files replace the
    /// built-in templates of the same name.
    pub templates: Option<String>,
    /// `GATEHOUSE_VERIFY_EMAIL_URL`.
    pub verify_url: LinkTemplate,
    /// `GATEHOUSE_RESET_PASSWORD_URL`.
    pub reset_url: LinkTemplate,
    /// `GATEHOUSE_CONFIRM_EMAIL_URL`.
    pub confirm_email_url: LinkTemplate,
    /// `GATEHOUSE_VERIFY_EMAIL_TOKEN_TTL_SECS`.
    pub verify_ttl: i64,
    /// `GATEHOUSE_RESET_PASSWORD_TOKEN_TTL_SECS`.
    pub reset_ttl: i64,
    /// `GATEHOUSE_EMAIL_CHANGE_TOKEN_TTL_SECS`.
    pub email_change_ttl: i64,
    /// `GATEHOUSE_MAIL_MIN_INTERVAL_SECS`: one mail of a kind per recipient.
    pub min_interval: i64,
    /// `GATEHOUSE_MAIL_MAX_PER_ADDRESS`: mail requests per client address
    /// per `GATEHOUSE_MAIL_WINDOW_SECS`.
    pub per_address: i64,
    /// `GATEHOUSE_MAIL_WINDOW_SECS`.
    pub window: i64,
    /// `GATEHOUSE_MAIL_MAX_ATTEMPTS`: sending attempts before a mail is
    /// marked failed.
    pub max_attempts: i64,
}

/// An SMTP server's URL: `smtps://` (implicit TLS), `smtp://…?tls=required`
/// (STARTTLS) or plain `smtp://host:port`. Shown (`Display`, `Debug`) with
/// the password replaced; [`SmtpUrl::expose`] gives it whole.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl(String);

impl SmtpUrl {
    /// The URL with its password, for the mail transport only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for SmtpUrl {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let rest = s
            .strip_prefix("smtps://")
            .or_else(|| s.strip_prefix("smtp://"))
            .ok_or("use smtps://HOST:PORT, smtp://HOST:PORT?tls=required or smtp://HOST:PORT")?;
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if host.is_empty() || host.starts_with(':') {
            return Err("the URL names no host".into());
        }
        if s.chars().any(char::is_whitespace) {
            return Err("the URL must not contain spaces".into());
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::checks::redact_url(&self.0))
    }
}

impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// A link to the frontend with `{token}` where the token goes, e.g.
/// `https://app.example.com/verify?token={token}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkTemplate(String);

impl LinkTemplate {
    /// The link for `token` (URL-safe base64: it needs no escaping).
    pub fn link(&self, token: &str) -> String {
        self.0.replacen("{token}", token, 1)
    }
}

impl FromStr for LinkTemplate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"))
            .ok_or("a link starts with https:// or http://")?;
        if rest.is_empty() || rest.starts_with(['/', '?', '#']) {
            return Err("the link names no host".into());
        }
        if s.matches("{token}").count() != 1 {
            return Err("put `{token}` in the link exactly once".into());
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("the link must not contain spaces".into());
        }
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for LinkTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smtp_url_shows_without_its_password() {
        let url: SmtpUrl = "smtps://mailer:s3cret@smtp.example.com:465"
            .parse()
            .unwrap();
        assert_eq!(url.expose(), "smtps://mailer:s3cret@smtp.example.com:465");
        assert!(!url.to_string().contains("s3cret"), "{url}");
        assert!(!format!("{url:?}").contains("s3cret"));
        for bad in [
            "http://x",
            "smtp://",
            "smtp://user:pw@",
            "smtp://:25",
            "smtp://a b",
        ] {
            assert!(bad.parse::<SmtpUrl>().is_err(), "{bad}");
        }
        assert!("smtp://127.0.0.1:2525".parse::<SmtpUrl>().is_ok());
    }

    #[test]
    fn a_link_template_holds_the_token_once() {
        let t: LinkTemplate = "https://app.example/v?token={token}".parse().unwrap();
        assert_eq!(t.link("abc"), "https://app.example/v?token=abc");
        for bad in [
            "https://app.example/v",
            "https://app.example/{token}/{token}",
            "ftp://x/{token}",
            "https:///{token}",
            "https://a b/{token}",
        ] {
            assert!(bad.parse::<LinkTemplate>().is_err(), "{bad}");
        }
    }
}
