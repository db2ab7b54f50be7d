//! Typing a rule's value for its field type and operator (`checked::Operand`). Each helper
//! reports its own problems at the exact path of the offending value and returns `None`.

mod number;
mod time;

use super::error::{describe_value, ValidationError};
use super::walk::{index, Ctx};
use super::warnings::check_spaces;
use crate::ast::{Op, Value};
use crate::catalog::FieldType;
use crate::checked::Operand;
use crate::report::did_you_mean;

/// The field a value is typed for: its name as the rule wrote it, and its values' type.
pub(in crate::validate) struct Target<'a> {
    pub name: &'a str,
    pub ty: FieldType,
    /// Enum labels; `None` when the catalog gives none (then any string is accepted).
    pub allowed: Option<&'a [String]>,
}

/// `op` is known to apply to `target.ty` (see `applicable_ops`).
pub(in crate::validate) fn type_operand(
    ctx: &mut Ctx,
    target: &Target,
    op: Op,
    value: Option<&Value>,
    path: &str,
) -> Option<Operand> {
    let value = match (op.takes_value(), value) {
        (false, None) => return Some(Operand::None),
        (true, Some(value)) => value,
        (false, Some(_)) => return fail(ctx, path, ValidationError::UnexpectedValue { op }),
        (true, None) => return fail(ctx, path, ValidationError::MissingValue { op }),
    };
    match (target.ty, op) {
        (FieldType::Text, Op::In | Op::NotIn)
        | (FieldType::List, Op::IncludesAny | Op::IncludesAll) => {
            text_list(ctx, target, op, value, path).map(Operand::TextList)
        }
        (FieldType::Text | FieldType::List, _) => text(ctx, target, value, path).map(Operand::Text),
        (FieldType::Enum, Op::In | Op::NotIn) => {
            let items = list(ctx, target, op, value, path, "a list of strings")?;
            let labels = items
                .iter()
                .enumerate()
                .map(|(i, v)| label(ctx, target, v, &index(path, i)));
            all_of(labels).map(Operand::TextList)
        }
        (FieldType::Enum, _) => label(ctx, target, value, path).map(Operand::Text),
        (FieldType::Boolean, _) => match value {
            Value::Bool(b) => Some(Operand::Bool(*b)),
            other => wrong_type(ctx, target, other, path, "true or false"),
        },
        (FieldType::Number, _) => number::operand(ctx, target, op, value, path),
        (FieldType::Date | FieldType::Timestamp, _) => time::operand(ctx, target, op, value, path),
    }
}

fn fail<T>(ctx: &mut Ctx, path: &str, error: ValidationError) -> Option<T> {
    ctx.report(path.to_string(), error);
    None
}

fn wrong_type<T>(
    ctx: &mut Ctx,
    target: &Target,
    found: &Value,
    path: &str,
    expected: &'static str,
) -> Option<T> {
    let error = ValidationError::WrongValueType {
        field: target.name.to_string(),
        ty: target.ty,
        expected,
        found: describe_value(found),
    };
    fail(ctx, path, error)
}

/// Every item typed (each reporting its own problems), or `None` if any failed.
fn all_of<T>(items: impl Iterator<Item = Option<T>>) -> Option<Vec<T>> {
    let items: Vec<Option<T>> = items.collect();
    items.into_iter().collect()
}

/// A string value that Postgres text can hold.
fn string<'v>(
    ctx: &mut Ctx,
    target: &Target,
    value: &'v Value,
    path: &str,
    expected: &'static str,
) -> Option<&'v str> {
    match value {
        Value::String(s) if s.contains('\0') => fail(
            ctx,
            path,
            ValidationError::NulCharacter {
                field: target.name.to_string(),
            },
        ),
        Value::String(s) => Some(s),
        other => wrong_type(ctx, target, other, path, expected),
    }
}

/// A non-empty list: an empty `in` would never match and an empty `not_in` always would,
/// which is never what the writer meant.
fn list<'v>(
    ctx: &mut Ctx,
    target: &Target,
    op: Op,
    value: &'v Value,
    path: &str,
    expected: &'static str,
) -> Option<&'v [Value]> {
    match value {
        Value::List(items) if items.is_empty() => fail(
            ctx,
            path,
            ValidationError::EmptyList {
                field: target.name.to_string(),
                op,
            },
        ),
        Value::List(items) => Some(items),
        other => wrong_type(ctx, target, other, path, expected),
    }
}

fn text(ctx: &mut Ctx, target: &Target, value: &Value, path: &str) -> Option<String> {
    let s = string(ctx, target, value, path, "a string")?;
    check_spaces(ctx, s, path);
    Some(s.to_string())
}

fn text_list(
    ctx: &mut Ctx,
    target: &Target,
    op: Op,
    value: &Value,
    path: &str,
) -> Option<Vec<String>> {
    let items = list(ctx, target, op, value, path, "a list of strings")?;
    all_of(
        items
            .iter()
            .enumerate()
            .map(|(i, v)| text(ctx, target, v, &index(path, i))),
    )
}

/// One enum label. A value that is exactly a label gets no whitespace warning: it matches.
fn label(ctx: &mut Ctx, target: &Target, value: &Value, path: &str) -> Option<String> {
    let s = string(ctx, target, value, path, "a string")?;
    let Some(allowed) = target.allowed else {
        check_spaces(ctx, s, path);
        return Some(s.to_string());
    };
    if allowed.iter().any(|a| a == s) {
        return Some(s.to_string());
    }
    let suggestion = did_you_mean(s.trim(), allowed.iter().map(String::as_str)).map(str::to_string);
    let error = ValidationError::NotAllowed {
        field: target.name.to_string(),
        value: s.to_string(),
        allowed: allowed.to_vec(),
        suggestion,
    };
    fail(ctx, path, error)
}

/// The two bounds of `between`, which must be written `[low, high]`.
fn bounds<'v>(
    ctx: &mut Ctx,
    target: &Target,
    value: &'v Value,
    path: &str,
) -> Option<(&'v Value, &'v Value)> {
    if let Value::List(items) = value {
        if let [low, high] = items.as_slice() {
            return Some((low, high));
        }
    }
    let error = ValidationError::BetweenShape {
        field: target.name.to_string(),
        found: describe_value(value),
    };
    fail(ctx, path, error)
}

fn reversed<T>(ctx: &mut Ctx, target: &Target, low: &str, high: &str, path: &str) -> Option<T> {
    let error = ValidationError::BetweenReversed {
        field: target.name.to_string(),
        low: low.to_string(),
        high: high.to_string(),
    };
    fail(ctx, path, error)
}
