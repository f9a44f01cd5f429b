//! Emitting object types: the arguments structs, the resolver trait and the
//! `#[Object]` impl that forwards to it.

use super::{assert_contains, gen, gen_err, item, USERS};
use crate::codegen::names::{
    arg_ident, args_struct_ident, camel_case, field_ident, snake_case, variant_ident,
};

#[test]
fn an_object_type_becomes_a_resolver_trait_with_rust_signatures() {
    let code = gen(USERS);
    let query = item(&code, "pub trait QueryResolver");
    assert_contains(
        query,
        "pub trait QueryResolver: ::std::marker::Send + ::std::marker::Sync {",
    );
    assert_contains(
        query,
        "    fn me(\n        &self,\n        ctx: &::async_graphql::Context<'_>,\n    ) -> impl ::std::future::Future<Output = ::async_graphql::Result<::std::option::Option<User>>> + ::std::marker::Send;",
    );
    assert_contains(
        query,
        "    fn users(\n        &self,\n        ctx: &::async_graphql::Context<'_>,\n        args: QueryUsersArgs,\n    ) -> impl ::std::future::Future<Output = ::async_graphql::Result<::std::vec::Vec<User>>> + ::std::marker::Send;",
    );
    let user = item(&code, "pub trait UserResolver");
    assert_contains(user, "fn id(\n");
    assert_contains(user, "::async_graphql::Result<::async_graphql::ID>>");
    assert_contains(user, "fn is_active(\n");
    assert_contains(user, "::async_graphql::Result<::std::primitive::bool>>");
    assert_contains(
        user,
        "::async_graphql::Result<::std::option::Option<::std::vec::Vec<::std::option::Option<::std::string::String>>>>>",
    );
    assert_contains(
        user,
        "::async_graphql::Result<::std::option::Option<::std::primitive::f64>>>",
    );
}

#[test]
fn a_field_with_arguments_gets_a_struct_that_holds_them_by_name() {
    let code = gen(USERS);
    let args = item(&code, "/// The arguments of `Query.users`");
    assert_contains(args, "/// `QueryUsersArgs { offset, limit, tags }`.\n");
    assert_contains(
        args,
        "pub struct QueryUsersArgs {\n    \
         /// `offset: Int = 0`\n    ///\n    /// How many to skip.\n    \
         pub offset: ::std::option::Option<::std::primitive::i32>,\n    \
         /// `limit: Int! = 100`\n    \
         pub limit: ::std::primitive::i32,\n    \
         /// `tags: [String!]`\n    \
         pub tags: ::std::option::Option<::std::vec::Vec<::std::string::String>>,\n}\n",
    );
    // No `Debug`: arguments may be passwords.
    assert!(!args.contains("derive"), "{args}");
    // Fields without arguments get no struct and no parameter.
    assert!(!code.contains("QueryMeArgs"), "{code}");
}

#[test]
fn the_object_impl_forwards_every_field_with_explicit_names() {
    let code = gen(USERS);
    let query = item(&code, "#[::async_graphql::Object(name = \"Query\")]");
    assert_contains(
        query,
        "    #[graphql(name = \"users\")]\n    async fn __gql_users(\n        &self,\n        ctx: &::async_graphql::Context<'_>,\n        #[graphql(name = \"offset\", desc = \"How many to skip.\", default_with = \"::std::option::Option::Some(0)\")] offset: ::std::option::Option<::std::primitive::i32>,\n        #[graphql(name = \"limit\", default_with = \"100\")] limit: ::std::primitive::i32,\n        #[graphql(name = \"tags\")] tags: ::std::option::Option<::std::vec::Vec<::std::string::String>>,\n    ) -> ::async_graphql::Result<::std::vec::Vec<User>> {\n        <Query as QueryResolver>::users(self, ctx, QueryUsersArgs { offset, limit, tags }).await\n    }",
    );
    let user = item(&code, "#[::async_graphql::Object(name = \"User\")]");
    assert_contains(
        user,
        "#[graphql(name = \"isActive\")]\n    async fn __gql_is_active(",
    );
    assert_contains(user, "<User as UserResolver>::is_active(self, ctx).await");
}

