//! all / any / not, and the split of each rule into a base operator or its negation.

use super::{has, paths, Ctx, Scope};
use crate::checked::{Pred, Test};

pub(super) fn pred(cx: &mut Ctx<'_>, p: &Pred, scope: &Scope) -> String {
    match p {
        Pred::All(items) => join(cx, items, scope, " AND ", "true"),
        Pred::Any(items) => join(cx, items, scope, " OR ", "false"),
        Pred::Not(inner) => format!("NOT ({})", pred(cx, inner, scope)),
        Pred::Test(t) => test(cx, t, scope),
        Pred::MemberOf { group_id, .. } => has::member_of(cx, *group_id, scope),
        Pred::Has {
            relation,
            filter,
            count,
        } => has::has(cx, relation, filter.as_deref(), *count, scope),
    }
}

/// An empty list is the identity of its connective (`true` for all, `false` for any), which
/// is also what SPEC 3 asks for.
fn join(cx: &mut Ctx<'_>, items: &[Pred], scope: &Scope, sep: &str, empty: &str) -> String {
    if items.is_empty() {
        return empty.to_string();
    }
    let parts: Vec<String> = items.iter().map(|p| pred(cx, p, scope)).collect();
    format!("({})", parts.join(sep))
}

/// A negated operator (`neq`, `not_in`, `is_empty`, …) is compiled as `NOT` of its base, so
/// that it is true exactly where the base is false, NULL values included.
pub(super) fn test(cx: &mut Ctx<'_>, t: &Test, scope: &Scope) -> String {
    match t.op.negation_of() {
        Some(base) => format!(
            "NOT ({})",
            paths::base(cx, &t.field, base, &t.operand, scope)
        ),
        None => paths::base(cx, &t.field, t.op, &t.operand, scope),
    }
}
