//! The settings: reading, defaults, checks, `config check` and the README table.

use std::collections::HashMap;
use std::time::Duration;

use super::checks::redact_url;
use super::*;

fn from(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

#[test]
fn an_empty_environment_gives_the_documented_defaults() {
    let c = from(&[]).unwrap();
    assert_eq!(c.database_url, "sqlite://gatehouse.db");
    assert_eq!(c.addr.to_string(), "127.0.0.1:8000");
    assert_eq!(c.access_token_ttl, Duration::from_secs(300));
    assert_eq!(c.refresh_token_ttl, Duration::from_secs(604800));
    assert_eq!(
        c.argon2,
        Argon2Config {
            memory_kib: 19456,
            iterations: 2,
            parallelism: 1
        }
    );
}

#[test]
fn a_bad_address_names_the_variable() {
    let e = from(&[("GATEHOUSE_ADDR", "nowhere")]).unwrap_err();
    assert_eq!(e.name, "GATEHOUSE_ADDR");
    assert!(e.to_string().contains("nowhere"));
}

#[test]
fn debug_output_never_shows_the_signing_key() {
    let c = from(&[("GATEHOUSE_SIGNING_KEY", "k4.secret.TOP-SECRET-MATERIAL")]).unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("TOP-SECRET"), "{shown}");
    assert!(c.signing_key.is_some());
}

#[test]
fn a_file_supplies_settings_and_the_environment_wins() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.toml");
    std::fs::write(
        &path,
        "addr = \"127.0.0.1:9999\"\naccess_token_ttl = 60\ncors_origins = [\"https://a.example\", \"https://b.example\"]\n",
    )
    .unwrap();
    let c = Config::load(Some(&path)).unwrap();
    assert_eq!(c.access_token_ttl, Duration::from_secs(60));
    assert_eq!(c.cors_origins.len(), 2);
    // GATEHOUSE_ADDR is not set in the test environment, so the file's value holds.
    if std::env::var("GATEHOUSE_ADDR").is_err() {
        assert_eq!(c.addr.to_string(), "127.0.0.1:9999");
    }
}

#[test]
fn an_unknown_key_or_bad_toml_in_the_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.toml");
    std::fs::write(&path, "acces_token_ttl = 60\n").unwrap();
    let e = Config::load(Some(&path)).unwrap_err();
    assert!(
        e.to_string().contains("unknown setting `acces_token_ttl`"),
        "{e}"
    );
    std::fs::write(&path, "addr = \n").unwrap();
    assert_eq!(Config::load(Some(&path)).unwrap_err().name, "--config");
    assert!(Config::load(Some(&dir.path().join("missing.toml"))).is_err());
}

#[test]
fn a_signing_key_file_that_holds_no_key_is_refused_without_showing_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key");
    std::fs::write(&path, "not-a-key SECRET-LOOKING").unwrap();
    let path = path.display().to_string();
    let err = from(&[("GATEHOUSE_SIGNING_KEY_FILE", path.as_str())]).unwrap_err();
    assert_eq!(err.name, "GATEHOUSE_SIGNING_KEY_FILE");
    assert!(err.reason.contains("PASERK"), "{err}");
    assert!(!err.to_string().contains("SECRET-LOOKING"), "{err}");
    let key = crate::auth::keys::generate_paserk_secret().unwrap();
    std::fs::write(dir.path().join("key"), format!("{key}\n")).unwrap();
    assert!(from(&[("GATEHOUSE_SIGNING_KEY_FILE", path.as_str())]).is_ok());
}

#[test]
fn the_description_lists_every_setting_and_redacts_secrets() {
    let c = from(&[
        ("DATABASE_URL", "postgres://gh:hunter2@db/gh"),
        ("GATEHOUSE_SIGNING_KEY", "k4.secret.TOP-SECRET"),
    ])
    .unwrap();
    let d = c.describe();
    for s in SETTINGS
        .iter()
        .map(|s| s.name)
        .filter(|s| !s.ends_with("_FILE"))
    {
        assert!(d.contains(&format!("{s} = ")), "{s} missing from\n{d}");
    }
    assert!(!d.contains("hunter2") && !d.contains("TOP-SECRET"), "{d}");
    assert!(d.contains("postgres://gh:<redacted>@db/gh"), "{d}");
    for (url, shown) in [
        ("postgres://gh:p@ss@db/gh", "postgres://gh:<redacted>@db/gh"),
        (
            "postgres://gh:p/a?s@s@db:5/gh",
            "postgres://gh:<redacted>@db:5/gh",
        ),
        (
            "postgres://db/gh?user=gh&password=s3cret&sslmode=require",
            "postgres://db/gh?user=gh&password=<redacted>&sslmode=require",
        ),
        ("sqlite://gatehouse.db", "sqlite://gatehouse.db"),
    ] {
        assert_eq!(redact_url(url), shown);
    }
}

