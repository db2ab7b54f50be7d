//! Whether one non-NULL value satisfies a positive operator (one that is not defined as the
//! negation of another; see `ast::Op::negation_of`). An operator or operand that does not fit
//! the value's type (which validation never produces) is simply not satisfied.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};

use super::read::Val;
use super::time;
use crate::ast::{Number, Op};
use crate::checked::Operand;
use crate::values::compare_numbers;

/// `lower`: how text is folded for the case-insensitive operators.
pub(super) fn satisfies(
    op: Op,
    operand: &Operand,
    v: &Val,
    now: DateTime<Utc>,
    lower: Lower<'_>,
) -> bool {
    if op == Op::IsNotEmpty {
        return !is_empty(v);
    }
    match v {
        Val::Text(s) => text(op, operand, s, lower),
        Val::Number(n) => number(op, operand, n),
        Val::Float(f) => float(op, operand, *f),
        Val::Bool(b) => matches!((op, operand), (Op::Eq, Operand::Bool(x)) if x == b),
        Val::List(items) => list(op, operand, items),
        Val::Date(d) => time::date(op, operand, *d, now),
        Val::Time(t) => time::timestamp(op, operand, *t, now),
    }
}

/// docs/reference/rules.md, "Semantics": "v is NULL, or the empty string (text), or a list with no elements"; NULL never
/// reaches here. Whitespace is not empty.
fn is_empty(v: &Val) -> bool {
    match v {
        Val::Text(s) => s.is_empty(),
        Val::List(items) => items.is_empty(),
        _ => false,
    }
}

/// Folds text to lower case (Unicode's full mapping, as ICU's root locale does).
pub type Lower<'a> = &'a dyn Fn(&str) -> String;

fn text(op: Op, operand: &Operand, s: &str, lower: Lower<'_>) -> bool {
    match (op, operand) {
        (Op::Eq, Operand::Text(x)) => s == x,
        (Op::Contains, Operand::Text(x)) => s.contains(x.as_str()),
        (Op::StartsWith, Operand::Text(x)) => s.starts_with(x.as_str()),
        (Op::EndsWith, Operand::Text(x)) => s.ends_with(x.as_str()),
        (Op::In, Operand::TextList(xs)) => xs.iter().any(|x| s == x),
        (Op::EqCi, Operand::Text(x)) => lower(s) == lower(x),
        (Op::ContainsCi, Operand::Text(x)) => lower(s).contains(&lower(x)),
        (Op::StartsWithCi, Operand::Text(x)) => lower(s).starts_with(&lower(x)),
        (Op::EndsWithCi, Operand::Text(x)) => lower(s).ends_with(&lower(x)),
        _ => false,
    }
}

fn number(op: Op, operand: &Operand, v: &str) -> bool {
    // Exact decimal order; `None` (not a number) satisfies nothing. Rule values are always
    // finite.
    ordered(op, operand, &|x: &Number| numeric_order(v, x.as_str()))
}

/// Postgres compares a float column with a rule's number in float8: the number rounded to
/// the nearest double (Rust's parse rounds correctly, as `float8in` does); NaN equals
/// itself and sorts above every other value.
fn float(op: Op, operand: &Operand, v: f64) -> bool {
    ordered(op, operand, &|x: &Number| {
        Some(float_order(v, x.as_str().parse().ok()?))
    })
}

