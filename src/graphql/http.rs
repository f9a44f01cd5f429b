//! `POST /graphql` (JSON only, bounded body, one operation per request),
//! `GET /graphql` (GraphiQL) and `GET /schema.graphql` (the SDL).

use async_graphql::{ErrorExtensionValues, ServerError, Value};
use poem::http::{header, StatusCode};
use poem::web::Data;
use poem::{handler, Body, IntoResponse, Request, Response};

use super::documents::Documents;
use super::{limits, Schema, SDL};
use crate::json_shape::{inspect_json, JsonShape};
use crate::request::RequestContext;
use crate::service::State;

/// One request-level error in GraphQL's response shape, with a status.
fn request_error(status: StatusCode, code: &str, message: &str) -> Response {
    let body = super::error::request_error_body(code, message);
    Response::builder()
        .status(status)
        .content_type("application/json")
        .header(header::CACHE_CONTROL, "no-store")
        .body(body.to_string())
}

fn is_json(req: &Request) -> bool {
    req.header(header::CONTENT_TYPE)
        .and_then(|ct| ct.split(';').next())
        .map(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
        .unwrap_or(false)
}

#[handler]
pub async fn post(
    req: &Request,
    body: Body,
    Data(state): Data<&State>,
    Data(schema): Data<&Schema>,
) -> Response {
    // Only JSON: form and multipart posts could be sent cross-site by a
    // plain HTML form (CSRF), and we accept no uploads.
    if !is_json(req) {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the GraphQL request as JSON with `Content-Type: application/json`.",
        );
    }
    let limit = state.max_body_bytes();
    let bytes = match body.into_bytes_limit(limit).await {
        Ok(b) => b,
        Err(poem::error::ReadBodyError::PayloadTooLarge) => {
            return request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                &format!("The request body must be at most {limit} bytes."),
            )
        }
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                "The request body could not be read.",
            )
        }
    };
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'[') {
        return request_error(
            StatusCode::BAD_REQUEST,
            "BATCH_NOT_SUPPORTED",
            "Batched requests are not supported: send one operation per request.",
        );
    }
    // A repeated member (two `query` keys) would be decided by the JSON
    // parser keeping the last one: refused, as REST refuses repeats.
    if let JsonShape::Repeated(_) = inspect_json(&bytes) {
        return request_error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "The request repeats a member: send each once.",
        );
    }
    let mut gql_request: async_graphql::Request = match parse_request(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("The body is not a valid GraphQL request: {e}"),
            )
        }
    };
    // `operationName` comes back in "Unknown operation named …": a name.
    if let Some(name) = &gql_request.operation_name {
        let is_name = name.len() <= limits::MAX_NAME_CHARS
            && name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
            && name.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric());
        if !is_name {
            return request_error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!(
                    "`operationName` must be a GraphQL name of at most {} characters.",
                    limits::MAX_NAME_CHARS
                ),
            );
        }
    }
    // Parsed once here (or found parsed before); execution reuses it. A text
    // that does not parse is left to execution, which reports the error.
    let operation = gql_request.operation_name.clone();
    let documents = schema.data::<Documents>();
    let hit = documents.and_then(|d| d.get(&gql_request.query));
    let (doc, cached) = match hit {
        Some(doc) => (Some(doc), true),
        None => {
            // Before any parse (here or in execution): the parser recurses
            // without a limit on nested lists and objects.
            if let Err(e) = limits::check_text(&gql_request.query) {
                return request_error(StatusCode::OK, e.code, &e.message);
            }
            (
                async_graphql::parser::parse_query(&gql_request.query).ok(),
                false,
            )
        }
    };
    let parsed = match doc {
        Some(doc) => {
            if let Err(e) = limits::check(&doc, operation.as_deref(), state.graphql_limits()) {
                return request_error(StatusCode::OK, e.code, &e.message);
            }
            // Kept only once it passed the limits (see `Documents`).
            if let (false, Some(documents)) = (cached, documents) {
                documents.insert(&gql_request.query, &doc);
            }
            gql_request.set_parsed_query(doc);
            true
        }
        None => false,
    };
    let context = RequestContext::of(req);
    let mut response = schema.execute(gql_request.data(context)).await;
    if !response.errors.is_empty() {
        let request_failed = response.data == Value::Null;
        for error in &mut response.errors {
            add_code(error, request_failed, parsed);
        }
        cap_errors(&mut response.errors);
    }
    let http = Response::builder()
        .content_type("application/json")
        .header(header::CACHE_CONTROL, "no-store");
    match serde_json::to_vec(&response) {
        Ok(body) => http.body(body),
        Err(e) => {
            tracing::error!(error = %e, "serializing a GraphQL response");
            request_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "Internal server error.",
            )
        }
    }
}

