//! Which changed users a group must re-evaluate after an UPDATE of the users table.
//!
//! Membership was exact before the statement. If every rule that reads a changed column of
//! the user's *own* row has the same value on the old row as on the new one, the predicate
//! cannot have changed either: its other inputs (custom fields, relations, other groups,
//! other users) were not changed by this statement, or were maintained by their own
//! triggers. So an UPDATE that moves `level` from 4 to 7 leaves `level = 3` alone, and only
//! the users whose rules "flip" are evaluated in full.
//!
//! A relative-time rule (`within last`) on a changed column also flips for a user whose old
//! value crossed one of its boundaries since `since` (no later than the groups' last time
//! refresh): the stored membership reflects the boundaries applied so far, not the old row as
//! of now, and no later refresh looks for a value that is gone. A user whose old value had
//! just left the window and whose new value is outside too must still leave.
//!
//! Rules that follow a reference (`manager.level`) read another row. A changed reference
//! column (`manager_id`) makes the group re-evaluate every changed user (`Flip::Always`): the
//! old row's manager may have changed too. A changed column read *on* the referenced user
//! changes the membership of the users referring to the changed ones (`via_reference`), who
//! are found through the reference column (a user who is their own manager among them).

use std::collections::BTreeSet;

use super::{expr, quote, Ctx, Scope};
use crate::catalog::Catalog;
use crate::checked::{Compare, FieldPath, Pred, Test};

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

/// Whether a rule reads a changed column on a referenced user: then the users referring to
/// the changed ones must be re-evaluated.
pub fn reads_via_reference(pred: &Pred, changed: &BTreeSet<String>) -> bool {
    match pred {
        Pred::All(items) | Pred::Any(items) => {
            items.iter().any(|p| reads_via_reference(p, changed))
        }
        Pred::Not(inner) => reads_via_reference(inner, changed),
        Pred::MemberOf { .. } => false,
        Pred::Has { filter, .. } => filter
            .as_deref()
            .is_some_and(|f| reads_via_reference(f, changed)),
        Pred::Test(t) => via_reference(&t.field, changed),
        Pred::Compare(c) => c.fields().iter().any(|f| via_reference(f, changed)),
    }
}

fn via_reference(path: &FieldPath, changed: &BTreeSet<String>) -> bool {
    match path {
        FieldPath::Reference { inner, .. } => reads_anywhere(inner, changed),
        _ => false,
    }
}