#[test]
fn reordering_arguments_leaves_the_resolver_signature_as_it_was() {
    let sdl = "type Query { tokenAuth(username: String!, password: String!): String }";
    let swapped = "type Query { tokenAuth(password: String!, username: String!): String }";
    let (code, reordered) = (gen(sdl), gen(swapped));
    // The trait without its documentation, which shows the SDL's order.
    let signature = |code: &str| {
        let t = item(code, "pub trait QueryResolver");
        t.lines()
            .filter(|l| !l.trim_start().starts_with("///"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(signature(&code), signature(&reordered));
    // The struct is filled by name (field shorthand: each parameter is named
    // after its argument), in whatever order the parameters come.
    assert_contains(
        &code,
        "::token_auth(self, ctx, QueryTokenAuthArgs { username, password }).await",
    );
    assert_contains(
        &reordered,
        "::token_auth(self, ctx, QueryTokenAuthArgs { password, username }).await",
    );
    assert_contains(
        &reordered,
        "] password: ::std::string::String,\n        #[graphql(name = \"username\"",
    );
}

#[test]
fn renaming_an_argument_renames_the_field_the_resolver_destructures() {
    let code = gen("type Query { tokenAuth(login: String!, password: String!): String }");
    assert_contains(&code, "    pub login: ::std::string::String,\n");
    assert!(!code.contains("username"), "{code}");
}

#[test]
fn arguments_structs_that_would_share_a_name_are_rejected() {
    let err = gen_err(
        "type Query { a: A, ab: AB }\ntype A { bC(x: Int): Int }\ntype AB { c(x: Int): Int }",
    );
    assert_contains(
        &err,
        "line 3, column 11: the generated arguments of `AB.c` and the generated arguments of \
         `A.bC` would both be named `ABCArgs`; rename one",
    );
}

#[test]
fn an_arguments_struct_may_not_take_the_name_of_a_type() {
    let err =
        gen_err("type Query { users(n: Int): QueryUsersArgs }\ntype QueryUsersArgs { a: Int }");
    assert_contains(
        &err,
        "object type `QueryUsersArgs`: the name is taken by the generated arguments of `Query.users`",
    );
}

#[test]
fn deprecations_and_descriptions_are_carried() {
    let code = gen(USERS);
    assert_contains(
        &code,
        "#[doc = \"Read-only operations.\"]\n#[::async_graphql::Object(name = \"Query\")]",
    );
    assert_contains(
        &code,
        "    #[doc = \"The caller.\"]\n    #[graphql(name = \"me\")]",
    );
    assert_contains(
        &code,
        "#[graphql(name = \"old\", deprecation = \"Use `me`.\")]",
    );
    // The spec's default reason when none is given.
    assert_contains(
        &code,
        "#[graphql(name = \"older\", deprecation = \"No longer supported\")]",
    );
    // The trait method's documentation shows the GraphQL signature.
    assert_contains(
        &code,
        "    /// `Query.old: User`\n    ///\n    /// Deprecated: Use `me`.\n    fn old(",
    );
    let code = gen(
        "type Query { a(\n  \"\"\"\n  Line one.\n    Line two.\n  \"\"\"\n  x: Int @deprecated(reason: \"No.\")\n): String }",
    );
    assert_contains(
        &code,
        "#[graphql(name = \"x\", desc = \"Line one.\\n  Line two.\", deprecation = \"No.\")] x:",
    );
}

#[test]
fn names_are_snake_cased_and_rust_keywords_escaped() {
    assert_eq!(snake_case("isActive"), "is_active");
    assert_eq!(snake_case("ObtainJSONWebToken"), "obtain_json_web_token");
    assert_eq!(snake_case("HTTPStatus"), "http_status");
    assert_eq!(snake_case("sha256Hash"), "sha256_hash");
    assert_eq!(snake_case("_private"), "_private");
    assert_eq!(camel_case("HTTP2_PUSH"), "Http2Push");
    assert_eq!(camel_case("someValue"), "SomeValue");
    assert_eq!(field_ident("type"), "r#type");
    assert_eq!(field_ident("self"), "self_");
    assert_eq!(arg_ident("ctx"), "ctx_");
    assert_eq!(variant_ident("SELF"), "Self_");
    assert_eq!(
        args_struct_ident("Mutation", "tokenAuth"),
        "MutationTokenAuthArgs"
    );

    let code = gen(USERS);
    let user = item(&code, "pub trait UserResolver");
    assert_contains(user, "    fn r#type(\n");
    assert_contains(user, "    fn obtain_json_web_token(\n");
    assert_contains(
        &code,
        "#[graphql(name = \"type\")]\n    async fn __gql_type(",
    );
    assert_contains(&code, "<User as UserResolver>::r#type(self, ctx).await");
    let code = gen("type Query { search(in: Int, ctx: Int, self: Int): String }");
    assert_contains(&code, "#[graphql(name = \"in\")] r#in: ");
    assert_contains(&code, "#[graphql(name = \"ctx\")] ctx_: ");
    assert_contains(&code, "#[graphql(name = \"self\")] self_: ");
    assert_contains(&code, "    pub r#in: ");
    assert_contains(&code, "    pub ctx_: ");
    assert_contains(&code, "    pub self_: ");
    assert_contains(
        &code,
        "::search(self, ctx, QuerySearchArgs { r#in, ctx_, self_ }).await",
    );
}
