//! Golden SQL for custom fields, references, relations, member_of and the connectives.

mod compile_support;

use compile_support::*;
use smart_groups_core::ast::{CmpOp, Op};
use smart_groups_core::checked::{Operand, Pred, TimeUnit};

const SHIRT_LABELS: &str = "'S', 'M'";

const F1: &str =
    "FROM \"public\".\"user_field_values\" f1 WHERE f1.\"user_id\" = u.\"id\" AND f1.\"field_key\"";

#[test]
fn custom_text_and_enum() {
    let base = format!(
        "EXISTS (SELECT 1 {F1} = 'nickname' AND (f1.\"value\"::text IS NOT NULL AND f1.\"value\"::text = 'Bo'))"
    );
    assert_eq!(compile(&rule(custom("nickname"), Op::Eq, text("Bo"))), base);
    assert_eq!(
        compile(&rule(custom("nickname"), Op::Neq, text("Bo"))),
        format!("NOT ({base})")
    );
    // A custom enum reads as NULL unless the text is one of the field's values.
    let shirt =
        format!("(CASE WHEN f1.\"value\"::text IN ({SHIRT_LABELS}) THEN f1.\"value\"::text END)");
    assert_eq!(
        compile(&rule(custom("shirt_size"), Op::In, texts(&["S", "M"]))),
        format!("EXISTS (SELECT 1 {F1} = 'shirt_size' AND ({shirt} IS NOT NULL AND {shirt} IN ('S', 'M')))")
    );
    assert_eq!(
        compile(&rule(custom("nickname"), Op::IsEmpty, Operand::None)),
        format!("NOT (EXISTS (SELECT 1 {F1} = 'nickname' AND (f1.\"value\"::text IS NOT NULL AND f1.\"value\"::text <> '')))")
    );
}

#[test]
fn custom_typed_reads() {
    let read = |f: &str| format!("smart_groups.read_{f}(f1.\"value\")");
    let n = read("number");
    assert_eq!(
        compile(&rule(
            custom("score"),
            Op::Gte,
            Operand::Number(num("-2.5"))
        )),
        format!("EXISTS (SELECT 1 {F1} = 'score' AND ({n} IS NOT NULL AND {n} >= (-2.5)))")
    );
    let d = read("date");
    assert_eq!(
        compile(&rule(custom("start_date"), Op::Before, Operand::Time(day("2024-03-01")))),
        format!("EXISTS (SELECT 1 {F1} = 'start_date' AND ({d} IS NOT NULL AND {d} < '2024-03-01'::date))")
    );
    // Custom timestamps are read as timestamptz.
    let ts = read("timestamp");
    assert_eq!(
        compile(&rule(custom("badge_at"), Op::NotWithinLast, interval(3, TimeUnit::Weeks))),
        format!("NOT (EXISTS (SELECT 1 {F1} = 'badge_at' AND ({ts} IS NOT NULL AND {ts} >= ((now() AT TIME ZONE 'UTC') - '3 weeks'::interval) AT TIME ZONE 'UTC' AND {ts} <= now())))")
    );
    assert_eq!(
        compile(&rule(custom("badge_at"), Op::Eq, Operand::Time(day("2024-01-31")))),
        format!("EXISTS (SELECT 1 {F1} = 'badge_at' AND ({ts} IS NOT NULL AND {ts} >= '2024-01-31 00:00:00+00'::timestamptz AND {ts} < '2024-02-01 00:00:00+00'::timestamptz))")
    );
    let b = read("boolean");
    assert_eq!(
        compile(&rule(custom("vip"), Op::IsNotEmpty, Operand::None)),
        format!("EXISTS (SELECT 1 {F1} = 'vip' AND ({b} IS NOT NULL))")
    );
    assert_eq!(
        compile(&rule(custom("vip"), Op::Neq, Operand::Bool(true))),
        format!("NOT (EXISTS (SELECT 1 {F1} = 'vip' AND ({b} IS NOT NULL AND {b} = true)))")
    );
}

