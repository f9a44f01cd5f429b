//! The mail templates: built in (`src/mail/templates/`), each replaceable
//! by a file of the same name in `GATEHOUSE_MAIL_TEMPLATES`. Rendered with
//! minijinja: `.html` autoescaped, a variable a template names but the
//! mail does not have is an error (found at start, where every template
//! is rendered once with sample values).

use std::path::Path;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use super::Kind;

/// The built-in templates, by file name.
const BUILT_IN: &[(&str, &str)] = &[
    ("layout.html", include_str!("templates/layout.html")),
    (
        "verify_email.subject.txt",
        include_str!("templates/verify_email.subject.txt"),
    ),
    (
        "verify_email.txt",
        include_str!("templates/verify_email.txt"),
    ),
    (
        "verify_email.html",
        include_str!("templates/verify_email.html"),
    ),
    (
        "reset_password.subject.txt",
        include_str!("templates/reset_password.subject.txt"),
    ),
    (
        "reset_password.txt",
        include_str!("templates/reset_password.txt"),
    ),
    (
        "reset_password.html",
        include_str!("templates/reset_password.html"),
    ),
    (
        "confirm_email_change.subject.txt",
        include_str!("templates/confirm_email_change.subject.txt"),
    ),
    (
        "confirm_email_change.txt",
        include_str!("templates/confirm_email_change.txt"),
    ),
    (
        "confirm_email_change.html",
        include_str!("templates/confirm_email_change.html"),
    ),
    (
        "password_changed.subject.txt",
        include_str!("templates/password_changed.subject.txt"),
    ),
    (
        "password_changed.txt",
        include_str!("templates/password_changed.txt"),
    ),
    (
        "password_changed.html",
        include_str!("templates/password_changed.html"),
    ),
    (
        "password_reset.subject.txt",
        include_str!("templates/password_reset.subject.txt"),
    ),
    (
        "password_reset.txt",
        include_str!("templates/password_reset.txt"),
    ),
    (
        "password_reset.html",
        include_str!("templates/password_reset.html"),
    ),
    (
        "email_changed.subject.txt",
        include_str!("templates/email_changed.subject.txt"),
    ),
    (
        "email_changed.txt",
        include_str!("templates/email_changed.txt"),
    ),
    (
        "email_changed.html",
        include_str!("templates/email_changed.html"),
    ),
];

/// The names of the templates an operator may replace.
pub fn names() -> impl Iterator<Item = &'static str> {
    BUILT_IN.iter().map(|(name, _)| *name)
}

/// Who a mail is about.
#[derive(Serialize)]
pub struct Person<'a> {
    pub username: &'a str,
    pub email: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

/// What a template may use: `user`, and per kind `link` and `valid_for`
/// (mails with a link), `new_email`, `old_email` (email changes). What a
/// kind does not have is undefined, so a template that names it fails the
/// check at start instead of printing `none` in a mail.
#[derive(Serialize)]
pub struct Context<'a> {
    pub user: Person<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_for: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_email: Option<&'a str>,
}

/// A mail's three parts, rendered.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The loaded templates.
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    /// The built-in templates, with those in `dir` (if given) instead.
    /// Every template is rendered once with sample values: a syntax error,
    /// an unknown variable or a file that replaces nothing is an error here,
    /// not when a mail is due.
    pub fn load(dir: Option<&Path>) -> Result<Self, String> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_formatter(html_formatter);
        env.set_keep_trailing_newline(true);
        for (name, source) in BUILT_IN {
            let source = match dir {
                Some(dir) => match std::fs::read_to_string(dir.join(name)) {
                    Ok(text) => text,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => (*source).to_owned(),
                    Err(e) => return Err(format!("{}: {e}", dir.join(name).display())),
                },
                None => (*source).to_owned(),
            };
            env.add_template_owned(*name, source)
                .map_err(|e| format!("template {name}: {e}"))?;
        }
        if let Some(dir) = dir {
            let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.') && !names().any(|n| n == name) {
                    return Err(format!(
                        "{}: `{name}` is not a template name (expected one of: {})",
                        dir.display(),
                        names().collect::<Vec<_>>().join(", ")
                    ));
                }
            }
        }
        let templates = Self { env };
        for kind in Kind::ALL {
            templates
                .render(kind, &sample(kind))
                .map_err(|e| e.to_string())?;
        }
        Ok(templates)
    }

    /// Renders `kind`'s subject (one line), text and HTML bodies.
    pub fn render(&self, kind: Kind, ctx: &Context<'_>) -> Result<Rendered, RenderError> {
        let one = |part: &str| {
            let name = format!("{}.{part}", kind.name());
            self.env
                .get_template(&name)
                .and_then(|t| t.render(ctx))
                .map_err(|e| RenderError(format!("template {name}: {e:#}")))
        };
        let subject = one("subject.txt")?;
        Ok(Rendered {
            subject: subject.split_whitespace().collect::<Vec<_>>().join(" "),
            text: one("txt")?,
            html: one("html")?,
        })
    }
}