/// The order operators on a value whose order against each of the rule's numbers is `cmp`.
fn ordered(op: Op, operand: &Operand, cmp: &dyn Fn(&Number) -> Option<Ordering>) -> bool {
    let is = |x: &Number, wanted: &[Ordering]| cmp(x).is_some_and(|o| wanted.contains(&o));
    use Ordering::{Equal, Greater, Less};
    match (op, operand) {
        (Op::Eq, Operand::Number(x)) => is(x, &[Equal]),
        (Op::Lt, Operand::Number(x)) => is(x, &[Less]),
        (Op::Lte, Operand::Number(x)) => is(x, &[Less, Equal]),
        (Op::Gt, Operand::Number(x)) => is(x, &[Greater]),
        (Op::Gte, Operand::Number(x)) => is(x, &[Greater, Equal]),
        (Op::Between, Operand::NumberRange(low, high)) => {
            is(low, &[Greater, Equal]) && is(high, &[Less, Equal])
        }
        (Op::In, Operand::NumberList(xs)) => xs.iter().any(|x| is(x, &[Equal])),
        _ => false,
    }
}

/// NULL elements never match: `Some(x)` is compared, never `None`.
fn list(op: Op, operand: &Operand, items: &[Option<String>]) -> bool {
    let includes = |x: &String| items.iter().any(|item| item.as_ref() == Some(x));
    match (op, operand) {
        (Op::Includes, Operand::Text(x)) => includes(x),
        (Op::IncludesAny, Operand::TextList(xs)) => xs.iter().any(includes),
        (Op::IncludesAll, Operand::TextList(xs)) => xs.iter().all(includes),
        _ => false,
    }
}

/// Whether two non-NULL values of a field-to-field rule satisfy a positive operator: `eq`,
/// `eq_ci` on text, or an order (`lt` … `gte`, `before`, `after`). A date compares with a
/// timestamp's UTC day; a float with a number in float8, where Postgres promotes a numeric.
pub(super) fn compare(op: Op, a: &Val, b: &Val, lower: Lower<'_>) -> bool {
    use Ordering::{Equal, Greater, Less};
    if let (Op::EqCi, Val::Text(x), Val::Text(y)) = (op, a, b) {
        return lower(x) == lower(y);
    }
    let Some(order) = order(a, b) else {
        return false;
    };
    let wanted: &[Ordering] = match op {
        Op::Eq => &[Equal],
        Op::Lt | Op::Before => &[Less],
        Op::Lte => &[Less, Equal],
        Op::Gt | Op::After => &[Greater],
        Op::Gte => &[Greater, Equal],
        _ => &[],
    };
    wanted.contains(&order)
}

/// The order of two values of comparable types; None for values that do not compare.
fn order(a: &Val, b: &Val) -> Option<Ordering> {
    match (a, b) {
        // Validation asks only equality of text, which byte order answers.
        (Val::Text(x), Val::Text(y)) => Some(x.cmp(y)),
        (Val::Bool(x), Val::Bool(y)) => Some(x.cmp(y)),
        (Val::Number(x), Val::Number(y)) => numeric_order(x, y),
        (Val::Float(x), Val::Float(y)) => Some(float_order(*x, *y)),
        (Val::Number(x), Val::Float(y)) => Some(float_order(x.parse().ok()?, *y)),
        (Val::Float(x), Val::Number(y)) => Some(float_order(*x, y.parse().ok()?)),
        (Val::Date(x), Val::Date(y)) => Some(x.cmp(y)),
        (Val::Time(x), Val::Time(y)) => Some(x.cmp(y)),
        (Val::Date(x), Val::Time(y)) => Some(x.cmp(&y.date_naive())),
        (Val::Time(x), Val::Date(y)) => Some(x.date_naive().cmp(y)),
        _ => None,
    }
}

/// numeric's order: -Infinity below every number, Infinity above, NaN above everything and
/// equal to itself.
fn numeric_order(x: &str, y: &str) -> Option<Ordering> {
    let class = |v: &str| match v {
        "-Infinity" => 0,
        "Infinity" => 2,
        "NaN" => 3,
        _ => 1,
    };
    match (class(x), class(y)) {
        (1, 1) => compare_numbers(x, y),
        (cx, cy) => Some(cx.cmp(&cy)),
    }
}

/// float8's order: NaN above everything and equal to itself.
fn float_order(x: f64, y: f64) -> Ordering {
    match (x.is_nan(), y.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}