/// A GraphQL-over-HTTP request body: an object with a string `query`
/// (async-graphql would default a missing one to the empty document).
/// The request's members, checked by type first so that no message ever
/// repeats a value that was sent (a variable may be a password): serde's
/// own messages quote the value (`invalid type: string "…"`).
fn parse_request(bytes: &[u8]) -> Result<async_graphql::Request, String> {
    use serde_json::Value as Json;
    let value: Json = serde_json::from_slice(bytes).map_err(|e| {
        // Syntax errors name a position, never a value.
        format!(
            "the body is not JSON ({:?} at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        )
    })?;
    let Some(members) = value.as_object() else {
        return Err("the body must be a JSON object".into());
    };
    if !members.get("query").is_some_and(Json::is_string) {
        return Err("`query` must be a string".into());
    }
    type IsKind = fn(&Json) -> bool;
    let kinds: [(&str, IsKind, &str); 3] = [
        ("variables", Json::is_object, "an object"),
        ("operationName", Json::is_string, "a string"),
        ("extensions", Json::is_object, "an object"),
    ];
    for (name, is_kind, kind) in kinds {
        if members
            .get(name)
            .is_some_and(|v| !v.is_null() && !is_kind(v))
        {
            return Err(format!("`{name}` must be {kind} or null"));
        }
    }
    serde_json::from_value(value).map_err(|_| "the request's members have the wrong shape".into())
}

/// Gives every error a code: resolver errors carry theirs; the rest are
/// syntax or validation errors found before execution.
fn add_code(error: &mut ServerError, request_failed: bool, parsed: bool) {
    let has_code = error
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if has_code {
        return;
    }
    let coercion = ["Failed to parse \"", "Expected input type \""];
    let code = if !error.path.is_empty() && coercion.iter().any(|p| error.message.starts_with(p)) {
        // An argument that does not coerce to its type (an Int out of
        // range, a DateTime that is none), found as the field runs: the
        // client's input, not a fault of the server.
        "BAD_USER_INPUT"
    } else if !request_failed || !error.path.is_empty() {
        "INTERNAL"
    } else if !parsed {
        error.message = syntax_error_message(&error.message, &error.locations);
        "GRAPHQL_PARSE_FAILED"
    } else {
        "GRAPHQL_VALIDATION_FAILED"
    };
    error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", code);
}

/// Most errors one response lists. Validation reports one error per
/// duplicate variable or directive, so without a cap a 28 KB request drew a
/// 1.1 MB answer; the first ones say what is wrong.
const MAX_ERRORS: usize = 20;

fn cap_errors(errors: &mut Vec<ServerError>) {
    if errors.len() <= MAX_ERRORS {
        return;
    }
    let left_out = errors.len() - MAX_ERRORS;
    errors.truncate(MAX_ERRORS);
    let mut more = ServerError::new(format!("{left_out} more errors were left out."), None);
    more.extensions
        .get_or_insert_with(ErrorExtensionValues::default)
        .set("code", "TOO_MANY_ERRORS");
    errors.push(more);
}

/// A parse error without the source line that the parser quotes (it may
/// hold a password written into the query, as a client that builds queries
/// by pasting strings does): where it is, and what the grammar expected.
fn syntax_error_message(parser_says: &str, at: &[async_graphql::Pos]) -> String {
    let expected = parser_says
        .lines()
        .rev()
        .find_map(|l| l.trim_start().strip_prefix("= "))
        .filter(|e| e.len() <= 200 && !e.contains(['"', '\\']));
    let place = match at.first() {
        Some(p) => format!(" at line {}, column {}", p.line, p.column),
        None => String::new(),
    };
    match expected {
        Some(e) => format!("Syntax error{place}: {e}."),
        None => format!("Syntax error{place}."),
    }
}

/// GraphiQL, with the header editor for `Authorization`; its assets are
/// served from the binary (see `super::graphiql`), so it works offline.
#[handler]
pub fn graphiql() -> Response {
    super::graphiql::page()
}

/// The schema, exactly as committed.
#[handler]
pub fn sdl() -> impl IntoResponse {
    SDL.with_content_type("text/plain; charset=utf-8")
}

#[cfg(test)]
mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any body: decoding and the limit checks never panic.
        #[test]
        fn arbitrary_bodies_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = parse_request(&raw);
        }

        /// Any query text in a well-formed body: parsing and limits never panic.
        #[test]
        fn arbitrary_queries_never_panic(q in "[{}()a-zA-Z_ :.$!\"@,\\[\\]#\n]{0,300}") {
            let body = serde_json::json!({ "query": q }).to_string();
            if let Ok(mut req) = parse_request(body.as_bytes()) {
                if let Ok(doc) = req.parsed_query() {
                    let _ = limits::check(doc, None, &limits::Limits::default());
                }
            }
        }
    }
}
