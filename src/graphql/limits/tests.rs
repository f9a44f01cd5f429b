//! Tests of the request limits: what each one refuses, what passes (GraphiQL's
//! introspection query), and the text pre-check.

use std::time::{Duration, Instant};

use super::*;

fn parse(q: &str) -> ExecutableDocument {
    async_graphql::parser::parse_query(q).unwrap()
}

fn run(q: &str) -> Result<(), Exceeded> {
    check(&parse(q), None, &Limits::default())
}

fn code(q: &str) -> Option<&'static str> {
    run(q).err().map(|e| e.code)
}

fn visits(q: &str) -> u64 {
    check_with_stats(&parse(q), None, &Limits::default())
        .1
        .visits
}

/// `fragment Fk on Query { ...F(k-1) ...F(k-1) }` for k up to `levels`,
/// spread once by the operation; `F0` holds `leaf`.
fn bomb(levels: usize, leaf: &str) -> String {
    let mut q = format!("{{ ...F{levels} }} fragment F0 on Query {{ {leaf} }} ");
    for k in 1..=levels {
        q += &format!("fragment F{k} on Query {{ ...F{} ...F{} }} ", k - 1, k - 1);
    }
    q
}

/// GraphiQL 3.9's introspection query with every option on.
const GRAPHIQL_INTROSPECTION: &str = r#"
    query IntrospectionQuery {
      __schema {
        description
        queryType { name }
        mutationType { name }
        subscriptionType { name }
        types { ...FullType }
        directives {
          name description isRepeatable locations
          args(includeDeprecated: true) { ...InputValue }
        }
      }
    }
    fragment FullType on __Type {
      kind name description specifiedByURL isOneOf
      fields(includeDeprecated: true) {
        name description
        args(includeDeprecated: true) { ...InputValue }
        type { ...TypeRef }
        isDeprecated deprecationReason
      }
      inputFields(includeDeprecated: true) { ...InputValue }
      interfaces { ...TypeRef }
      enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
      possibleTypes { ...TypeRef }
    }
    fragment InputValue on __InputValue {
      name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
    }
    fragment TypeRef on __Type {
      kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name
      ofType { kind name ofType { kind name ofType { kind name ofType { kind name
      ofType { kind name } } } } } } } } }
    }"#;

#[test]
fn ordinary_operations_pass() {
    assert_eq!(code("{ me { id username email } }"), None);
    assert_eq!(
        code("mutation { tokenAuth(username: \"a\", password: \"b\") { token payload } }"),
        None
    );
}

#[test]
fn fifty_aliased_logins_are_refused_before_any_password_check() {
    let fields: String = (0..50)
        .map(|i| format!("a{i}: tokenAuth(username: \"u\", password: \"p{i}\") {{ token }} "))
        .collect();
    assert_eq!(
        code(&format!("mutation {{ {fields} }}")),
        Some("TOO_MANY_PASSWORD_CHECKS")
    );
    let aliases: String = (0..31).map(|i| format!("a{i}: me {{ id }} ")).collect();
    assert_eq!(code(&format!("{{ {aliases} }}")), Some("TOO_MANY_ALIASES"));
    let two = "mutation { a: tokenAuth(username: \"u\", password: \"1\") { token } b: tokenAuth(username: \"u\", password: \"2\") { token } }";
    assert_eq!(code(two), Some("TOO_MANY_PASSWORD_CHECKS"));
}

#[test]
fn password_checks_hidden_in_fragments_are_counted() {
    let q = "mutation { ...A ...B } fragment A on Mutation { tokenAuth(username: \"u\", password: \"1\") { token } } \
             fragment B on Mutation { createUser(username: \"u\", password: \"12345678\", email: \"a@b.co\") { user { id } } }";
    assert_eq!(code(q), Some("TOO_MANY_PASSWORD_CHECKS"));
    // Through an inline fragment and a fragment spread inside a fragment.
    let q = "mutation { ... on Mutation { ...A } } fragment A on Mutation { ...B ...B } \
             fragment B on Mutation { tokenAuth(username: \"u\", password: \"1\") { token } }";
    assert_eq!(code(q), Some("TOO_MANY_PASSWORD_CHECKS"));
}

