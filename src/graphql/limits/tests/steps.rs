//! The check's own cost: it stops after its budget of steps, and its steps
//! are linear in the document for every family of attack and for random
//! documents (fragments nested, repeated, missing or cyclic).

use proptest::prelude::*;

use super::*;

#[test]
fn the_check_stops_after_its_budget_of_steps() {
    let doc = parse(&format!("{{ me {{ {} }} }}", "id ".repeat(150)));
    let (result, stats) = check_within(&doc, None, &Limits::default(), 100);
    let e = result.unwrap_err();
    assert_eq!(e.code, "QUERY_TOO_COMPLEX");
    assert!(e.message.contains("too large to check"), "{}", e.message);
    assert_eq!(stats.visits, 101);
    assert_eq!(check_within(&doc, None, &Limits::default(), 1000).0, Ok(()));
}

/// Documents built to cost more than their size, at growing sizes up to
/// the 64 KiB body limit.
type Family = (&'static str, Box<dyn Fn(usize) -> String>);

fn attack_families() -> Vec<Family> {
    vec![
        ("bomb", Box::new(|n| bomb(n, "__typename"))),
        ("unknown bomb", Box::new(|n| bomb(n, "...Missing"))),
        (
            "introspection bomb",
            Box::new(|n| bomb(n, "__schema { queryType { name } }")),
        ),
        (
            "directives",
            Box::new(|n| format!("{{ me {} {{ id }} }}", "@skip(if: false) ".repeat(n))),
        ),
        (
            "arguments",
            Box::new(|n| format!("{{ {} }}", "users(limit: 1, limit: 1) { id } ".repeat(n))),
        ),
        (
            "variables",
            Box::new(|n| {
                format!(
                    "query({}) {{ me {{ id }} }}",
                    (0..n).map(|i| format!("$v{i}: Int ")).collect::<String>()
                )
            }),
        ),
        (
            "unused fragments",
            Box::new(|n| {
                format!(
                    "{{ me {{ id }} }} {}",
                    (0..n)
                        .map(|i| format!("fragment F{i} on Query {{ me {{ id }} }} "))
                        .collect::<String>()
                )
            }),
        ),
        (
            "operations",
            Box::new(|n| {
                (0..n)
                    .map(|i| format!("query Q{i} {{ me {{ id }} }} "))
                    .collect()
            }),
        ),
        (
            "same-name fields",
            Box::new(|n| format!("{{ me {{ {} }} }}", "id ".repeat(n))),
        ),
        (
            "nested lists",
            Box::new(|n| format!("{{ users(limit: [{}]) {{ id }} }}", "[[[[1]]]] ".repeat(n))),
        ),
        (
            "chain",
            Box::new(|n| {
                let mut q = format!("{{ ...F{n} }} fragment F0 on Query {{ __typename }} ");
                for k in 1..=n {
                    q += &format!("fragment F{k} on Query {{ ...F{} }} ", k - 1);
                }
                q
            }),
        ),
        (
            "operations x variables",
            Box::new(|n| {
                let mut q = format!(
                    "fragment F on Query {{ users(limit: [{}]) {{ id }} }} ",
                    "$v ".repeat(n)
                );
                for i in 0..n / 4 {
                    q += &format!("query Q{i}($v: Int) {{ ...F }} ");
                }
                q
            }),
        ),
    ]
}

#[test]
fn the_check_takes_steps_linear_in_the_document_for_every_attack_family() {
    for (name, family) in attack_families() {
        let mut n = 4;
        loop {
            let q = family(n);
            if q.len() > 64 * 1024 {
                break;
            }
            if let Ok(doc) = async_graphql::parser::parse_query(&q) {
                let (_, stats) = check_with_stats(&doc, None, &Limits::default());
                assert!(
                    stats.visits <= 4 * q.len() as u64,
                    "{name}: {} visits for {} bytes",
                    stats.visits,
                    q.len()
                );
            }
            n *= 2;
        }
    }
}

/// A random selection set over a few field names, with aliases,
/// arguments, directives, inline fragments and spreads of `F0..F{k}`
/// (some of which may not exist, or spread each other in a cycle).
fn selection_set(fragments: usize) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("id".to_owned()),
        Just("a: id".to_owned()),
        Just("__typename".to_owned()),
        Just("users(limit: [1, [2, $v]]) { id }".to_owned()),
        Just("me @include(if: $v) { id }".to_owned()),
        Just("__type(name: \"User\") { name }".to_owned()),
        (0..fragments + 2).prop_map(|i| format!("...F{i}")),
    ];
    leaf.prop_recursive(4, 48, 6, move |inner| {
        let items = prop::collection::vec(inner, 1..6).prop_map(|v| v.join(" "));
        prop_oneof![
            items.clone().prop_map(|s| format!("me {{ {s} }}")),
            items
                .clone()
                .prop_map(|s| format!("x: __schema {{ types {{ {s} }} }}")),
            items
                .clone()
                .prop_map(|s| format!("... on Query {{ {s} }}")),
            (items, 0..fragments + 2).prop_map(|(s, i)| format!("{s} ...F{i} ...F{i}")),
        ]
    })
}

fn document() -> impl Strategy<Value = String> {
    (1usize..12).prop_flat_map(|k| {
        (
            prop::collection::vec(selection_set(k), k),
            prop::collection::vec(selection_set(k), 1..3),
            any::<bool>(),
        )
            .prop_map(move |(fragments, operations, mutation)| {
                let mut q = String::new();
                for (i, set) in operations.iter().enumerate() {
                    let ty = if mutation { "mutation" } else { "query" };
                    q += &format!("{ty} Q{i} {{ {set} }} ");
                }
                for (i, set) in fragments.iter().enumerate() {
                    q += &format!("fragment F{i} on Query {{ {set} }} ");
                }
                q
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Whatever the document (spreads nested, repeated, missing or
    /// cyclic), the check's steps are bounded by its length.
    #[test]
    fn the_check_takes_steps_linear_in_the_document(q in document()) {
        let doc = async_graphql::parser::parse_query(&q).unwrap();
        for operation in [None, Some("Q0")] {
            let (_, stats) = check_with_stats(&doc, operation, &Limits::default());
            prop_assert!(
                stats.visits <= 4 * q.len() as u64,
                "{} visits for {} bytes: {}", stats.visits, q.len(), q
            );
        }
    }
}
