//! `config check` and the mail settings: the SMTP password hidden, the
//! sender, link URLs and templates checked as the server checks them at
//! start, and unknown `GATEHOUSE_*` variables named.

use super::*;

fn check(env: &[(&str, &str)]) -> Output {
    gatehouse(&["config", "check"], env, None)
}

#[test]
fn the_smtp_password_is_hidden_and_mail_without_a_server_is_said() {
    let out = check(&[(
        "GATEHOUSE_SMTP_URL",
        "smtps://mailer:s3cr3t-pw@smtp.example.com:465",
    )]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!shown.contains("s3cr3t-pw"), "{shown}");
    assert!(
        shown.contains("GATEHOUSE_SMTP_URL = smtps://mailer:<redacted>@smtp.example.com:465"),
        "{shown}"
    );

    let out = check(&[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("mail is written to the log"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_mail_settings_exit_2_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere");
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).unwrap();
    std::fs::write(broken.join("reset_password.txt"), "{{ user.nmae }}").unwrap();
    let stray = dir.path().join("stray");
    std::fs::create_dir(&stray).unwrap();
    std::fs::write(stray.join("welcome.txt"), "hi").unwrap();
    let cases = [
        ("GATEHOUSE_SMTP_URL", "http://smtp.example.com"),
        ("GATEHOUSE_SMTP_URL", "smtp://"),
        (
            "GATEHOUSE_VERIFY_EMAIL_URL",
            "https://app.example.com/verify",
        ),
        (
            "GATEHOUSE_RESET_PASSWORD_URL",
            "javascript:alert(1)//{token}",
        ),
        ("GATEHOUSE_MAIL_FROM", "not an address"),
        ("GATEHOUSE_MAIL_TEMPLATES", missing.to_str().unwrap()),
        ("GATEHOUSE_MAIL_TEMPLATES", broken.to_str().unwrap()),
        ("GATEHOUSE_MAIL_TEMPLATES", stray.to_str().unwrap()),
        ("GATEHOUSE_MAIL_MIN_INTERVAL_SECS", "0"),
        ("GATEHOUSE_MAIL_MAX_ATTEMPTS", "0"),
        ("GATEHOUSE_REQUIRE_VERIFIED_EMAIL", "maybe"),
    ];
    for (name, value) in cases {
        let out = check(&[(name, value)]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}={value}: {err}");
        assert!(err.contains(name), "{name}={value}: {err}");
    }
    // The template's error names the file.
    let out = check(&[("GATEHOUSE_MAIL_TEMPLATES", broken.to_str().unwrap())]);
    assert!(text(&out.stderr).contains("reset_password.txt"));
}

#[test]
fn a_template_directory_that_replaces_some_templates_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("verify_email.subject.txt"),
        "Welcome, {{ user.username }}",
    )
    .unwrap();
    let out = check(&[("GATEHOUSE_MAIL_TEMPLATES", dir.path().to_str().unwrap())]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn an_unknown_gatehouse_variable_is_named() {
    let out = check(&[("GATEHOUSE_REQUIRE_VERIFIED_EMIAL", "true")]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("GATEHOUSE_REQUIRE_VERIFIED_EMIAL is not a setting"),
        "{}",
        text(&out.stderr)
    );
}
