//! Values of number fields. Numbers stay decimal text (`ast::Number`) all the way to SQL.

use std::cmp::Ordering;

use super::{all_of, bounds, fail, list, reversed, wrong_type, Target};
use crate::ast::{Number, Op, Value};
use crate::checked::Operand;
use crate::validate::error::ValidationError;
use crate::validate::walk::{index, Ctx};
use crate::values::{compare_numbers, read_number};

pub(super) fn operand(
    ctx: &mut Ctx,
    target: &Target,
    op: Op,
    value: &Value,
    path: &str,
) -> Option<Operand> {
    match op {
        Op::Between => {
            let (low, high) = bounds(ctx, target, value, path)?;
            let low = number(ctx, target, low, &index(path, 0));
            let high = number(ctx, target, high, &index(path, 1));
            let (low, high) = (low?, high?);
            if compare_numbers(low.as_str(), high.as_str()) == Some(Ordering::Greater) {
                return reversed(ctx, target, low.as_str(), high.as_str(), path);
            }
            Some(Operand::NumberRange(low, high))
        }
        Op::In | Op::NotIn => {
            let items = list(ctx, target, op, value, path, "a list of numbers")?;
            all_of(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| number(ctx, target, v, &index(path, i))),
            )
            .map(Operand::NumberList)
        }
        _ => number(ctx, target, value, path).map(Operand::Number),
    }
}

/// A JSON number that Postgres `numeric` takes and that evaluators can hold as f64.
fn number(ctx: &mut Ctx, target: &Target, value: &Value, path: &str) -> Option<Number> {
    match value {
        Value::Number(n) if !n.to_f64().is_finite() || read_number(n.as_str()).is_none() => {
            let error = ValidationError::NumberOutOfRange {
                field: target.name.to_string(),
                value: n.as_str().to_string(),
            };
            fail(ctx, path, error)
        }
        Value::Number(n) if !exact_in_json(n) => {
            let error = ValidationError::NumberTooPrecise {
                field: target.name.to_string(),
                value: n.as_str().to_string(),
            };
            fail(ctx, path, error)
        }
        Value::Number(n) => Some(n.clone()),
        other => wrong_type(ctx, target, other, path, "a number"),
    }
}

/// Stored rulesets are JSON numbers carried as 64-bit integers or doubles: a value neither
/// holds exactly would be silently changed on the way into storage, so it is refused.
pub(crate) fn exact_in_json(n: &Number) -> bool {
    if n.as_str().parse::<i64>().is_ok() || n.as_u64().is_some() {
        return true;
    }
    let f = n.to_f64();
    f.is_finite() && compare_numbers(n.as_str(), &format!("{f:e}")) == Some(Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_that_survive_storage() {
        let n = |s: &str| Number::parse(s).map(|n| exact_in_json(&n));
        assert_eq!(n("12345678901234567890"), Some(true));
        assert_eq!(n("-9223372036854775808"), Some(true));
        assert_eq!(n("1.5"), Some(true));
        assert_eq!(n("0.1"), Some(true));
        assert_eq!(n("1e300"), Some(true));
        assert_eq!(n("12345678901234567890.123"), Some(false));
        assert_eq!(n("0.30000000000000001"), Some(false));
        assert_eq!(n("123456789012345678901"), Some(false));
    }
}
