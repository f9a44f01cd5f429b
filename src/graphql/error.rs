//! How a service error becomes a GraphQL error: the message, and the code,
//! field (camelCase, as the schema's arguments are spelled) and retry delay
//! in `extensions`; and the body of a request-level (transport) error, the
//! one shape every GraphQL error outside a resolver takes.

use async_graphql::ErrorExtensions as _;

use crate::error::{Error, Field};

impl From<Error> for async_graphql::Error {
    fn from(e: Error) -> Self {
        e.log();
        let code = e.code();
        let field = e.field();
        let retry_after = e.retry_after();
        let challenge = e.challenge().map(str::to_owned);
        async_graphql::Error::new(e.message()).extend_with(|_, ext| {
            ext.set("code", code);
            if let Some(field) = field {
                ext.set("field", graphql_field(field));
            }
            if let Some(secs) = retry_after {
                ext.set("retryAfter", secs);
            }
            if let Some(challenge) = challenge {
                ext.set("challenge", challenge);
            }
        })
    }
}

/// How GraphQL spells a field: as the schema's arguments do.
pub fn graphql_field(field: Field) -> &'static str {
    match field {
        Field::Username => "username",
        Field::Email => "email",
        Field::Password => "password",
        Field::OldPassword => "oldPassword",
        Field::NewPassword => "newPassword",
        Field::FirstName => "firstName",
        Field::LastName => "lastName",
        Field::Offset => "offset",
        Field::Limit => "limit",
        Field::Token => "token",
        Field::RefreshToken => "refreshToken",
        Field::NewEmail => "newEmail",
        Field::Search => "search",
        Field::Code => "code",
        Field::Challenge => "challenge",
        Field::First => "first",
        Field::After => "after",
        Field::Types => "types",
    }
}

/// A request-level error in GraphQL's response shape: no data, one error
/// with its code (the transport's errors: media type, size, parse).
pub fn request_error_body(code: &str, message: &str) -> serde_json::Value {
    serde_json::json!({
        "data": null,
        "errors": [{ "message": message, "extensions": { "code": code } }],
    })
}
