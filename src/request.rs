//! The context of one HTTP request, as both faces see it: the caller (the
//! token presented and the client's address), the user agent and the
//! request id. Built once per request by `attach` (a middleware of
//! `app::routes`); GraphQL hands it to its resolvers, REST's extractors
//! and handlers read it with `RequestContext::of`.

use std::net::IpAddr;
use std::sync::Arc;

use poem::http::header;
use poem::{Endpoint, IntoResponse, Request, Response};

use crate::auth::client;
use crate::service::events::Origin;
use crate::service::{Caller, Device, State};

/// The id `app::middleware::log_request` gave the request (and echoes back).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Who is calling and from where, for one request.
#[derive(Debug)]
pub struct RequestContext {
    /// The token presented (verified on first use) and the client's address.
    pub caller: Caller,
    /// The `User-Agent` header, if any and readable.
    pub user_agent: Option<String>,
    /// The request id, as logged.
    pub request_id: Option<String>,
}

impl RequestContext {
    /// Where a login from this request comes from, for its session.
    pub fn device(&self) -> Device<'_> {
        Device {
            ip: self.caller.client,
            user_agent: self.user_agent.as_deref(),
        }
    }

    /// Reads the request's parts: headers, peer, and the trusted proxies'
    /// `X-Forwarded-For` (see `auth::client`).
    pub fn build(req: &Request, trusted: &[IpAddr]) -> Self {
        let peer = req.remote_addr().as_socket_addr().map(|a| a.ip());
        let forwarded = req.headers().get_all("x-forwarded-for");
        let client = client::client_ip(peer, forwarded.iter().map(|v| v.as_bytes()), trusted);
        let authorization = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(|v| v.as_bytes());
        Self {
            caller: Caller::new(authorization, client),
            // Read as bytes: a `User-Agent` with non-ASCII text is kept
            // (lossily), not dropped.
            user_agent: req
                .headers()
                .get(header::USER_AGENT)
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
            request_id: req.extensions().get::<RequestId>().map(|id| id.0.clone()),
        }
    }

    /// The context `attach` built for this request. A request that did not
    /// pass through it (a face mounted on its own) gets one built here, with
    /// the service's trusted proxies when the service is at hand.
    pub fn of(req: &Request) -> Arc<RequestContext> {
        if let Some(ctx) = req.extensions().get::<Arc<RequestContext>>() {
            return ctx.clone();
        }
        let trusted = req.data::<State>().map(|s| s.trusted_proxies().to_vec());
        Arc::new(Self::build(req, trusted.as_deref().unwrap_or(&[])))
    }
}

/// Middleware: builds the request's context once, before either face runs.
pub async fn attach<E: Endpoint>(
    next: E,
    mut req: Request,
    state: State,
) -> poem::Result<Response> {
    let ctx = RequestContext::build(&req, state.trusted_proxies());
    // Every event the request records carries where it came from.
    let origin = Origin {
        ip: ctx.caller.client,
        user_agent: ctx.user_agent.clone(),
        request_id: ctx.request_id.clone(),
    };
    req.extensions_mut().insert(Arc::new(ctx));
    origin
        .scope(next.call(req))
        .await
        .map(IntoResponse::into_response)
}
