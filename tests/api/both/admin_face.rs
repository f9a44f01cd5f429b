//! Staff administration and the account's own deletion, as both faces
//! offer them: an [`Admin`] face beside [`Face`] (tests written against it
//! run on each face through `on_both_faces!`).

use reqwest::Method;
use serde_json::{json, Value};

use super::face::*;
use crate::graphql::face::{self as gq, Graphql};
use crate::helpers::*;
use crate::rest::face::{self as rs, Rest};

/// A search: filters and a page, each left out when `None`.
#[derive(Default, Clone, Copy, Debug)]
pub struct Find<'a> {
    pub search: Option<&'a str>,
    pub active: Option<bool>,
    pub staff: Option<bool>,
    pub offset: Option<i64>,
    pub limit: Option<i64>,
}

/// The admin operations of a face. `id` as the face takes it (a string).
pub trait Admin: Face {
    async fn find(app: &TestApp, auth: Option<&str>, find: Find<'_>) -> Outcome<Vec<User>>;
    async fn user(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<User>;
    async fn set_active(app: &TestApp, auth: Option<&str>, id: &str, on: bool) -> Outcome<User>;
    async fn set_staff(app: &TestApp, auth: Option<&str>, id: &str, on: bool) -> Outcome<User>;
    async fn revoke_sessions(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<()>;
    async fn user_sessions(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<Vec<Login>>;
    async fn delete_user(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<()>;
    async fn delete_me(app: &TestApp, auth: Option<&str>, password: &str) -> Outcome<()>;
}

const FIELDS: &str = "id username email firstName lastName isActive isStaff isSuperuser \
                      dateJoined lastLogin emailVerified mfaEnabled";

impl Admin for Graphql {
    async fn find(app: &TestApp, auth: Option<&str>, f: Find<'_>) -> Outcome<Vec<User>> {
        let query = format!(
            "query ($search: String, $active: Boolean, $staff: Boolean, $offset: Int, $limit: Int) {{
               users(search: $search, active: $active, staff: $staff, offset: $offset, limit: $limit) {{ {FIELDS} }} }}"
        );
        let vars = json!({ "search": f.search, "active": f.active, "staff": f.staff,
                           "offset": f.offset, "limit": f.limit });
        let body = app.graphql(&query, vars, auth).await;
        gq::answer(body, "users").map(|v| User::list(&v, gq::user))
    }

    async fn user(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<User> {
        let query = format!("query ($id: ID!) {{ user(id: $id) {{ {FIELDS} }} }}");
        let body = app.graphql(&query, json!({ "id": id }), auth).await;
        gq::answer(body, "user").map(|v| gq::user(&v))
    }

    async fn set_active(app: &TestApp, auth: Option<&str>, id: &str, on: bool) -> Outcome<User> {
        let query = format!(
            "mutation ($id: ID!, $on: Boolean!) {{ setUserActive(id: $id, active: $on) {{ user {{ {FIELDS} }} }} }}"
        );
        let body = app
            .graphql(&query, json!({ "id": id, "on": on }), auth)
            .await;
        gq::answer(body, "setUserActive").map(|v| gq::user(&v["user"]))
    }

    async fn set_staff(app: &TestApp, auth: Option<&str>, id: &str, on: bool) -> Outcome<User> {
        let query = format!(
            "mutation ($id: ID!, $on: Boolean!) {{ setUserStaff(id: $id, staff: $on) {{ user {{ {FIELDS} }} }} }}"
        );
        let body = app
            .graphql(&query, json!({ "id": id, "on": on }), auth)
            .await;
        gq::answer(body, "setUserStaff").map(|v| gq::user(&v["user"]))
    }

    async fn revoke_sessions(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<()> {
        let query =
            "mutation ($id: ID!) { revokeUserSessions(userId: $id) { revoked user { id } } }";
        let body = app.graphql(query, json!({ "id": id }), auth).await;
        gq::answer(body, "revokeUserSessions").map(|v| {
            assert_eq!(v["user"]["id"], id, "{v:#}");
            assert!(v["revoked"].as_i64().is_some_and(|t| t > 0), "{v:#}");
        })
    }

    async fn user_sessions(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<Vec<Login>> {
        let query = "query ($id: ID!) { userSessions(userId: $id) { id createdAt lastUsedAt userAgent ipAddress current } }";
        let body = app.graphql(query, json!({ "id": id }), auth).await;
        gq::answer(body, "userSessions").map(|v| {
            let list = v.as_array().unwrap_or_else(|| panic!("a list: {v:#}"));
            list.iter().map(|s| Login::read(s, gq::camel)).collect()
        })
    }

    async fn delete_user(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<()> {
        let query = "mutation ($id: ID!) { deleteUser(id: $id) { success deletedId } }";
        let body = app.graphql(query, json!({ "id": id }), auth).await;
        gq::answer(body, "deleteUser").map(|v| {
            assert_eq!(v, json!({ "success": true, "deletedId": id }));
        })
    }

    async fn delete_me(app: &TestApp, auth: Option<&str>, password: &str) -> Outcome<()> {
        let query = "mutation ($p: String!) { deleteMe(password: $p) { success } }";
        let body = app.graphql(query, json!({ "p": password }), auth).await;
        gq::answer(body, "deleteMe").map(|v| assert_eq!(v, json!({ "success": true })))
    }
}

/// `/api/users/{id}` with `id` percent-encoded.
fn path(id: &str, tail: &str) -> String {
    let id: String = id
        .bytes()
        .map(|b| match b {
            b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect();
    format!("/api/users/{id}{tail}")
}

fn no_content(v: Value) {
    assert!(v.is_null(), "a 204 has no body: {v:#}");
}

impl Admin for Rest {
    async fn find(app: &TestApp, auth: Option<&str>, f: Find<'_>) -> Outcome<Vec<User>> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(s) = f.search {
            query.push(("search", s.to_owned()));
        }
        for (name, value) in [("active", f.active), ("staff", f.staff)] {
            query.extend(value.map(|v| (name, v.to_string())));
        }
        for (name, value) in [("offset", f.offset), ("limit", f.limit)] {
            query.extend(value.map(|v| (name, v.to_string())));
        }
        let req = app.rest(Method::GET, "/api/users", auth).query(&query);
        let reply = app.send(req).await;
        rs::answer(reply, 200).map(|page| User::list(&page["items"], rs::user))
    }

    async fn user(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<User> {
        let reply = app.rest_get(&path(id, ""), auth).await;
        rs::answer(reply, 200).map(|v| rs::user(&v))
    }

    async fn set_active(app: &TestApp, auth: Option<&str>, id: &str, on: bool) -> Outcome<User> {
        let body = json!({ "active": on });
        let reply = app
            .rest_json(Method::PUT, &path(id, "/active"), body, auth)
            .await;
        rs::answer(reply, 200).map(|v| rs::user(&v))
    }

    async fn set_staff(app: &TestApp, auth: Option<&str>, id: &str, on: bool) -> Outcome<User> {
        let body = json!({ "staff": on });
        let reply = app
            .rest_json(Method::PUT, &path(id, "/staff"), body, auth)
            .await;
        rs::answer(reply, 200).map(|v| rs::user(&v))
    }

    async fn revoke_sessions(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<()> {
        let reply = app
            .send(app.rest(Method::POST, &path(id, "/logout-all"), auth))
            .await;
        rs::answer(reply, 204).map(no_content)
    }

    async fn user_sessions(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<Vec<Login>> {
        let reply = app.rest_get(&path(id, "/sessions"), auth).await;
        rs::answer(reply, 200).map(|v| {
            let list = v.as_array().unwrap_or_else(|| panic!("a list: {v:#}"));
            list.iter().map(|s| Login::read(s, str::to_owned)).collect()
        })
    }

    async fn delete_user(app: &TestApp, auth: Option<&str>, id: &str) -> Outcome<()> {
        let reply = app
            .send(app.rest(Method::DELETE, &path(id, ""), auth))
            .await;
        rs::answer(reply, 204).map(no_content)
    }

    async fn delete_me(app: &TestApp, auth: Option<&str>, password: &str) -> Outcome<()> {
        let body = json!({ "password": password });
        let reply = app
            .rest_json(Method::DELETE, "/api/users/me", body, auth)
            .await;
        rs::answer(reply, 204).map(no_content)
    }
}
