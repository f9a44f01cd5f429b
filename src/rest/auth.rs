//! The Bearer security scheme of the protected operations.
//!
//! Hand-written rather than `#[derive(SecurityScheme)]`: poem-openapi's
//! built-in Bearer extraction rejects `Authorization: JWT <token>` (which
//! django-graphql-jwt clients send) and answers a missing token with its own
//! plain-text 401. This extractor only documents the scheme and captures the
//! header; it never fails. The operation decides, through the service
//! (`Caller::require`), whether it needs a caller, so a bad token gets the
//! same codes as on GraphQL and our JSON 401.

use poem::{Request, RequestBody};
use poem_openapi::registry::{MetaSecurityScheme, Registry};
use poem_openapi::{ApiExtractor, ApiExtractorType, ExtractParamOptions};

use std::sync::Arc;

use crate::request::RequestContext;
use crate::service::Caller;

/// The scheme's name in the spec (`components.securitySchemes`).
const SCHEME: &str = "bearerAuth";

/// The caller of a protected operation: the request's context (see
/// `crate::request`), whose `Authorization` header this scheme documents.
pub struct BearerAuth(pub Arc<RequestContext>);

impl BearerAuth {
    pub fn caller(&self) -> &Caller {
        &self.0.caller
    }
}

impl<'a> ApiExtractor<'a> for BearerAuth {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::SecurityScheme];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        registry.create_security_scheme(
            SCHEME,
            MetaSecurityScheme {
                ty: "http",
                description: Some(
                    "An access token from `POST /api/token` or from GraphQL `tokenAuth` \
                     (the two are the same kind of token), sent as \
                     `Authorization: Bearer <token>`. `Authorization: JWT <token>` is \
                     accepted too. In Swagger UI, paste the bare token.",
                ),
                name: None,
                key_in: None,
                scheme: Some("bearer"),
                bearer_format: Some("PASETO v4.public"),
                flows: None,
                openid_connect_url: None,
            },
        );
    }

    fn security_schemes() -> Vec<&'static str> {
        vec![SCHEME]
    }

    async fn from_request(
        req: &'a Request,
        _body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        Ok(Self(RequestContext::of(req)))
    }
}
