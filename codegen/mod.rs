//! The schema-first generator: `schema.graphql` in, Rust source out.
//!
//! Used only at build time: `build.rs` includes this tree as a module
//! (`#[path = "codegen/mod.rs"]`) and writes the output of [`generate`] to
//! `$OUT_DIR/schema_generated.rs`, which `src/graphql/generated.rs`
//! `include!`s. The server library does not contain it. `tests/codegen.rs`
//! includes the tree the same way to run its unit tests (`codegen/tests/`)
//! and to hold the committed copy `src/graphql/schema_gen.rs` equal to the
//! output. It depends on `std` and `graphql-parser` only.
//!
//! The work is done in three steps, one module each:
//!
//! * [`read`]: the text as graphql-parser 0.4 can read it (CRLF line ends,
//!   a `schema` description blanked out), then parsed.
//! * [`check`]: every construct is one the generator supports, every name
//!   is unique in GraphQL and in Rust, every type exists and is reachable;
//!   an error names the line and shows it.
//! * [`emit`]: the Rust items, in the order of the SDL.
//!
//! For every definition in the SDL it emits:
//!
//! * `scalar X`: a trait `XScalar` (`parse` / `to_value`) that the hand-written
//!   type `X` implements, and `#[Scalar] impl ScalarType for X` forwarding to it.
//! * `enum E`: the whole Rust enum (`#[derive(Enum)]`, variants in CamelCase).
//! * `input I`: the whole Rust struct (`#[derive(InputObject)]`, fields in
//!   snake_case; no `Debug`, since inputs may hold passwords).
//! * `type T`: a trait `TResolver` with one method per field, and
//!   `#[Object] impl T` whose methods forward every field to that trait. A
//!   field with arguments gets a struct `T<Field>Args` holding them by name,
//!   which the resolver destructures: a renamed, added or removed argument is
//!   a compile error, and a reordered one cannot reach the wrong parameter.
//!   A field without a resolver, or a resolver with the wrong arguments, is
//!   then a compile error in the hand-written code.
//! * `pub type Schema` (the root types; subscriptions are not supported) and
//!   `pub const SDL` (the text of `schema.graphql`).
//!
//! Arguments and input fields whose name contains `password`, `token` or
//! `secret` are marked `secret`, so async-graphql masks their values where
//! an extension prints the query.
//!
//! Every type, field, argument and enum value gets an explicit GraphQL name,
//! so async-graphql's renaming never applies. Unsupported SDL (interfaces,
//! unions, subscriptions, type extensions, custom directives, list or object
//! default values) is rejected with an error naming the place.

mod check;
mod emit;
mod error;
mod names;
mod read;

#[cfg(test)]
mod tests;

pub use error::CodegenError;

use graphql_parser::schema::{
    Directive, Document, EnumType, Field, InputObjectType, InputValue, ObjectType, ScalarType,
    Type, Value,
};

/// The file name used in error messages.
const SOURCE_NAME: &str = "schema.graphql";

type Doc = Document<'static, String>;
type SType = Type<'static, String>;
type SValue = Value<'static, String>;
type SDirective = Directive<'static, String>;
type SField = Field<'static, String>;
type SInputValue = InputValue<'static, String>;
type SObject = ObjectType<'static, String>;
type SInput = InputObjectType<'static, String>;
type SEnum = EnumType<'static, String>;
type SScalar = ScalarType<'static, String>;

/// Generates the Rust code for the SDL text `sdl` (the contents of
/// `schema.graphql`). The output is deterministic and follows the order of
/// the definitions in the SDL.
pub fn generate(sdl: &str) -> Result<String, CodegenError> {
    let (cleaned, _description) = read::strip_schema_description(sdl);
    let doc: Doc = graphql_parser::parse_schema::<String>(&cleaned)
        .map_err(|e| error::syntax_error(sdl, &e))?
        .into_static();
    let checked = check::Checked::new(sdl, &cleaned, &doc)?;
    checked.emit()
}
