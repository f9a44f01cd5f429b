//! The Rust generated from `schema.graphql` by `build.rs` (the generator is
//! in `codegen/`, outside this library): input objects, enums, one
//! `…Resolver` trait per object type, one `…Args` struct per field with
//! arguments, and the async-graphql objects that forward each field to its
//! resolver. Never edited by hand; read it in `src/graphql/schema_gen.rs`
//! (a committed copy that `tests/codegen.rs` keeps current; refresh it with
//! `GATEHOUSE_REGENERATE=1 cargo test --test codegen`). A resolver that does
//! not match the schema fails the build.
//!
//! A resolver receives its arguments by name, in a struct it destructures
//! without `..`:
//! ```
//! use async_graphql::{Context, Result};
//! use gatehouse::graphql::generated::{
//!     QueryAuthEventsArgs, QueryMySecurityEventsArgs, QueryResolver, QueryUserArgs,
//!     QueryUserSessionsArgs, QueryUsersArgs,
//! };
//! use gatehouse::graphql::{AuthEventConnection, Session, User};
//! struct Mine;
//! impl QueryResolver for Mine {
//!     async fn me(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn current_user(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn my_sessions(&self, _: &Context<'_>) -> Result<Vec<Session>> { Ok(vec![]) }
//!     // Fields bind by name, in any order: `limit` is `limit`.
//!     async fn users(
//!         &self,
//!         _: &Context<'_>,
//!         QueryUsersArgs { limit, offset, search, active, staff }: QueryUsersArgs,
//!     ) -> Result<Option<Vec<User>>> {
//!         let (_limit, _offset): (Option<i32>, Option<i32>) = (limit, offset);
//!         let _ = (search, active, staff);
//!         Ok(None)
//!     }
//!     async fn user(&self, _: &Context<'_>, QueryUserArgs { id }: QueryUserArgs)
//!         -> Result<Option<User>> { let _ = id; Ok(None) }
//!     async fn user_sessions(
//!         &self,
//!         _: &Context<'_>,
//!         QueryUserSessionsArgs { user_id }: QueryUserSessionsArgs,
//!     ) -> Result<Option<Vec<Session>>> { let _ = user_id; Ok(None) }
//!     async fn auth_events(
//!         &self,
//!         _: &Context<'_>,
//!         QueryAuthEventsArgs { filter, first, after }: QueryAuthEventsArgs,
//!     ) -> Result<Option<AuthEventConnection>> { let _ = (filter, first, after); Ok(None) }
//!     async fn my_security_events(
//!         &self,
//!         _: &Context<'_>,
//!         QueryMySecurityEventsArgs { first, after }: QueryMySecurityEventsArgs,
//!     ) -> Result<AuthEventConnection> {
//!         let _ = (first, after);
//!         Err("not here".into())
//!     }
//! }
//! ```
//! A missing resolver method is a compile error:
//! ```compile_fail,E0046
//! use gatehouse::graphql::generated::RevokeResolver;
//! struct Mine;
//! impl RevokeResolver for Mine {}
//! ```
//! So is an argument the schema renamed (here `users(skip:)` for `offset`),
//! or removed (the resolver names a field the struct does not have):
//! ```compile_fail,E0026
//! use async_graphql::{Context, Result};
//! use gatehouse::graphql::generated::{QueryResolver, QueryUsersArgs};
//! use gatehouse::graphql::User;
//! struct Mine;
//! impl QueryResolver for Mine {
//!     async fn me(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn current_user(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn users(&self, _: &Context<'_>, QueryUsersArgs { skip, limit }: QueryUsersArgs)
//!         -> Result<Option<Vec<User>>> { Ok(None) }
//! }
//! ```
//! And an argument the schema added (the resolver leaves `limit` out):
//! ```compile_fail,E0027
//! use async_graphql::{Context, Result};
//! use gatehouse::graphql::generated::{QueryResolver, QueryUsersArgs};
//! use gatehouse::graphql::User;
//! struct Mine;
//! impl QueryResolver for Mine {
//!     async fn me(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn current_user(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn users(&self, _: &Context<'_>, QueryUsersArgs { offset }: QueryUsersArgs)
//!         -> Result<Option<Vec<User>>> { Ok(None) }
//! }
//! ```
//! Arguments cannot be taken by position, so reordering them in the schema
//! (`users(limit:, offset:)`, both `Int`) cannot hand one to the other's
//! parameter: a resolver written positionally does not compile.
//! ```compile_fail,E0050
//! use async_graphql::{Context, Result};
//! use gatehouse::graphql::generated::QueryResolver;
//! use gatehouse::graphql::User;
//! struct Mine;
//! impl QueryResolver for Mine {
//!     async fn me(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn current_user(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn users(&self, _: &Context<'_>, _limit: Option<i32>, _offset: Option<i32>)
//!         -> Result<Option<Vec<User>>> { Ok(None) }
//! }
//! ```
//! An argument of another type (here `limit: Int` taken as a `String`):
//! ```compile_fail,E0308
//! use async_graphql::{Context, Result};
//! use gatehouse::graphql::generated::{QueryResolver, QueryUsersArgs};
//! use gatehouse::graphql::User;
//! struct Mine;
//! impl QueryResolver for Mine {
//!     async fn me(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn current_user(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn users(&self, _: &Context<'_>, QueryUsersArgs { offset, limit }: QueryUsersArgs)
//!         -> Result<Option<Vec<User>>> {
//!         let (_offset, _limit): (Option<i32>, String) = (offset, limit);
//!         Ok(None)
//!     }
//! }
//! ```
//! And a field the schema gave arguments takes them in one parameter, not
//! none (a resolver written before `users` had arguments):
//! ```compile_fail,E0050
//! use async_graphql::{Context, Result};
//! use gatehouse::graphql::generated::QueryResolver;
//! use gatehouse::graphql::User;
//! struct Mine;
//! impl QueryResolver for Mine {
//!     async fn me(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn current_user(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn users(&self, _: &Context<'_>) -> Result<Option<Vec<User>>> { Ok(None) }
//! }
//! ```

#![allow(clippy::all, missing_docs)]

use super::*;

include!(concat!(env!("OUT_DIR"), "/schema_generated.rs"));
