//! Who is calling: the token from the request, checked only when an
//! operation needs it (a bad token never blocks a public operation).

use std::net::IpAddr;

use tokio::sync::OnceCell;

use crate::auth::header::{self, Credentials};
use crate::auth::tokens::AccessClaims;
use crate::error::{Error, Result};
use crate::service::{Gatehouse, User};

/// An authenticated caller: the token's claims and the user as stored now.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: User,
    pub claims: AccessClaims,
}

impl AuthUser {
    /// Staff powers (listing users) need `is_staff`, as Django's admin and
    /// DRF's `IsAdminUser` do: an imported `is_superuser` without `is_staff`
    /// has none.
    pub fn is_staff(&self) -> bool {
        self.user.is_staff
    }
}

enum Presented {
    None,
    Token(String),
    Malformed,
}

/// The caller of one request. Cheap to build; the token is verified at most
/// once, on first use.
pub struct Caller {
    presented: Presented,
    /// The client's address, for throttling (see `auth::client`).
    pub client: Option<IpAddr>,
    resolved: OnceCell<AuthUser>,
}

impl std::fmt::Debug for Caller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let p = match self.presented {
            Presented::None => "none",
            Presented::Token(_) => "token(<redacted>)",
            Presented::Malformed => "malformed",
        };
        f.debug_struct("Caller")
            .field("presented", &p)
            .field("client", &self.client)
            .finish()
    }
}

impl Caller {
    /// From the raw `Authorization` header value and the client's address.
    pub fn new(value: Option<&[u8]>, client: Option<IpAddr>) -> Self {
        let presented = match header::parse(value) {
            Credentials::None => Presented::None,
            Credentials::Token(t) => Presented::Token(t.to_owned()),
            Credentials::Malformed => Presented::Malformed,
        };
        Self {
            presented,
            client,
            resolved: OnceCell::new(),
        }
    }

    /// The authenticated caller, or why there is none.
    pub async fn require(&self, gh: &Gatehouse) -> Result<&AuthUser> {
        let token = match &self.presented {
            Presented::None => return Err(Error::Unauthenticated),
            Presented::Malformed => {
                return Err(Error::TokenInvalid("malformed Authorization header"))
            }
            Presented::Token(t) => t,
        };
        self.resolved
            .get_or_try_init(|| gh.authenticate(token))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_says_what_was_presented_but_never_the_token() {
        let shown = format!(
            "{:?}",
            Caller::new(Some(b"Bearer v4.public.SECRET-TOKEN"), None)
        );
        assert!(shown.contains("token(<redacted>)"), "{shown}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(format!("{:?}", Caller::new(None, None)).contains("none"));
    }
}
