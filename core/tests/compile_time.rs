//! Golden SQL for date and timestamp columns: days, instants, ranges and relative time.

mod compile_support;

use compile_support::*;
use smart_groups_core::ast::Op;
use smart_groups_core::checked::{Operand, TimeUnit};

fn sql(field: &str, op: Op, operand: Operand) -> String {
    compile(&rule(col(field), op, operand))
}

#[test]
fn date_column() {
    let g = |op, operand| sql("birthday", op, operand);
    let nn = "u.\"birthday\" IS NOT NULL AND ";
    let d = "'2024-01-31'::date";
    assert_eq!(
        g(Op::Eq, Operand::Time(day("2024-01-31"))),
        format!("({nn}u.\"birthday\" = {d})")
    );
    assert_eq!(
        g(Op::Neq, Operand::Time(day("2024-01-31"))),
        format!("NOT (({nn}u.\"birthday\" = {d}))")
    );
    assert_eq!(
        g(Op::Before, Operand::Time(day("2024-01-31"))),
        format!("({nn}u.\"birthday\" < {d})")
    );
    assert_eq!(
        g(Op::After, Operand::Time(day("2024-01-31"))),
        format!("({nn}u.\"birthday\" > {d})")
    );
    assert_eq!(
        g(
            Op::Between,
            Operand::TimeRange(day("2024-01-01"), day("2024-01-31"))
        ),
        format!("({nn}u.\"birthday\" >= '2024-01-01'::date AND u.\"birthday\" <= {d})")
    );
    let today = "(now() AT TIME ZONE 'UTC')::date";
    let within =
        format!("u.\"birthday\" >= ({today} - '30 days'::interval) AND u.\"birthday\" <= {today}");
    assert_eq!(
        g(Op::WithinLast, interval(30, TimeUnit::Days)),
        format!("({nn}{within})")
    );
    assert_eq!(
        g(Op::NotWithinLast, interval(30, TimeUnit::Days)),
        format!("NOT (({nn}{within}))")
    );
    assert_eq!(
        g(Op::IsNotEmpty, Operand::None),
        "(u.\"birthday\" IS NOT NULL)"
    );
}

#[test]
fn timestamptz_column_with_days_and_instants() {
    let g = |op, operand| sql("created_at", op, operand);
    let nn = "u.\"created_at\" IS NOT NULL AND ";
    let v = "u.\"created_at\"";
    let d0 = "'2024-01-31 00:00:00+00'::timestamptz";
    let d1 = "'2024-02-01 00:00:00+00'::timestamptz";
    let i = "'2024-01-31 10:00:00+00'::timestamptz";
    let on = Operand::Time(day("2024-01-31"));
    assert_eq!(
        g(Op::Eq, on.clone()),
        format!("({nn}{v} >= {d0} AND {v} < {d1})")
    );
    assert_eq!(
        g(Op::Neq, on.clone()),
        format!("NOT (({nn}{v} >= {d0} AND {v} < {d1}))")
    );
    assert_eq!(g(Op::Before, on.clone()), format!("({nn}{v} < {d0})"));
    assert_eq!(g(Op::After, on), format!("({nn}{v} >= {d1})"));
    let at = Operand::Time(instant("2024-01-31T11:00:00+01:00"));
    assert_eq!(g(Op::Eq, at.clone()), format!("({nn}{v} = {i})"));
    assert_eq!(g(Op::Before, at.clone()), format!("({nn}{v} < {i})"));
    assert_eq!(g(Op::After, at), format!("({nn}{v} > {i})"));
    let range = |lo, hi| g(Op::Between, Operand::TimeRange(lo, hi));
    assert_eq!(
        range(day("2024-01-01"), day("2024-01-31")),
        format!("({nn}{v} >= '2024-01-01 00:00:00+00'::timestamptz AND {v} < {d1})")
    );
    assert_eq!(
        range(
            instant("2024-01-01T00:00:00.5Z"),
            instant("2024-01-31T10:00:00Z")
        ),
        format!("({nn}{v} >= '2024-01-01 00:00:00.500000+00'::timestamptz AND {v} <= {i})")
    );
    assert_eq!(
        range(instant("2024-01-31T10:00:00Z"), day("2024-01-31")),
        format!("({nn}{v} >= {i} AND {v} < {d1})")
    );
    assert_eq!(
        range(day("2024-01-31"), instant("2024-01-31T10:00:00Z")),
        format!("({nn}{v} >= {d0} AND {v} <= {i})")
    );
    assert_eq!(
        g(Op::WithinLast, interval(2, TimeUnit::Hours)),
        format!("({nn}{v} >= ((now() AT TIME ZONE 'UTC') - '2 hours'::interval) AT TIME ZONE 'UTC' AND {v} <= now())")
    );
    assert_eq!(
        g(Op::NotWithinLast, interval(1, TimeUnit::Years)),
        format!("NOT (({nn}{v} >= ((now() AT TIME ZONE 'UTC') - '1 years'::interval) AT TIME ZONE 'UTC' AND {v} <= now()))")
    );
    assert_eq!(
        g(Op::IsEmpty, Operand::None),
        format!("NOT (({v} IS NOT NULL))")
    );
}

