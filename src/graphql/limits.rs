//! Request limits checked before execution: on the query text before it is
//! parsed ([`check_text`]), then on the parsed document ([`check`]): depth,
//! field count (complexity), aliases, password checks per request, and
//! introspection with its own, larger caps.
//!
//! async-graphql 7 has depth and complexity limits but no alias limit, and
//! its limits also apply to introspection (breaking GraphiQL). So the
//! counting is done here, and every step of it is linear in the document:
//!
//! * Each fragment is walked once. Its tallies (fields, aliases, depth below
//!   it, password-checking fields at its top level, introspection fields and
//!   aliases, and its size once expanded) are kept and added at every spread
//!   with saturating arithmetic, so `fragment F2 on Query { ...F1 ...F1 }`
//!   chains cost their length to check, however much they expand to.
//! * Unknown fragments and fragment cycles are refused here (a linear
//!   depth-first search with colours over the fragment graph), not left to
//!   async-graphql, whose own walks (`limit_recursive_depth`, validation)
//!   expand every spread of every operation and fragment without memo.
//! * For the same reason the whole document counts, not only the operation
//!   that runs: spreads may enlarge the document, once expanded, by at most
//!   [`expansion_allowance`] nodes; this also bounds the validation rules
//!   that revisit a fragment's variables for every operation spreading it.
//! * The walk stops after [`MAX_VISITS`] steps.
//! * Before parsing, brackets may nest at most [`MAX_NESTING`] deep: the
//!   parser recurses on nested lists and objects without a limit and
//!   overflowed the stack on some 2,000 nested `[` (4 KB of text).

use std::collections::HashMap;

use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};

pub use crate::config::GraphqlLimits as Limits;

/// A limit broken, with a stable code.
#[derive(Debug, PartialEq, Eq)]
pub struct Exceeded {
    pub code: &'static str,
    pub message: String,
}

fn exceeded(code: &'static str, message: String) -> Exceeded {
    Exceeded { code, message }
}

/// What a check cost, for tests and measurements.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Steps taken: document nodes walked (each once) plus steps over the
    /// fragment graph.
    pub visits: u64,
}

/// Root fields of a mutation that verify or hash a password.
const PASSWORD_FIELDS: &[&str] = &["tokenAuth", "createUser", "userCreate", "changePassword"];

/// Deepest nesting of `{`, `[` and `(` in a query text (GraphiQL's own
/// introspection query nests 10 deep; a selection set may not nest more than
/// 64 deep in the parser anyway).
pub const MAX_NESTING: usize = 128;

/// Most arguments on one field or directive (a field of this schema takes at
/// most a handful; async-graphql compares the arguments of two fields with
/// the same response key pairwise).
pub const MAX_ARGUMENTS: usize = 64;

/// Most steps one check may take (a 64 KiB document takes well under a
/// tenth of this).
pub const MAX_VISITS: u64 = 1 << 22;

