//! What stands in front of every REST operation: a body-size limit, a
//! refusal of repeated parameters and of forms that are not UTF-8, and the
//! conversion of transport errors (unparsable bodies, wrong content types,
//! unknown paths) into the documented JSON shapes instead of poem's plain
//! text. Error messages never repeat a submitted value (it may be a
//! password). The 403 for a cross-site form post (refused earlier, by the
//! application's middleware) is shaped here too.

use std::collections::HashMap;
use std::sync::Arc;

use poem::error::ReadBodyError;
use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::{ContentTypeError, ParseParamError, ParseRequestPayloadError};

use super::error::{self, ErrorBody};
use super::oauth::OAuthProblem;
use crate::json_shape::{inspect_json, JsonShape};

mod form;
use form::{form_problem, FormProblem};

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
    // with a body are read here (`DELETE /api/users/me` takes the password
    // in one): the others have no body parameter.
    if matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) {
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
        let reason = without_values(&p.reason);
        return format!("The parameter `{}` is invalid: {reason}", p.name);
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
    without_values(&e.to_string())
}

/// Parse messages quote what they could not parse; none of it is repeated
/// to the client:
///
/// - poem-openapi's `Expected input type "T", found <value>.`: the value is
///   dropped (and the propagated context with it: the value may contain
///   anything, including text that looks like that context);
/// - serde's `invalid type: <kind> <value>, expected …` and `invalid value:
///   …` (serde_urlencoded's and serde_json's messages; `string "…"`,
///   ``integer `5` ``, ``boolean `true` ``…): the kind is kept, the value
///   dropped;
/// - serde's ``unknown variant `<value>`, expected …``: the value dropped;
/// - ``unknown field `<name>` `` (poem-openapi's and serde's): the name is
///   kept only when it is a short plain identifier.
///
/// Each quoted part is cut up to the *last* `, expected ` (or the end of
/// the message): whatever the value holds comes before it.
fn without_values(reason: &str) -> String {
    let mut out = reason.to_owned();
    if let Some(at) = out.find(", found ") {
        out.truncate(at);
        out.push('.');
    }
    let mut from = 0;
    while let Some((start, prefix)) = first_of(&out[from..], &["invalid type: ", "invalid value: "])
    {
        let start = from + start;
        let value_at = start + prefix.len();
        let end = out[value_at..]
            .rfind(", expected ")
            .map_or(out.len(), |e| value_at + e);
        let said = &out[value_at..end];
        let kind = UNEXPECTED_KINDS.iter().find(|k| {
            said.strip_prefix(**k)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(' '))
        });
        let replacement = match kind {
            Some(kind) => format!("{prefix}{kind}"),
            None => prefix.trim_end_matches([':', ' ']).to_owned(),
        };
        out.replace_range(start..end, &replacement);
        from = start + replacement.len();
    }
    const VARIANT: &str = "unknown variant ";
    if let Some(start) = out.find(VARIANT) {
        let value_at = start + VARIANT.len();
        let end = out[value_at..]
            .rfind(", expected ")
            .map_or(out.len(), |e| value_at + e);
        out.replace_range(start..end, "unknown variant");
    }
    const UNKNOWN: &str = "unknown field `";
    if let Some(start) = out.find(UNKNOWN) {
        let name_at = start + UNKNOWN.len();
        let tail = &out[name_at..];
        // serde: ``unknown field `x`, expected …`` or ``…`, there are no
        // fields``; poem-openapi: ``unknown field `x`.``
        let name_end = tail
            .rfind("`, expected ")
            .or_else(|| tail.rfind("`, there are no fields"))
            .or_else(|| tail.rfind("`."));
        match name_end {
            Some(e) if is_plain_name(&tail[..e]) => {}
            Some(e) if tail[e..].starts_with("`.") => {
                out.replace_range(start.., "an unknown field.");
            }
            Some(e) => out.replace_range(start..name_at + e + 1, "an unknown field"),
            None => out.replace_range(start.., "an unknown field."),
        }
    }
    out
}

/// What serde's `Unexpected` says a value was, before the value itself.
const UNEXPECTED_KINDS: [&str; 16] = [
    "boolean",
    "integer",
    "floating point",
    "character",
    "string",
    "byte array",
    "unit value",
    "Option value",
    "newtype struct",
    "sequence",
    "map",
    "enum",
    "unit variant",
    "newtype variant",
    "tuple variant",
    "struct variant",
];

/// The first of `needles` to occur in `haystack`: where, and which.
fn first_of<'a>(haystack: &str, needles: &[&'a str]) -> Option<(usize, &'a str)> {
    needles
        .iter()
        .filter_map(|n| haystack.find(n).map(|at| (at, *n)))
        .min_by_key(|(at, _)| *at)
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
/// keep the last one), a form name or value that is not UTF-8 once decoded
/// (a form parser would replace the bytes with U+FFFD, making `caf%E9` and
/// `caf%FF` one password), or a JSON body that is not an object. `None` when
/// the body is fine or not of these types (poem-openapi reports the rest).
fn body_problem(content_type: Option<&str>, body: &[u8]) -> Option<String> {
    let essence = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    let repeated = if essence == "application/x-www-form-urlencoded" {
        match form_problem(body)? {
            FormProblem::Repeated(name) => Some(name),
            FormProblem::NotUtf8(Some(name)) if is_plain_name(&name) => {
                return Some(format!(
                    "The parameter `{name}` is not valid UTF-8: percent-encode the UTF-8 bytes of each name and value."
                ))
            }
            FormProblem::NotUtf8(_) => {
                return Some(
                    "A parameter is not valid UTF-8: percent-encode the UTF-8 bytes of each name and value."
                        .to_owned(),
                )
            }
        }
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
                challenge: None,
            };
            error::response(status, body, Vec::new())
        }
    }
}

/// The code of an error the service never saw, by its status.
fn code_for(status: StatusCode) -> &'static str {
    match status {
        StatusCode::FORBIDDEN => "FORBIDDEN",
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

/// The 403 for a form a browser posted from another site (refused by the
/// application's middleware before any work), in `shape`: the Django REST
/// face words it as Django's CSRF check does (`CSRF Failed: …`), without
/// repeating the origin.
pub fn cross_site_refused(shape: Shape) -> Response {
    let message = match shape {
        Shape::Drf => {
            "CSRF Failed: Origin checking failed - the request's origin does not match any trusted origins."
        }
        Shape::OAuth | Shape::Problem => {
            "Cross-site form posts are refused: a browser may post a form here only from this server's own origin or from an origin in GATEHOUSE_CORS_ORIGINS."
        }
    };
    render(shape, StatusCode::FORBIDDEN, message.to_owned())
}

#[cfg(test)]
mod tests;