#[test]
fn encryption_keys_are_checked_redacted_and_their_files_remembered() {
    let key = crate::auth::keys::EncryptionKey::generate().unwrap();
    let c = from(&[("GATEHOUSE_KEY_ENCRYPTION_KEY", key.as_str())]).unwrap();
    assert!(c.key_encryption_key.is_some());
    assert!(!format!("{c:?}").contains(&key));
    assert!(!c.describe().contains(&key));
    assert!(from(&[])
        .unwrap()
        .describe()
        .contains("GATEHOUSE_KEY_ENCRYPTION_KEY = (none: private keys in the database are stored in the clear)"));
    // A bad value names the setting and does not repeat the value.
    let e = from(&[("GATEHOUSE_KEY_ENCRYPTION_KEY_OLD", "hunter2-hunter2")]).unwrap_err();
    assert_eq!(e.name, "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD");
    assert!(!e.to_string().contains("hunter2"), "{e}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kek");
    std::fs::write(&path, format!("{key}\n")).unwrap();
    let path = path.display().to_string();
    let c = from(&[("GATEHOUSE_KEY_ENCRYPTION_KEY_FILE", path.as_str())]).unwrap();
    assert!(c.key_encryption_key.is_some());
    assert_eq!(
        c.secret_files,
        vec![("GATEHOUSE_KEY_ENCRYPTION_KEY_FILE", path.clone().into())]
    );
    let e = from(&[
        ("GATEHOUSE_KEY_ENCRYPTION_KEY_FILE", path.as_str()),
        ("GATEHOUSE_KEY_ENCRYPTION_KEY", key.as_str()),
    ])
    .unwrap_err();
    assert_eq!(e.name, "GATEHOUSE_KEY_ENCRYPTION_KEY");
}

#[test]
fn a_zero_lifetime_is_refused() {
    let e = from(&[("GATEHOUSE_ACCESS_TOKEN_TTL", "0")]).unwrap_err();
    assert_eq!(e.name, "GATEHOUSE_ACCESS_TOKEN_TTL");
}

#[test]
fn out_of_range_numbers_are_refused() {
    assert!(from(&[("GATEHOUSE_ARGON2_ITERATIONS", "0")]).is_err());
    assert!(from(&[("GATEHOUSE_MAX_BODY_BYTES", "abc")]).is_err());
    assert!(from(&[("GATEHOUSE_SQLITE_SYNCHRONOUS", "off")]).is_err());
}

#[test]
fn introspection_has_its_own_limits_and_they_can_be_set() {
    let g = from(&[]).unwrap().graphql_limits;
    assert_eq!(
        (g.max_introspection_fields, g.max_introspection_aliases),
        (500, 30)
    );
    let g = from(&[
        ("GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS", "5000"),
        ("GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_ALIASES", "0"),
    ])
    .unwrap()
    .graphql_limits;
    assert_eq!(
        (g.max_introspection_fields, g.max_introspection_aliases),
        (5000, 0)
    );
    let e = from(&[("GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS", "0")]).unwrap_err();
    assert_eq!(e.name, "GATEHOUSE_GRAPHQL_MAX_INTROSPECTION_FIELDS");
}

/// The README's settings table is generated from the declaration; when they
/// differ this fails and prints the table to paste.
#[test]
fn the_readme_settings_table_is_the_declaration() {
    const START: &str = "<!-- settings: generated from src/config/table.rs; `cargo test --lib config` checks it -->\n";
    const END: &str = "\n<!-- end of settings -->";
    let readme = include_str!("../../README.md");
    let shown = readme
        .split_once(START)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(table, _)| table)
        .unwrap_or_else(|| panic!("README.md has no table between {START:?} and {END:?}"));
    let table = readme_table();
    assert!(
        shown == table,
        "README.md's settings table differs from src/config/table.rs; replace it with:\n\n{table}"
    );
}

/// Reading onto two different sets of placeholders gives the same
/// configuration: no field is left unread.
#[test]
fn every_field_is_filled_by_a_setting() {
    let none = |_: &str| None;
    let a = Config::read_onto(Config::unfilled(0), &none).unwrap();
    let b = Config::read_onto(Config::unfilled(1), &none).unwrap();
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
}

#[test]
fn config_check_shows_each_declared_default_when_nothing_is_set() {
    let shown = from(&[]).unwrap().describe();
    for s in SETTINGS {
        if let Unset::Value(v) = s.unset {
            let line = format!("{} = {v}", s.name);
            assert!(
                shown.lines().any(|l| l == line),
                "{line} missing from\n{shown}"
            );
        }
    }
}