/// Checks a query text before it is parsed: brackets outside strings and
/// comments may nest at most [`MAX_NESTING`] deep. One pass, no recursion.
pub fn check_text(text: &str) -> Result<(), Exceeded> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() {
                    if bytes[i..].starts_with(b"\\\"\"\"") {
                        i += 4;
                    } else if bytes[i..].starts_with(b"\"\"\"") {
                        i += 3;
                        break;
                    } else {
                        i += 1;
                    }
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 2,
                        b'"' => {
                            i += 1;
                            break;
                        }
                        b'\n' | b'\r' => break,
                        _ => i += 1,
                    }
                }
                continue;
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(exceeded(
                        "QUERY_TOO_DEEP",
                        format!("The query nests brackets deeper than {MAX_NESTING} levels."),
                    ));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => {
                // A name (or number): errors repeat names from the
                // document, so none may be longer than a name needs.
                let start = i;
                while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
                    i += 1;
                }
                if i - start > MAX_NAME_CHARS {
                    return Err(exceeded(
                        "NAME_TOO_LONG",
                        format!("A name in the query is longer than {MAX_NAME_CHARS} characters."),
                    ));
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// The longest name (or number) a document may hold. Error messages repeat
/// names (`Unknown field "…"`); the attack review sent a 60,000-character
/// one and got it back whole.
pub const MAX_NAME_CHARS: usize = 128;

/// How much larger fragment spreads may make a whole document once
/// expanded, in nodes (fields, spreads, inline fragments, arguments,
/// directives, values): four times what one operation may select.
pub fn expansion_allowance(limits: &Limits) -> u64 {
    (limits.max_fields as u64)
        .saturating_add(limits.max_introspection_fields as u64)
        .saturating_mul(4)
}

/// Checks the document: all of it for unknown fragments, cycles and
/// expansion, and the operation that will run (by name, or the only one)
/// against the per-operation limits. An unknown operation name passes those:
/// execution reports it.
pub fn check(
    doc: &ExecutableDocument,
    operation: Option<&str>,
    limits: &Limits,
) -> Result<(), Exceeded> {
    check_with_stats(doc, operation, limits).0
}

/// [`check`], also telling how many steps it took.
pub fn check_with_stats(
    doc: &ExecutableDocument,
    operation: Option<&str>,
    limits: &Limits,
) -> (Result<(), Exceeded>, Stats) {
    check_within(doc, operation, limits, MAX_VISITS)
}

fn check_within(
    doc: &ExecutableDocument,
    operation: Option<&str>,
    limits: &Limits,
    budget: u64,
) -> (Result<(), Exceeded>, Stats) {
    let mut walk = Walk {
        index: HashMap::with_capacity(doc.fragments.len()),
        costs: Vec::with_capacity(doc.fragments.len()),
        visits: 0,
        budget,
        written: 0,
    };
    let result = walk.document(doc, operation, limits);
    (
        result,
        Stats {
            visits: walk.visits,
        },
    )
}

/// What a selection set asks for once its fragment spreads are expanded.
#[derive(Clone, Copy, Debug, Default)]
struct Cost {
    /// Fields outside introspection.
    fields: u64,
    /// Aliased fields outside introspection.
    aliases: u64,
    /// `__schema` and `__type` fields and every field below them.
    introspection_fields: u64,
    introspection_aliases: u64,
    /// Password-checking fields at this set's own level.
    password_checks: u64,
    /// Nesting of the deepest field outside introspection, this set's own
    /// fields being at 1 (0: none).
    depth: u64,
    /// Nodes once expanded: what async-graphql's own walks visit.
    nodes: u64,
}

impl Cost {
    /// Adds a set that sits at the same level (an inline fragment or a
    /// fragment spread).
    fn add_level(&mut self, other: &Cost) {
        self.fields = self.fields.saturating_add(other.fields);
        self.aliases = self.aliases.saturating_add(other.aliases);
        self.introspection_fields = self
            .introspection_fields
            .saturating_add(other.introspection_fields);
        self.introspection_aliases = self
            .introspection_aliases
            .saturating_add(other.introspection_aliases);
        self.password_checks = self.password_checks.saturating_add(other.password_checks);
        self.depth = self.depth.max(other.depth);
        self.nodes = self.nodes.saturating_add(other.nodes);
    }
}

/// The colour of a fragment in the depth-first search for cycles.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Colour {
    /// Not reached yet.
    White,
    /// On the current path.
    Grey,
    /// Done: it and everything it spreads.
    Black,
}

struct Walk<'a> {
    /// Fragment name to its position in `doc.fragments`' iteration order.
    index: HashMap<&'a str, usize>,
    /// Each fragment's cost, in the same order; `None` until computed.
    costs: Vec<Option<Cost>>,
    visits: u64,
    /// Steps allowed.
    budget: u64,
    /// Nodes as written: the sum of every definition's own nodes.
    written: u64,
}

