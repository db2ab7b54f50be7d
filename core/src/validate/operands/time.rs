//! Values of date and timestamp fields: moments (`eq`, `before`, `between`, ...) and
//! durations (`within_last`).

use chrono::{DateTime, NaiveTime, Utc};

use super::{bounds, fail, reversed, string, Target};
use crate::ast::{Op, Value};
use crate::catalog::FieldType;
use crate::checked::{Moment, Operand, TimeUnit};
use crate::validate::error::ValidationError;
use crate::validate::walk::{index, Ctx};
use crate::values::{parse_interval_wide, parse_rule_date, parse_rule_moment};

pub(super) fn operand(
    ctx: &mut Ctx,
    target: &Target,
    op: Op,
    value: &Value,
    path: &str,
) -> Option<Operand> {
    match op {
        Op::WithinLast | Op::NotWithinLast => duration(ctx, target, value, path),
        Op::Between => {
            let (low, high) = bounds(ctx, target, value, path)?;
            let low_at = moment(ctx, target, low, &index(path, 0));
            let high_at = moment(ctx, target, high, &index(path, 1));
            let (low_at, high_at) = (low_at?, high_at?);
            // A day bound stands for its first instant, so [D 10:00Z, D] is reversed.
            if start(low_at) > start(high_at) {
                let (Value::String(l), Value::String(h)) = (low, high) else {
                    return None;
                };
                return reversed(ctx, target, l, h, path);
            }
            Some(Operand::TimeRange(low_at, high_at))
        }
        _ => moment(ctx, target, value, path).map(Operand::Time),
    }
}

fn moment(ctx: &mut Ctx, target: &Target, value: &Value, path: &str) -> Option<Moment> {
    let timestamp = target.ty == FieldType::Timestamp;
    let expected = if timestamp {
        "a date or timestamp string"
    } else {
        "a date string"
    };
    let text = string(ctx, target, value, path, expected)?;
    let read = if timestamp {
        parse_rule_moment(text)
    } else {
        parse_rule_date(text).map(Moment::Day)
    };
    read.or_else(|| {
        let error = ValidationError::BadDate {
            field: target.name.to_string(),
            value: text.to_string(),
            timestamp,
        };
        fail(ctx, path, error)
    })
}

fn start(moment: Moment) -> DateTime<Utc> {
    match moment {
        Moment::Day(day) => day.and_time(NaiveTime::MIN).and_utc(),
        Moment::Instant(at) => at,
    }
}

fn duration(ctx: &mut Ctx, target: &Target, value: &Value, path: &str) -> Option<Operand> {
    let text = string(
        ctx,
        target,
        value,
        path,
        "a duration string such as \"30 days\"",
    )?;
    let field = target.name.to_string();
    let value = text.to_string();
    match parse_interval_wide(text) {
        Some((n, unit)) if n > 0 => match u32::try_from(n) {
            Ok(n) if u64::from(n) <= max_count(unit) => Some(Operand::Interval { n, unit }),
            _ => fail(ctx, path, ValidationError::IntervalTooLong { field, value }),
        },
        _ => fail(ctx, path, ValidationError::BadInterval { field, value }),
    }
}

/// How many of `unit` fit in 10,000 years (of 365.2425 days, the Gregorian mean), the bound
/// that keeps `now() - interval` inside Postgres' timestamp range with room to spare.
fn max_count(unit: TimeUnit) -> u64 {
    match unit {
        TimeUnit::Years => 10_000,
        TimeUnit::Months => 120_000,
        TimeUnit::Weeks => 521_775,
        TimeUnit::Days => 3_652_425,
        TimeUnit::Hours => 87_658_200,
        TimeUnit::Minutes => 5_259_492_000,
    }
}