/// A template that failed to render.
#[derive(Debug)]
pub struct RenderError(pub String);

impl std::fmt::Display for RenderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Values as a mail of `kind` has them, and only those.
fn sample(kind: Kind) -> Context<'static> {
    let has_link = matches!(
        kind,
        Kind::VerifyEmail | Kind::ResetPassword | Kind::ConfirmEmailChange
    );
    Context {
        user: Person {
            username: "alice",
            email: "alice@example.com",
            first_name: "Alice",
            last_name: "Liddell",
        },
        link: has_link.then_some("https://app.example.com/page?token=sample"),
        valid_for: has_link.then_some("1 hour"),
        new_email: matches!(kind, Kind::ConfirmEmailChange | Kind::EmailChanged)
            .then_some("new@example.com"),
        old_email: (kind == Kind::EmailChanged).then_some("old@example.com"),
    }
}

/// HTML escaping of `& < > " '` (minijinja's also escapes `/`, which turns
/// every link into `http:&#x2f;&#x2f;…`: valid, but some mail clients and
/// link scanners stumble on it). Other contexts as minijinja does them.
fn html_formatter(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() != minijinja::AutoEscape::Html || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#x27;"),
            c => escaped.push(c),
        }
    }
    out.write_str(&escaped).map_err(minijinja::Error::from)
}

/// "24 hours", "30 minutes", "1 hour", "90 seconds".
pub fn human_duration(secs: i64) -> String {
    let (n, unit) = if secs % 86_400 == 0 && secs >= 86_400 * 2 {
        (secs / 86_400, "day")
    } else if secs % 3600 == 0 {
        (secs / 3600, "hour")
    } else if secs % 60 == 0 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(username: &'a str, link: &'a str) -> Context<'a> {
        Context {
            user: Person {
                username,
                email: "a@example.com",
                first_name: "",
                last_name: "",
            },
            link: Some(link),
            valid_for: Some("24 hours"),
            new_email: None,
            old_email: None,
        }
    }

    #[test]
    fn the_built_in_templates_render_and_html_is_escaped() {
        let t = Templates::load(None).unwrap();
        let r = t
            .render(
                Kind::VerifyEmail,
                &ctx("<b>al</b>", "https://x/?token=abc&x=1"),
            )
            .unwrap();
        assert_eq!(r.subject, "Confirm your email address");
        assert!(r.text.contains("https://x/?token=abc&x=1"));
        assert!(r.text.contains("<b>al</b>"), "text is not escaped");
        assert!(r.html.contains("&lt;b&gt;al&lt;/b&gt;"), "{}", r.html);
        assert!(r.html.contains(r#"href="https://x/?token=abc&amp;x=1""#));
        assert!(!r.html.contains("<b>al</b>"));
        assert!(r.html.contains("token=abc&amp;x=1"));
    }

    #[test]
    fn a_directory_replaces_templates_and_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("verify_email.subject.txt"),
            "Welcome to Acme,\n {{ user.username }}",
        )
        .unwrap();
        let t = Templates::load(Some(dir.path())).unwrap();
        let r = t
            .render(Kind::VerifyEmail, &ctx("bob", "https://x/"))
            .unwrap();
        assert_eq!(r.subject, "Welcome to Acme, bob");
        assert!(r.text.contains("https://x/"), "the others stay built in");

        std::fs::write(dir.path().join("reset_password.txt"), "{{ nope }}").unwrap();
        let err = Templates::load(Some(dir.path())).err().unwrap();
        assert!(err.contains("reset_password.txt"), "{err}");
        std::fs::write(dir.path().join("reset_password.txt"), "{% if %}").unwrap();
        let err = Templates::load(Some(dir.path())).err().unwrap();
        assert!(err.contains("reset_password.txt"), "{err}");
        std::fs::remove_file(dir.path().join("reset_password.txt")).unwrap();

        // A variable its kind does not have: `none` would go out in mail.
        std::fs::write(dir.path().join("password_changed.txt"), "{{ link }}").unwrap();
        let err = Templates::load(Some(dir.path())).err().unwrap();
        assert!(err.contains("password_changed.txt"), "{err}");
        std::fs::remove_file(dir.path().join("password_changed.txt")).unwrap();

        std::fs::write(dir.path().join("verify.txt"), "typo").unwrap();
        let err = Templates::load(Some(dir.path())).err().unwrap();
        assert!(err.contains("verify.txt"), "{err}");
    }

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(human_duration(86_400), "24 hours");
        assert_eq!(human_duration(172_800), "2 days");
        assert_eq!(human_duration(1800), "30 minutes");
        assert_eq!(human_duration(3600), "1 hour");
        assert_eq!(human_duration(90), "90 seconds");
        assert_eq!(human_duration(1), "1 second");
    }
}
