//! What stands in front of every REST operation: a body-size limit, a
//! refusal of repeated parameters, and the conversion of transport errors
//! (unparsable bodies, wrong content types, unknown paths) into the
//! documented JSON shapes instead of poem's plain text. Error messages never
//! repeat a submitted value (it may be a password).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use poem::error::ReadBodyError;
use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::{ContentTypeError, ParseParamError, ParseRequestPayloadError};

use super::error::{self, ErrorBody};
use super::oauth::OAuthProblem;
use crate::json_shape::{inspect_json, JsonShape};

/// The OAuth endpoints answer errors in RFC 6749's shape, even for requests
/// that never reach the operation.
fn is_oauth_path(path: &str) -> bool {
    matches!(
        path.trim_end_matches('/'),
        "/api/token" | "/api/token/introspect" | "/api/token/revoke"
    )
}

/// The error shape a path answers in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    /// `{"code", "message"}` (`rest::error`).
    Problem,
    /// RFC 6749's `{"error", "error_description"}` (`rest::oauth`).
    OAuth,
    /// Django REST framework's `{"detail"}` (`rest::drf`).
    Drf,
}

/// The shape of `/api`'s paths: OAuth's for the token endpoints.
pub fn api_shape(path: &str) -> Shape {
    if is_oauth_path(path) {
        Shape::OAuth
    } else {
        Shape::Problem
    }
}

/// What the guard needs to know.
pub struct Guard {
    pub max_body_bytes: usize,
    /// The `Allow` header of a 405, by full path without its final slash.
    pub allow: HashMap<String, String>,
    /// The error shape of a path.
    pub shape: fn(&str) -> Shape,
}

/// Wraps the REST API: reads bodies with a limit, turns errors into JSON.
pub async fn guard<E: Endpoint>(
    next: Arc<E>,
    mut req: Request,
    guard: Arc<Guard>,
) -> poem::Result<Response> {
    let limit = guard.max_body_bytes;
    let path = req.original_uri().path().to_owned();
    let shape = (guard.shape)(&path);
    // poem-openapi reads bodies whole and without a limit. Only methods
    // with a body are read here: the others have no body parameter.
    if matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        match req.take_body().into_bytes_limit(limit).await {
            Ok(bytes) => {
                if let Some(problem) = body_problem(req.content_type(), &bytes) {
                    return Ok(render(shape, StatusCode::BAD_REQUEST, problem));
                }
                req.set_body(bytes)
            }
            Err(ReadBodyError::PayloadTooLarge) => {
                let message = format!("The request body must be at most {limit} bytes.");
                return Ok(render(shape, StatusCode::PAYLOAD_TOO_LARGE, message));
            }
            Err(_) => {
                let message = "The request body could not be read.".to_owned();
                return Ok(render(shape, StatusCode::BAD_REQUEST, message));
            }
        }
    }
    match next.call(req).await {
        Ok(resp) => Ok(resp.into_response()),
        // Our own error responses (Problem, OAuthProblem), already in shape.
        Err(e) if e.is_from_response() => Ok(e.into_response()),
        Err(e) => {
            let mut resp = transport_error(shape, e);
            if resp.status() == StatusCode::METHOD_NOT_ALLOWED {
                let allow = guard.allow.get(path.trim_end_matches('/'));
                if let Some(v) = allow.and_then(|a| HeaderValue::from_str(a).ok()) {
                    resp.headers_mut().insert(header::ALLOW, v);
                }
            }
            Ok(resp)
        }
    }
}

/// An error raised before or around the operation: poem-openapi's parse and
/// content-type errors, routing errors, a missing extension (a bug).
fn transport_error(shape: Shape, e: poem::Error) -> Response {
    let status = e.status();
    let message = match status {
        s if s.is_server_error() => {
            tracing::error!(error = %e, "REST request failed outside the service");
            "Internal server error.".to_owned()
        }
        StatusCode::NOT_FOUND => "No such operation: see /api/openapi.json.".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => {
            "This method is not allowed here: see /api/openapi.json.".to_owned()
        }
        _ => client_message(shape, &e),
    };
    render(shape, status, message)
}

/// poem-openapi's wording, made to say what to fix.
fn client_message(shape: Shape, e: &poem::Error) -> String {
    if let Some(p) = e.downcast_ref::<ParseRequestPayloadError>() {
        return format!("The request body is invalid: {}", without_values(&p.reason));
    }
    if let Some(p) = e.downcast_ref::<ParseParamError>() {
        return format!("The parameter `{}` is invalid: {}", p.name, p.reason);
    }
    if e.is::<ContentTypeError>() {
        let wanted = match shape {
            Shape::OAuth | Shape::Drf => {
                "`application/x-www-form-urlencoded` or `application/json`"
            }
            Shape::Problem => "`application/json`",
        };
        return format!("Unsupported Content-Type: send the body as {wanted}.");
    }
    e.to_string()
}

