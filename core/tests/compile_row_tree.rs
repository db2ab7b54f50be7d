//! The row part of many predicates at once (`compile::{AtomTable, RowTree}`): rules shared by
//! groups are compiled once, and the three-valued combination is sound.

mod compile_support;

use std::collections::BTreeSet;

use compile_support::*;
use proptest::prelude::*;
use smart_groups_core::ast::{CmpOp, Op};
use smart_groups_core::checked::{Operand, Pred};
use smart_groups_core::compile::{compile_as, compile_test, AtomTable, RowTree};

fn changed(cols: &[&str]) -> BTreeSet<String> {
    cols.iter().map(|c| c.to_string()).collect()
}

#[test]
fn a_rule_shared_by_groups_is_one_atom() {
    let cat = catalog();
    let ch = changed(&["age"]);
    let mut table = AtomTable::new(&cat, &ch);
    let age = rule(col("age"), Op::Gte, Operand::Number(num("30")));
    let a = RowTree::build(
        &Pred::All(vec![age.clone(), has(None, CmpOp::Gte, 1)]),
        &mut table,
    );
    let b = RowTree::build(
        &Pred::Any(vec![rule(col("name"), Op::Eq, text("x")), age]),
        &mut table,
    );
    assert_eq!(table.atoms.len(), 2);
    assert_eq!(table.others.len(), 1);
    assert_eq!(a, RowTree::All(vec![RowTree::Atom(0), RowTree::Other(0)]));
    assert_eq!(b, RowTree::Any(vec![RowTree::Atom(1), RowTree::Atom(0)]));
}

#[test]
fn only_rules_on_changed_columns_are_read_on_the_old_row() {
    let cat = catalog();
    let ch = changed(&["age"]);
    let mut table = AtomTable::new(&cat, &ch);
    let age = t(col("age"), Op::Gte, Operand::Number(num("30")));
    let p = Pred::All(vec![
        Pred::Test(age.clone()),
        rule(col("name"), Op::Neq, text("x")),
    ]);
    let tree = RowTree::build(&p, &mut table);
    assert_eq!(tree.changed_atoms(&table.atoms), vec![0]);
    assert_eq!(table.atoms[0].new, compile_test(&age, &cat, "n"));
    assert_eq!(table.atoms[0].old, Some(compile_test(&age, &cat, "o")));
    assert_eq!(table.atoms[1].old, None);
    assert!(
        table.atoms[1].new.starts_with("NOT ("),
        "{}",
        table.atoms[1].new
    );
}

#[test]
fn rules_on_other_rows_are_unknown() {
    let cat = catalog();
    let ch = changed(&[]);
    let mut table = AtomTable::new(&cat, &ch);
    let p = Pred::Not(Box::new(Pred::Any(vec![
        rule(custom("score"), Op::IsEmpty, Operand::None),
        rule(manager(col("name")), Op::Eq, text("b")),
        Pred::MemberOf {
            group_id: 2,
            name: "g".into(),
        },
        has(
            Some(rule(rel_col("status"), Op::Eq, text("done"))),
            CmpOp::Gte,
            1,
        ),
    ])));
    let tree = RowTree::build(&p, &mut table);
    assert!(table.atoms.is_empty());
    assert_eq!(table.others.len(), 4);
    assert_eq!(tree.eval(&|_| true), None);
    assert_eq!(
        RowTree::build(&Pred::All(vec![]), &mut table),
        RowTree::Const(true)
    );
    assert_eq!(
        RowTree::build(&Pred::Any(vec![]), &mut table),
        RowTree::Const(false)
    );
}

#[test]
fn a_known_rule_decides_around_unknown_ones() {
    let t = RowTree::All(vec![RowTree::Atom(0), RowTree::Other(0)]);
    assert_eq!(t.eval(&|_| false), Some(false));
    assert_eq!(t.eval(&|_| true), None);
    let t = RowTree::Any(vec![
        RowTree::Other(0),
        RowTree::Not(Box::new(RowTree::Atom(0))),
    ]);
    assert_eq!(t.eval(&|_| false), Some(true));
    assert_eq!(t.eval(&|_| true), None);
}

/// Two-valued value of `t` with atoms from `atoms` and the k-th unknown leaf from bit k of
/// `unknowns` (every leaf its own variable: the worst case, rules that read other rows may
/// be anything).
fn complete(t: &RowTree, atoms: u8, unknowns: u32, next: &mut u32) -> bool {
    match t {
        RowTree::Const(b) => *b,
        RowTree::Atom(i) => atoms & (1 << i) != 0,
        RowTree::Other(_) => {
            let bit = unknowns & (1 << *next) != 0;
            *next += 1;
            bit
        }
        RowTree::Not(inner) => !complete(inner, atoms, unknowns, next),
        // fold, not all/any: every item must be visited, since each advances `next`.
        #[allow(clippy::unnecessary_fold)]
        RowTree::All(items) => items
            .iter()
            .map(|i| complete(i, atoms, unknowns, next))
            .fold(true, |a, b| a && b),
        #[allow(clippy::unnecessary_fold)]
        RowTree::Any(items) => items
            .iter()
            .map(|i| complete(i, atoms, unknowns, next))
            .fold(false, |a, b| a || b),
    }
}

