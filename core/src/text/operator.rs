//! The operator phrase after a field name, and its value: `= "x"`, `starts with ignoring case
//! "a"`, `between 1 and 5`, `within last 30 days`, `is empty`, ...
//! Any VALUE is accepted wherever a value goes; only validation knows the field's type. A
//! NAME where a value goes names another field to compare with (`hire_date after created_at`):
//! no VALUE starts like a NAME (`true` and `false` are reserved words).

use super::error::expected;
use super::lexical::{keyword, parse_name, symbol};
use super::value::{parse_duration, parse_scalar, parse_value};
use super::PResult;
use crate::ast::{Op, Value};
use nom::branch::alt;
use nom::combinator::{cut, map, opt, success, value};
use nom::error::context;
use nom::sequence::{pair, preceded, separated_pair};

/// What an operator compares with: a value, or another field.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Rhs {
    Value(Value),
    Field(String),
}

/// An operator with what it compares with (`None` exactly for `is empty` / `is not empty`).
type Operation = (Op, Option<Rhs>);

/// `parser`'s value, or failing that a field's NAME.
fn value_or_field<'a>(
    mut parser: impl FnMut(&'a str) -> PResult<'a, Value>,
) -> impl FnMut(&'a str) -> PResult<'a, Rhs> {
    move |input: &'a str| match parser(input) {
        Ok((rest, v)) => Ok((rest, Rhs::Value(v))),
        Err(nom::Err::Error(e)) => match parse_name(input) {
            Ok((rest, name)) => Ok((rest, Rhs::Field(name))),
            Err(nom::Err::Error(_)) => Err(nom::Err::Error(e)),
            Err(other) => Err(other),
        },
        Err(other) => Err(other),
    }
}

// Not inlined into the recursive rules: its many alternatives made every nesting level of
// `(`/`not`/`where` cost several KiB of stack.
#[inline(never)]
pub(super) fn parse_operator(input: &str, level: usize) -> PResult<'_, Operation> {
    alt((
        |i| parse_symbol_comparison(i, level),
        |i| parse_word_comparison(i, level),
        |i| parse_contains(i, level),
        |i| parse_starts_or_ends_with(i, level),
        |i| parse_equals_ignoring_case(i, level),
        |i| parse_does_not(i, level),
        |i| parse_negated(i, level),
        |i| parse_in(i, level),
        parse_is_empty,
        |i| parse_between(i, level),
        |i| parse_within_last(i, level),
        |i| parse_includes(i, level),
    ))(input)
}

/// The value every operator but `is [not] empty` requires; once the operator is recognized it
/// must follow.
fn with_value<'a>(op: Op, input: &'a str, level: usize) -> PResult<'a, Operation> {
    let value = value_or_field(|i| parse_value(i, level));
    let (input, v) = cut(context(expected::VALUE, value))(input)?;
    Ok((input, (op, Some(v))))
}

/// `=` `!=` `<>` `<` `<=` `>` `>=`
fn parse_symbol_comparison(input: &str, level: usize) -> PResult<'_, Operation> {
    // Longest first: `<=` and `<>` start with `<`.
    let (input, op) = alt((
        value(Op::Neq, symbol("<>")),
        value(Op::Lte, symbol("<=")),
        value(Op::Lt, symbol("<")),
        value(Op::Gte, symbol(">=")),
        value(Op::Gt, symbol(">")),
        value(Op::Neq, symbol("!=")),
        value(Op::Eq, symbol("=")),
    ))(input)?;
    with_value(op, input, level)
}

/// `on D` (eq), `before D`, `after D`
fn parse_word_comparison(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, op) = alt((
        value(Op::Eq, keyword("on")),
        value(Op::Before, keyword("before")),
        value(Op::After, keyword("after")),
    ))(input)?;
    with_value(op, input, level)
}

/// An optional `ignoring case` after a text operator.
fn parse_ignoring_case(input: &str) -> PResult<'_, bool> {
    let phrase = preceded(
        keyword("ignoring"),
        cut(context(expected::CASE, keyword("case"))),
    );
    map(opt(phrase), |p| p.is_some())(input)
}

/// `contains [ignoring case] V`
fn parse_contains(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, _) = keyword("contains")(input)?;
    let (input, ci) = parse_ignoring_case(input)?;
    with_value(if ci { Op::ContainsCi } else { Op::Contains }, input, level)
}

