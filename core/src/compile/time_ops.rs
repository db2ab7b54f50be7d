//! Date and timestamp operators. A date compared with a timestamp means the whole UTC day
//! (docs/reference/rules.md, "Semantics"): `[D 00:00, D+1 00:00)`. Literals are typed like the column, and the column is
//! never wrapped in a function, so range conditions stay index scans.

use chrono::NaiveDate;

use super::ops::{Cmp, Kind};
use super::time_lit::{date, day_end, day_start, instant, interval};
use crate::ast::Op;
use crate::checked::{Moment, Operand, TimeUnit};

pub(super) fn cmp(v: &str, kind: Kind, op: Op, operand: &Operand) -> Cmp {
    match (op, operand) {
        (Op::IsNotEmpty, Operand::None) => Cmp::Present,
        (Op::WithinLast, Operand::Interval { n, unit }) => within_last(v, kind, *n, *unit),
        _ if kind == Kind::Date => dates(v, op, operand),
        _ => stamps(v, kind == Kind::Timestamptz, op, operand),
    }
}

/// Future values are not within the last N: the upper bound is now.
fn within_last(v: &str, kind: Kind, n: u32, unit: TimeUnit) -> Cmp {
    let now = match kind {
        Kind::Date => "(now() AT TIME ZONE 'UTC')::date",
        Kind::Timestamp => "(now() AT TIME ZONE 'UTC')",
        _ => "now()",
    };
    let span = interval(n, unit);
    Cmp::Expr(match kind {
        Kind::Date => format!("{v} >= ({now} - {span}) AND {v} <= {now}"),
        Kind::Timestamp => format!("{v} >= {now} - {span} AND {v} <= {now}"),
        // Subtracting days or months from a timestamptz follows the session's time zone
        // across daylight-saving changes; in UTC a day is always 24 hours, so membership does
        // not depend on who triggered the refresh.
        _ => format!(
            "{v} >= (({now} AT TIME ZONE 'UTC') - {span}) AT TIME ZONE 'UTC' AND {v} <= {now}"
        ),
    })
}

/// A date field compares as dates; an instant given to one stands for its UTC day.
fn day(m: Moment) -> NaiveDate {
    match m {
        Moment::Day(d) => d,
        Moment::Instant(i) => i.date_naive(),
    }
}

fn dates(v: &str, op: Op, operand: &Operand) -> Cmp {
    let single = |sql_op: &str, m: &Moment| Cmp::Expr(format!("{v} {sql_op} {}", date(day(*m))));
    match (op, operand) {
        (Op::Eq, Operand::Time(m)) => single("=", m),
        (Op::Before, Operand::Time(m)) => single("<", m),
        (Op::After, Operand::Time(m)) => single(">", m),
        (Op::Between, Operand::TimeRange(lo, hi)) => Cmp::Expr(format!(
            "{v} >= {} AND {v} <= {}",
            date(day(*lo)),
            date(day(*hi))
        )),
        _ => Cmp::Never,
    }
}

fn stamps(v: &str, tz: bool, op: Op, operand: &Operand) -> Cmp {
    let expr = match (op, operand) {
        (Op::Eq, Operand::Time(Moment::Day(d))) => {
            format!("{v} >= {} AND {v} < {}", day_start(*d, tz), day_end(*d, tz))
        }
        (Op::Eq, Operand::Time(Moment::Instant(i))) => format!("{v} = {}", instant(*i, tz)),
        (Op::Before, Operand::Time(m)) => format!("{v} < {}", low(*m, tz)),
        (Op::After, Operand::Time(Moment::Day(d))) => format!("{v} >= {}", day_end(*d, tz)),
        (Op::After, Operand::Time(Moment::Instant(i))) => format!("{v} > {}", instant(*i, tz)),
        (Op::Between, Operand::TimeRange(lo, hi)) => {
            let upper = match hi {
                Moment::Day(d) => format!("{v} < {}", day_end(*d, tz)),
                Moment::Instant(i) => format!("{v} <= {}", instant(*i, tz)),
            };
            format!("{v} >= {} AND {upper}", low(*lo, tz))
        }
        _ => return Cmp::Never,
    };
    Cmp::Expr(expr)
}

/// The first instant a moment covers: a day's 00:00 UTC, or the instant itself.
fn low(m: Moment, tz: bool) -> String {
    match m {
        Moment::Day(d) => day_start(d, tz),
        Moment::Instant(i) => instant(i, tz),
    }
}
