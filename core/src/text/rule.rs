//! Rules: `NAME operator` (with a value, or another field's NAME), `member of "G"`, `has [no | count] R [where ruleset]`.

use super::error::expected;
use super::expr::{nest, parse_ruleset};
use super::lexical::{keyword, parse_count_number, parse_name, parse_whitespace};
use super::operator::{parse_operator, Rhs};
use super::value::parse_string;
use super::PResult;
use crate::ast::{CmpOp, Comparison, Condition, Count, Has, Node};
use nom::branch::alt;
use nom::combinator::{cut, map, success, value};
use nom::error::context;
use nom::sequence::{pair, preceded};

/// condition := NAME operator.
/// Not inlined, to keep the frames of the recursive rules small (see `parse_operator`).
#[inline(never)]
pub(super) fn parse_condition(input: &str, level: usize) -> PResult<'_, Node> {
    let (input, field) = parse_name(input)?;
    // A rule starting with a name can only be a condition: commit to it.
    let (input, (op, rhs)) = cut(context(expected::OPERATOR, |i| parse_operator(i, level)))(input)?;
    let node = match rhs {
        Some(Rhs::Field(value_field)) => Node::Compare(Comparison {
            field,
            op,
            value_field,
        }),
        Some(Rhs::Value(v)) => Node::Cond(Condition {
            field,
            op,
            value: Some(v),
        }),
        None => Node::Cond(Condition {
            field,
            op,
            value: None,
        }),
    };
    Ok((input, node))
}

/// member_of := "member" "of" STRING
pub(super) fn parse_member_of(input: &str) -> PResult<'_, Node> {
    let (input, _) = keyword("member")(input)?;
    let (input, _) = cut(context(expected::OF, keyword("of")))(input)?;
    let group = preceded(parse_whitespace, parse_string);
    map(cut(context(expected::GROUP_NAME, group)), Node::MemberOf)(input)
}

/// How many related rows `has` asks for.
#[derive(Clone)]
enum Quantifier {
    /// `has R`: at least one.
    Some,
    /// `has no R`: none, i.e. `not (has R)`.
    No,
    Count(Count),
}

/// has := "has" ["no" | count_phrase] NAME ["where" ruleset]
/// Not inlined, to keep the frames of the recursive rules small (see `parse_operator`).
#[inline(never)]
pub(super) fn parse_has(input: &str, level: usize) -> PResult<'_, Node> {
    let (input, _) = keyword("has")(input)?;
    let (input, quantifier) = parse_quantifier(input)?;
    let (input, relation) = cut(context(expected::RELATION, parse_name))(input)?;
    let (input, filter) = match keyword("where")(input) {
        Ok((input, _)) => {
            let level = nest(input, level)?;
            let (input, filter) = cut(|i| parse_ruleset(i, level))(input)?;
            (input, Some(Box::new(filter)))
        }
        Err(_) => (input, None),
    };
    let has = |count| {
        Node::Has(Has {
            relation,
            filter,
            count,
        })
    };
    let node = match quantifier {
        Quantifier::Some => has(None),
        Quantifier::No => Node::Not(Box::new(has(None))),
        Quantifier::Count(count) => has(Some(count)),
    };
    Ok((input, node))
}

fn parse_quantifier(input: &str) -> PResult<'_, Quantifier> {
    alt((
        value(Quantifier::No, keyword("no")),
        map(parse_count_phrase, Quantifier::Count),
        success(Quantifier::Some),
    ))(input)
}

/// count_phrase := "at least" N | "at most" N | "more than" N | "fewer than" N
///               | "less than" N | "exactly" N | "not exactly" N
fn parse_count_phrase(input: &str) -> PResult<'_, Count> {
    let (input, op) = alt((
        value(CmpOp::Gte, pair(keyword("at"), keyword("least"))),
        value(CmpOp::Lte, pair(keyword("at"), keyword("most"))),
        value(CmpOp::Gt, pair(keyword("more"), keyword("than"))),
        value(CmpOp::Lt, pair(keyword("fewer"), keyword("than"))),
        value(CmpOp::Lt, pair(keyword("less"), keyword("than"))),
        value(CmpOp::Eq, keyword("exactly")),
        value(CmpOp::Neq, pair(keyword("not"), keyword("exactly"))),
    ))(input)?;
    let (input, value) = cut(context(expected::COUNT, parse_count_number))(input)?;
    Ok((input, Count { op, value }))
}

/// The words `parse_count_phrase` reads for `op`, for the printer.
pub(super) fn count_phrase(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Gte => "at least",
        CmpOp::Lte => "at most",
        CmpOp::Gt => "more than",
        CmpOp::Lt => "fewer than",
        CmpOp::Eq => "exactly",
        CmpOp::Neq => "not exactly",
    }
}