/// `starts with [ignoring case] V`, `ends with [ignoring case] V`
fn parse_starts_or_ends_with(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, starts) = alt((
        value(true, keyword("starts")),
        value(false, keyword("ends")),
    ))(input)?;
    let (input, _) = cut(context(expected::WITH, keyword("with")))(input)?;
    let (input, ci) = parse_ignoring_case(input)?;
    let op = match (starts, ci) {
        (true, false) => Op::StartsWith,
        (true, true) => Op::StartsWithCi,
        (false, false) => Op::EndsWith,
        (false, true) => Op::EndsWithCi,
    };
    with_value(op, input, level)
}

/// `equals ignoring case V`
fn parse_equals_ignoring_case(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, _) = keyword("equals")(input)?;
    let (input, _) = cut(context(
        expected::IGNORING_CASE,
        pair(keyword("ignoring"), keyword("case")),
    ))(input)?;
    with_value(Op::EqCi, input, level)
}

/// `does not contain V`, `does not include V`
fn parse_does_not(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, _) = keyword("does")(input)?;
    let (input, _) = cut(context(expected::NOT, keyword("not")))(input)?;
    let (input, op) = cut(context(
        expected::CONTAIN_OR_INCLUDE,
        alt((
            value(Op::NotContains, keyword("contain")),
            value(Op::NotIncludes, keyword("include")),
        )),
    ))(input)?;
    with_value(op, input, level)
}

/// `not in V`, `not within last DURATION`
fn parse_negated(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, _) = keyword("not")(input)?;
    let (input, within) = cut(context(
        expected::IN_OR_WITHIN_LAST,
        alt((
            value(false, keyword("in")),
            value(true, pair(keyword("within"), keyword("last"))),
        )),
    ))(input)?;
    if within {
        let duration = value_or_field(|i| parse_duration(i, level));
        let (input, v) = cut(context(expected::DURATION, duration))(input)?;
        return Ok((input, (Op::NotWithinLast, Some(v))));
    }
    with_value(Op::NotIn, input, level)
}

/// `in V` (usually a list; a single value is left for validation to judge)
fn parse_in(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, _) = keyword("in")(input)?;
    with_value(Op::In, input, level)
}

/// `is empty`, `is not empty`
fn parse_is_empty(input: &str) -> PResult<'_, Operation> {
    let (input, _) = keyword("is")(input)?;
    let (input, negated) = cut(context(
        expected::EMPTY,
        alt((
            value(false, keyword("empty")),
            value(true, pair(keyword("not"), keyword("empty"))),
        )),
    ))(input)?;
    let op = if negated { Op::IsNotEmpty } else { Op::IsEmpty };
    Ok((input, (op, None)))
}

/// `between A and B` → the list `[A, B]`; failing that, `between V` with any single value, so
/// that every JSON `between` (even a malformed one) has a text form.
fn parse_between(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, _) = keyword("between")(input)?;
    // Scalar bounds: `between 1 and (2)` would be a list in a list, which JSON cannot hold.
    let bounds = separated_pair(parse_scalar, keyword("and"), parse_scalar);
    let value = alt((
        map(bounds, |(low, high)| Value::List(vec![low, high])),
        |i| parse_value(i, level),
    ));
    let (input, v) = cut(context(expected::VALUE, value_or_field(value)))(input)?;
    Ok((input, (Op::Between, Some(v))))
}

/// `within last DURATION`
fn parse_within_last(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, _) = keyword("within")(input)?;
    let (input, _) = cut(context(expected::LAST, keyword("last")))(input)?;
    let duration = value_or_field(|i| parse_duration(i, level));
    let (input, v) = cut(context(expected::DURATION, duration))(input)?;
    Ok((input, (Op::WithinLast, Some(v))))
}

/// `includes V`, `includes any V`, `includes all V`
fn parse_includes(input: &str, level: usize) -> PResult<'_, Operation> {
    let (input, _) = keyword("includes")(input)?;
    let (input, op) = alt((
        value(Op::IncludesAny, keyword("any")),
        value(Op::IncludesAll, keyword("all")),
        success(Op::Includes),
    ))(input)?;
    with_value(op, input, level)
}
