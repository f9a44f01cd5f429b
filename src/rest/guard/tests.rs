//! Tests of the guard's checks: messages without values, the body's
//! problems, the token endpoints' shape.

use super::*;

#[test]
fn the_body_problem_names_a_plain_parameter_only() {
    let form = Some("application/x-www-form-urlencoded; charset=utf-8");
    let named = body_problem(form, b"password=caf%E9").unwrap();
    assert!(named.contains("`password` is not valid UTF-8"), "{named}");
    let unnamed = body_problem(form, b"p%20w=caf%E9").unwrap();
    assert!(
        unnamed.starts_with("A parameter is not valid UTF-8"),
        "{unnamed}"
    );
    assert_eq!(body_problem(Some("text/plain"), b"p=%FF"), None);
}

#[test]
fn parse_messages_lose_the_values_they_quote() {
    let m = without_values(
        r#"Expected input type "string", found ["hunter2"]. (occurred while parsing "TokenParams")"#,
    );
    assert_eq!(m, r#"Expected input type "string"."#);
    let m = without_values(r#"failed to parse "SignUpRequest": unknown field `hunter2 x`."#);
    assert!(!m.contains("hunter2"), "{m}");
    let m = without_values(r#"failed to parse "SignUpRequest": unknown field `nickname`."#);
    assert!(m.contains("`nickname`"), "{m}");
    let m = without_values(r#"failed to parse "T": unknown field `a`. hunter2`."#);
    assert_eq!(m, r#"failed to parse "T": an unknown field."#);
}

#[test]
fn serde_messages_keep_the_kind_and_lose_the_value() {
    for (reason, expected) in [
        (
            r#"invalid type: string "{\"password\":\"Hunter2-Secret-Pass\"}", expected struct UserChanges"#,
            "invalid type: string, expected struct UserChanges",
        ),
        (
            r#"invalid value: string "hunter2", expected a valid email"#,
            "invalid value: string, expected a valid email",
        ),
        (
            "invalid type: integer `12345`, expected a string at line 1 column 9",
            "invalid type: integer, expected a string at line 1 column 9",
        ),
        (
            "invalid type: boolean `true`, expected a string",
            "invalid type: boolean, expected a string",
        ),
        (
            "invalid value: floating point `1.5`, expected u8",
            "invalid value: floating point, expected u8",
        ),
        (
            "invalid type: character ```, expected a string",
            "invalid type: character, expected a string",
        ),
        (
            "invalid type: sequence, expected a string",
            "invalid type: sequence, expected a string",
        ),
        // A value that imitates the message's own words is cut whole.
        (
            r#"invalid type: string "x\", expected y, invalid value: z", expected struct T"#,
            "invalid type: string, expected struct T",
        ),
        // What serde's `Unexpected::Other` says is not known to be safe.
        (
            "invalid value: hunter2 bytes, expected a password",
            "invalid value, expected a password",
        ),
        // No `expected`: everything after the kind goes.
        (
            r#"invalid value: string "hunter2""#,
            "invalid value: string",
        ),
        (
            "unknown variant `hunter2`, expected `password` or `refresh_token`",
            "unknown variant, expected `password` or `refresh_token`",
        ),
        ("unknown variant `hunter2`", "unknown variant"),
        (
            "unknown field `nickname`, expected `username` or `password`",
            "unknown field `nickname`, expected `username` or `password`",
        ),
        (
            "unknown field `p@ss hunter2`, expected `username` or `password`",
            "an unknown field, expected `username` or `password`",
        ),
        (
            "unknown field `nick`name hunter2`, there are no fields",
            "an unknown field, there are no fields",
        ),
        ("unknown field `hunter2 x", "an unknown field."),
        ("missing field `password`", "missing field `password`"),
        (
            "invalid length 3, expected a tuple of size 2",
            "invalid length 3, expected a tuple of size 2",
        ),
    ] {
        assert_eq!(without_values(reason), expected, "{reason}");
    }
}

#[test]
fn only_the_three_token_endpoints_use_the_oauth_shape() {
    assert!(is_oauth_path("/api/token"));
    assert!(is_oauth_path("/api/token/revoke/"));
    assert!(is_oauth_path("/api/token/introspect"));
    assert!(!is_oauth_path("/api/tokens"));
    assert!(!is_oauth_path("/api/users/me"));
}