#[test]
fn naive_timestamp_column_compares_in_utc() {
    let g = |op, operand| sql("last_login", op, operand);
    let nn = "u.\"last_login\" IS NOT NULL AND ";
    let v = "u.\"last_login\"";
    assert_eq!(
        g(Op::Eq, Operand::Time(day("2024-12-31"))),
        format!(
            "({nn}{v} >= '2024-12-31 00:00:00'::timestamp AND {v} < '2025-01-01 00:00:00'::timestamp)"
        )
    );
    assert_eq!(
        g(
            Op::After,
            Operand::Time(instant("2024-01-31T12:00:00.000001+02:00"))
        ),
        format!("({nn}{v} > '2024-01-31 10:00:00.000001'::timestamp)")
    );
    let now = "(now() AT TIME ZONE 'UTC')";
    assert_eq!(
        g(Op::WithinLast, interval(15, TimeUnit::Minutes)),
        format!("({nn}{v} >= {now} - '15 minutes'::interval AND {v} <= {now})")
    );
}

/// The time refresh runs each distinct boundary search once across groups: a ruleset's
/// parts are one per relative-time value it reads, repeated values once, in rule order, and
/// `time_boundary_keys` is their union.
#[test]
fn boundary_searches_one_per_value() {
    use smart_groups_core::checked::Pred;
    use smart_groups_core::compile::{time_boundary_key_parts, time_boundary_keys};
    let cat = catalog();
    let login = |n| {
        rule(
            col("created_at"),
            Op::WithinLast,
            interval(n, TimeUnit::Days),
        )
    };
    let birthday = rule(
        col("birthday"),
        Op::NotWithinLast,
        interval(1, TimeUnit::Years),
    );
    let same_twice = Pred::Any(vec![
        login(30),
        Pred::All(vec![login(30), birthday.clone()]),
        Pred::Not(Box::new(login(7))),
    ]);
    let parts = time_boundary_key_parts(&same_twice, &cat);
    assert_eq!(parts.len(), 3, "{parts:#?}");
    assert_eq!(parts[0], time_boundary_key_parts(&login(30), &cat)[0]);
    assert_eq!(parts[1], time_boundary_key_parts(&birthday, &cat)[0]);
    assert_eq!(parts[2], time_boundary_key_parts(&login(7), &cat)[0]);
    assert_ne!(parts[0], parts[2]);
    assert_eq!(
        time_boundary_keys(&same_twice, &cat),
        Some(parts.join(" UNION "))
    );
    let none = rule(col("name"), Op::Eq, text("x"));
    assert!(time_boundary_key_parts(&none, &cat).is_empty());
    assert_eq!(time_boundary_keys(&none, &cat), None);
}
