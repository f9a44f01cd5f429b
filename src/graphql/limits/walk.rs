//! The walk over a parsed document: each fragment walked once, in
//! dependency order after a search for unknown fragments and cycles, its
//! cost (fields, aliases, depth, password checks, introspection, size once
//! expanded) kept and added at every spread.

use std::collections::HashMap;

use async_graphql::parser::types::{
    Directive, DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};

use super::{
    exceeded, expansion_allowance, operation_limits, Exceeded, Limits, Stats, MAX_ARGUMENTS,
    PASSWORD_FIELDS,
};

pub(super) fn check_within(
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
pub(super) struct Cost {
    /// Fields outside introspection.
    pub(super) fields: u64,
    /// Aliased fields outside introspection.
    pub(super) aliases: u64,
    /// `__schema` and `__type` fields and every field below them.
    pub(super) introspection_fields: u64,
    pub(super) introspection_aliases: u64,
    /// Password-checking fields at this set's own level.
    pub(super) password_checks: u64,
    /// Nesting of the deepest field outside introspection, this set's own
    /// fields being at 1 (0: none).
    pub(super) depth: u64,
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
