//! Reading: syntax errors name the right line; a schema description is
//! taken out for graphql-parser 0.4 and nothing else is.

use super::{assert_contains, gen};
use crate::codegen::generate;
use crate::codegen::read::strip_schema_description;

#[test]
fn a_syntax_error_names_the_line_and_column() {
    let err = generate("type Query {\n  me: String\n  you(: Int): String\n}\n").unwrap_err();
    assert_eq!(err.line(), Some(3));
    let text = err.to_string();
    assert!(
        text.starts_with("schema.graphql: syntax error at line 3, column 7: "),
        "{text}"
    );
    assert_contains(&text, " 3 |   you(: Int): String\n   |       ^");
}

#[test]
fn a_syntax_error_after_a_schema_description_and_crlf_comments_names_the_right_line() {
    let sdl = "\"\"\"\r\nThe schema.\r\n\"\"\"\r\nschema { query: Query }\r\n# a comment\r\ntype Query {\r\n  me: String!!\r\n}\r\n";
    let err = generate(sdl).unwrap_err();
    assert_eq!(err.line(), Some(7), "{err}");
}

#[test]
fn a_schema_description_is_accepted_although_graphql_parser_cannot_read_it() {
    let sdl = "\"\"\"\nThe API.\n\"\"\"\nschema { query: Query }\ntype Query { me: String }\n";
    let (cleaned, description) = strip_schema_description(sdl);
    assert_eq!(description.as_deref(), Some("The API."));
    assert_eq!(cleaned.lines().count(), sdl.lines().count());
    assert!(
        cleaned.starts_with("   \n        \n   \nschema"),
        "{cleaned:?}"
    );
    assert_contains(&gen(sdl), "pub type Schema = ::async_graphql::Schema<Query, ::async_graphql::EmptyMutation, ::async_graphql::EmptySubscription>;");
}

#[test]
fn type_descriptions_are_not_taken_for_a_schema_description() {
    let sdl = "\"Q\" type Query { \"f\" me(\"a\" x: String = \"schema\"): String }\n";
    let (cleaned, description) = strip_schema_description(sdl);
    assert_eq!(description, None);
    assert_eq!(cleaned, sdl);
}
