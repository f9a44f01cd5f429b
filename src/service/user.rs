//! The service's user: what the faces show and the rules read. The password
//! hash is not part of it; it travels only inside the service and db/
//! (`StoredUser`), for the few operations that check a password.

/// A user as the service hands it out.
#[derive(Clone)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub is_superuser: bool,
    /// Unix seconds.
    pub date_joined: i64,
    /// Unix seconds.
    pub last_login: Option<i64>,
    /// Goes up when every session ends; access tokens carry the version
    /// they were signed with.
    pub token_version: i64,
    /// Whether the address was confirmed by a link mailed to it.
    pub email_verified: bool,
    /// Whether a second factor (TOTP) is on: a password login then needs a code.
    pub mfa_enabled: bool,
}

impl std::fmt::Debug for User {
    // Personal data (email, names) stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("is_active", &self.is_active)
            .field("is_staff", &self.is_staff)
            .finish_non_exhaustive()
    }
}

/// A user with the password hash it is stored with: read by login and
/// password change only, and never handed to a face.
#[derive(Clone)]
pub struct StoredUser {
    pub user: User,
    pub password_hash: String,
}

impl std::fmt::Debug for StoredUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredUser")
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> User {
        User {
            id: 7,
            username: "alice".into(),
            email: "alice@example.com".into(),
            first_name: "Alice".into(),
            last_name: "Liddell".into(),
            is_active: true,
            is_staff: false,
            is_superuser: false,
            date_joined: 0,
            last_login: None,
            token_version: 0,
            email_verified: false,
            mfa_enabled: false,
        }
    }

    /// Logs show who (id, username) but no personal data or password hash.
    #[test]
    fn debug_output_names_the_user_and_hides_personal_data_and_the_hash() {
        let shown = format!("{:?}", alice());
        assert!(
            shown.contains("id: 7") && shown.contains("\"alice\""),
            "{shown}"
        );
        for hidden in ["example.com", "Alice", "Liddell"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
        let stored = StoredUser {
            user: alice(),
            password_hash: "$argon2id$SECRET-HASH".into(),
        };
        let shown = format!("{stored:?}");
        assert!(shown.contains("\"alice\""), "{shown}");
        assert!(
            !shown.contains("SECRET") && !shown.contains("example.com"),
            "{shown}"
        );
    }
}