#[test]
fn password_fields_count_only_at_the_root_of_a_mutation() {
    // Below the root, a field of that name is another type's field.
    let q = "mutation { tokenAuth(username: \"u\", password: \"1\") { token } updateMe { user { ...A } } } \
             fragment A on User { tokenAuth changePassword }";
    assert_eq!(code(q), None);
    // A query has no password-checking root fields.
    assert_eq!(
        code("{ ...A } fragment A on Query { tokenAuth createUser }"),
        None
    );
}

#[test]
fn deep_and_wide_queries_are_refused() {
    let deep = format!("{{ {}id{} }}", "me { ".repeat(13), " }".repeat(13));
    assert_eq!(code(&deep), Some("QUERY_TOO_DEEP"));
    let wide = format!("{{ me {{ {} }} }}", "id ".repeat(201));
    assert_eq!(code(&wide), Some("QUERY_TOO_COMPLEX"));
}

#[test]
fn depth_through_fragments_counts_from_where_they_are_spread() {
    // Six levels in the fragment, spread six levels down: 12 in all.
    let six = format!("{}id{}", "me { ".repeat(5), " }".repeat(5));
    let spread_at = |levels: usize| {
        format!(
            "{{ {}...F{} }} fragment F on User {{ {six} }}",
            "me { ".repeat(levels),
            " }".repeat(levels)
        )
    };
    assert_eq!(code(&spread_at(6)), None);
    assert_eq!(code(&spread_at(7)), Some("QUERY_TOO_DEEP"));
    // Spread twice at different depths: the deeper one counts.
    let q = format!("{{ ...F me {{ me {{ me {{ me {{ me {{ me {{ me {{ ...F }} }} }} }} }} }} }} }} fragment F on Query {{ {six} }}");
    assert_eq!(code(&q), Some("QUERY_TOO_DEEP"));
}

#[test]
fn repeated_fragment_spreads_count_every_time() {
    let q = format!(
        "{{ me {{ {} }} }} fragment F on User {{ id username email firstName lastName }}",
        "...F ".repeat(41)
    );
    assert_eq!(code(&q), Some("QUERY_TOO_COMPLEX"));
}

#[test]
fn a_fragment_bomb_of_depth_40_is_refused_at_once() {
    let q = bomb(40, "__typename");
    let started = Instant::now();
    assert_eq!(code(&q), Some("QUERY_TOO_COMPLEX"));
    assert!(started.elapsed() < Duration::from_secs(1));
    // Each fragment is walked once: a few steps per spread written
    // (where 2^40 fields would be reached by expanding them).
    assert!(visits(&q) <= 10 * 40, "{} visits", visits(&q));
}

