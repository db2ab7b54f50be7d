//! Which changed users a group re-evaluates after an UPDATE (`compile::flip_test`).

mod compile_support;

use std::collections::BTreeSet;

use compile_support::*;
use smart_groups_core::ast::{CmpOp, Op};
use smart_groups_core::checked::{Operand, Pred, TimeUnit};
use smart_groups_core::compile::{flip_test, reads_via_reference, reference_flip_test, Flip};

fn changed(cols: &[&str]) -> BTreeSet<String> {
    cols.iter().map(|c| c.to_string()).collect()
}

fn flip(p: &Pred, cols: &[&str]) -> Flip {
    flip_test(p, &catalog(), &changed(cols), "n", "o", "$1")
}

#[test]
fn a_rule_on_an_unchanged_column_never_flips() {
    let p = rule(col("name"), Op::Eq, text("a"));
    assert_eq!(flip(&p, &["age"]), Flip::Never);
}

#[test]
fn a_rule_on_a_changed_column_compares_old_and_new_rows() {
    let p = Pred::All(vec![
        rule(col("name"), Op::Eq, text("a")),
        rule(custom("score"), Op::IsEmpty, Operand::None),
    ]);
    let Flip::When(sql) = flip(&p, &["name"]) else {
        panic!("expected a condition");
    };
    assert!(
        sql.contains("n.\"name\"") && sql.contains("o.\"name\""),
        "{sql}"
    );
    assert!(sql.contains("IS DISTINCT FROM"), "{sql}");
    // The custom field is not part of the condition: the statement did not change it.
    assert!(!sql.contains("user_field_values"), "{sql}");
}

#[test]
fn a_relative_time_rule_on_a_changed_column_also_flips_when_the_old_value_crossed_since() {
    // Membership there is as of the last time refresh: an old value that left the window
    // since is no guide to whether the user is still a member.
    let window = Operand::Interval {
        n: 30,
        unit: TimeUnit::Days,
    };
    for op in [Op::WithinLast, Op::NotWithinLast] {
        let p = Pred::All(vec![
            rule(col("name"), Op::Eq, text("a")),
            rule(col("last_login"), op, window.clone()),
        ]);
        let Flip::When(sql) = flip(&p, &["last_login"]) else {
            panic!("expected a condition");
        };
        assert!(sql.contains("IS DISTINCT FROM"), "{sql}");
        assert!(
            sql.contains("o.\"last_login\" >= (($1) AT TIME ZONE 'UTC') - '30 days'::interval"),
            "{sql}"
        );
        // Another column changing compares old and new rows only.
        let Flip::When(sql) = flip(&p, &["name"]) else {
            panic!("expected a condition");
        };
        assert!(!sql.contains("$1"), "{sql}");
    }
}

#[test]
fn negated_and_nested_rules_are_all_compared() {
    let p = Pred::Any(vec![
        Pred::Not(Box::new(rule(
            col("age"),
            Op::Gte,
            Operand::Number(num("30")),
        ))),
        Pred::All(vec![
            rule(col("name"), Op::Neq, text("x")),
            rule(col("age"), Op::Lt, Operand::Number(num("5"))),
        ]),
    ]);
    let Flip::When(sql) = flip(&p, &["age", "name"]) else {
        panic!("expected a condition");
    };
    assert_eq!(sql.matches("IS DISTINCT FROM").count(), 3, "{sql}");
}

#[test]
fn the_same_rule_twice_is_compared_once() {
    let r = rule(col("age"), Op::Eq, Operand::Number(num("3")));
    let p = Pred::Any(vec![r.clone(), Pred::Not(Box::new(r))]);
    let Flip::When(sql) = flip(&p, &["age"]) else {
        panic!("expected a condition");
    };
    assert_eq!(sql.matches("IS DISTINCT FROM").count(), 1, "{sql}");
}

#[test]
fn a_changed_reference_column_always_re_evaluates() {
    let p = rule(manager(col("name")), Op::Eq, text("a"));
    assert_eq!(flip(&p, &["manager_id"]), Flip::Always);
}

