//! Unit tests of the generator, run by `cargo test --test codegen`
//! (tests/codegen.rs includes the codegen tree): reading, checking and
//! emitting, with small schemas written inline and `fixtures/`.

mod check;
mod emit;
mod object;
mod read;

use super::generate;

pub fn gen(sdl: &str) -> String {
    generate(sdl).unwrap_or_else(|e| panic!("generate failed:\n{e}"))
}

pub fn gen_err(sdl: &str) -> String {
    match generate(sdl) {
        Ok(code) => panic!("expected an error, got:\n{code}"),
        Err(e) => e.to_string(),
    }
}

pub fn assert_contains(haystack: &str, needle: &str) {
    assert!(
        haystack.contains(needle),
        "expected to find\n{needle}\nin\n{haystack}"
    );
}

/// The text of the generated item that starts with `start`, up to the
/// next line that is just `}`.
pub fn item<'a>(code: &'a str, start: &str) -> &'a str {
    let from = code
        .find(start)
        .unwrap_or_else(|| panic!("no `{start}` in\n{code}"));
    let len = code[from..]
        .find("\n}\n")
        .map_or(code.len() - from, |i| i + 3);
    &code[from..from + len]
}

pub const USERS: &str = r#"
"Read-only operations."
type Query {
  "The caller."
  me: User
  users(
    "How many to skip."
    offset: Int = 0
    limit: Int! = 100
    tags: [String!]
  ): [User!]!
  old: User @deprecated(reason: "Use `me`.")
  older: User @deprecated
}

"A user."
type User {
  id: ID!
  isActive: Boolean!
  nicknames: [String]
  score: Float
  type: String!
  ObtainJSONWebToken: String
}
"#;
