//! Request limits checked on the parsed document before execution: depth,
//! field count (complexity), aliases, and password checks per request.
//!
//! async-graphql 7 has depth and complexity limits but no alias limit, and
//! its limits also apply to introspection (breaking GraphiQL). Counting here
//! lets introspection (`__schema`, `__type`) through unlimited, since the SDL
//! is public, while bounding what reaches the resolvers.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};

pub use crate::config::GraphqlLimits as Limits;

/// A limit broken, with a stable code.
#[derive(Debug, PartialEq, Eq)]
pub struct Exceeded {
    pub code: &'static str,
    pub message: String,
}

/// Root fields that verify or hash a password.
const PASSWORD_FIELDS: &[&str] = &["tokenAuth", "createUser", "userCreate", "changePassword"];

#[derive(Default)]
struct Tally {
    fields: usize,
    aliases: usize,
    password_checks: usize,
}

/// Checks the operation that will run (by name, or the only one).
/// An unknown operation name passes: execution reports it.
pub fn check(
    doc: &ExecutableDocument,
    operation: Option<&str>,
    limits: &Limits,
) -> Result<(), Exceeded> {
    let op: Option<&OperationDefinition> = match (&doc.operations, operation) {
        (DocumentOperations::Single(op), _) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| &op.node)
        }
        _ => None,
    };
    let Some(op) = op else { return Ok(()) };
    let mut tally = Tally::default();
    let mut stack = Vec::new();
    walk(
        doc,
        &op.selection_set.node,
        1,
        true,
        limits,
        &mut tally,
        &mut stack,
    )
}

fn walk<'a>(
    doc: &'a ExecutableDocument,
    set: &'a SelectionSet,
    depth: usize,
    root: bool,
    limits: &Limits,
    tally: &mut Tally,
    fragments: &mut Vec<&'a str>,
) -> Result<(), Exceeded> {
    for item in &set.items {
        match &item.node {
            Selection::Field(field) => {
                let field = &field.node;
                let name = field.name.node.as_str();
                if name == "__schema" || name == "__type" {
                    continue;
                }
                if depth > limits.max_depth {
                    return Err(Exceeded {
                        code: "QUERY_TOO_DEEP",
                        message: format!(
                            "The query is nested deeper than {} levels.",
                            limits.max_depth
                        ),
                    });
                }
                tally.fields += 1;
                if tally.fields > limits.max_fields {
                    return Err(Exceeded {
                        code: "QUERY_TOO_COMPLEX",
                        message: format!(
                            "The query selects more than {} fields.",
                            limits.max_fields
                        ),
                    });
                }
                if field.alias.is_some() {
                    tally.aliases += 1;
                    if tally.aliases > limits.max_aliases {
                        return Err(Exceeded {
                            code: "TOO_MANY_ALIASES",
                            message: format!(
                                "The query uses more than {} aliases.",
                                limits.max_aliases
                            ),
                        });
                    }
                }
                if root && PASSWORD_FIELDS.contains(&name) {
                    tally.password_checks += 1;
                    if tally.password_checks > limits.max_password_checks {
                        return Err(Exceeded {
                            code: "TOO_MANY_PASSWORD_CHECKS",
                            message: format!(
                                "At most {} of tokenAuth, createUser, userCreate and changePassword may run per request.",
                                limits.max_password_checks
                            ),
                        });
                    }
                }
                walk(
                    doc,
                    &field.selection_set.node,
                    depth + 1,
                    false,
                    limits,
                    tally,
                    fragments,
                )?;
            }
            Selection::InlineFragment(f) => {
                walk(
                    doc,
                    &f.node.selection_set.node,
                    depth,
                    root,
                    limits,
                    tally,
                    fragments,
                )?;
            }
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                // A cycle is a validation error reported later; do not loop on it.
                if fragments.contains(&name) {
                    continue;
                }
                let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) else {
                    continue;
                };
                fragments.push(name);
                walk(
                    doc,
                    &fragment.node.selection_set.node,
                    depth,
                    root,
                    limits,
                    tally,
                    fragments,
                )?;
                fragments.pop();
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(q: &str) -> Result<(), Exceeded> {
        let doc = async_graphql::parser::parse_query(q).unwrap();
        check(&doc, None, &Limits::default())
    }

    fn code(q: &str) -> Option<&'static str> {
        run(q).err().map(|e| e.code)
    }

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
    }

    #[test]
    fn deep_and_wide_queries_are_refused() {
        let deep = format!("{{ {}id{} }}", "me { ".repeat(13), " }".repeat(13));
        assert_eq!(code(&deep), Some("QUERY_TOO_DEEP"));
        let wide = format!("{{ me {{ {} }} }}", "id ".repeat(201));
        assert_eq!(code(&wide), Some("QUERY_TOO_COMPLEX"));
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
    fn introspection_is_never_limited() {
        let q = format!(
            "{{ __schema {{ types {{ {} }} }} }}",
            "fields { type { ofType { ofType { ofType { name } } } } } ".repeat(50)
        );
        assert_eq!(code(&q), None);
    }

    #[test]
    fn a_fragment_cycle_does_not_loop() {
        assert_eq!(
            code("{ ...A } fragment A on Query { ...A me { id } }"),
            None
        );
    }
}