#[test]
fn a_column_read_on_the_manager_is_the_referrers_business() {
    let p = Pred::All(vec![
        rule(col("age"), Op::Eq, Operand::Number(num("3"))),
        rule(manager(col("name")), Op::Eq, text("a")),
    ]);
    // The changed user's own membership does not read their own name...
    assert_eq!(flip(&p, &["name"]), Flip::Never);
    // ...but the users they manage do.
    assert!(reads_via_reference(&p, &changed(&["name"])));
    assert!(!reads_via_reference(&p, &changed(&["age"])));
    assert!(!reads_via_reference(&p, &changed(&["birthday"])));
}

#[test]
fn a_managers_own_reference_column_counts_for_nested_references() {
    let p = rule(manager(manager(col("name"))), Op::Eq, text("a"));
    assert!(reads_via_reference(&p, &changed(&["manager_id"])));
    assert_eq!(flip(&p, &["manager_id"]), Flip::Always);
    assert_eq!(flip(&p, &["name"]), Flip::Never);
}

#[test]
fn relation_columns_inside_has_are_not_the_users_columns() {
    let p = has(
        Some(rule(rel_col("status"), Op::Eq, text("done"))),
        CmpOp::Gte,
        1,
    );
    assert_eq!(flip(&p, &["status"]), Flip::Never);
}

#[test]
fn member_of_and_custom_fields_never_flip_on_a_users_update() {
    let p = Pred::Any(vec![
        Pred::MemberOf {
            group_id: 3,
            name: "G".into(),
        },
        rule(custom("vip"), Op::Eq, Operand::Bool(true)),
    ]);
    assert_eq!(flip(&p, &["name", "age", "manager_id"]), Flip::Never);
}

fn referrers(p: &Pred, cols: &[&str]) -> Flip {
    reference_flip_test(p, &catalog(), &changed(cols), "n", "o", "$1")
}

#[test]
fn a_column_read_on_the_manager_is_judged_on_the_managers_two_rows() {
    let p = Pred::All(vec![
        rule(col("age"), Op::Eq, Operand::Number(num("3"))),
        Pred::Not(Box::new(rule(manager(col("name")), Op::Eq, text("a")))),
    ]);
    let Flip::When(sql) = referrers(&p, &["name"]) else {
        panic!("expected a condition");
    };
    // The rule as on the manager's own row, not a search through the reference.
    assert!(
        sql.contains("n.\"name\"") && sql.contains("o.\"name\""),
        "{sql}"
    );
    assert!(!sql.contains("manager_id"), "{sql}");
    // The referrer's own column is not the manager's business.
    assert!(!sql.contains("age"), "{sql}");
    assert_eq!(referrers(&p, &["age"]), Flip::Never);
}

#[test]
fn nested_references_are_judged_where_they_end() {
    let p = rule(manager(manager(col("name"))), Op::Eq, text("a"));
    assert!(matches!(referrers(&p, &["name"]), Flip::When(_)));
    // The manager's own manager changed: the grand-reports' rule cannot be judged from the
    // manager's row.
    assert_eq!(referrers(&p, &["manager_id"]), Flip::Always);
    assert_eq!(referrers(&p, &["name", "manager_id"]), Flip::Always);
}

#[test]
fn a_relative_time_rule_on_the_manager_also_flips_when_the_old_value_crossed_since() {
    let window = Operand::Interval {
        n: 30,
        unit: TimeUnit::Days,
    };
    let p = rule(manager(col("last_login")), Op::WithinLast, window);
    let Flip::When(sql) = referrers(&p, &["last_login"]) else {
        panic!("expected a condition");
    };
    assert!(sql.contains("$1"), "{sql}");
}

#[test]
fn references_inside_has_and_other_sources_for_referrers() {
    let in_has = has(
        Some(rule(manager(col("name")), Op::Eq, text("a"))),
        CmpOp::Gte,
        1,
    );
    assert_eq!(referrers(&in_has, &["name"]), Flip::Always);
    let others = Pred::Any(vec![
        Pred::MemberOf {
            group_id: 3,
            name: "G".into(),
        },
        rule(custom("vip"), Op::Eq, Operand::Bool(true)),
        rule(manager(custom("vip")), Op::Eq, Operand::Bool(true)),
        rule(col("name"), Op::Eq, text("a")),
    ]);
    assert_eq!(referrers(&others, &["name", "age"]), Flip::Never);
}
