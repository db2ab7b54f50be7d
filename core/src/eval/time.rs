//! Dates and timestamps. A date written in a rule on a timestamp field stands for the whole
//! UTC day; an instant compares exactly. `within_last` counts back from `now`.

use chrono::{DateTime, Months, NaiveDate, NaiveTime, TimeDelta, Utc};

use super::read::Val;
use crate::ast::Op;
use crate::checked::{Moment, Operand, TimeUnit};

/// A date field's value. Rules on date fields only hold dates; an instant (never produced by
/// validation) is compared with the value's midnight UTC.
pub(super) fn date(op: Op, operand: &Operand, v: NaiveDate, now: DateTime<Utc>) -> bool {
    let at_least = |m: &Moment| match m {
        Moment::Day(d) => v >= *d,
        Moment::Instant(i) => midnight(v) >= *i,
    };
    let at_most = |m: &Moment| match m {
        Moment::Day(d) => v <= *d,
        Moment::Instant(i) => midnight(v) <= *i,
    };
    match (op, operand) {
        (Op::Eq, Operand::Time(m)) => at_least(m) && at_most(m),
        (Op::Before, Operand::Time(m)) => !at_least(m),
        (Op::After, Operand::Time(m)) => !at_most(m),
        (Op::Between, Operand::TimeRange(low, high)) => at_least(low) && at_most(high),
        (Op::WithinLast, Operand::Interval { n, unit }) => {
            let today = now.date_naive();
            // No lower bound when counting back leaves the calendar: every past date is in.
            let recent = match calendar_months(*n, *unit) {
                Some(months) => months
                    .and_then(|m| today.checked_sub_months(m))
                    .is_none_or(|from| from <= v),
                // A fixed duration is taken back from today's midnight, and the day v starts
                // at must not be earlier than that instant.
                None => duration(*n, *unit)
                    .and_then(|d| midnight(today).checked_sub_signed(d))
                    .is_none_or(|from| from <= midnight(v)),
            };
            recent && v <= today
        }
        _ => false,
    }
}

/// A timestamp field's value (timestamptz, or timestamp taken as UTC).
pub(super) fn timestamp(op: Op, operand: &Operand, v: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    // Whether v is at or after the start of a moment, and at or before its end (a day ends
    // just before the next day's midnight).
    let from_start = |m: &Moment| match m {
        Moment::Day(d) => v >= midnight(*d),
        Moment::Instant(i) => v >= *i,
    };
    let until_end = |m: &Moment| match m {
        Moment::Day(d) => d.succ_opt().is_none_or(|next| v < midnight(next)),
        Moment::Instant(i) => v <= *i,
    };
    match (op, operand) {
        (Op::Eq, Operand::Time(m)) => from_start(m) && until_end(m),
        (Op::Before, Operand::Time(m)) => !from_start(m),
        (Op::After, Operand::Time(m)) => !until_end(m),
        (Op::Between, Operand::TimeRange(low, high)) => from_start(low) && until_end(high),
        (Op::WithinLast, Operand::Interval { n, unit }) => {
            let from = match calendar_months(*n, *unit) {
                Some(months) => months.and_then(|m| now.checked_sub_months(m)),
                None => duration(*n, *unit).and_then(|d| now.checked_sub_signed(d)),
            };
            from.is_none_or(|from| from <= v) && v <= now
        }
        _ => false,
    }
}

/// Whether the value `v` of a relative-time rule counting back `n` `unit`s may have crossed
/// one of its boundaries (entering the window at the present end, leaving it at the past
/// end) between `from` and `to`: `compile::time_keys::crossed_since`, decided in Rust. A
/// boundary that cannot be computed (out of the calendar's range) counts as crossed.
pub(super) fn crossed(
    v: &Val<'_>,
    n: u32,
    unit: TimeUnit,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> bool {
    let back = |t: DateTime<Utc>| match calendar_months(n, unit) {
        Some(months) => months.and_then(|m| t.checked_sub_months(m)),
        None => duration(n, unit).and_then(|d| t.checked_sub_signed(d)),
    };
    match *v {
        Val::Time(v) => {
            let entered = v > from && v <= to;
            let left = match (back(from), back(to)) {
                (Some(a), Some(b)) => v >= a && v < b,
                _ => true,
            };
            entered || left
        }
        // Days, with a day of slack on each side (as the SQL form has).
        Val::Date(v) => {
            let day = TimeDelta::days(1);
            let (a, b) = (from.date_naive(), to.date_naive());
            let entered = match b.checked_add_signed(day) {
                Some(b1) => v >= a && v <= b1,
                None => true,
            };
            let back_day = |d: NaiveDate| back(midnight(d)).map(|t| t.date_naive());
            let left = match (back_day(a), back_day(b)) {
                (Some(a), Some(b)) => {
                    match (a.checked_sub_signed(day), b.checked_add_signed(day)) {
                        (Some(a0), Some(b1)) => v >= a0 && v <= b1,
                        _ => true,
                    }
                }
                _ => true,
            };
            entered || left
        }
        _ => false,
    }
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::MIN).and_utc()
}

/// `Some` for calendar units (months, years), holding the month count (`None` inside when it
/// does not fit); `None` for units of fixed length.
fn calendar_months(n: u32, unit: TimeUnit) -> Option<Option<Months>> {
    match unit {
        TimeUnit::Months => Some(Some(Months::new(n))),
        TimeUnit::Years => Some(n.checked_mul(12).map(Months::new)),
        _ => None,
    }
}

/// Fixed-length units. Days are 24 hours: evaluation is in UTC, which has no DST.
fn duration(n: u32, unit: TimeUnit) -> Option<TimeDelta> {
    let n = i64::from(n);
    match unit {
        TimeUnit::Minutes => TimeDelta::try_minutes(n),
        TimeUnit::Hours => TimeDelta::try_hours(n),
        TimeUnit::Days => TimeDelta::try_days(n),
        TimeUnit::Weeks => TimeDelta::try_weeks(n),
        TimeUnit::Months | TimeUnit::Years => None,
    }
}
