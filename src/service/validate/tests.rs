use super::*;

fn rule(r: Result<()>) -> Option<String> {
    r.err().map(|e| e.message())
}

#[test]
fn usernames_follow_djangos_character_rule() {
    assert!(username(Field::Username, "alice.b+c-d_e@x").is_ok());
    assert!(username(Field::Username, "Zoë").is_ok());
    assert!(rule(username(Field::Username, ""))
        .unwrap()
        .contains("empty"));
    assert!(rule(username(Field::Username, "a b"))
        .unwrap()
        .contains("only letters"));
    assert!(rule(username(Field::Username, &"a".repeat(151)))
        .unwrap()
        .contains("150"));
}

#[test]
fn new_usernames_are_normalised_and_may_not_mix_scripts() {
    assert_eq!(normalize_username(" ａｄｍｉｎ "), "admin");
    assert_eq!(normalize_username("ﬁle"), "file");
    for ok in [
        "admin",
        "Zoë",
        "алиса",
        "用户名",
        "ユーザー名前",
        "ελένη_2",
        "bob@x.io",
    ] {
        assert!(new_username(Field::Username, ok).is_ok(), "{ok}");
    }
    // Cyrillic "а" (U+0430) among Latin letters; Greek omicron likewise.
    // A Hangul filler draws nothing (NFKC makes U+3164 U+1160).
    for invisible in ["\u{3164}", "\u{1160}", "a\u{115F}b", "x\u{FE0F}"] {
        assert!(
            new_username(Field::Username, invisible).is_err(),
            "{invisible:?}"
        );
    }
    for bad in ["\u{430}dmin", "r\u{3bf}ot", "pay\u{440}al"] {
        assert!(
            rule(new_username(Field::Username, bad))
                .unwrap()
                .contains("scripts"),
            "{bad}"
        );
    }
}

#[test]
fn emails_need_a_local_part_and_a_dotted_domain() {
    assert!(email(Field::Email, "alice@example.com").is_ok());
    for bad in [
        "",
        "alice",
        "@example.com",
        "alice@",
        "alice@example",
        "a b@x.com",
        "a@b@c.com",
        "a@.com",
        "a@x..com",
        // Format characters, odd local parts, odd domains.
        "admin@example.com\u{200B}",
        "ad\u{AD}min@example.com",
        "admin\u{202E}@example.com",
        "<svg/onload=alert(1)>@x.com",
        "\"quoted\"@x.com",
        "a..b@x.com",
        ".a@x.com",
        "a.@x.com",
        "a@-x.com",
        "a@x-.com",
        "a@x_y.com",
        "a@[127.0.0.1]",
        "bob@ex\u{430}mple.com",
        "bob@xn--exmple-4nf.com",
        "bob@xn--ggle-0nda.com",
        "bob@xn--exmple-xxx.com",
        "bob\u{3164}@example.com",
        "bob@\u{D55C}\u{3164}\u{AE00}.com",
        "bob@\u{3164}.com",
        "bob@\u{FFA0}x.com",
        "bob@\u{1160}\u{D55C}.kr",
        "bob@exa\u{200B}mple.com",
        "bob@example.com\u{A0}",
    ] {
        assert!(email(Field::Email, bad).is_err(), "{bad:?}");
    }
    for good in [
        "first.last+tag@example.co.uk",
        "o'brien@example.ie",
        "x@bücher.de",
        "x@xn--bcher-kva.de",
        "a-b_c@sub-domain.example.org",
    ] {
        assert!(email(Field::Email, good).is_ok(), "{good:?}");
    }
}

#[test]
fn names_refuse_control_and_format_characters() {
    assert!(name(Field::FirstName, "Zoë O'Brien-Smith").is_ok());
    for bad in [
        "a\u{200B}b",
        "\u{202E}evil",
        "x\u{7}",
        "soft\u{AD}hyphen",
        "a\u{2065}",
        "line\u{2028}sep",
        "wide\u{3000}space",
        "no\u{A0}break",
        "private\u{E000}",
        "non\u{10FFFF}char",
        "non\u{FFFF}char",
        "plane\u{1FFFE}one",
    ] {
        assert!(name(Field::FirstName, bad).is_err(), "{bad:?}");
    }
}

fn ctx<'a>(username: &'a str, email: &'a str) -> PasswordContext<'a> {
    PasswordContext {
        username,
        email,
        names: &[],
        min_score: 0,
    }
}

