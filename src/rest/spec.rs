//! The OpenAPI document as served and committed, and what else is read off
//! the API's metadata (the `Allow` header of a 405).

use std::collections::HashMap;

use poem_openapi::types::Type as _;
use poem_openapi::OpenApi as _;
use serde_json::Value;

use super::user_types::{ChangePasswordRequest, SignUpRequest, UpdateMeRequest};
use super::{api, Apis};

/// The request bodies declared `deny_unknown_fields`. poem-openapi enforces
/// that but does not write it into the schema, so the document is patched
/// with `additionalProperties: false`: a client (or a contract tester) then
/// knows that an unknown field is a 400.
fn strict_schemas() -> [String; 3] {
    [
        SignUpRequest::name().into_owned(),
        UpdateMeRequest::name().into_owned(),
        ChangePasswordRequest::name().into_owned(),
    ]
}

/// The document, with the patches above. Keys come out sorted (serde_json's
/// map), which keeps the committed file's order stable.
pub fn document() -> Value {
    let mut doc: Value =
        serde_json::from_str(&api().spec()).expect("poem-openapi writes its spec as valid JSON");
    for name in strict_schemas() {
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) {
            schema["additionalProperties"] = Value::Bool(false);
        }
    }
    doc
}

/// Pretty JSON with a final newline, exactly as `openapi.json` holds it.
pub fn json(doc: &Value) -> String {
    let mut text = serde_json::to_string_pretty(doc).expect("a JSON value serializes");
    text.push('\n');
    text
}

/// The same document as YAML.
pub fn yaml(doc: &Value) -> String {
    serde_yaml::to_string(doc).expect("a JSON value serializes as YAML")
}

/// The methods each path allows, as the `Allow` header of a 405 lists them
/// (RFC 9110 section 15.5.6), keyed by the full path.
pub fn allowed_methods() -> HashMap<String, String> {
    let mut allow: HashMap<String, Vec<String>> = HashMap::new();
    for meta in Apis::meta() {
        for path in meta.paths {
            let methods = allow.entry(format!("/api{}", path.path)).or_default();
            methods.extend(path.operations.iter().map(|op| op.method.to_string()));
        }
    }
    allow
        .into_iter()
        .map(|(path, mut methods)| {
            methods.sort();
            (path, methods.join(", "))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_body_schema_refuses_unknown_fields_but_token_params() {
        let doc = document();
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            // The token endpoints ignore unknown parameters (RFC 6749 section 3.2).
            let strict = name.ends_with("Request");
            assert_eq!(
                schema.get("additionalProperties") == Some(&Value::Bool(false)),
                strict,
                "{name}"
            );
        }
    }

    #[test]
    fn each_path_allows_the_methods_of_its_operations() {
        let allow = allowed_methods();
        assert_eq!(allow["/api/users"], "GET, POST");
        assert_eq!(allow["/api/users/me"], "GET, PATCH");
        assert_eq!(allow["/api/token"], "POST");
    }
}
