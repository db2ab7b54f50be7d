//! The part of a predicate that the user's own row decides, in three-valued logic.
//!
//! Every rule that reads something other than the row (custom fields, referenced users,
//! `has`, `member of`) becomes SQL NULL, "unknown"; the rest compiles as usual (never NULL).
//! SQL's AND / OR / NOT are Kleene's connectives, so where the result is not NULL it is the
//! predicate's value whatever the unknown rules turn out to be. After an UPDATE that changed
//! only row columns, a user whose row part is the same non-NULL value on the old and the new
//! row kept their membership (`department = "Sales" and has enrollments` with a department
//! other than Sales before and after), and one whose row part went from a non-NULL value to
//! the other changed it, without running a single subquery.

use super::{expr, quote, Ctx, Scope};
use crate::catalog::Catalog;
use crate::checked::{FieldPath, Pred};

const UNKNOWN: &str = "NULL::boolean";

/// The row part of `pred` over the users row aliased `alias`: a boolean SQL expression with
/// no subquery, NULL where rules that read other rows decide.
pub fn row_part(pred: &Pred, catalog: &Catalog, alias: &str) -> String {
    let mut cx = Ctx::new(catalog);
    part(&mut cx, pred, &Scope::user(quote::alias(alias)))
}

/// Whether `row_part` of `pred` can be anything but NULL.
pub fn has_row_part(pred: &Pred) -> bool {
    match pred {
        Pred::All(items) | Pred::Any(items) => items.is_empty() || items.iter().any(has_row_part),
        Pred::Not(inner) => has_row_part(inner),
        Pred::Test(t) => matches!(t.field, FieldPath::Column(_)),
        Pred::MemberOf { .. } | Pred::Has { .. } => false,
    }
}

fn part(cx: &mut Ctx<'_>, p: &Pred, scope: &Scope) -> String {
    match p {
        Pred::All(items) => join(cx, items, scope, " AND ", "true"),
        Pred::Any(items) => join(cx, items, scope, " OR ", "false"),
        Pred::Not(inner) => format!("NOT ({})", part(cx, inner, scope)),
        Pred::Test(t) => match t.field {
            FieldPath::Column(_) => expr::test(cx, t, scope),
            _ => UNKNOWN.to_string(),
        },
        Pred::MemberOf { .. } | Pred::Has { .. } => UNKNOWN.to_string(),
    }
}

fn join(cx: &mut Ctx<'_>, items: &[Pred], scope: &Scope, sep: &str, empty: &str) -> String {
    if items.is_empty() {
        return empty.to_string();
    }
    let parts: Vec<String> = items.iter().map(|p| part(cx, p, scope)).collect();
    format!("({})", parts.join(sep))
}