#[test]
fn custom_field_without_custom_table_is_false() {
    let mut cat = catalog();
    cat.custom_table = None;
    let p = rule(custom("nickname"), Op::Neq, text("x"));
    assert_eq!(smart_groups_core::compile::compile(&p, &cat), "NOT (false)");
}

#[test]
fn references() {
    let m1 = "FROM \"public\".\"users\" m1 WHERE m1.\"id\" = u.\"manager_id\"";
    let base = format!(
        "EXISTS (SELECT 1 {m1} AND (m1.\"name\" IS NOT NULL AND m1.\"name\" = 'John Doe'))"
    );
    assert_eq!(
        compile(&rule(manager(col("name")), Op::Eq, text("John Doe"))),
        base
    );
    assert_eq!(
        compile(&rule(manager(col("name")), Op::Neq, text("John Doe"))),
        format!("NOT ({base})")
    );
    assert_eq!(
        compile(&rule(manager(col("name")), Op::IsEmpty, Operand::None)),
        format!("NOT (EXISTS (SELECT 1 {m1} AND (m1.\"name\" IS NOT NULL AND m1.\"name\" <> '')))")
    );
    // manager.manager.<custom>: each hop gets its own alias, the custom row keys on the last.
    assert_eq!(
        compile(&rule(manager(manager(custom("nickname"))), Op::Eq, text("x"))),
        format!(
            "EXISTS (SELECT 1 {m1} AND EXISTS (SELECT 1 FROM \"public\".\"users\" m2 WHERE m2.\"id\" = m1.\"manager_id\" AND \
             EXISTS (SELECT 1 FROM \"public\".\"user_field_values\" f1 WHERE f1.\"user_id\" = m2.\"id\" AND f1.\"field_key\" = 'nickname' \
             AND (f1.\"value\"::text IS NOT NULL AND f1.\"value\"::text = 'x'))))"
        )
    );
}

#[test]
fn has_counts() {
    let rows = "FROM \"public\".\"enrollments\" r1 WHERE r1.\"user_id\" = u.\"id\"";
    let w = "(r1.\"status\" IS NOT NULL AND r1.\"status\" = 'completed')";
    let filter = || Some(rule(rel_col("status"), Op::Eq, text("completed")));
    let exists = format!("EXISTS (SELECT 1 {rows} AND {w})");
    let none = format!("NOT EXISTS (SELECT 1 {rows} AND {w})");
    assert_eq!(compile(&has(filter(), CmpOp::Gte, 1)), exists);
    assert_eq!(compile(&has(filter(), CmpOp::Gt, 0)), exists);
    assert_eq!(compile(&has(filter(), CmpOp::Neq, 0)), exists);
    assert_eq!(compile(&has(filter(), CmpOp::Eq, 0)), none);
    assert_eq!(compile(&has(filter(), CmpOp::Lt, 1)), none);
    assert_eq!(compile(&has(filter(), CmpOp::Lte, 0)), none);
    assert_eq!(compile(&has(filter(), CmpOp::Gte, 0)), "true");
    assert_eq!(compile(&has(filter(), CmpOp::Lt, 0)), "false");
    let count = |op: &str, n: u64| format!("((SELECT count(*) {rows} AND {w}) {op} {n})");
    assert_eq!(compile(&has(filter(), CmpOp::Gte, 3)), count(">=", 3));
    assert_eq!(compile(&has(filter(), CmpOp::Gt, 3)), count(">", 3));
    assert_eq!(compile(&has(filter(), CmpOp::Lt, 3)), count("<", 3));
    assert_eq!(compile(&has(filter(), CmpOp::Lte, 3)), count("<=", 3));
    assert_eq!(compile(&has(filter(), CmpOp::Eq, 2)), count("=", 2));
    assert_eq!(compile(&has(filter(), CmpOp::Neq, 2)), count("<>", 2));
    assert_eq!(
        compile(&has(None, CmpOp::Gte, 1)),
        format!("EXISTS (SELECT 1 {rows})")
    );
    assert_eq!(
        compile(&has(None, CmpOp::Eq, u64::MAX)),
        format!("((SELECT count(*) {rows}) = 18446744073709551615)")
    );
    assert_eq!(
        compile(&Pred::Not(Box::new(has(filter(), CmpOp::Gte, 1)))),
        format!("NOT ({exists})")
    );
}

