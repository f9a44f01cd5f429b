//! DRF's wording for each service error, and the headers that go with it.

use super::*;

#[test]
fn each_service_error_takes_its_views_wording() {
    let body = |e, v| DrfProblem::<LoginErrors>::from_service(e, v).body;
    assert_eq!(
        body(Error::InvalidCredentials, View::ObtainPair),
        json!({ "detail": NO_ACTIVE_ACCOUNT })
    );
    assert_eq!(
        body(Error::InvalidCredentials, View::SeedLogin),
        json!({ "error": CANNOT_AUTHENTICATE })
    );
    assert_eq!(
        body(Error::TokenReused, View::TokenBody),
        json!({ "detail": TOKEN_NOT_VALID, "code": "token_not_valid" })
    );
    assert_eq!(
        body(Error::TokenExpired, View::Serializer),
        json!({ "detail": HEADER_TOKEN_NOT_VALID, "code": "token_not_valid" })
    );
    assert_eq!(
        body(
            Error::Conflict {
                field: Field::Email
            },
            View::Serializer
        ),
        json!({ "email": ["user with this email already exists."] })
    );
    assert_eq!(
        body(
            Error::bad_input(Field::NewPassword, "Too short."),
            View::Serializer
        ),
        json!({ "password": ["Too short."] })
    );
}

#[test]
fn a_throttled_answer_says_when_and_sets_retry_after() {
    let p = DrfProblem::<LoginErrors>::from_service(
        Error::RateLimited { retry_after: 42 },
        View::ObtainPair,
    );
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    let resp = p.into_response();
    assert_eq!(resp.headers()[header::RETRY_AFTER], "42");
}

#[test]
fn a_401_carries_simplejwts_challenge() {
    let resp = DrfProblem::<ReadErrors>::from_service(Error::Unauthenticated, View::Serializer)
        .into_response();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()[header::WWW_AUTHENTICATE], CHALLENGE);
}

#[test]
fn missing_and_blank_fields_get_drfs_messages() {
    let mut errors = BTreeMap::new();
    assert_eq!(required("a", Some("x"), &mut errors), Some("x"));
    assert_eq!(required("b", None, &mut errors), None);
    assert_eq!(required("c", Some("  "), &mut errors), None);
    assert_eq!(errors["b"], vec![REQUIRED]);
    assert_eq!(errors["c"], vec![BLANK]);
    assert!(!errors.contains_key("a"));
}
