//! The OpenAPI document: the served spec equals the committed `openapi.json`
//! (so a contract change is always a visible diff), and it documents
//! everything. Swagger UI is served.

use serde_json::Value;

use crate::helpers::*;

const REGENERATE: &str = "cargo run -- print-openapi > openapi.json";

/// Where two JSON documents differ, one line per JSON path.
fn json_diff(path: &str, committed: &Value, served: &Value, out: &mut Vec<String>) {
    match (committed, served) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, va) in a {
                let p = format!("{path}/{}", k.replace('~', "~0").replace('/', "~1"));
                match b.get(k) {
                    Some(vb) => json_diff(&p, va, vb, out),
                    None => out.push(format!("- {p}: {va}")),
                }
            }
            for (k, vb) in b.iter().filter(|(k, _)| !a.contains_key(*k)) {
                out.push(format!(
                    "+ {path}/{}: {vb}",
                    k.replace('~', "~0").replace('/', "~1")
                ));
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (va, vb)) in a.iter().zip(b).enumerate() {
                json_diff(&format!("{path}/{i}"), va, vb, out);
            }
        }
        (a, b) if a != b => out.push(format!("~ {path}: {a} -> {b}")),
        _ => {}
    }
}

#[tokio::test]
async fn the_served_spec_is_the_committed_openapi_json() {
    let app = spawn_app().await;
    let resp = app
        .client
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let served_text = resp.text().await.expect("a body");
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    let committed_text = std::fs::read_to_string(file)
        .unwrap_or_else(|e| panic!("cannot read {file} ({e}); create it with `{REGENERATE}`"));
    if served_text == committed_text {
        return;
    }
    let served: Value = serde_json::from_str(&served_text).expect("the served spec is JSON");
    let committed: Value = serde_json::from_str(&committed_text).unwrap_or(Value::Null);
    let mut diff = Vec::new();
    json_diff("", &committed, &served, &mut diff);
    if diff.is_empty() {
        diff.push("(only formatting or key order differs)".into());
    }
    panic!(
        "the served OpenAPI spec differs from openapi.json (- committed, + served):\n{}\n\n\
         If the change is intended, regenerate the file and commit it:\n    {REGENERATE}",
        diff.join("\n")
    );
}

#[tokio::test]
async fn the_spec_is_also_served_as_yaml_and_through_swagger_ui() {
    let app = spawn_app().await;
    let yaml = app
        .client
        .get(app.url("/api/openapi.yaml"))
        .send()
        .await
        .expect("sent");
    assert_eq!(yaml.status(), 200);
    let text = yaml.text().await.unwrap();
    assert!(
        text.contains("openapi: 3.0") && text.contains("/api/token:"),
        "{}",
        &text[..200.min(text.len())]
    );
    for path in ["/docs", "/docs/"] {
        let docs = app.client.get(app.url(path)).send().await.expect("sent");
        assert_eq!(docs.status(), 200, "{path}");
        let html = docs.text().await.unwrap();
        assert!(html.contains("SwaggerUIBundle"), "{path} serves Swagger UI");
    }
}

#[tokio::test]
async fn every_operation_response_and_field_is_described() {
    let app = spawn_app().await;
    let spec = app.rest_get("/api/openapi.json", None).await.body;
    assert_eq!(
        spec["servers"][0]["url"], "/",
        "relative, independent of the port"
    );
    let bearer_scheme = &spec["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(bearer_scheme["type"], "http");
    assert_eq!(bearer_scheme["scheme"], "bearer");
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{} {path}", method.to_uppercase());
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name} has a summary"
            );
            for (status, resp) in op["responses"].as_object().unwrap() {
                assert!(
                    resp["description"].as_str().is_some_and(|s| !s.is_empty()),
                    "{name} {status}"
                );
            }
            let secured = op
                .get("security")
                .is_some_and(|s| s == &serde_json::json!([{ "bearerAuth": [] }]));
            let drf = !path.starts_with("/api/");
            let public = path.starts_with("/api/token")
                || path.starts_with("/api/account/")
                || path.starts_with("/api/session/")
                || (path == "/api/users" && method == "post")
                || (drf && path != "/user/update/");
            assert_eq!(
                secured, !public,
                "{name}: the Bearer scheme exactly on protected operations"
            );
            if secured {
                assert!(
                    op["responses"]["401"]["headers"]["WWW-AUTHENTICATE"].is_object(),
                    "{name}"
                );
            }
            operations.push(name);
        }
    }
    operations.sort();
    let mut expected = vec![
        "GET /api/users",
        "GET /api/users/me",
        "PATCH /api/users/me",
        "DELETE /api/users/me",
        "GET /api/users/me/export",
        "GET /api/users/{id}",
        "PUT /api/users/{id}/active",
        "PUT /api/users/{id}/staff",
        "POST /api/users/{id}/logout-all",
        "DELETE /api/users/{id}",
        "POST /api/token",
        "POST /api/token/introspect",
        "POST /api/token/revoke",
        "POST /api/users",
        "POST /api/users/me/logout-all",
        "POST /api/users/me/password",
        "POST /api/users/me/email",
        "GET /api/users/me/sessions",
        "GET /api/users/{id}/sessions",
        "DELETE /api/users/me/sessions/{id}",
        "POST /api/users/me/sessions/revoke-others",
        "POST /api/account/verify",
        "POST /api/account/verify/resend",
        "POST /api/account/password-reset",
        "POST /api/account/password-reset/confirm",
        "POST /api/account/email/confirm",
        "POST /api/session/login",
        "POST /api/session/refresh",
        "POST /api/session/logout",
        "POST /api/session/login/mfa",
        "POST /api/users/me/mfa/totp",
        "GET /api/users/me/mfa/totp/qr",
        "POST /api/users/me/mfa/totp/confirm",
        "POST /api/users/me/mfa/totp/disable",
        "POST /api/users/me/mfa/recovery-codes",
        "POST /api/users/me/reauthenticate",
        "DELETE /api/users/{id}/mfa",
        "GET /api/events",
        "GET /api/users/me/events",
        "GET /user/update/",
        "PATCH /user/update/",
        "POST /login/",
        "POST /token/blacklist/",
        "POST /token/refresh/",
        "POST /token/verify/",
        "POST /user/create/",
        "POST /user/obtain_token/",
        "PUT /user/update/",
    ];
    expected.sort();
    assert_eq!(operations, expected);
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        assert!(
            schema["description"].is_string(),
            "schema {name} is described"
        );
        assert!(
            schema.get("example").is_some(),
            "schema {name} has an example"
        );
        // An empty object (`{}`) has no properties.
        let properties = schema["properties"].as_object().into_iter().flatten();
        for (field, prop) in properties {
            assert!(
                prop["description"].is_string(),
                "{name}.{field} is described"
            );
        }
    }
}