#[test]
fn a_fragment_bomb_ending_in_an_unknown_fragment_is_refused() {
    for levels in [22, 34, 40] {
        let q = bomb(levels, "...Missing");
        let started = Instant::now();
        let e = run(&q).unwrap_err();
        assert_eq!(e.code, "UNKNOWN_FRAGMENT");
        assert!(e.message.contains("Missing"), "{}", e.message);
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

#[test]
fn a_fragment_bomb_of_introspection_fields_is_refused() {
    for leaf in [
        "__type(name: \"Query\") { name }",
        "__schema { queryType { name } }",
    ] {
        let q = bomb(40, leaf);
        let started = Instant::now();
        assert_eq!(code(&q), Some("INTROSPECTION_TOO_COMPLEX"), "{leaf}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

#[test]
fn a_fragment_bomb_in_a_part_that_does_not_run_is_refused() {
    // async-graphql's own walks expand every operation and fragment.
    let unused_operation = format!(
        "query Run {{ me {{ id }} }} query Other {}",
        bomb(40, "__typename")
    );
    let doc = parse(&unused_operation);
    let e = check(&doc, Some("Run"), &Limits::default()).unwrap_err();
    assert_eq!(e.code, "QUERY_TOO_COMPLEX");
    let unused_fragment = bomb(40, "__typename").replacen("{ ...F40 }", "{ me { id } }", 1);
    assert_eq!(code(&unused_fragment), Some("QUERY_TOO_COMPLEX"));
}

#[test]
fn two_hundred_aliased_schema_fields_are_refused() {
    let fields: String = (0..200)
        .map(|i| format!("a{i}: __schema {{ types {{ name fields {{ name }} }} }} "))
        .collect();
    assert_eq!(
        code(&format!("{{ {fields} }}")),
        Some("TOO_MANY_INTROSPECTION_ALIASES")
    );
    // Through a fragment, spread twice: the aliases are counted per spread.
    let fields: String = (0..20)
        .map(|i| format!("a{i}: __type(name: \"User\") {{ name }} "))
        .collect();
    let q = format!("{{ ...F ... on Query {{ ...F }} }} fragment F on Query {{ {fields} }}");
    assert_eq!(code(&q), Some("TOO_MANY_INTROSPECTION_ALIASES"));
}

#[test]
fn introspection_has_its_own_caps() {
    // 302 introspection fields: beyond max_fields, within introspection's cap.
    let q = format!(
        "{{ __schema {{ types {{ {} }} }} }}",
        "fields { type { ofType { ofType { ofType { name } } } } } ".repeat(50)
    );
    assert_eq!(code(&q), None);
    let q = format!(
        "{{ __schema {{ types {{ {} }} }} }}",
        "fields { type { ofType { ofType { ofType { name } } } } } ".repeat(200)
    );
    assert_eq!(code(&q), Some("INTROSPECTION_TOO_COMPLEX"));
    // Introspection is also deeper than max_depth allows other fields.
    let deep = format!(
        "{{ __schema {{ types {{ {}name{} }} }} }}",
        "ofType { ".repeat(20),
        " }".repeat(20)
    );
    assert_eq!(code(&deep), None);
}

#[test]
fn graphiql_s_full_introspection_query_passes() {
    let doc = parse(GRAPHIQL_INTROSPECTION);
    let (result, stats) = check_with_stats(&doc, None, &Limits::default());
    assert_eq!(result, Ok(()));
    assert!(stats.visits < 1000, "{stats:?}");
    // Its named form, as GraphiQL sends it.
    assert_eq!(
        check(&doc, Some("IntrospectionQuery"), &Limits::default()),
        Ok(())
    );
    // It needs about 240 introspection fields: half the default cap.
    let tight = Limits {
        max_introspection_fields: 250,
        ..Limits::default()
    };
    assert_eq!(check(&doc, None, &tight), Ok(()));
    let tighter = Limits {
        max_introspection_fields: 200,
        ..Limits::default()
    };
    assert_eq!(
        check(&doc, None, &tighter).unwrap_err().code,
        "INTROSPECTION_TOO_COMPLEX"
    );
    assert_eq!(check_text(GRAPHIQL_INTROSPECTION), Ok(()));
}

#[test]
fn fragment_cycles_are_refused() {
    for q in [
        "{ ...A } fragment A on Query { ...A me { id } }",
        "{ ...A } fragment A on Query { ...B } fragment B on Query { me { ...C } } fragment C on User { ... on User { ...A } }",
        "{ ...A } fragment A on Query { ...A ...A }",
        // Among fragments no operation spreads.
        "{ me { id } } fragment A on Query { ...B } fragment B on Query { ...A }",
    ] {
        let started = Instant::now();
        let e = run(q).unwrap_err();
        assert_eq!(e.code, "FRAGMENT_CYCLE", "{q}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}

#[test]
fn unknown_fragments_are_refused_anywhere_in_the_document() {
    assert_eq!(code("{ ...Nope }"), Some("UNKNOWN_FRAGMENT"));
    assert_eq!(
        code("{ me { id } } fragment A on Query { me { ...Nope } }"),
        Some("UNKNOWN_FRAGMENT")
    );
    let doc = parse("query Run { me { id } } query Other { ...Nope }");
    assert_eq!(
        check(&doc, Some("Run"), &Limits::default())
            .unwrap_err()
            .code,
        "UNKNOWN_FRAGMENT"
    );
}

#[test]
fn a_long_chain_of_fragments_is_refused() {
    // Each fragment spreads the one before: expanding every fragment
    // (as async-graphql's validation does) costs the square of the chain.
    let mut q = String::from("{ ...F2000 } fragment F0 on Query { __typename } ");
    for k in 1..=2000 {
        q += &format!("fragment F{k} on Query {{ ...F{} }} ", k - 1);
    }
    assert_eq!(code(&q), Some("QUERY_TOO_COMPLEX"));
    // A short one is fine.
    let mut q = String::from("{ ...F20 } fragment F0 on Query { __typename } ");
    for k in 1..=20 {
        q += &format!("fragment F{k} on Query {{ ...F{} }} ", k - 1);
    }
    assert_eq!(code(&q), None);
}

#[test]
fn many_operations_spreading_a_fragment_full_of_variables_are_refused() {
    // async-graphql's variable rules walk the fragment's variables once
    // per operation that spreads it (and report each one missing).
    let vars: String = (0..500).map(|i| format!("$v{i} ")).collect();
    let mut q = format!("fragment F on Query {{ users(limit: [{vars}]) {{ id }} }} ");
    for i in 0..100 {
        q += &format!("query Q{i} {{ ...F }} ");
    }
    let e = check(&parse(&q), Some("Q0"), &Limits::default()).unwrap_err();
    assert_eq!(e.code, "QUERY_TOO_COMPLEX");
    // One operation spreading it is fine (async-graphql reports the variables).
    let one =
        format!("fragment F on Query {{ users(limit: [{vars}]) {{ id }} }} query Q0 {{ ...F }}");
    assert_eq!(code(&one), None);
}

#[test]
fn a_field_with_too_many_arguments_is_refused() {
    let args: String = (0..65).map(|i| format!("a{i}: 1 ")).collect();
    assert_eq!(
        code(&format!("{{ users({args}) {{ id }} }}")),
        Some("QUERY_TOO_COMPLEX")
    );
    assert_eq!(
        code(&format!("{{ me @skip({args}) {{ id }} }}")),
        Some("QUERY_TOO_COMPLEX")
    );
}

#[test]
fn brackets_nested_too_deep_are_refused_before_parsing() {
    let list = |n: usize| {
        format!(
            "{{ users(limit: {}1{}) {{ id }} }}",
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    assert_eq!(check_text(&list(100)), Ok(()));
    assert_eq!(check_text(&list(200)).unwrap_err().code, "QUERY_TOO_DEEP");
    // 20,000 levels: refused in one pass, without recursion.
    assert_eq!(
        check_text(&list(20_000)).unwrap_err().code,
        "QUERY_TOO_DEEP"
    );
    let object = format!(
        "{{ users(limit: {}1{}) {{ id }} }}",
        "{a: ".repeat(200),
        "}".repeat(200)
    );
    assert_eq!(check_text(&object).unwrap_err().code, "QUERY_TOO_DEEP");
    // Brackets in strings, block strings and comments do not count.
    let quoted = format!(
        "{{ tokenAuth(username: \"{0}\\\"{0}\", password: \"\"\"{0}\\\"\"\"{0}\"\"\") {{ token }} }} # {0}\n",
        "[".repeat(500)
    );
    assert_eq!(check_text(&quoted), Ok(()));
    assert!(async_graphql::parser::parse_query(&quoted).is_ok());
    // ...but a string does not hide what follows it.
    let after = format!(
        "{{ a(b: \"[[[\", c: {}1{}) }}",
        "[".repeat(200),
        "]".repeat(200)
    );
    assert_eq!(check_text(&after).unwrap_err().code, "QUERY_TOO_DEEP");
    let after_comment = format!("# \"\n{{ a(c: {}1{}) }}", "[".repeat(200), "]".repeat(200));
    assert_eq!(
        check_text(&after_comment).unwrap_err().code,
        "QUERY_TOO_DEEP"
    );
}

mod steps;
