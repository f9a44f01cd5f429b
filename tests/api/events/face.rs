//! Reading auth events through each face: staff's `authEvents` (REST `GET
//! /api/events`) and the caller's `mySecurityEvents` (`GET
//! /api/users/me/events`), as one [`Events`] trait over both.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both::admin_face::Admin;
use crate::both::face::*;
use crate::both::mfa_face::Mfa;
use crate::graphql::face::{self as gq, Graphql};
use crate::helpers::*;
use crate::rest::face::{self as rs, Rest};

/// An event as a face shows it (ids as strings).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub actor_id: Option<String>,
    pub session_id: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub request_id: Option<String>,
    pub created_at: String,
    pub details: Value,
}

impl Event {
    fn read(json: &Value, key: impl Fn(&str) -> String) -> Self {
        let maybe = |k: &str| {
            let v = &json[key(k)];
            assert!(v.is_string() || v.is_null(), "`{k}`: {json:#}");
            v.as_str().map(str::to_owned)
        };
        let text = |k: &str| maybe(k).unwrap_or_else(|| panic!("`{k}` is set: {json:#}"));
        assert!(json[key("details")].is_object(), "details: {json:#}");
        Self {
            id: text("id"),
            kind: text("type"),
            user_id: maybe("user_id"),
            actor_id: maybe("actor_id"),
            session_id: maybe("session_id"),
            ip_address: maybe("ip_address"),
            user_agent: maybe("user_agent"),
            request_id: maybe("request_id"),
            created_at: text("created_at"),
            details: json[key("details")].clone(),
        }
    }
}

/// A page of events, newest first.
#[derive(Debug, Clone)]
pub struct Page {
    pub events: Vec<Event>,
    pub has_next_page: bool,
    pub end_cursor: Option<String>,
}

impl Page {
    /// The types, newest first.
    pub fn kinds(&self) -> Vec<&str> {
        self.events.iter().map(|e| e.kind.as_str()).collect()
    }

    /// The newest event of type `kind`; panics if there is none.
    #[track_caller]
    pub fn newest(&self, kind: &str) -> &Event {
        self.events
            .iter()
            .find(|e| e.kind == kind)
            .unwrap_or_else(|| panic!("no {kind} event in {:#?}", self.kinds()))
    }

    /// How many events of type `kind`.
    pub fn count(&self, kind: &str) -> usize {
        self.events.iter().filter(|e| e.kind == kind).count()
    }
}

/// What a staff caller asks `authEvents` for; each part left out when `None`.
#[derive(Default, Clone, Debug)]
pub struct Query<'a> {
    pub user_id: Option<&'a str>,
    pub types: Option<&'a [&'a str]>,
    pub since: Option<&'a str>,
    pub until: Option<&'a str>,
    pub first: Option<i64>,
    pub after: Option<&'a str>,
}

/// The event reads of a face (with its admin and second-factor operations,
/// whose events the tests read).
pub trait Events: Admin + Mfa {
    async fn auth_events(app: &TestApp, auth: Option<&str>, q: Query<'_>) -> Outcome<Page>;
    async fn my_events(
        app: &TestApp,
        auth: Option<&str>,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Outcome<Page>;
}

const FIELDS: &str = "nodes { id type userId actorId sessionId ipAddress userAgent requestId \
                      createdAt details } pageInfo { hasNextPage endCursor }";

fn graphql_page(v: &Value) -> Page {
    Page {
        events: v["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("nodes: {v:#}"))
            .iter()
            .map(|e| Event::read(e, gq::camel))
            .collect(),
        has_next_page: v["pageInfo"]["hasNextPage"].as_bool().expect("hasNextPage"),
        end_cursor: v["pageInfo"]["endCursor"].as_str().map(str::to_owned),
    }
}

fn rest_page(v: &Value) -> Page {
    Page {
        events: v["items"]
            .as_array()
            .unwrap_or_else(|| panic!("items: {v:#}"))
            .iter()
            .map(|e| Event::read(e, str::to_owned))
            .collect(),
        has_next_page: v["has_next_page"].as_bool().expect("has_next_page"),
        end_cursor: v["end_cursor"].as_str().map(str::to_owned),
    }
}

impl Events for Graphql {
    async fn auth_events(app: &TestApp, auth: Option<&str>, q: Query<'_>) -> Outcome<Page> {
        let query = format!(
            "query ($filter: AuthEventFilter, $first: Int, $after: String) {{
               authEvents(filter: $filter, first: $first, after: $after) {{ {FIELDS} }} }}"
        );
        let vars = json!({
            "filter": { "userId": q.user_id, "types": q.types, "since": q.since, "until": q.until },
            "first": q.first,
            "after": q.after,
        });
        let body = app.graphql(&query, vars, auth).await;
        gq::answer(body, "authEvents").map(|v| graphql_page(&v))
    }

    async fn my_events(
        app: &TestApp,
        auth: Option<&str>,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Outcome<Page> {
        let query = format!(
            "query ($first: Int, $after: String) {{
               mySecurityEvents(first: $first, after: $after) {{ {FIELDS} }} }}"
        );
        let vars = json!({ "first": first, "after": after });
        let body = app.graphql(&query, vars, auth).await;
        gq::answer(body, "mySecurityEvents").map(|v| graphql_page(&v))
    }
}

impl Events for Rest {
    async fn auth_events(app: &TestApp, auth: Option<&str>, q: Query<'_>) -> Outcome<Page> {
        let mut query: Vec<(&str, String)> = Vec::new();
        let texts = [
            ("user_id", q.user_id),
            ("since", q.since),
            ("until", q.until),
            ("after", q.after),
        ];
        for (name, value) in texts {
            query.extend(value.map(|v| (name, v.to_owned())));
        }
        if let Some(types) = q.types {
            query.push(("types", types.join(",")));
        }
        query.extend(q.first.map(|n| ("first", n.to_string())));
        let req = app.rest(Method::GET, "/api/events", auth).query(&query);
        rs::answer(app.send(req).await, 200).map(|v| rest_page(&v))
    }

    async fn my_events(
        app: &TestApp,
        auth: Option<&str>,
        first: Option<i64>,
        after: Option<&str>,
    ) -> Outcome<Page> {
        let mut query: Vec<(&str, String)> = Vec::new();
        query.extend(first.map(|n| ("first", n.to_string())));
        query.extend(after.map(|a| ("after", a.to_owned())));
        let req = app
            .rest(Method::GET, "/api/users/me/events", auth)
            .query(&query);
        rs::answer(app.send(req).await, 200).map(|v| rest_page(&v))
    }
}

/// A staff superuser (created by the operator) and their session.
pub async fn staff<F: Face>(app: &TestApp) -> Session {
    app.create_staff("auditor", PASSWORD).await;
    F::logged_in(app, "auditor").await
}

/// Every event (up to 1000), newest first, as `staff` reads them.
pub async fn all<F: Events>(app: &TestApp, staff: &Session) -> Page {
    let q = Query {
        first: Some(1000),
        ..Query::default()
    };
    F::auth_events(app, Some(&staff.bearer()), q)
        .await
        .expect("staff read the events")
}
