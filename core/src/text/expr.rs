//! Boolean structure: `or` over `and` over `not` over primaries, parentheses, and the
//! explicit groups `all of (...)` / `any of (...)`.

use super::error::{expected, TextError};
use super::lexical::{keyword, symbol};
use super::rule::{parse_condition, parse_has, parse_member_of};
use super::PResult;
use crate::ast::Node;
use crate::limits::MAX_DEPTH;
use nom::branch::alt;
use nom::combinator::{cut, opt, value};
use nom::error::context;
use nom::multi::many0;
use nom::sequence::{preceded, terminated};

/// How many nested `(`, `not`, `where` and `all of (` the parser follows before refusing.
/// Each one is a recursion, so this bound is what keeps hostile input (60,000 `(`) from
/// exhausting the stack. It is twice MAX_DEPTH because the printer may spend two of them on
/// one AST level (`(has r where ...)`, `not (...)`), and a ruleset at the depth limit must
/// still read back; the limit itself is enforced exactly, with `ast::depth`, after parsing.
pub(super) const NESTING_GUARD: usize = 2 * MAX_DEPTH;

/// One level deeper than `level`, or TooDeep once past the guard.
pub(super) fn nest(input: &str, level: usize) -> Result<usize, nom::Err<TextError<'_>>> {
    if level >= NESTING_GUARD {
        return Err(nom::Err::Failure(TextError::too_deep(input)));
    }
    Ok(level + 1)
}

/// The whole text.
pub(super) fn parse_top(input: &str) -> PResult<'_, Node> {
    parse_ruleset(input, 0)
}

/// ruleset := or_expr
pub(super) fn parse_ruleset(input: &str, level: usize) -> PResult<'_, Node> {
    parse_or_expr(input, level)
}

/// or_expr := and_expr ("or" and_expr)*
fn parse_or_expr(input: &str, level: usize) -> PResult<'_, Node> {
    let (input, first) = parse_and_expr(input, level)?;
    let next = preceded(keyword("or"), cut(|i| parse_and_expr(i, level)));
    let (input, rest) = many0(next)(input)?;
    Ok((input, chain(first, rest, Node::Any)))
}

/// and_expr := not_expr ("and" not_expr)*
fn parse_and_expr(input: &str, level: usize) -> PResult<'_, Node> {
    let (input, first) = parse_not_expr(input, level)?;
    let next = preceded(keyword("and"), cut(|i| parse_not_expr(i, level)));
    let (input, rest) = many0(next)(input)?;
    Ok((input, chain(first, rest, Node::All)))
}

/// One flat group per chain: `a and b and c` is all of three, not nested pairs.
fn chain(first: Node, rest: Vec<Node>, group: fn(Vec<Node>) -> Node) -> Node {
    if rest.is_empty() {
        return first;
    }
    group(std::iter::once(first).chain(rest).collect())
}

/// not_expr := "not" not_expr | primary
fn parse_not_expr(input: &str, level: usize) -> PResult<'_, Node> {
    alt((
        |i| parse_negation(i, level),
        context(expected::RULE, |i| parse_primary(i, level)),
    ))(input)
}

fn parse_negation(input: &str, level: usize) -> PResult<'_, Node> {
    let (input, _) = keyword("not")(input)?;
    let level = nest(input, level)?;
    let (input, inner) = cut(|i| parse_not_expr(i, level))(input)?;
    Ok((input, Node::Not(Box::new(inner))))
}

/// primary := "(" ruleset ")" | explicit_group | member_of | has | condition
fn parse_primary(input: &str, level: usize) -> PResult<'_, Node> {
    alt((
        |i| parse_parenthesized(i, level),
        |i| parse_explicit_group(i, level),
        parse_member_of,
        |i| parse_has(i, level),
        |i| parse_condition(i, level),
    ))(input)
}

/// "(" ruleset ")": grouping only; `(a and b) and c` keeps the inner group.
fn parse_parenthesized(input: &str, level: usize) -> PResult<'_, Node> {
    let (input, _) = symbol("(")(input)?;
    let level = nest(input, level)?;
    let (input, node) = cut(|i| parse_ruleset(i, level))(input)?;
    let (input, _) = cut(context(expected::PAREN_END, symbol(")")))(input)?;
    Ok((input, node))
}

/// explicit_group := ("all" | "any") "of" "(" [ruleset ("," ruleset)*] ")"
/// The only spelling of groups with fewer than two items.
fn parse_explicit_group(input: &str, level: usize) -> PResult<'_, Node> {
    let kind = alt((
        value(Node::All as fn(Vec<Node>) -> Node, keyword("all")),
        value(Node::Any as fn(Vec<Node>) -> Node, keyword("any")),
    ));
    // No cut before "of": a field may be named `all` (`all = 1`).
    let (input, group) = terminated(kind, keyword("of"))(input)?;
    let (input, _) = cut(context(expected::OPEN_PAREN, symbol("(")))(input)?;
    let level = nest(input, level)?;
    let (input, first) = opt(|i| parse_ruleset(i, level))(input)?;
    let Some(first) = first else {
        let (input, _) = cut(context(expected::RULE_OR_GROUP_END, symbol(")")))(input)?;
        return Ok((input, group(Vec::new())));
    };
    let next = preceded(symbol(","), cut(|i| parse_ruleset(i, level)));
    let (input, rest) = many0(next)(input)?;
    let (input, _) = cut(context(expected::GROUP_END, symbol(")")))(input)?;
    Ok((input, group(std::iter::once(first).chain(rest).collect())))
}