#[test]
fn a_value_that_does_not_fit_is_refused_in_the_name_of_its_setting() {
    // Any text is a database URL, a sender (checked by the mailer at start
    // and by `config check`) or a template directory (read there too); a
    // signing key given directly is checked by the key ring at start.
    let free = [
        "DATABASE_URL",
        "GATEHOUSE_SIGNING_KEY",
        "GATEHOUSE_MAIL_FROM",
        "GATEHOUSE_MAIL_TEMPLATES",
        "GATEHOUSE_MFA_ISSUER",
    ];
    for s in SETTINGS.iter().filter(|s| !free.contains(&s.name)) {
        let e = from(&[(s.name, "not-a-value")]).unwrap_err();
        assert_eq!(e.name, s.name, "{e}");
    }
    for (name, value) in [
        ("GATEHOUSE_ARGON2_PARALLELISM", "65"),
        ("GATEHOUSE_PASSWORD_MIN_SCORE", "5"),
        ("GATEHOUSE_DB_ACQUIRE_TIMEOUT_MS", "9"),
        ("GATEHOUSE_IDLE_TIMEOUT_SECS", "0"),
        ("GATEHOUSE_MFA_ISSUER", "Acme:Corp"),
        ("GATEHOUSE_REAUTH_MAX_AGE_SECS", "5"),
        ("GATEHOUSE_WEBHOOK_URL", "ftp://example.com/hook"),
        ("GATEHOUSE_WEBHOOK_URL", "https://user:pw@example.com/hook"),
        ("GATEHOUSE_WEBHOOK_URL", "not a url"),
        (
            "GATEHOUSE_WEBHOOK_SECRET",
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        ("GATEHOUSE_WEBHOOK_SECRET", "whsec_c2hvcnQ="),
        ("GATEHOUSE_WEBHOOK_EVENTS", "sign_up,nope"),
        ("GATEHOUSE_EVENTS_RETENTION_DAYS", "0"),
    ] {
        let e = from(&[(name, value)]).unwrap_err();
        assert_eq!(e.name, name, "{e}");
    }
    let e = from(&[
        ("GATEHOUSE_ARGON2_MEMORY_KIB", "8"),
        ("GATEHOUSE_ARGON2_PARALLELISM", "2"),
    ])
    .unwrap_err();
    assert_eq!(e.to_string(), "invalid value for GATEHOUSE_ARGON2_MEMORY_KIB: must be at least 8 KiB per lane of parallelism");
}

#[test]
fn file_keys_are_the_variables_in_lower_case_without_the_prefix() {
    let keys: Vec<String> = SETTINGS.iter().map(Setting::file_key).collect();
    assert_eq!(keys[..2], ["database_url", "addr"]);
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), keys.len());
}

#[test]
fn config_check_hides_every_secret_setting() {
    let secret: Vec<&str> = SETTINGS
        .iter()
        .filter(|s| s.is_secret())
        .map(|s| s.name)
        .collect();
    assert_eq!(
        secret,
        [
            "GATEHOUSE_WEBHOOK_SECRET",
            "GATEHOUSE_METRICS_TOKEN",
            "GATEHOUSE_SIGNING_KEY",
            "GATEHOUSE_KEY_ENCRYPTION_KEY",
            "GATEHOUSE_KEY_ENCRYPTION_KEY_OLD"
        ]
    );
    let kek = crate::auth::keys::EncryptionKey::generate().unwrap();
    let old = crate::auth::keys::EncryptionKey::generate().unwrap();
    let values = [
        (
            "GATEHOUSE_WEBHOOK_SECRET",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ),
        ("GATEHOUSE_METRICS_TOKEN", "metrics-token-0123456789"),
        ("GATEHOUSE_SIGNING_KEY", "k4.secret.SIGNING-SECRET"),
        ("GATEHOUSE_KEY_ENCRYPTION_KEY", kek.as_str()),
        ("GATEHOUSE_KEY_ENCRYPTION_KEY_OLD", old.as_str()),
    ];
    let shown = from(&values).unwrap().describe();
    for (name, value) in values {
        assert!(!shown.contains(value), "{name} shown in\n{shown}");
        assert!(shown.contains(&format!("{name} = <redacted>\n")), "{shown}");
    }
}