#[test]
fn has_filter_mixes_relation_columns_and_user_fields() {
    let filter = Pred::All(vec![
        rule(
            rel_col("completed_at"),
            Op::WithinLast,
            interval(20, TimeUnit::Days),
        ),
        rule(col("name"), Op::Neq, text("x")),
        Pred::MemberOf {
            group_id: 7,
            name: "Sales".into(),
        },
    ]);
    // The column `name` is looked up on the relation row (as validation resolved it there).
    assert_eq!(
        compile(&has(Some(filter), CmpOp::Gte, 3)),
        "((SELECT count(*) FROM \"public\".\"enrollments\" r1 WHERE r1.\"user_id\" = u.\"id\" AND \
         ((r1.\"completed_at\" IS NOT NULL AND r1.\"completed_at\" >= ((now() AT TIME ZONE 'UTC') - '20 days'::interval) AT TIME ZONE 'UTC' AND r1.\"completed_at\" <= now()) \
         AND NOT ((r1.\"name\" IS NOT NULL AND r1.\"name\" = 'x')) \
         AND EXISTS (SELECT 1 FROM smart_groups.members sg1 WHERE sg1.group_id = 7 AND sg1.user_key = u.\"id\"))) >= 3)"
    );
}

#[test]
fn member_of_and_connectives() {
    let member = |id: i64| Pred::MemberOf {
        group_id: id,
        name: "G".into(),
    };
    assert_eq!(
        compile(&member(42)),
        "EXISTS (SELECT 1 FROM smart_groups.members sg1 WHERE sg1.group_id = 42 AND sg1.user_key = u.\"id\")"
    );
    assert_eq!(compile(&Pred::All(vec![])), "true");
    assert_eq!(compile(&Pred::Any(vec![])), "false");
    assert_eq!(
        compile(&Pred::Not(Box::new(Pred::All(vec![])))),
        "NOT (true)"
    );
    assert_eq!(
        compile(&Pred::Any(vec![member(1), member(-2)])),
        "(EXISTS (SELECT 1 FROM smart_groups.members sg1 WHERE sg1.group_id = 1 AND sg1.user_key = u.\"id\") \
         OR EXISTS (SELECT 1 FROM smart_groups.members sg2 WHERE sg2.group_id = (-2) AND sg2.user_key = u.\"id\"))"
    );
    let a = rule(col("age"), Op::Gt, Operand::Number(num("3")));
    let b = rule(col("active"), Op::Eq, Operand::Bool(true));
    let nested = Pred::Not(Box::new(Pred::All(vec![
        a.clone(),
        Pred::Not(Box::new(Pred::Any(vec![
            b.clone(),
            Pred::Not(Box::new(a.clone())),
        ]))),
    ])));
    let sa = "(u.\"age\" IS NOT NULL AND u.\"age\" > 3)";
    let sb = "(u.\"active\" IS NOT NULL AND u.\"active\" = true)";
    assert_eq!(
        compile(&nested),
        format!("NOT (({sa} AND NOT (({sb} OR NOT ({sa})))))")
    );
    assert_eq!(compile(&Pred::All(vec![a])), format!("({sa})"));
}

#[test]
fn aliases_are_unique_across_the_predicate() {
    let p = Pred::All(vec![
        rule(custom("nickname"), Op::Eq, text("a")),
        rule(custom("score"), Op::Eq, Operand::Number(num("1"))),
        rule(manager(custom("vip")), Op::Eq, Operand::Bool(true)),
        has(Some(has(None, CmpOp::Gte, 1)), CmpOp::Gte, 2),
    ]);
    let sql = compile(&p);
    for alias in [" f1 ", " f2 ", " f3 ", " m1 ", " r1 ", " r2 "] {
        assert_eq!(sql.matches(alias).count(), 1, "{alias} in {sql}");
    }
    assert!(sql.contains("f3.\"user_id\" = m1.\"id\""), "{sql}");
}
