//! Not a test of its own: prints one compiled predicate per line for every type-consistent
//! operator/operand pair on the fixture catalog, so that a scratch Postgres can check that each
//! parses, runs and is never NULL. Run with
//! `cargo test -p smart_groups_core --test compile_pg_dump -- --ignored --nocapture`, load
//! `compile_support/pg_setup.sql` (the fixture catalog's tables, stand-ins for the
//! `smart_groups.read_*` functions and a few awkward rows), and for each line P run
//! `SELECT count(*) FILTER (WHERE (P) IS NULL), count(*) FILTER (WHERE P),
//! count(*) FILTER (WHERE NOT (P)) FROM public.users u`: the first count must be 0 and the
//! other two must add up to the number of users, with standard_conforming_strings on and off.

mod compile_support;

use compile_support::*;
use smart_groups_core::ast::{CmpOp, Op};
use smart_groups_core::catalog::FieldType;
use smart_groups_core::checked::{FieldPath, Operand, Pred, TimeUnit};

fn cases(ty: FieldType) -> Vec<(Op, Operand)> {
    let s = || text("a%_!\\'x");
    let mut v = vec![
        (Op::IsEmpty, Operand::None),
        (Op::IsNotEmpty, Operand::None),
    ];
    match ty {
        FieldType::Text | FieldType::Enum => {
            v.push((Op::In, texts(&["ann", "B"])));
            v.push((Op::NotIn, texts(&["ann"])));
            for op in [Op::Eq, Op::Neq] {
                v.push((op, text("ann")));
            }
            if ty == FieldType::Text {
                for op in [
                    Op::Contains,
                    Op::NotContains,
                    Op::StartsWith,
                    Op::EndsWith,
                    Op::EqCi,
                    Op::ContainsCi,
                    Op::StartsWithCi,
                    Op::EndsWithCi,
                ] {
                    v.push((op, s()));
                    v.push((op, text("Ä")));
                }
            }
        }
        FieldType::Number => {
            for op in [Op::Eq, Op::Neq, Op::Lt, Op::Lte, Op::Gt, Op::Gte] {
                v.push((op, Operand::Number(num("-1.5e1"))));
            }
            v.push((Op::Between, Operand::NumberRange(num("-1"), num("30"))));
            v.push((Op::In, Operand::NumberList(vec![num("1"), num("-2")])));
            v.push((Op::NotIn, Operand::NumberList(vec![num("1")])));
        }
        FieldType::Date | FieldType::Timestamp => {
            for op in [Op::Eq, Op::Neq, Op::Before, Op::After] {
                v.push((op, Operand::Time(day("2024-01-31"))));
                v.push((op, Operand::Time(instant("2024-01-31T10:00:00.25Z"))));
            }
            v.push((
                Op::Between,
                Operand::TimeRange(day("0000-01-01"), instant("2024-01-31T10:00:00Z")),
            ));
            v.push((
                Op::Between,
                Operand::TimeRange(
                    instant("2024-01-01T10:00:00Z"),
                    smart_groups_core::checked::Moment::Day(chrono::NaiveDate::MAX),
                ),
            ));
            v.push((Op::WithinLast, interval(3, TimeUnit::Months)));
            v.push((Op::NotWithinLast, interval(2, TimeUnit::Minutes)));
        }
        FieldType::Boolean => {
            v.push((Op::Eq, Operand::Bool(true)));
            v.push((Op::Neq, Operand::Bool(false)));
        }
        FieldType::List => {
            v.push((Op::Includes, s()));
            v.push((Op::NotIncludes, text("a")));
            v.push((Op::IncludesAny, texts(&["a", "b"])));
            v.push((Op::IncludesAll, texts(&[])));
        }
    }
    v
}

#[test]
#[ignore]
fn dump() {
    let cat = catalog();
    let mut fields: Vec<(FieldPath, FieldType)> = vec![];
    for c in &cat.columns {
        fields.push((col(&c.name), c.ty));
        fields.push((manager(col(&c.name)), c.ty));
    }
    for f in &cat.custom_fields {
        fields.push((custom(&f.key), f.ty));
        fields.push((manager(manager(custom(&f.key))), f.ty));
    }
    let mut preds = vec![];
    for (path, ty) in fields {
        for (op, operand) in cases(ty) {
            preds.push(rule(path.clone(), op, operand));
        }
    }
    for op in CmpOp::ALL {
        for n in [0, 1, 3] {
            let f = rule(
                rel_col("completed_at"),
                Op::WithinLast,
                interval(20, TimeUnit::Days),
            );
            preds.push(has(Some(f), op, n));
            preds.push(has(None, op, n));
        }
    }
    preds.push(Pred::MemberOf {
        group_id: 1,
        name: "G".into(),
    });
    preds.push(Pred::All(vec![]));
    preds.push(Pred::Any(vec![]));
    for p in preds {
        println!("{}", smart_groups_core::compile::compile(&p, &cat));
    }
}
