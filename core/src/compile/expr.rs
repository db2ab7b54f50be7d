//! all / any / not, and the split of each rule into a base operator or its negation.

use super::{has, paths, Ctx, Scope};
use crate::ast::Op;
use crate::checked::{FieldPath, Pred, Test};

pub(super) fn pred(cx: &mut Ctx<'_>, p: &Pred, scope: &Scope) -> String {
    match p {
        Pred::All(items) => join(cx, items, scope, " AND ", "true"),
        Pred::Any(items) => join(cx, items, scope, " OR ", "false"),
        Pred::Not(inner) => format!("NOT ({})", pred(cx, inner, scope)),
        Pred::Test(t) => test(cx, t, scope),
        Pred::Compare(c) => super::compare::compare(cx, c, scope),
        Pred::MemberOf { group_id, .. } => has::member_of(cx, *group_id, scope),
        Pred::Has {
            relation,
            filter,
            count,
        } => has::has(cx, relation, filter.as_deref(), *count, scope),
    }
}

/// An empty list is the identity of its connective (`true` for all, `false` for any), which
/// is also what docs/reference/rules.md, "Semantics", asks for.
///
/// Postgres evaluates AND and OR left to right and stops at the first deciding operand, but
/// does not reorder them inside an expression: rules that read only the user's row go first,
/// so that `department = "Sales" and has enrollments …` runs the subquery for Sales only.
/// (Compiled rules never raise errors and have no side effects, so the order is free.)
fn join(cx: &mut Ctx<'_>, items: &[Pred], scope: &Scope, sep: &str, empty: &str) -> String {
    if items.is_empty() {
        return empty.to_string();
    }
    let mut ordered: Vec<&Pred> = items.iter().collect();
    ordered.sort_by_key(|p| cost(p));
    let parts: Vec<String> = ordered.into_iter().map(|p| pred(cx, p, scope)).collect();
    format!("({})", parts.join(sep))
}

/// A rough cost class: 0 reads the row in scope, 1 probes one index (member_of), 2 runs a
/// subquery for one row (custom fields, referenced users), 3 counts related rows (has).
fn cost(p: &Pred) -> u8 {
    match p {
        Pred::All(items) | Pred::Any(items) => items.iter().map(cost).max().unwrap_or(0),
        Pred::Not(inner) => cost(inner),
        Pred::Test(t) => path_cost(&t.field),
        Pred::Compare(c) => c.fields().map(path_cost).into_iter().max().unwrap_or(0),
        Pred::MemberOf { .. } => 1,
        Pred::Has { .. } => 3,
    }
}

fn path_cost(path: &FieldPath) -> u8 {
    match path {
        FieldPath::Column(_) => 0,
        _ => 2,
    }
}

/// A negated operator (`neq`, `not_in`, `is_empty`, …) is compiled as `NOT` of its base, so
/// that it is true exactly where the base is false, NULL values included: `base` compiles a
/// base operator.
pub(super) fn two_valued(op: Op, base: impl FnOnce(Op) -> String) -> String {
    match op.negation_of() {
        Some(positive) => format!("NOT ({})", base(positive)),
        None => base(op),
    }
}

pub(super) fn test(cx: &mut Ctx<'_>, t: &Test, scope: &Scope) -> String {
    two_valued(t.op, |op| paths::base(cx, &t.field, op, &t.operand, scope))
}
