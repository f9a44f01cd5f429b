//! The types of auth event (`service::events`), by name: the names are a
//! contract (stored, filtered on, sent to webhooks), so they live here once
//! and `config` checks `GATEHOUSE_WEBHOOK_EVENTS` against them.

macro_rules! kinds {
    ($($variant:ident => $name:literal: $doc:literal,)+) => {
        /// What an event records.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum EventKind {
            $(#[doc = $doc] $variant,)+
        }

        impl EventKind {
            /// Every type, in the order the README lists them.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant,)+];

            /// Its stable name (`login_failed`).
            pub fn name(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $name,)+
                }
            }

            /// What it records, for the README and the API docs.
            pub fn doc(self) -> &'static str {
                match self {
                    $(EventKind::$variant => $doc,)+
                }
            }
        }
    };
}

kinds! {
    SignUp => "sign_up": "an account was created (sign-up; `details.via`: `sign_up`)",
    LoginSucceeded => "login_succeeded": "a login started a session (`details.amr`: how it was authenticated)",
    LoginFailed => "login_failed": "a login was refused (`details.reason`: `unknown_user`, `wrong_password`, `inactive`, `throttled`, `wrong_code`, `email_not_verified`)",
    MfaRequired => "mfa_required": "a right password on an account with a second factor: the code step was asked for",
    RefreshReuseDetected => "refresh_reuse_detected": "a refresh token was used again after its reuse interval: its session was ended",
    SessionRevoked => "session_revoked": "a session was ended (`details.reason`: `logout`, `revoked`, `reuse`)",
    LogoutAll => "logout_all": "every session of the account (but the caller's, with `details.kept_current`) was ended",
    PasswordChanged => "password_changed": "the password was changed by its owner",
    UserUpdated => "user_updated": "profile fields changed (`details.fields`: their names, never their values)",
    UserDeactivated => "user_deactivated": "staff deactivated the account",
    UserActivated => "user_activated": "staff activated the account",
    StaffGranted => "staff_granted": "the account became staff (`details.superuser` when it became a superuser)",
    StaffRevoked => "staff_revoked": "the account stopped being staff (or superuser)",
    UserDeleted => "user_deleted": "the account was deleted (by its owner, or by staff: `actorId`)",
    KeyRotated => "key_rotated": "a signing key generation was added (`details.kid`)",
    KeyRetired => "key_retired": "a signing key was retired (`details.kid`)",
    EmailVerified => "email_verified": "the address was confirmed by its link",
    PasswordResetRequested => "password_reset_requested": "a password-reset link was mailed",
    PasswordResetCompleted => "password_reset_completed": "a password-reset link set a new password (every session ended)",
    EmailChangeRequested => "email_change_requested": "a link to confirm a new address was mailed",
    EmailChanged => "email_changed": "the account's address changed",
    MfaEnabled => "mfa_enabled": "TOTP was confirmed (the second factor is on)",
    MfaDisabled => "mfa_disabled": "the second factor was turned off (by its owner, or reset by a superuser: `actorId`)",
    RecoveryCodesRegenerated => "recovery_codes_regenerated": "new recovery codes replaced the old",
    RecoveryCodeUsed => "recovery_code_used": "a recovery code was used in place of a TOTP code",
}

impl EventKind {
    /// The type named `name`.
    pub fn from_name(name: &str) -> Option<EventKind> {
        Self::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// Events in `mySecurityEvents`: what a person checks on their own
    /// account (logins and new sessions, password, address and factor
    /// changes).
    pub fn is_security(self) -> bool {
        !matches!(
            self,
            EventKind::KeyRotated | EventKind::KeyRetired | EventKind::UserUpdated
        )
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_read_back() {
        let mut seen = std::collections::HashSet::new();
        for k in EventKind::ALL {
            assert!(seen.insert(k.name()), "{k} twice");
            assert!(k.name().chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            assert_eq!(EventKind::from_name(k.name()), Some(*k));
        }
        assert_eq!(EventKind::from_name("nope"), None);
    }

    #[test]
    fn the_readme_lists_every_type() {
        let readme = include_str!("../README.md");
        for k in EventKind::ALL {
            assert!(
                readme.contains(&format!("| `{k}` |")),
                "README.md lists no {k}"
            );
        }
    }
}