impl<'a> Walk<'a> {
    fn step(&mut self, n: u64) -> Result<(), Exceeded> {
        self.visits = self.visits.saturating_add(n);
        if self.visits > self.budget {
            return Err(exceeded(
                "QUERY_TOO_COMPLEX",
                "The document is too large to check.".into(),
            ));
        }
        Ok(())
    }

    fn document(
        &mut self,
        doc: &'a ExecutableDocument,
        operation: Option<&str>,
        limits: &Limits,
    ) -> Result<(), Exceeded> {
        let fragments: Vec<(&'a Name, &'a SelectionSet)> = doc
            .fragments
            .iter()
            .map(|(name, f)| (name, &f.node.selection_set.node))
            .collect();
        for (i, (name, _)) in fragments.iter().enumerate() {
            self.step(1)?;
            self.index.insert(name.as_str(), i);
        }
        self.costs = vec![None; fragments.len()];

        // The fragment graph: whom each fragment spreads.
        let mut edges = Vec::with_capacity(fragments.len());
        for (_, set) in &fragments {
            let mut out = Vec::new();
            self.spreads(set, &mut out)?;
            edges.push(out);
        }

        // Depth-first, with colours and an explicit stack: a cycle is met as
        // a grey fragment; the finishing order puts every fragment after
        // those it spreads.
        let mut colour = vec![Colour::White; fragments.len()];
        let mut order = Vec::with_capacity(fragments.len());
        for start in 0..fragments.len() {
            if colour[start] != Colour::White {
                continue;
            }
            colour[start] = Colour::Grey;
            let mut stack = vec![(start, 0usize)];
            while let Some(top) = stack.last_mut() {
                self.step(1)?;
                let (node, next) = *top;
                match edges[node].get(next) {
                    Some(&child) => {
                        top.1 += 1;
                        match colour[child] {
                            Colour::White => {
                                colour[child] = Colour::Grey;
                                stack.push((child, 0));
                            }
                            Colour::Grey => return Err(cycle(fragments[child].0)),
                            Colour::Black => {}
                        }
                    }
                    None => {
                        colour[node] = Colour::Black;
                        order.push(node);
                        stack.pop();
                    }
                }
            }
        }

        let mut expanded: u64 = 0;
        for i in order {
            let cost = self.cost(fragments[i].1)?;
            expanded = expanded.saturating_add(cost.nodes);
            self.costs[i] = Some(cost);
        }

        let mut run = None;
        for (name, op) in doc.operations.iter() {
            let cost = self.cost(&op.node.selection_set.node)?;
            expanded = expanded.saturating_add(cost.nodes);
            let selected = match (&doc.operations, operation) {
                (DocumentOperations::Single(_), _) => true,
                (DocumentOperations::Multiple(_), Some(wanted)) => {
                    name.is_some_and(|n| n.as_str() == wanted)
                }
                (DocumentOperations::Multiple(ops), None) => ops.len() == 1,
            };
            if selected {
                run = Some((op.node.ty, cost));
            }
        }

        if let Some((ty, cost)) = run {
            operation_limits(ty, &cost, limits)?;
        }

        let allowance = expansion_allowance(limits);
        if expanded.saturating_sub(self.written) > allowance {
            return Err(exceeded(
                "QUERY_TOO_COMPLEX",
                format!(
                    "Fragment spreads make the document more than {allowance} nodes larger once expanded."
                ),
            ));
        }
        Ok(())
    }

    /// Collects the fragments `set` spreads (not following them).
    fn spreads(&mut self, set: &'a SelectionSet, out: &mut Vec<usize>) -> Result<(), Exceeded> {
        for item in &set.items {
            self.step(1)?;
            match &item.node {
                Selection::Field(field) => self.spreads(&field.node.selection_set.node, out)?,
                Selection::InlineFragment(f) => self.spreads(&f.node.selection_set.node, out)?,
                Selection::FragmentSpread(spread) => {
                    out.push(self.fragment(&spread.node.fragment_name.node)?);
                }
            }
        }
        Ok(())
    }