/// A rule of a predicate: on a value, or comparing two fields.
#[derive(Clone, Copy)]
enum Rule<'p> {
    Test(&'p Test),
    Compare(&'p Compare),
}

/// The flip condition of `pred` for an UPDATE that changed `changed` (users columns).
pub fn flip_test(
    pred: &Pred,
    catalog: &Catalog,
    changed: &BTreeSet<String>,
    new: &str,
    old: &str,
    since: &str,
) -> Flip {
    let mut atoms: Vec<&Test> = Vec::new();
    let always = walk(pred, false, changed, &mut atoms);
    condition(always, &atoms, catalog, (new, old, since))
}

/// The flip condition, for the users referring to a changed user, of the rules that read a
/// changed column *on* the referenced user (`manager.department`). Such a rule's value for a
/// referrer whose reference leads to the changed user is the rule on the changed user's own
/// row: if it is the same on the old row (alias `old`) as on the new one (alias `new`) for
/// every such rule, no referrer's membership can move, and the referrers need not be found at
/// all. A department renamed from "Sales" to "Support" leaves `manager.department = "Legal"`
/// alone. `Always` when a changed reference column is followed on the way
/// (`manager.manager.x` after a change of the manager's own `manager_id`), or such a rule is
/// read inside `has … where`; `Never` when no rule reads a changed column that way.
pub fn reference_flip_test(
    pred: &Pred,
    catalog: &Catalog,
    changed: &BTreeSet<String>,
    new: &str,
    old: &str,
    since: &str,
) -> Flip {
    let mut leaves: Vec<Test> = Vec::new();
    let always = walk_references(pred, false, changed, &mut leaves);
    condition(
        always,
        &leaves.iter().collect::<Vec<_>>(),
        catalog,
        (new, old, since),
    )
}

/// `Always` when `always`, `Never` without `tests`, else `When` any of them differs between
/// the new row (alias `new`) and the old row (alias `old`), or a relative-time rule's old
/// value crossed a boundary since `since`: the stored membership reflects the boundaries
/// applied so far, and no later refresh looks for a value that is gone.
fn condition(
    always: bool,
    tests: &[&Test],
    catalog: &Catalog,
    (new, old, since): (&str, &str, &str),
) -> Flip {
    if always {
        return Flip::Always;
    }
    if tests.is_empty() {
        return Flip::Never;
    }
    let mut seen = BTreeSet::new();
    let mut parts = Vec::new();
    for &test in tests {
        let mut cx = Ctx::new(catalog);
        let n = expr::test(&mut cx, test, &Scope::user(quote::alias(new)));
        let mut cx = Ctx::new(catalog);
        let o = expr::test(&mut cx, test, &Scope::user(quote::alias(old)));
        let mut part = format!("({n}) IS DISTINCT FROM ({o})");
        if let FieldPath::Column(c) = &test.field {
            let value = format!("{}.{}", quote::alias(old), quote::quote_ident(&c.name));
            if let Some(crossed) = super::time_keys::crossed_since(test, &value, since) {
                part = format!("{part} OR {crossed}");
            }
        }
        if seen.insert(part.clone()) {
            parts.push(part);
        }
    }
    Flip::When(parts.join(" OR "))
}

/// Calls `test` on every rule of `pred` outside `member of`, with whether it is read inside
/// `has … where` (on a relation row); true when any call is.
fn any_test<'p>(
    pred: &'p Pred,
    in_relation: bool,
    test: &mut impl FnMut(Rule<'p>, bool) -> bool,
) -> bool {
    match pred {
        Pred::All(items) | Pred::Any(items) => {
            let mut any = false;
            for p in items {
                any |= any_test(p, in_relation, test);
            }
            any
        }
        Pred::Not(inner) => any_test(inner, in_relation, test),
        Pred::MemberOf { .. } => false,
        Pred::Has { filter, .. } => filter.as_deref().is_some_and(|f| any_test(f, true, test)),
        Pred::Test(t) => test(Rule::Test(t), in_relation),
        Pred::Compare(c) => test(Rule::Compare(c), in_relation),
    }
}

/// Collects, as rules on the referenced user's own row, the rules that read a changed column
/// at the end of a reference path; true when one cannot be judged from that row.
fn walk_references(
    pred: &Pred,
    in_relation: bool,
    changed: &BTreeSet<String>,
    leaves: &mut Vec<Test>,
) -> bool {
    any_test(pred, in_relation, &mut |rule, in_relation| {
        let t = match rule {
            Rule::Test(t) => t,
            // A field-to-field rule is judged on the referrer's row and the referenced
            // user's together: its referrers are all re-evaluated when it reads a changed
            // column through a reference.
            Rule::Compare(c) => return c.fields().iter().any(|f| via_reference(f, changed)),
        };
        let FieldPath::Reference { inner, .. } = &t.field else {
            return false;
        };
        if in_relation {
            return reads_anywhere(inner, changed);
        }
        let mut path: &FieldPath = inner;
        loop {
            match path {
                FieldPath::Reference { reference, inner } => {
                    if changed.contains(&reference.column) {
                        return true;
                    }
                    path = inner;
                }
                FieldPath::Column(c) => {
                    if changed.contains(&c.name) {
                        leaves.push(Test {
                            path: t.path.clone(),
                            field: FieldPath::Column(c.clone()),
                            op: t.op,
                            operand: t.operand.clone(),
                        });
                    }
                    return false;
                }
                // The referenced user's own foreign key: a new lookup row for them.
                FieldPath::Lookup { lookup, .. } => return changed.contains(&lookup.column),
                FieldPath::Custom(_) => return false,
            }
        }
    })
}

/// Collects the own-row rules reading a changed column; true when a rule that cannot be
/// judged from the two rows reads one.
fn walk<'p>(
    pred: &'p Pred,
    in_relation: bool,
    changed: &BTreeSet<String>,
    atoms: &mut Vec<&'p Test>,
) -> bool {
    any_test(pred, in_relation, &mut |rule, in_relation| match rule {
        Rule::Test(t) => match &t.field {
            FieldPath::Column(c) => {
                if !in_relation && changed.contains(&c.name) {
                    atoms.push(t);
                }
                false
            }
            // A changed reference or foreign key column leads to another row; inside
            // `has … where` the columns are the related row's.
            other => !in_relation && reads_own(other, changed),
        },
        // Not an atom of the row part (`RowTree`): a field-to-field rule reading a changed
        // column of the user's own row re-evaluates every changed user.
        Rule::Compare(c) => !in_relation && c.fields().iter().any(|f| reads_own(f, changed)),
    })
}

/// Whether `path`, read on the user's own row, reads a changed column of that row (a column,
/// or the column of the first reference or lookup followed).
fn reads_own(path: &FieldPath, changed: &BTreeSet<String>) -> bool {
    match path {
        FieldPath::Column(c) => changed.contains(&c.name),
        FieldPath::Custom(_) => false,
        FieldPath::Reference { reference, .. } => changed.contains(&reference.column),
        FieldPath::Lookup { lookup, .. } => changed.contains(&lookup.column),
    }
}

/// Whether a path read on a referenced user touches a changed column (its own reference
/// columns included: manager.manager.name moves when the manager's manager_id does).
fn reads_anywhere(path: &FieldPath, changed: &BTreeSet<String>) -> bool {
    match path {
        FieldPath::Column(c) => changed.contains(&c.name),
        FieldPath::Custom(_) => false,
        FieldPath::Lookup { lookup, .. } => changed.contains(&lookup.column),
        FieldPath::Reference { reference, inner } => {
            changed.contains(&reference.column) || reads_anywhere(inner, changed)
        }
    }
}
