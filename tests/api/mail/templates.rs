//! Templates an operator puts in `GATEHOUSE_MAIL_TEMPLATES` replace the
//! built-in ones of the same name (the others stay), HTML autoescaped; a
//! broken or misnamed one stops the start, not a mail.

use gatehouse::app::Application;
use gatehouse::config::Config;

use super::*;
use crate::both::face::*;
use crate::graphql::face::Graphql;

/// A directory holding `files`.
fn templates(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("a template is written");
    }
    dir
}

#[tokio::test]
async fn an_operators_templates_replace_the_built_in_ones_of_the_same_name() {
    let dir = templates(&[
        (
            "verify_email.subject.txt",
            "Welcome aboard, {{ user.username }}!",
        ),
        (
            "verify_email.txt",
            "Hi {{ user.username }}, confirm here: {{ link }} ({{ valid_for }})\n",
        ),
        (
            "reset_password.html",
            "<p>Hi {{ user.first_name }}</p><p><a href=\"{{ link }}\">Pick a new password</a></p>",
        ),
    ]);
    let path = dir.path().display().to_string();
    let (app, smtp) = mail_app(|c| c.mail.templates = Some(path)).await;
    Graphql::signed_up(&app, "alice").await;
    let mail = smtp
        .first("alice@example.com", "Welcome aboard, alice!")
        .await;
    let token = mail.token();
    assert!(
        mail.text()
            .starts_with(&format!("Hi alice, confirm here: {VERIFY_LINK}{token} (")),
        "{}",
        mail.text()
    );
    // The HTML part was not replaced: the built-in one.
    assert!(
        mail.html().contains("Confirm my address"),
        "{}",
        mail.html()
    );
    assert_eq!(mail.link(), format!("{VERIFY_LINK}{token}"));

    // A name is escaped in HTML, whatever the template does with it.
    let session = Graphql::logged_in(&app, "alice").await;
    let name = "<b>Al</b> & \"Co\"";
    Graphql::update_me(&app, Some(&session.bearer()), &[(Field::FirstName, name)])
        .await
        .expect("named");
    Graphql::send_password_reset_email(&app, "alice@example.com")
        .await
        .expect("accepted");
    let mail = smtp.first("alice@example.com", RESET_SUBJECT).await;
    let html = mail.html();
    assert!(!html.contains("<b>"), "{html}");
    assert!(html.contains("Pick a new password"), "{html}");
    assert_eq!(unescape_html(&html).matches(name).count(), 1, "{html}");
    assert_eq!(mail.link(), format!("{RESET_LINK}{}", mail.token()));
}

#[tokio::test]
async fn a_broken_or_misnamed_template_stops_the_start_and_says_which() {
    for (name, text, expected) in [
        ("verify_email.txt", "{{ link", "verify_email.txt"),
        ("verify_email.txt", "{{ no_such_variable }}", "verify_email"),
        ("verify-email.txt", "{{ link }}", "verify-email.txt"),
    ] {
        let dir = templates(&[(name, text)]);
        let db = tempfile::tempdir().unwrap();
        let mut config = Config {
            database_url: format!("sqlite://{}/t.db", db.path().display()),
            addr: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        config.mail.templates = Some(dir.path().display().to_string());
        let error = match Application::build(config).await {
            Ok(_) => panic!("{name} = {text:?}: the app started"),
            Err(e) => format!("{e:#}"),
        };
        assert!(error.contains(expected), "{name} = {text:?}: {error}");
    }
}
