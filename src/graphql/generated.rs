//! The Rust generated from `schema.graphql` by `build.rs`: input objects,
//! enums, one `…Resolver` trait per object type, and the async-graphql
//! objects that forward each field to it. Never edited by hand; a resolver
//! that does not match the schema fails the build.
//!
//! A missing resolver method is a compile error:
//! ```compile_fail,E0046
//! use gatehouse::graphql::generated::RevokeResolver;
//! struct Mine;
//! impl RevokeResolver for Mine {}
//! ```
//! So is a wrong argument type (here `limit: Int` must be `Option<i32>`):
//! ```compile_fail,E0053
//! use async_graphql::{Context, Result};
//! use gatehouse::graphql::{generated::QueryResolver, User};
//! struct Mine;
//! impl QueryResolver for Mine {
//!     async fn me(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn current_user(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn users(&self, _: &Context<'_>, _offset: Option<i32>, _limit: String)
//!         -> Result<Option<Vec<User>>> { Ok(None) }
//! }
//! ```
//! And a wrong number of arguments:
//! ```compile_fail,E0050
//! use async_graphql::{Context, Result};
//! use gatehouse::graphql::{generated::QueryResolver, User};
//! struct Mine;
//! impl QueryResolver for Mine {
//!     async fn me(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn current_user(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn users(&self, _: &Context<'_>, _offset: Option<i32>) -> Result<Option<Vec<User>>> { Ok(None) }
//! }
//! ```
//! While a matching implementation compiles:
//! ```
//! use async_graphql::{Context, Result};
//! use gatehouse::graphql::{generated::QueryResolver, User};
//! struct Mine;
//! impl QueryResolver for Mine {
//!     async fn me(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn current_user(&self, _: &Context<'_>) -> Result<Option<User>> { Ok(None) }
//!     async fn users(&self, _: &Context<'_>, _offset: Option<i32>, _limit: Option<i32>)
//!         -> Result<Option<Vec<User>>> { Ok(None) }
//! }
//! ```

#![allow(clippy::all, missing_docs)]

use super::*;

include!(concat!(env!("OUT_DIR"), "/schema_generated.rs"));
