//! What stands in front of every REST operation: a body-size limit and the
//! conversion of transport errors (unparsable bodies, wrong content types,
//! unknown paths) into the documented JSON shapes instead of poem's plain text.

use std::collections::HashMap;
use std::sync::Arc;

use poem::error::ReadBodyError;
use poem::http::{header, HeaderValue, Method, StatusCode};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::error::{ContentTypeError, ParseParamError, ParseRequestPayloadError};

use super::error::{self, ErrorBody};
use super::oauth::OAuthProblem;

/// The OAuth endpoints answer errors in RFC 6749's shape, even for requests
/// that never reach the operation.
fn is_oauth_path(path: &str) -> bool {
    matches!(
        path.trim_end_matches('/'),
        "/api/token" | "/api/token/introspect" | "/api/token/revoke"
    )
}

/// What the guard needs to know.
pub struct Guard {
    pub max_body_bytes: usize,
    /// The `Allow` header of a 405, by full path.
    pub allow: HashMap<String, String>,
}

/// Wraps the REST API: reads bodies with a limit, turns errors into JSON.
pub async fn guard<E: Endpoint>(
    next: Arc<E>,
    mut req: Request,
    guard: Arc<Guard>,
) -> poem::Result<Response> {
    let limit = guard.max_body_bytes;
    let path = req.original_uri().path().to_owned();
    let oauth = is_oauth_path(&path);
    // poem-openapi reads bodies whole and without a limit. Only methods
    // with a body are read here: the others have no body parameter.
    if matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH) {
        match req.take_body().into_bytes_limit(limit).await {
            Ok(bytes) => req.set_body(bytes),
            Err(ReadBodyError::PayloadTooLarge) => {
                let message = format!("The request body must be at most {limit} bytes.");
                return Ok(render(oauth, StatusCode::PAYLOAD_TOO_LARGE, message));
            }
            Err(_) => {
                let message = "The request body could not be read.".to_owned();
                return Ok(render(oauth, StatusCode::BAD_REQUEST, message));
            }
        }
    }
    match next.call(req).await {
        Ok(resp) => Ok(resp.into_response()),
        // Our own error responses (Problem, OAuthProblem), already in shape.
        Err(e) if e.is_from_response() => Ok(e.into_response()),
        Err(e) => {
            let mut resp = transport_error(oauth, e);
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
fn transport_error(oauth: bool, e: poem::Error) -> Response {
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
        _ => client_message(oauth, &e),
    };
    render(oauth, status, message)
}

/// poem-openapi's wording, made to say what to fix.
fn client_message(oauth: bool, e: &poem::Error) -> String {
    if let Some(p) = e.downcast_ref::<ParseRequestPayloadError>() {
        return format!("The request body is invalid: {}", p.reason);
    }
    if let Some(p) = e.downcast_ref::<ParseParamError>() {
        return format!("The parameter `{}` is invalid: {}", p.name, p.reason);
    }
    if e.is::<ContentTypeError>() {
        let wanted = if oauth {
            "`application/x-www-form-urlencoded` or `application/json`"
        } else {
            "`application/json`"
        };
        return format!("Unsupported Content-Type: send the body as {wanted}.");
    }
    e.to_string()
}

fn render(oauth: bool, status: StatusCode, message: String) -> Response {
    if oauth {
        return OAuthProblem::from_transport(status, message).into_response();
    }
    let body = ErrorBody {
        code: code_for(status).to_owned(),
        message,
        fields: None,
    };
    error::response(status, body, Vec::new())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_three_token_endpoints_use_the_oauth_shape() {
        assert!(is_oauth_path("/api/token"));
        assert!(is_oauth_path("/api/token/revoke/"));
        assert!(is_oauth_path("/api/token/introspect"));
        assert!(!is_oauth_path("/api/tokens"));
        assert!(!is_oauth_path("/api/users/me"));
    }
}