fn unknown_leaves(t: &RowTree) -> u32 {
    match t {
        RowTree::Other(_) => 1,
        RowTree::Not(inner) => unknown_leaves(inner),
        RowTree::All(items) | RowTree::Any(items) => items.iter().map(unknown_leaves).sum(),
        _ => 0,
    }
}

fn tree() -> impl Strategy<Value = RowTree> {
    let leaf = prop_oneof![
        any::<bool>().prop_map(RowTree::Const),
        (0usize..4).prop_map(RowTree::Atom),
        (0usize..3).prop_map(RowTree::Other),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(RowTree::All),
            prop::collection::vec(inner.clone(), 0..4).prop_map(RowTree::Any),
            inner.prop_map(|t| RowTree::Not(Box::new(t))),
        ]
    })
}

#[test]
fn the_sql_form_names_each_atom_and_keeps_unknowns_null() {
    let t = RowTree::All(vec![
        RowTree::Atom(2),
        RowTree::Not(Box::new(RowTree::Any(vec![
            RowTree::Other(1),
            RowTree::Const(false),
        ]))),
    ]);
    assert_eq!(
        t.sql(&|i| format!("x.a{i}")),
        "(x.a2 AND (NOT (NULL::boolean OR false)))"
    );
    assert_eq!(
        t.full_sql(&|i| format!("x.a{i}"), &|i| format!("y.u{i}")),
        "(x.a2 AND (NOT (y.u1 OR false)))"
    );
}

/// Each rule on other rows is compiled on its own over the new row, the same text wherever
/// it appears, so groups sharing it share one entry (one subquery per row for all of them).
#[test]
fn a_rule_on_other_rows_shared_by_groups_is_one_entry() {
    let cat = catalog();
    let ch = changed(&["age"]);
    let mut table = AtomTable::new(&cat, &ch);
    let done = has(
        Some(rule(rel_col("status"), Op::Eq, text("done"))),
        CmpOp::Gte,
        1,
    );
    let score = rule(custom("score"), Op::Neq, Operand::Number(num("3")));
    let a = RowTree::build(
        &Pred::All(vec![
            rule(col("age"), Op::Gte, Operand::Number(num("30"))),
            done.clone(),
        ]),
        &mut table,
    );
    let b = RowTree::build(
        &Pred::Not(Box::new(Pred::Any(vec![score.clone(), done.clone()]))),
        &mut table,
    );
    assert_eq!(table.others.len(), 2);
    assert_eq!(table.others[0], compile_as(&done, &cat, "n"));
    assert_eq!(table.others[1], compile_as(&score, &cat, "n"));
    assert_eq!(a.others(), [0].into_iter().collect());
    assert_eq!(b.others(), [0, 1].into_iter().collect());
    assert!(b.atoms().is_empty());
}

proptest! {
    /// A known value is the predicate's value whatever the unknown rules turn out to be, and
    /// a tree without unknown rules is always known.
    #[test]
    fn a_known_value_holds_for_every_completion(t in tree(), atoms in 0u8..16) {
        let value = |i: usize| atoms & (1 << i) != 0;
        let leaves = unknown_leaves(&t).min(12);
        prop_assume!(unknown_leaves(&t) <= 12);
        match t.eval(&value) {
            Some(b) => {
                for unknowns in 0..(1u32 << leaves) {
                    prop_assert_eq!(complete(&t, atoms, unknowns, &mut 0), b);
                }
            }
            None => prop_assert!(leaves > 0),
        }
    }

    /// With every rule on other rows known (entry k from bit k, so that a rule shared by two
    /// places has one value), eval_full agrees with the SQL form's value and with eval
    /// wherever eval knows.
    #[test]
    fn the_full_value_agrees_with_the_partial_one(t in tree(), atoms in 0u8..16, others in 0u8..8) {
        let atom = |i: usize| atoms & (1 << i) != 0;
        let other = |i: usize| others & (1 << i) != 0;
        let full = t.eval_full(&atom, &other);
        if let Some(b) = t.eval(&atom) {
            prop_assert_eq!(full, b);
        }
        // Substituting the known rules on other rows as constants gives a tree eval knows.
        fn known(t: &RowTree, other: &dyn Fn(usize) -> bool) -> RowTree {
            match t {
                RowTree::Other(i) => RowTree::Const(other(*i)),
                RowTree::Not(inner) => RowTree::Not(Box::new(known(inner, other))),
                RowTree::All(items) => RowTree::All(items.iter().map(|i| known(i, other)).collect()),
                RowTree::Any(items) => RowTree::Any(items.iter().map(|i| known(i, other)).collect()),
                leaf => leaf.clone(),
            }
        }
        prop_assert_eq!(known(&t, &other).eval(&atom), Some(full));
    }
}
