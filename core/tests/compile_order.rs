//! Rules reading only the user's row are evaluated before subqueries.

mod compile_support;

use compile_support::*;
use smart_groups_core::ast::{CmpOp, Op};
use smart_groups_core::checked::{Operand, Pred};

fn pos(sql: &str, needle: &str) -> usize {
    sql.find(needle)
        .unwrap_or_else(|| panic!("{needle} not in {sql}"))
}

#[test]
fn row_rules_come_before_subqueries_in_all_and_any() {
    for make in [Pred::All as fn(Vec<Pred>) -> Pred, Pred::Any] {
        let p = make(vec![
            has(None, CmpOp::Gte, 1),
            rule(custom("score"), Op::Gt, Operand::Number(num("3"))),
            Pred::MemberOf {
                group_id: 4,
                name: "G".into(),
            },
            rule(col("name"), Op::Eq, text("a")),
        ]);
        let sql = compile(&p);
        let name = pos(&sql, "u.\"name\"");
        let member = pos(&sql, "members");
        let custom = pos(&sql, "user_field_values");
        let rel = pos(&sql, "enrollments");
        assert!(name < member && member < custom && custom < rel, "{sql}");
    }
}

#[test]
fn equal_costs_keep_the_written_order() {
    let p = Pred::All(vec![
        rule(col("name"), Op::Eq, text("b")),
        rule(col("age"), Op::Gt, Operand::Number(num("3"))),
    ]);
    let sql = compile(&p);
    assert!(pos(&sql, "u.\"name\"") < pos(&sql, "u.\"age\""), "{sql}");
}

#[test]
fn a_nested_group_costs_what_its_dearest_rule_costs() {
    let p = Pred::All(vec![
        Pred::Not(Box::new(Pred::Any(vec![
            rule(col("age"), Op::Gt, Operand::Number(num("3"))),
            has(None, CmpOp::Gte, 2),
        ]))),
        rule(col("name"), Op::Eq, text("a")),
    ]);
    let sql = compile(&p);
    assert!(pos(&sql, "u.\"name\"") < pos(&sql, "u.\"age\""), "{sql}");
}
