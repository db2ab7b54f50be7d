//! Field-to-field rules (`hire_date after created_at`, `location = manager.location`): both
//! values read for the same row, each as a rule's value is read (`paths::with_slot`), and
//! compared in SQL. Two-valued like every rule: the base comparison is false when either side
//! is NULL, and `neq` is `NOT` of `eq` (docs/reference/rules.md, "Comparing two fields").

use super::ops::{Kind, Slot};
use super::{expr, paths, Ctx, Scope};
use crate::ast::Op;
use crate::checked::Compare;

pub(super) fn compare(cx: &mut Ctx<'_>, c: &Compare, scope: &Scope) -> String {
    expr::two_valued(c.op, |op| {
        paths::with_slot(cx, &c.left, scope, &mut |cx, a| {
            paths::with_slot(cx, &c.right, scope, &mut |_, b| guarded(a, b, op))
        })
    })
}

/// `(a IS NOT NULL AND b IS NOT NULL AND comparison)`: never NULL.
fn guarded(a: &Slot, b: &Slot, op: Op) -> String {
    match comparison(a, b, op) {
        Some(e) => format!(
            "({} IS NOT NULL AND {} IS NOT NULL AND {e})",
            a.present, b.present
        ),
        // Validation refuses what does not compare.
        None => "false".to_string(),
    }
}

fn comparison(a: &Slot, b: &Slot, op: Op) -> Option<String> {
    let (x, y) = operands(a, b)?;
    let order = |sql_op: &str| Some(format!("{x} {sql_op} {y}"));
    match op {
        Op::Eq => order("="),
        Op::Lt | Op::Before => order("<"),
        Op::Lte => order("<="),
        Op::Gt | Op::After => order(">"),
        Op::Gte => order(">="),
        Op::EqCi => Some(format!(
            "{} = {}",
            super::text_ops::lower(&x),
            super::text_ops::lower(&y)
        )),
        _ => None,
    }
}

/// The two values in one comparable type: a date with a timestamp compares with the
/// timestamp's UTC day (what a date literal means on a timestamp field); timestamps without
/// time zone hold UTC. Numbers of different types are left to Postgres' own promotion
/// (numeric with float8 compares in float8, as a float column does with a rule's number).
fn operands(a: &Slot, b: &Slot) -> Option<(String, String)> {
    use Kind::*;
    let (x, y) = (a.value.clone(), b.value.clone());
    Some(match (a.kind, b.kind) {
        // Byte for byte, whatever the columns' collations: two columns of different
        // collations would not even compare (42P22), and a nondeterministic one would make
        // `eq` inexact.
        (Text, Text) => (
            format!("({x}) COLLATE \"C\""),
            format!("({y}) COLLATE \"C\""),
        ),
        (Number, Number) | (Boolean, Boolean) | (Date, Date) => (x, y),
        (Timestamp, Timestamp) | (Timestamptz, Timestamptz) => (x, y),
        (Timestamp, Timestamptz) => (utc_instant(&x), y),
        (Timestamptz, Timestamp) => (x, utc_instant(&y)),
        (Date, Timestamp | Timestamptz) => (x, utc_day(&y, b.kind)),
        (Timestamp | Timestamptz, Date) => (utc_day(&x, a.kind), y),
        _ => return None,
    })
}

fn utc_instant(naive: &str) -> String {
    format!("({naive} AT TIME ZONE 'UTC')")
}

fn utc_day(v: &str, kind: Kind) -> String {
    match kind {
        Kind::Timestamptz => format!("({v} AT TIME ZONE 'UTC')::date"),
        _ => format!("({v})::date"),
    }
}