/// poem-openapi's parse messages quote what they could not parse: `found
/// <the value>` (a JSON value of the wrong type) and `unknown field `<the
/// name>``. Neither is repeated to the client: the value is dropped, and a
/// name is kept only when it is a short plain identifier.
fn without_values(reason: &str) -> String {
    let mut out = reason.to_owned();
    if let Some(at) = out.find(", found ") {
        // `Expected input type "T", found <value>. (occurred while parsing "U")…`:
        // the propagated context is lost with the value, which may contain
        // anything, including text that looks like that context.
        out.truncate(at);
        out.push('.');
    }
    const UNKNOWN: &str = "unknown field `";
    if let (Some(start), Some(end)) = (out.find(UNKNOWN), out.rfind("`.")) {
        let name_at = start + UNKNOWN.len();
        if end >= name_at && !is_plain_name(&out[name_at..end]) {
            out.replace_range(start.., "an unknown field.");
        }
    }
    out
}

/// A parameter name that may be repeated back: short, ASCII letters,
/// digits and `_ - .` only.
fn is_plain_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
}

/// What is wrong with a body before poem-openapi reads it: a parameter sent
/// twice (a JSON object with a repeated key, a form with a repeated name:
/// RFC 6749 section 3.1 forbids repeats, and a JSON parser would silently
/// keep the last one), or a JSON body that is not an object. `None` when the
/// body is fine or not of these types (poem-openapi reports the rest).
fn body_problem(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    let essence = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    let repeated = if essence == "application/x-www-form-urlencoded" {
        repeated_form_name(body)
    } else if essence == "application/json" || essence.ends_with("+json") {
        match inspect_json(body) {
            JsonShape::Object => None,
            JsonShape::Repeated(name) => Some(name),
            JsonShape::NotAnObject => {
                return Some("The request body must be a JSON object.".to_owned())
            }
            // A syntax error: poem-openapi's message says where.
            JsonShape::Invalid => None,
        }
    } else {
        None
    }?;
    Some(if is_plain_name(&repeated) {
        format!("The parameter `{repeated}` is repeated: send each parameter once.")
    } else {
        "A parameter is repeated: send each parameter once.".to_owned()
    })
}

/// The first name that occurs twice in a form-encoded body, decoded.
fn repeated_form_name(body: &[u8]) -> Option<String> {
    let mut seen = HashSet::new();
    for pair in body.split(|b| *b == b'&') {
        let name = pair.split(|b| *b == b'=').next().unwrap_or_default();
        if name.is_empty() {
            continue;
        }
        let name = form_decode(name);
        if !seen.insert(name.clone()) {
            return Some(String::from_utf8_lossy(&name).into_owned());
        }
    }
    None
}

/// `application/x-www-form-urlencoded` decoding of one name: `+` is a
/// space, `%XX` a byte; a stray `%` stays as it is.
fn form_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => match (
                raw.get(i + 1).and_then(|b| hex(*b)),
                raw.get(i + 2).and_then(|b| hex(*b)),
            ) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn render(shape: Shape, status: StatusCode, message: String) -> Response {
    match shape {
        Shape::OAuth => OAuthProblem::from_transport(status, message).into_response(),
        Shape::Drf => poem::web::Json(serde_json::json!({ "detail": message }))
            .with_status(status)
            .into_response(),
        Shape::Problem => {
            let body = ErrorBody {
                code: code_for(status).to_owned(),
                message,
                fields: None,
            };
            error::response(status, body, Vec::new())
        }
    }
}

/// The code of an error the service never saw, by its status.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "NOT_FOUND",
        StatusCode::METHOD_NOT_ALLOWED => "METHOD_NOT_ALLOWED",
        StatusCode::PAYLOAD_TOO_LARGE => "PAYLOAD_TOO_LARGE",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UNSUPPORTED_MEDIA_TYPE",
        StatusCode::SERVICE_UNAVAILABLE => "SERVICE_UNAVAILABLE",
        s if s.is_server_error() => "INTERNAL",
        _ => "BAD_REQUEST",
    }
}

/// The 413 for a body declared (by `Content-Length`) larger than the limit,
/// in `shape`; answered before any of it is read.
pub fn payload_too_large(shape: Shape, limit: usize) -> Response {
    let message = format!("The request body must be at most {limit} bytes.");
    render(shape, StatusCode::PAYLOAD_TOO_LARGE, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_form_names_are_found_after_decoding() {
        assert_eq!(repeated_form_name(b"a=1&b=2"), None);
        assert_eq!(repeated_form_name(b"a=1&a=2"), Some("a".into()));
        assert_eq!(
            repeated_form_name(b"user%6Eame=x&username=y"),
            Some("username".into())
        );
        assert_eq!(repeated_form_name(b"a+b=1&a%20b"), Some("a b".into()));
        assert_eq!(repeated_form_name(b"a=1&&b=2&"), None);
        assert_eq!(repeated_form_name(b"%=1&%zz=2&%z"), None);
        assert_eq!(repeated_form_name(b"%=1&%"), Some("%".into()));
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
    }

    #[test]
    fn only_the_three_token_endpoints_use_the_oauth_shape() {
        assert!(is_oauth_path("/api/token"));
        assert!(is_oauth_path("/api/token/revoke/"));
        assert!(is_oauth_path("/api/token/introspect"));
        assert!(!is_oauth_path("/api/tokens"));
        assert!(!is_oauth_path("/api/users/me"));
    }
}
