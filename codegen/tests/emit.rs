//! Emitting: the Rust for scalars, enums, input objects, the schema alias
//! and the SDL constant, and the file as a whole (object types: object.rs).

use super::{assert_contains, gen, item, USERS};

#[test]
fn an_enum_is_generated_with_explicit_value_names_and_camel_case_variants() {
    let code = gen(
        "type Query { order(o: Order = NEWEST_FIRST): Order }\n\
         \"The order.\"\nenum Order {\n  \"Oldest first.\"\n  OLDEST_FIRST\n  NEWEST_FIRST @deprecated(reason: \"Slow.\")\n  type\n}",
    );
    assert_eq!(
        item(&code, "#[doc = \"The order.\"]"),
        "#[doc = \"The order.\"]\n\
         #[derive(::async_graphql::Enum, ::std::marker::Copy, ::std::clone::Clone, ::std::fmt::Debug, ::std::cmp::Eq, ::std::cmp::PartialEq)]\n\
         #[graphql(name = \"Order\")]\n\
         #[allow(missing_docs, non_camel_case_types, clippy::all, clippy::pedantic, clippy::nursery, rustdoc::all)]\n\
         pub enum Order {\n    \
             #[doc = \"Oldest first.\"]\n    \
             #[graphql(name = \"OLDEST_FIRST\")]\n    \
             OldestFirst,\n    \
             #[graphql(name = \"NEWEST_FIRST\", deprecation = \"Slow.\")]\n    \
             NewestFirst,\n    \
             #[graphql(name = \"type\")]\n    \
             Type,\n\
         }\n"
    );
    assert_contains(
        &code,
        "default_with = \"::std::option::Option::Some(Order::NewestFirst)\"",
    );
}

#[test]
fn an_input_object_is_generated_without_debug_and_with_defaults() {
    let code = gen(
        "type Query { find(filter: Filter!): String }\n\
         \"What to find.\"\ninput Filter {\n  \"Text.\"\n  text: String = \"a \\\"b\\\"\"\n  limit: Int! = 10\n  ratio: Float = 1\n  exact: Boolean = false\n  id: ID = \"x\"\n  none: String = null\n  newPassword: String\n  next: Filter\n  all: [Filter!]\n}",
    );
    let input = item(&code, "#[doc = \"What to find.\"]");
    assert!(!input.contains("Debug"), "{input}");
    assert_contains(
        input,
        "#[derive(::async_graphql::InputObject)]\n#[graphql(name = \"Filter\")]\n",
    );
    assert_contains(input, "pub struct Filter {\n");
    assert_contains(
        input,
        "    #[doc = \"Text.\"]\n    #[graphql(name = \"text\", default_with = \"::std::option::Option::Some(::std::string::String::from(\\\"a \\\\\\\"b\\\\\\\"\\\"))\")]\n    pub text: ::std::option::Option<::std::string::String>,\n",
    );
    assert_contains(input, "#[graphql(name = \"limit\", default_with = \"10\")]\n    pub limit: ::std::primitive::i32,\n");
    assert_contains(input, "default_with = \"::std::option::Option::Some(1.0)\")]\n    pub ratio: ::std::option::Option<::std::primitive::f64>,");
    assert_contains(
        input,
        "default_with = \"::std::option::Option::Some(false)\"",
    );
    assert_contains(
        input,
        "default_with = \"::std::option::Option::Some(::async_graphql::ID::from(\\\"x\\\"))\"",
    );
    assert_contains(input, "default_with = \"::std::option::Option::None\"");
    // Credentials are masked where async-graphql prints queries.
    assert_contains(
        input,
        "#[graphql(name = \"newPassword\", secret)]\n    pub new_password:",
    );
    // A recursive input field is boxed; a list needs no box.
    assert_contains(
        input,
        "pub next: ::std::option::Option<::std::boxed::Box<Filter>>,",
    );
    assert_contains(
        input,
        "pub all: ::std::option::Option<::std::vec::Vec<Filter>>,",
    );
}

#[test]
fn a_custom_scalar_gets_a_trait_and_a_forwarding_scalar_impl_with_its_description() {
    let code = gen(
        "type Query { now: DateTime! }\n\"\"\"\nA point in time.\n\"\"\"\nscalar DateTime @specifiedBy(url: \"https://www.rfc-editor.org/rfc/rfc3339\")",
    );
    assert_contains(
        &code,
        "pub trait DateTimeScalar: ::std::marker::Sized {\n    \
         /// Reads a value given in a query or in variables; an error makes the request fail.\n    \
         fn parse(value: ::async_graphql::Value) -> ::async_graphql::InputValueResult<Self>;\n    \
         /// Writes the value into a response.\n    \
         fn to_value(&self) -> ::async_graphql::Value;\n}",
    );
    assert_contains(
        &code,
        "#[doc = \"A point in time.\"]\n#[::async_graphql::Scalar(name = \"DateTime\", specified_by_url = \"https://www.rfc-editor.org/rfc/rfc3339\")]\n",
    );
    assert_contains(&code, "impl ::async_graphql::ScalarType for DateTime {");
    assert_contains(&code, "<DateTime as DateTimeScalar>::parse(value)");
    assert_contains(&code, "<DateTime as DateTimeScalar>::to_value(self)");
}

#[test]
fn the_schema_alias_uses_the_root_types_and_sdl_holds_the_source_text() {
    let code = gen(USERS);
    assert_contains(&code, "pub type Schema = ::async_graphql::Schema<Query, ::async_graphql::EmptyMutation, ::async_graphql::EmptySubscription>;");
    assert_contains(&code, &format!("pub const SDL: &str = r#\"{USERS}\"#;"));

    let sdl = "schema { query: Root mutation: Change }\ntype Root { a: String }\ntype Change { b(x: String = \"\\\"#\"): String }";
    let code = gen(sdl);
    assert_contains(&code, "pub type Schema = ::async_graphql::Schema<Root, Change, ::async_graphql::EmptySubscription>;");
    assert_contains(&code, &format!("pub const SDL: &str = r##\"{sdl}\"##;"));
    let code = gen("type Query { a: String }\ntype Mutation { b: String }");
    assert_contains(
        &code,
        "::async_graphql::Schema<Query, Mutation, ::async_graphql::EmptySubscription>",
    );
}

#[test]
fn the_generated_file_says_it_is_generated_and_follows_the_sdl_order() {
    let code = gen(USERS);
    assert!(
        code.starts_with("// @generated from schema.graphql by build.rs"),
        "{code}"
    );
    assert_contains(&code, "Do not edit");
    let query = code.find("pub trait QueryResolver").unwrap();
    let user = code.find("pub trait UserResolver").unwrap();
    assert!(query < user);
    assert_eq!(code, gen(USERS));
}

#[test]
fn the_kitchen_sink_fixture_generates() {
    let code = gen(include_str!("../fixtures/kitchen_sink.graphql"));
    assert_contains(&code, "pub type Schema = ::async_graphql::Schema<Root, ::async_graphql::EmptyMutation, ::async_graphql::EmptySubscription>;");
    assert_contains(
        &code,
        "pub next: ::std::option::Option<::std::boxed::Box<Filter>>,",
    );
    assert_contains(&code, "    #[graphql(name = \"self\")]\n    Self_,\n");
}
