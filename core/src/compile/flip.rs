//! Which changed users a group must re-evaluate after an UPDATE of the users table.
//!
//! Membership was exact before the statement. If every rule that reads a changed column of
//! the user's *own* row has the same value on the old row as on the new one, the predicate
//! cannot have changed either: its other inputs (custom fields, relations, other groups,
//! other users) were not changed by this statement, or were maintained by their own
//! triggers. So an UPDATE that moves `level` from 4 to 7 leaves `level = 3` alone, and only
//! the users whose rules "flip" are evaluated in full.
//!
//! Rules that follow a reference (`manager.level`) read another row, whose old value the
//! statement's transition tables may not show: any of them touching a changed column makes
//! the group re-evaluate every changed user (`Flip::Always`).

use std::collections::BTreeSet;

use super::{expr, quote, Ctx, Scope};
use crate::catalog::Catalog;
use crate::checked::{FieldPath, Pred, Test};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flip {
    /// No rule of the user's own row reads a changed column.
    Never,
    /// Re-evaluate every user whose changed columns the group reads.
    Always,
    /// Re-evaluate the users for which this SQL condition over the new row (alias `new`)
    /// and the old row (alias `old`) is true.
    When(String),
}

/// The flip condition of `pred` for an UPDATE that changed `changed` (users columns).
pub fn flip_test(
    pred: &Pred,
    catalog: &Catalog,
    changed: &BTreeSet<String>,
    new: &str,
    old: &str,
) -> Flip {
    let mut atoms: Vec<&Test> = Vec::new();
    if walk(pred, false, changed, &mut atoms) {
        return Flip::Always;
    }
    if atoms.is_empty() {
        return Flip::Never;
    }
    let mut seen = BTreeSet::new();
    let mut parts = Vec::new();
    for test in atoms {
        let mut cx = Ctx::new(catalog);
        let n = expr::test(&mut cx, test, &Scope::user(quote::alias(new)));
        let mut cx = Ctx::new(catalog);
        let o = expr::test(&mut cx, test, &Scope::user(quote::alias(old)));
        let part = format!("({n}) IS DISTINCT FROM ({o})");
        if seen.insert(part.clone()) {
            parts.push(part);
        }
    }
    Flip::When(parts.join(" OR "))
}

/// Collects the own-row rules reading a changed column; true when a rule that cannot be
/// judged from the two rows reads one.
fn walk<'p>(
    pred: &'p Pred,
    in_relation: bool,
    changed: &BTreeSet<String>,
    atoms: &mut Vec<&'p Test>,
) -> bool {
    match pred {
        Pred::All(items) | Pred::Any(items) => {
            let mut always = false;
            for p in items {
                always |= walk(p, in_relation, changed, atoms);
            }
            always
        }
        Pred::Not(inner) => walk(inner, in_relation, changed, atoms),
        Pred::MemberOf { .. } => false,
        Pred::Has { filter, .. } => filter
            .as_deref()
            .is_some_and(|f| walk(f, true, changed, atoms)),
        Pred::Test(t) => match &t.field {
            FieldPath::Column(c) => {
                if !in_relation && changed.contains(&c.name) {
                    atoms.push(t);
                }
                false
            }
            FieldPath::Custom(_) => false,
            FieldPath::Reference { .. } => reads_changed(&t.field, changed),
        },
    }
}

/// Whether a reference path reads a changed column anywhere along the way (conservative: a
/// user may be their own manager, so the inner column counts too).
fn reads_changed(path: &FieldPath, changed: &BTreeSet<String>) -> bool {
    match path {
        FieldPath::Column(c) => changed.contains(&c.name),
        FieldPath::Custom(_) => false,
        FieldPath::Reference { reference, inner } => {
            changed.contains(&reference.column) || reads_changed(inner, changed)
        }
    }
}
