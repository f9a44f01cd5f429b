//! The bodies of the account-by-email API (`/api/account/…`,
//! `/api/users/me/email`).

use poem_openapi::types::Example;
use poem_openapi::Object;

use super::text::Text;

/// A token from a mailed link.
#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct LinkTokenRequest {
    /// The `token` parameter of the link (`ghl_…`).
    pub token: Text,
}

impl Example for LinkTokenRequest {
    fn example() -> Self {
        Self {
            token: "ghl_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
        }
    }
}

/// An address to mail.
#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct EmailRequest {
    /// The email address.
    pub email: Text,
}

impl Example for EmailRequest {
    fn example() -> Self {
        Self {
            email: "alice@example.com".into(),
        }
    }
}

/// A new password set with a reset link's token.
#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct PasswordResetRequest {
    /// The `token` parameter of the reset link.
    pub token: Text,
    /// The new password, under the same rules as at sign-up.
    pub new_password: Text,
}

impl Example for PasswordResetRequest {
    fn example() -> Self {
        Self {
            token: "ghl_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into(),
            new_password: "a much longer passphrase".into(),
        }
    }
}

/// An email change to confirm by a link mailed to the new address.
#[derive(Object)]
#[oai(example, deny_unknown_fields)]
pub struct EmailChangeRequest {
    /// The new email address.
    pub new_email: Text,
    /// The caller's current password.
    pub password: Text,
}

impl Example for EmailChangeRequest {
    fn example() -> Self {
        Self {
            new_email: "alice@new.example.com".into(),
            password: "correct horse battery staple".into(),
        }
    }
}

/// A request taken in; what follows happens by mail.
#[derive(Object)]
#[oai(example)]
pub struct Accepted {
    /// What happens next.
    pub detail: String,
}

impl Example for Accepted {
    fn example() -> Self {
        Self {
            detail: IF_ACCOUNT.into(),
        }
    }
}

/// The answer to a mail asked for by address: the same whether or not the
/// address is an account's.
pub const IF_ACCOUNT: &str = "If the address belongs to an account, a mail is on its way.";
