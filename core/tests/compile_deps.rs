//! What a compiled group depends on.

mod compile_support;

use compile_support::*;
use smart_groups_core::ast::{CmpOp, Op};
use smart_groups_core::checked::{Operand, Pred, TimeUnit};
use smart_groups_core::compile::{dependencies, Deps};

fn set<T: Ord + Clone>(items: &[T]) -> std::collections::BTreeSet<T> {
    items.iter().cloned().collect()
}

#[test]
fn empty_ruleset_depends_on_nothing() {
    assert_eq!(dependencies(&Pred::All(vec![])), Deps::default());
}

#[test]
fn collects_every_kind_of_dependency() {
    let p = Pred::Any(vec![
        rule(col("name"), Op::Eq, text("a")),
        Pred::Not(Box::new(rule(custom("score"), Op::IsEmpty, Operand::None))),
        rule(manager(col("role")), Op::Eq, text("admin")),
        rule(manager(custom("vip")), Op::Eq, Operand::Bool(true)),
        Pred::MemberOf {
            group_id: 9,
            name: "G".into(),
        },
        has(
            Some(Pred::All(vec![
                rule(rel_col("status"), Op::Eq, text("done")),
                rule(custom("nickname"), Op::IsNotEmpty, Operand::None),
            ])),
            CmpOp::Gte,
            2,
        ),
    ]);
    let d = dependencies(&p);
    // `status` is a column of the relation, not of users.
    assert_eq!(
        d.columns,
        set(&["manager_id".to_string(), "name".into(), "role".into()])
    );
    assert_eq!(
        d.custom_keys,
        set(&["nickname".to_string(), "score".into(), "vip".into()])
    );
    assert_eq!(d.references, set(&["manager".to_string()]));
    assert_eq!(d.reference_depth, 1);
    assert_eq!(d.relations, set(&["enrollments".to_string()]));
    assert_eq!(d.groups, set(&[9]));
    assert!(!d.relative_time);
}

#[test]
fn reference_depth_is_the_longest_path() {
    assert_eq!(
        dependencies(&rule(col("name"), Op::Eq, text("a"))).reference_depth,
        0
    );
    let p = Pred::All(vec![
        rule(manager(col("name")), Op::Eq, text("a")),
        Pred::Not(Box::new(rule(
            manager(manager(manager(custom("vip")))),
            Op::Eq,
            Operand::Bool(true),
        ))),
        rule(manager(manager(col("role"))), Op::Eq, text("admin")),
    ]);
    assert_eq!(dependencies(&p).reference_depth, 3);
}

#[test]
fn relative_time_is_found_anywhere() {
    let within = |op| rule(col("created_at"), op, interval(1, TimeUnit::Days));
    assert!(dependencies(&within(Op::WithinLast)).relative_time);
    assert!(dependencies(&Pred::Not(Box::new(within(Op::NotWithinLast)))).relative_time);
    let nested = has(
        Some(rule(
            rel_col("completed_at"),
            Op::WithinLast,
            interval(2, TimeUnit::Hours),
        )),
        CmpOp::Gte,
        1,
    );
    assert!(dependencies(&nested).relative_time);
    let absolute = rule(
        col("created_at"),
        Op::Before,
        Operand::Time(day("2024-01-01")),
    );
    assert!(!dependencies(&absolute).relative_time);
}
