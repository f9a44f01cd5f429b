//! Checking: every unsupported or inconsistent schema is an error that
//! names the place.

use super::{assert_contains, gen_err};

#[test]
fn an_unknown_type_is_an_error_naming_the_type_and_the_field() {
    let err = gen_err("type Query {\n  \"The caller.\"\n  me: Usr\n}\n");
    assert_contains(
        &err,
        "error at line 3, column 3: field `Query.me` has the unknown type `Usr`",
    );
    let err = gen_err("type Query { me(filter: [Fltr!]): String }");
    assert_contains(
        &err,
        "argument `Query.me(filter:)` has the unknown type `Fltr`",
    );
}

#[test]
fn an_interface_is_rejected_clearly() {
    let err = gen_err("interface Node { id: ID! }\ntype Query { node: Node }");
    assert_contains(
        &err,
        "line 1, column 1: interface `Node`: interfaces are not supported",
    );
}

#[test]
fn a_union_is_rejected_clearly() {
    let err = gen_err("type Query { a: String }\nunion Result = Query");
    assert_contains(
        &err,
        "line 2, column 1: union `Result`: unions are not supported",
    );
}

#[test]
fn other_unsupported_constructs_are_rejected_naming_the_place() {
    let cases = [
        (
            "schema { query: Query subscription: Query }\ntype Query { a: String }",
            "`subscription: Query`: subscriptions are not supported",
        ),
        (
            "type Query { a: String }\ntype Subscription { b: String }",
            "`Subscription` would be the subscription root type",
        ),
        (
            "type Query { a: String }\nextend type Query { b: String }",
            "`extend type Query`: type extensions are not supported",
        ),
        (
            "directive @auth on FIELD_DEFINITION\ntype Query { a: String @auth }",
            "`directive @auth`: custom directives are not supported",
        ),
        (
            "type Query { a: String @auth }",
            "field `Query.a`: the directive `@auth` is not supported here (only `@deprecated`)",
        ),
        (
            "type Query { a(f: F = {x: 1}): String }\ninput F { x: Int }",
            "argument `Query.a(f:)`: the default value `{x: 1}` is not supported (an input object)",
        ),
        (
            "type Query { a(f: F): String }\ninput F { x: [Int] = [1] }",
            "input field `F.x`: the default value `[1]` is not supported (a list)",
        ),
        (
            "type Query { a(f: F): String }\ninput F @oneOf { x: Int }",
            "input object `F`: `@oneOf` input objects are not supported",
        ),
        (
            "type Query implements Node { a: String }",
            "type `Query` implements `Node`: interfaces are not supported",
        ),
    ];
    for (sdl, expected) in cases {
        assert_contains(&gen_err(sdl), expected);
    }
}

#[test]
fn duplicate_and_clashing_names_are_rejected() {
    let err = gen_err("type Query { a: String }\ntype Query { b: String }");
    assert_contains(&err, "line 2, column 1: object type `Query`: the name `Query` is already used by the object type at line 1");
    let err = gen_err("type Query { a: String, a: Int }");
    assert_contains(&err, "field `Query.a` is defined twice");
    let err = gen_err("type Query { fooBar: String, foo_bar: Int }");
    assert_contains(
        &err,
        "the fields `fooBar` and `foo_bar` both become the Rust method `foo_bar`",
    );
    let err = gen_err("type Query { a: E }\nenum E { ONE_TWO, OneTwo }");
    assert_contains(
        &err,
        "the values `ONE_TWO` and `OneTwo` both become the Rust variant `OneTwo`",
    );
    let err = gen_err("type Query { a: QueryResolver }\ntype QueryResolver { b: String }");
    assert_contains(
        &err,
        "object type `QueryResolver`: the name is taken by the generated trait for `Query`",
    );
    let err = gen_err("type Query { a: String }\nscalar String");
    assert_contains(
        &err,
        "`String` is a built-in scalar and cannot be defined again",
    );
    let err = gen_err("type Query { a: Schema }\ntype Schema { b: String }");
    assert_contains(&err, "the name `Schema` is taken by the generated code");
}

#[test]
fn types_of_the_wrong_kind_and_unreachable_types_are_rejected() {
    let err = gen_err("type Query { a: F }\ninput F { x: Int }");
    assert_contains(&err, "field `Query.a` has the input object type `F`");
    let err = gen_err("type Query { a(u: User): String }\ntype User { id: ID }");
    assert_contains(&err, "argument `Query.a(u:)` has the object type `User`");
    let err = gen_err("type Query { a: String }\ntype Orphan { b: String }");
    assert_contains(&err, "line 2, column 1: object type `Orphan` is not used by any field or argument reachable from `Query`");
    let err = gen_err("type Mutation { a: String }");
    assert_contains(&err, "there is no `Query` type");
    let err = gen_err("type Query { a(f: F): String }\ninput F { g: G! }\ninput G { f: F! }");
    assert_contains(
        &err,
        "input object `F` contains itself through the non-null fields `g` → `f`",
    );
}

#[test]
fn bad_default_values_are_rejected() {
    let err = gen_err("type Query { a(n: Int = \"x\"): String }");
    assert_contains(
        &err,
        "argument `Query.a(n:)`: the default value `\"x\"` is not a valid `Int`",
    );
    let err = gen_err("type Query { a(n: Int! = null): String }");
    assert_contains(
        &err,
        "`null` cannot be the default of the non-null type `Int!`",
    );
    let err = gen_err("type Query { a(n: Int = 3000000000): String }");
    assert_contains(&err, "is not a valid `Int`");
    let err = gen_err("type Query { a(e: E = THREE): String }\nenum E { ONE TWO }");
    assert_contains(
        &err,
        "the default value `THREE` is not a value of the enum `E`",
    );
}
