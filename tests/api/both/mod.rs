//! The behaviours both faces share, written once against [`face::Face`] and
//! run on each: `both::sign_up::graphql::…` and `both::sign_up::rest::…`
//! are one test. What only one face does is in `graphql/` or `rest/`.

/// Writes each test once, generic over the face, and instantiates it per
/// face in a module named after it. The bound is [`face::Face`], or a face
/// trait built on it (`Admin`, `Mfa`), as the test's module imports it:
///
/// ```ignore
/// on_both_faces! {
///     /// Why it matters.
///     #[tokio::test]
///     async fn a_taken_username_is_a_conflict<F: Face>() { … }
/// }
/// ```
macro_rules! on_both_faces {
    ($(
        $(#[doc = $doc:literal])*
        #[tokio::test $(($($test:tt)*))?]
        async fn $name:ident<$F:ident: $bound:path $(,)?>() $body:block
    )*) => {
        $(
            $(#[doc = $doc])*
            async fn $name<$F: $bound>() $body
        )*

        mod graphql {
            $(
                #[tokio::test $(($($test)*))?]
                async fn $name() {
                    super::$name::<$crate::graphql::face::Graphql>().await
                }
            )*
        }

        mod rest {
            $(
                #[tokio::test $(($($test)*))?]
                async fn $name() {
                    super::$name::<$crate::rest::face::Rest>().await
                }
            )*
        }
    };
}

/// Writes each test once, generic over two faces (`A` does something,
/// `B` sees its effect), and instantiates it both ways round.
macro_rules! across_faces {
    ($(
        $(#[doc = $doc:literal])*
        #[tokio::test]
        async fn $name:ident<$A:ident: Face, $B:ident: Face $(,)?>() $body:block
    )*) => {
        $(
            $(#[doc = $doc])*
            async fn $name<$A: $crate::both::face::Face, $B: $crate::both::face::Face>() $body
        )*

        mod graphql_then_rest {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name::<$crate::graphql::face::Graphql, $crate::rest::face::Rest>()
                        .await
                }
            )*
        }

        mod rest_then_graphql {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name::<$crate::rest::face::Rest, $crate::graphql::face::Graphql>()
                        .await
                }
            )*
        }
    };
}

pub mod admin_face;
pub mod face;
pub mod mfa_face;

mod admin;
mod admin_rules;
mod change_password;
mod cross_face;
mod login;
mod me;
mod mfa;
mod profile;
mod refresh;
mod revoke;
mod sessions;
mod sign_up;
mod throttle;
mod users;