#[test]
fn debug_output_hides_the_database_password() {
    let c = Config {
        database_url: "postgres://gh:hunter2@db/gh".into(),
        ..Config::default()
    };
    let shown = format!("{c:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("postgres://gh:<redacted>@db/gh"), "{shown}");
}

#[test]
fn the_django_rest_face_is_on_at_the_root_and_its_prefix_is_checked() {
    let c = from(&[]).unwrap();
    assert!(c.django_rest);
    assert_eq!(c.django_rest_prefix, "/");
    let c = from(&[
        ("GATEHOUSE_DJANGO_REST", "OFF"),
        ("GATEHOUSE_DJANGO_REST_PREFIX", "/api/v1/"),
    ])
    .unwrap();
    assert!(!c.django_rest);
    assert_eq!(c.django_rest_prefix, "/api/v1/");
    for bad in [
        "api/", "/api", "//", "/a//b/", "/../", "/a b/", "/ü/", "/a/./",
    ] {
        let e = from(&[("GATEHOUSE_DJANGO_REST_PREFIX", bad)])
            .expect_err(&format!("{bad:?} is refused"));
        assert_eq!(e.name, "GATEHOUSE_DJANGO_REST_PREFIX", "{bad:?}");
    }
    assert!(from(&[("GATEHOUSE_DJANGO_REST", "maybe")]).is_err());
}

#[test]
fn unknown_gatehouse_variables_are_named() {
    let names = [
        "GATEHOUSE_REQUIRE_VERIFIED_EMIALS",
        "GATEHOUSE_SMTP_URL",
        "GATEHOUSE_SIGNING_KEY_FILE",
        "GATEHOUSE_TEST_DATABASE_URL",
        "HOME",
        "GATEHOUSE_ACCES_TOKEN_TTL",
    ]
    .map(String::from);
    assert_eq!(
        super::unknown_variables(names.into_iter()),
        [
            "GATEHOUSE_ACCES_TOKEN_TTL",
            "GATEHOUSE_REQUIRE_VERIFIED_EMIALS"
        ]
    );
}

#[test]
fn webhooks_need_a_secret_and_never_show_it() {
    let e = from(&[("GATEHOUSE_WEBHOOK_URL", "https://hooks.example.com/in")]).unwrap_err();
    assert_eq!(e.name, "GATEHOUSE_WEBHOOK_SECRET");
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let c = from(&[
        (
            "GATEHOUSE_WEBHOOK_URL",
            "https://hooks.example.com/in, http://127.0.0.1:9000/x?k=v",
        ),
        ("GATEHOUSE_WEBHOOK_SECRET", secret),
        ("GATEHOUSE_WEBHOOK_EVENTS", "sign_up, login_failed"),
    ])
    .unwrap();
    assert_eq!(c.webhooks.urls.len(), 2);
    assert_eq!(c.webhooks.events.len(), 2);
    let twice = from(&[
        (
            "GATEHOUSE_WEBHOOK_URL",
            "https://h.example/a,https://h.example/a",
        ),
        ("GATEHOUSE_WEBHOOK_SECRET", secret),
    ])
    .unwrap_err();
    assert_eq!(twice.name, "GATEHOUSE_WEBHOOK_URL");
    let e = from(&[("GATEHOUSE_WEBHOOK_SECRET", "whsec_!!!")]).unwrap_err();
    assert!(!e.to_string().contains("!!!"), "{e}");
    assert!(!c.describe().contains("MfKQ9r8"));
}

#[test]
fn webhook_urls_are_shown_without_their_path_or_query() {
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let c = from(&[
        (
            "GATEHOUSE_WEBHOOK_URL",
            "https://hooks.example.com/in/QUERYSECRET?token=QUERYSECRET",
        ),
        ("GATEHOUSE_WEBHOOK_SECRET", secret),
    ])
    .unwrap();
    let shown = c.describe();
    assert!(!shown.contains("QUERYSECRET"), "{shown}");
    assert!(
        shown.contains("https://hooks.example.com/<redacted>"),
        "{shown}"
    );
    for bad in [
        "ftp://h/?token=QUERYSECRET",
        "https://h/x#QUERYSECRET",
        "https://u:QUERYSECRET@h/",
    ] {
        let e = from(&[("GATEHOUSE_WEBHOOK_URL", bad)]).unwrap_err();
        assert!(!e.to_string().contains("QUERYSECRET"), "{e}");
    }
    // One spelling a receiver: the parser's.
    let c = from(&[
        ("GATEHOUSE_WEBHOOK_URL", "HTTP://Hooks.Example.COM"),
        ("GATEHOUSE_WEBHOOK_SECRET", secret),
    ])
    .unwrap();
    assert_eq!(c.webhooks.urls, ["http://hooks.example.com/"]);
    let eleven: Vec<String> = (0..11).map(|i| format!("https://h.example/{i}")).collect();
    let e = from(&[
        ("GATEHOUSE_WEBHOOK_URL", eleven.join(",").as_str()),
        ("GATEHOUSE_WEBHOOK_SECRET", secret),
    ])
    .unwrap_err();
    assert_eq!(e.name, "GATEHOUSE_WEBHOOK_URL");
}