#[test]
fn passwords_must_be_long_enough_but_bounded() {
    let c = ctx("alice", "a@x.com");
    assert!(password(Field::Password, "12345678", &c).is_ok());
    assert!(rule(password(Field::Password, "1234567", &c))
        .unwrap()
        .contains("at least 8"));
    assert!(rule(password(Field::Password, &"x".repeat(1025), &c))
        .unwrap()
        .contains("1024 bytes"));
    assert!(password(Field::Password, &"x".repeat(1024), &c).is_ok());
    assert!(password(Field::Password, &"é".repeat(512), &c).is_ok());
    assert!(password(Field::Password, &format!("x{}", "é".repeat(512)), &c).is_err());
    // Eight characters but more bytes: the character count decides the minimum.
    assert!(password(Field::Password, "éééééééé", &c).is_ok());
}

#[test]
fn a_password_equal_to_the_username_or_email_is_refused() {
    let r = rule(password(
        Field::Password,
        "AliceAlice",
        &ctx("alicealice", "a@x.com"),
    ));
    assert!(r.unwrap().contains("username"));
    let r = rule(password(
        Field::Password,
        "alice@x.com",
        &ctx("bob12345", "Alice@X.com"),
    ));
    assert!(r.unwrap().contains("email"));
}

#[test]
fn guessable_passwords_are_refused_with_the_estimators_feedback() {
    let strict = PasswordContext {
        min_score: 3,
        ..ctx("alice", "alice@example.com")
    };
    let msg = rule(password(Field::Password, "password", &strict)).unwrap();
    assert!(
        msg.contains("too easy to guess") && msg.contains("of 4"),
        "{msg}"
    );
    assert!(password(Field::Password, "12345678", &strict).is_err());
    assert!(password(Field::Password, "correct horse battery staple", &strict).is_ok());
}

#[test]
fn the_users_own_names_count_against_the_password() {
    let names = ["Montgomery", "Fairweather"];
    let strict = PasswordContext {
        username: "montyfw",
        email: "mf@example.com",
        names: &names,
        min_score: 3,
    };
    assert!(password(Field::Password, "MontgomeryFairweather", &strict).is_err());
    let stranger = PasswordContext {
        names: &[],
        ..strict
    };
    assert!(password(Field::Password, "MontgomeryFairweather", &stranger).is_ok());
}

#[test]
fn a_long_password_is_estimated_quickly() {
    let strict = PasswordContext {
        min_score: 3,
        ..ctx("alice", "alice@example.com")
    };
    let started = std::time::Instant::now();
    assert!(password(Field::Password, &"ab".repeat(512), &strict).is_err());
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn names_are_bounded() {
    assert!(name(Field::FirstName, "Ada").is_ok());
    assert!(name(Field::FirstName, "").is_ok());
    assert!(name(Field::FirstName, &"a".repeat(151)).is_err());
    assert!(name(Field::FirstName, "a\u{0}b").is_err());
}

/// Every length limit holds at its exact value and refuses one past it.
#[test]
fn length_limits_are_exact() {
    assert!(username(Field::Username, &"a".repeat(MAX_USERNAME_CHARS)).is_ok());
    assert!(username(Field::Username, &"é".repeat(MAX_USERNAME_CHARS)).is_ok());
    assert!(name(Field::FirstName, &"é".repeat(MAX_NAME_CHARS)).is_ok());
    assert!(name(Field::FirstName, &"é".repeat(MAX_NAME_CHARS + 1)).is_err());
    // An address of exactly 254 characters (labels of at most 63).
    let domain = format!("{}.{}.com", "d".repeat(63), "e".repeat(63));
    let at_limit = format!(
        "{}@{domain}",
        "l".repeat(MAX_EMAIL_CHARS - 1 - domain.len())
    );
    assert_eq!(at_limit.chars().count(), MAX_EMAIL_CHARS);
    assert!(email(Field::Email, &at_limit).is_ok());
    let over = format!("l{at_limit}");
    assert!(rule(email(Field::Email, &over)).unwrap().contains("254"));
    // A domain label of 63 characters passes, 64 do not.
    assert!(email(Field::Email, &format!("a@{}.com", "b".repeat(63))).is_ok());
    assert!(email(Field::Email, &format!("a@{}.com", "b".repeat(64))).is_err());
    assert!(email(Field::Email, &format!("a@{}ü.com", "b".repeat(50))).is_ok());
}
