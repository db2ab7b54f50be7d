//! The row part of a predicate (`compile::row_part`): what the user's own row decides, NULL
//! where other rows do.

mod compile_support;

use compile_support::*;
use smart_groups_core::ast::{CmpOp, Op};
use smart_groups_core::checked::{Operand, Pred};
use smart_groups_core::compile::{compile_as, has_row_part, row_part};

fn part(p: &Pred) -> String {
    row_part(p, &catalog(), "n")
}

#[test]
fn a_rule_on_the_row_compiles_as_in_the_predicate() {
    let p = rule(col("name"), Op::Eq, text("a"));
    assert_eq!(part(&p), compile_as(&p, &catalog(), "n"));
    assert!(has_row_part(&p));
}

#[test]
fn rules_reading_other_rows_are_unknown_and_run_no_subquery() {
    let p = Pred::All(vec![
        rule(col("name"), Op::Eq, text("a")),
        rule(custom("score"), Op::IsEmpty, Operand::None),
        rule(manager(col("name")), Op::Eq, text("b")),
        has(None, CmpOp::Gte, 1),
    ]);
    let sql = part(&p);
    assert!(!sql.to_uppercase().contains("SELECT"), "{sql}");
    assert_eq!(sql.matches("NULL::boolean").count(), 3, "{sql}");
    assert!(sql.contains("n.\"name\""), "{sql}");
    assert!(has_row_part(&p));
}

#[test]
fn negation_keeps_the_unknown_inside() {
    let p = Pred::Not(Box::new(Pred::Any(vec![
        rule(col("age"), Op::Gte, Operand::Number(num("30"))),
        has(None, CmpOp::Gte, 1),
    ])));
    let sql = part(&p);
    assert!(sql.starts_with("NOT (("), "{sql}");
    assert!(sql.contains(" OR NULL::boolean"), "{sql}");
}

#[test]
fn a_negated_operator_on_a_custom_field_is_unknown_not_true() {
    // `neq` on a custom field compiles as NOT (EXISTS …): its row part must not become
    // NOT (NULL) = NULL by accident of the negation, but the whole rule is unknown.
    let p = rule(custom("score"), Op::Neq, Operand::Number(num("3")));
    assert_eq!(part(&p), "NULL::boolean");
    assert!(!has_row_part(&p));
}

#[test]
fn empty_connectives_are_their_identities() {
    assert_eq!(part(&Pred::All(vec![])), "true");
    assert_eq!(part(&Pred::Any(vec![])), "false");
    assert!(has_row_part(&Pred::All(vec![])));
}

#[test]
fn groups_without_row_rules_have_no_row_part() {
    let p = Pred::Any(vec![
        has(None, CmpOp::Gte, 2),
        Pred::MemberOf {
            group_id: 3,
            name: "g".into(),
        },
    ]);
    assert!(!has_row_part(&p));
    assert_eq!(part(&p), "(NULL::boolean OR NULL::boolean)");
}

#[test]
fn columns_inside_has_are_the_relation_rows_and_stay_unknown() {
    let p = has(
        Some(rule(rel_col("status"), Op::Eq, text("done"))),
        CmpOp::Gte,
        1,
    );
    assert_eq!(part(&p), "NULL::boolean");
}
