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
//!
//! Here: the limits and the checks' entry points. The text pre-check is in
//! `limits/text.rs`; the walk over the parsed document (fragment graph,
//! costs, introspection counted apart) in `limits/walk.rs`.

mod text;
mod walk;

use async_graphql::parser::types::{ExecutableDocument, OperationType};

pub use crate::config::GraphqlLimits as Limits;
pub use text::{check_text, MAX_NAME_CHARS, MAX_NESTING};
use walk::{check_within, Cost};

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

/// Root fields of a mutation that verify or hash a password, or check a
/// second-factor code (each a guess, counted like a password's).
const PASSWORD_FIELDS: &[&str] = &[
    "tokenAuth",
    "createUser",
    "userCreate",
    "changePassword",
    "passwordReset",
    "requestEmailChange",
    "deleteMe",
    "tokenAuthMfa",
    "reauthenticate",
    "mfaTotpConfirm",
    "mfaTotpDisable",
    "mfaRecoveryCodesRegenerate",
];

/// Most arguments on one field or directive (a field of this schema takes at
/// most a handful; async-graphql compares the arguments of two fields with
/// the same response key pairwise).
pub const MAX_ARGUMENTS: usize = 64;

/// Most steps one check may take (a 64 KiB document takes well under a
/// tenth of this).
pub const MAX_VISITS: u64 = 1 << 22;

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
                "At most {} of tokenAuth, tokenAuthMfa, reauthenticate, createUser, userCreate, changePassword, passwordReset, requestEmailChange, deleteMe, mfaTotpConfirm, mfaTotpDisable and mfaRecoveryCodesRegenerate may run per request.",
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
mod tests;