    fn fragment(&self, name: &Name) -> Result<usize, Exceeded> {
        self.index.get(name.as_str()).copied().ok_or_else(|| {
            exceeded(
                "UNKNOWN_FRAGMENT",
                format!("The document spreads an unknown fragment `{name}`."),
            )
        })
    }

    /// The cost of `set`, reading the costs of the fragments it spreads
    /// (which must be known: the caller goes in dependency order).
    fn cost(&mut self, set: &'a SelectionSet) -> Result<Cost, Exceeded> {
        let mut cost = Cost::default();
        for item in &set.items {
            self.step(1)?;
            self.written = self.written.saturating_add(1);
            match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let own =
                        self.arguments(&field.arguments)? + self.directives(&field.directives)?;
                    let below = self.cost(&field.selection_set.node)?;
                    let name = field.name.node.as_str();
                    let alias = u64::from(field.alias.is_some());
                    cost.nodes = cost
                        .nodes
                        .saturating_add(1 + own)
                        .saturating_add(below.nodes);
                    if name == "__schema" || name == "__type" {
                        // Everything below introspection is introspection.
                        let fields = below.fields.saturating_add(below.introspection_fields);
                        let aliases = below.aliases.saturating_add(below.introspection_aliases);
                        cost.introspection_fields = cost
                            .introspection_fields
                            .saturating_add(1)
                            .saturating_add(fields);
                        cost.introspection_aliases = cost
                            .introspection_aliases
                            .saturating_add(alias)
                            .saturating_add(aliases);
                    } else {
                        cost.fields = cost.fields.saturating_add(1).saturating_add(below.fields);
                        cost.aliases = cost
                            .aliases
                            .saturating_add(alias)
                            .saturating_add(below.aliases);
                        cost.introspection_fields = cost
                            .introspection_fields
                            .saturating_add(below.introspection_fields);
                        cost.introspection_aliases = cost
                            .introspection_aliases
                            .saturating_add(below.introspection_aliases);
                        cost.depth = cost.depth.max(below.depth.saturating_add(1));
                        if PASSWORD_FIELDS.contains(&name) {
                            cost.password_checks = cost.password_checks.saturating_add(1);
                        }
                    }
                }
                Selection::InlineFragment(f) => {
                    let own = self.directives(&f.node.directives)?;
                    let inner = self.cost(&f.node.selection_set.node)?;
                    cost.nodes = cost.nodes.saturating_add(1 + own);
                    cost.add_level(&inner);
                }
                Selection::FragmentSpread(spread) => {
                    let own = self.directives(&spread.node.directives)?;
                    let name = &spread.node.fragment_name.node;
                    let i = self.fragment(name)?;
                    // Unreachable after the search above, but never loop.
                    let inner = self.costs[i].ok_or_else(|| cycle(name))?;
                    cost.nodes = cost.nodes.saturating_add(1 + own);
                    cost.add_level(&inner);
                }
            }
        }
        Ok(cost)
    }

    fn directives(&mut self, directives: &'a [Positioned<Directive>]) -> Result<u64, Exceeded> {
        let mut nodes = 0u64;
        for d in directives {
            self.step(1)?;
            self.written = self.written.saturating_add(1);
            nodes = nodes
                .saturating_add(1)
                .saturating_add(self.arguments(&d.node.arguments)?);
        }
        Ok(nodes)
    }

    /// Nodes in an argument list: each argument and each node of its value.
    fn arguments<V: serde::Serialize>(
        &mut self,
        arguments: &'a [(Positioned<Name>, Positioned<V>)],
    ) -> Result<u64, Exceeded> {
        if arguments.len() > MAX_ARGUMENTS {
            return Err(exceeded(
                "QUERY_TOO_COMPLEX",
                format!("A field or directive has more than {MAX_ARGUMENTS} arguments."),
            ));
        }
        let mut nodes = 0u64;
        for (_, value) in arguments {
            let n = value_nodes(&value.node);
            self.step(n)?;
            nodes = nodes.saturating_add(1).saturating_add(n);
        }
        self.written = self.written.saturating_add(nodes);
        Ok(nodes)
    }
}

