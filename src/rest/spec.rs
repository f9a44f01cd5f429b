//! The OpenAPI document as served and committed, and what else is read off
//! the API's metadata (the `Allow` header of a 405).

use std::collections::HashMap;

use poem_openapi::types::Type as _;
use poem_openapi::OpenApi as _;
use serde_json::Value;

use super::account_types::{
    EmailChangeRequest, EmailRequest, LinkTokenRequest, PasswordResetRequest,
};
use super::admin::{ActiveRequest, StaffRequest};
use super::mfa::{ChallengeRequest, CodeRequest, DisableRequest, ReauthenticateRequest};
use super::session_types::SessionLoginRequest;
use super::user_types::{ChangePasswordRequest, DeleteMeRequest, SignUpRequest, UpdateMeRequest};
use super::{api, Apis};

/// The request bodies declared `deny_unknown_fields`. poem-openapi enforces
/// that but does not write it into the schema, so the document is patched
/// with `additionalProperties: false`: a client (or a contract tester) then
/// knows that an unknown field is a 400.
fn strict_schemas() -> [String; 15] {
    [
        SignUpRequest::name().into_owned(),
        UpdateMeRequest::name().into_owned(),
        ChangePasswordRequest::name().into_owned(),
        LinkTokenRequest::name().into_owned(),
        EmailRequest::name().into_owned(),
        PasswordResetRequest::name().into_owned(),
        EmailChangeRequest::name().into_owned(),
        SessionLoginRequest::name().into_owned(),
        ActiveRequest::name().into_owned(),
        StaffRequest::name().into_owned(),
        DeleteMeRequest::name().into_owned(),
        CodeRequest::name().into_owned(),
        DisableRequest::name().into_owned(),
        ReauthenticateRequest::name().into_owned(),
        ChallengeRequest::name().into_owned(),
    ]
}

/// The document, with the patches above, and the Django REST compatibility
/// face's operations when it is served (under `drf_prefix`). Keys come out
/// sorted (serde_json's map), which keeps the committed file's order stable.
pub fn document(drf_prefix: Option<&str>) -> Value {
    let mut doc: Value =
        serde_json::from_str(&api().spec()).expect("poem-openapi writes its spec as valid JSON");
    for name in strict_schemas() {
        if let Some(schema) = doc.pointer_mut(&format!("/components/schemas/{name}")) {
            schema["additionalProperties"] = Value::Bool(false);
        }
    }
    if let Some(prefix) = drf_prefix {
        let mut drf: Value = serde_json::from_str(&super::drf::api().spec())
            .expect("poem-openapi writes its spec as valid JSON");
        if let Some(Value::Object(paths)) = drf.get_mut("paths") {
            *paths = std::mem::take(paths)
                .into_iter()
                .map(|(path, item)| (super::drf::served_path(prefix, &path), item))
                .collect();
        }
        merge(&mut doc, drf);
    }
    doc
}

/// Adds `other`'s paths, components and tags to `doc` (an existing path or
/// component of the same name stays: the two share the security scheme).
fn merge(doc: &mut Value, other: Value) {
    let Value::Object(mut other) = other else {
        return;
    };
    let mut add = |pointer: &str, from: Option<Value>| {
        let (Some(Value::Object(from)), Some(Value::Object(into))) =
            (from, doc.pointer_mut(pointer))
        else {
            return;
        };
        for (k, v) in from {
            into.entry(k).or_insert(v);
        }
    };
    add("/paths", other.remove("paths"));
    let mut components = other.remove("components").unwrap_or_default();
    add(
        "/components/schemas",
        components.get_mut("schemas").map(Value::take),
    );
    add(
        "/components/securitySchemes",
        components.get_mut("securitySchemes").map(Value::take),
    );
    if let (Some(Value::Array(tags)), Some(Value::Array(into))) =
        (other.remove("tags"), doc.get_mut("tags"))
    {
        into.extend(tags);
    }
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
        let doc = document(Some("/"));
        for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
            // The token endpoints ignore unknown parameters (RFC 6749 section
            // 3.2), and the Django REST face's bodies do, as DRF's serializers.
            let strict = name.ends_with("Request");
            assert_eq!(
                schema.get("additionalProperties") == Some(&Value::Bool(false)),
                strict,
                "{name}"
            );
        }
    }

    #[test]
    fn the_django_rest_face_is_documented_only_where_it_is_served() {
        let with = document(Some("/"));
        assert!(with["paths"].get("/login/").is_some());
        assert!(with["paths"].get("/api/users").is_some());
        assert!(with["components"]["schemas"].get("DrfError").is_some());
        let tags: Vec<&Value> = with["tags"].as_array().unwrap().iter().collect();
        assert_eq!(tags.len(), 5, "{tags:?}");
        let moved = document(Some("/v1/"));
        assert!(moved["paths"].get("/v1/user/update/").is_some());
        assert!(moved["paths"].get("/user/update/").is_none());
        let without = document(None);
        assert!(without["paths"].get("/login/").is_none());
        assert!(without["components"]["schemas"].get("DrfError").is_none());
    }

    #[test]
    fn each_path_allows_the_methods_of_its_operations() {
        let allow = allowed_methods();
        assert_eq!(allow["/api/users"], "GET, POST");
        assert_eq!(allow["/api/users/me"], "DELETE, GET, PATCH");
        assert_eq!(allow["/api/users/{id}"], "DELETE, GET");
        assert_eq!(allow["/api/token"], "POST");
    }
}