/// Nodes in an argument's value (lists, objects, and their items; a
/// variable is one). The parser's value type is not exported by
/// async-graphql; it is read through its `Serialize`, then walked without
/// recursion.
fn value_nodes<V: serde::Serialize>(value: &V) -> u64 {
    let Ok(value) = serde_json::to_value(value) else {
        return 1;
    };
    let mut nodes = 0u64;
    let mut stack = vec![&value];
    while let Some(v) = stack.pop() {
        nodes = nodes.saturating_add(1);
        match v {
            serde_json::Value::Array(items) => stack.extend(items),
            serde_json::Value::Object(map) => stack.extend(map.values()),
            _ => {}
        }
    }
    nodes
}

fn cycle(name: &Name) -> Exceeded {
    exceeded(
        "FRAGMENT_CYCLE",
        format!("The fragment `{name}` spreads itself, directly or through other fragments."),
    )
}

/// The per-operation limits, on the expanded cost of the operation that runs.
fn operation_limits(ty: OperationType, cost: &Cost, limits: &Limits) -> Result<(), Exceeded> {
    let over = |n: u64, max: usize| n > max as u64;
    if over(cost.depth, limits.max_depth) {
        return Err(exceeded(
            "QUERY_TOO_DEEP",
            format!(
                "The query is nested deeper than {} levels.",
                limits.max_depth
            ),
        ));
    }
    // Only at a mutation's root: that is where these fields check passwords.
    if ty == OperationType::Mutation && over(cost.password_checks, limits.max_password_checks) {
        return Err(exceeded(
            "TOO_MANY_PASSWORD_CHECKS",
            format!(
                "At most {} of tokenAuth, createUser, userCreate and changePassword may run per request.",
                limits.max_password_checks
            ),
        ));
    }
    if over(cost.aliases, limits.max_aliases) {
        return Err(exceeded(
            "TOO_MANY_ALIASES",
            format!("The query uses more than {} aliases.", limits.max_aliases),
        ));
    }
    if over(cost.fields, limits.max_fields) {
        return Err(exceeded(
            "QUERY_TOO_COMPLEX",
            format!("The query selects more than {} fields.", limits.max_fields),
        ));
    }
    if over(cost.introspection_aliases, limits.max_introspection_aliases) {
        return Err(exceeded(
            "TOO_MANY_INTROSPECTION_ALIASES",
            format!(
                "The query uses more than {} aliases in introspection.",
                limits.max_introspection_aliases
            ),
        ));
    }
    if over(cost.introspection_fields, limits.max_introspection_fields) {
        return Err(exceeded(
            "INTROSPECTION_TOO_COMPLEX",
            format!(
                "The query selects more than {} introspection fields.",
                limits.max_introspection_fields
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use proptest::prelude::*;

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
        let one = format!(
            "fragment F on Query {{ users(limit: [{vars}]) {{ id }} }} query Q0 {{ ...F }}"
        );
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
    fn the_check_stops_after_its_budget_of_steps() {
        let doc = parse(&format!("{{ me {{ {} }} }}", "id ".repeat(150)));
        let (result, stats) = check_within(&doc, None, &Limits::default(), 100);
        let e = result.unwrap_err();
        assert_eq!(e.code, "QUERY_TOO_COMPLEX");
        assert!(e.message.contains("too large to check"), "{}", e.message);
        assert_eq!(stats.visits, 101);
        assert_eq!(check_within(&doc, None, &Limits::default(), 1000).0, Ok(()));
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
}
