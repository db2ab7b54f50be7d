//! VALUE := STRING | DATE | NUMBER | "true" | "false" | LIST, and DURATION.
//! Values keep the shape written; whether it suits the field is for validation to say.

use super::error::{expected, TextError};
use super::expr::nest;
use super::lexical::{
    is_connective, is_word_char, keyword, parse_boundary, parse_quoted, parse_whitespace, symbol,
    whole_token,
};
use super::PResult;
use crate::ast::{Number, Value};
use nom::branch::alt;
use nom::bytes::complete::{take_while1, take_while_m_n};
use nom::character::complete::{char, digit1, one_of};
use nom::combinator::{all_consuming, cut, map, map_opt, opt, recognize, value};
use nom::error::context;
use nom::multi::many0;
use nom::sequence::{pair, preceded, terminated, tuple};

/// VALUE. `level` is the nesting level of the enclosing rule; lists nest one further.
pub(super) fn parse_value(input: &str, level: usize) -> PResult<'_, Value> {
    alt((parse_scalar, map(|i| parse_list(i, level), Value::List)))(input)
}

/// A VALUE other than a LIST: what a list element or a `between` bound is. JSON values are
/// flat arrays of scalars, and every text form must have a JSON form.
pub(super) fn parse_scalar(input: &str) -> PResult<'_, Value> {
    preceded(
        parse_whitespace,
        alt((
            map(parse_string, Value::String),
            // Before NUMBER: `2024-01-31` starts like the number 2024.
            map(parse_date, |date| Value::String(date.to_string())),
            map(parse_number, Value::Number),
            map(parse_boolean, Value::Bool),
        )),
    )(input)
}

/// STRING: double-quoted, with `\"` and `\\` the only escapes.
pub(super) fn parse_string(input: &str) -> PResult<'_, String> {
    parse_quoted('"', expected::STRING_END, expected::STRING_ESCAPE)(input)
}

/// DATE: `YYYY-MM-DD` or `MM/DD/YYYY`, optionally with an RFC 3339 time. Digits are counted,
/// not checked against the calendar: validation does that with the field's type in hand.
pub(super) fn parse_date(input: &str) -> PResult<'_, &str> {
    let iso = tuple((digits(4), char('-'), digits(2), char('-'), digits(2)));
    let us = tuple((digits(2), char('/'), digits(2), char('/'), digits(4)));
    whole_token(terminated(
        recognize(pair(alt((recognize(iso), recognize(us))), opt(parse_time))),
        parse_boundary,
    ))(input)
}

/// `T10:00:00Z`, `T10:00:00.123+02:00`.
fn parse_time(input: &str) -> PResult<'_, &str> {
    let offset = alt((
        recognize(one_of("Zz")),
        recognize(tuple((one_of("+-"), digits(2), char(':'), digits(2)))),
    ));
    recognize(tuple((
        one_of("Tt"),
        digits(2),
        char(':'),
        digits(2),
        char(':'),
        digits(2),
        opt(pair(char('.'), digit1)),
        offset,
    )))(input)
}

fn digits<'a>(count: usize) -> impl FnMut(&'a str) -> PResult<'a, &'a str> {
    take_while_m_n(count, count, |c: char| c.is_ascii_digit())
}

/// NUMBER: the JSON number grammar, kept as text.
fn parse_number(input: &str) -> PResult<'_, Number> {
    let text = recognize(tuple((
        opt(char('-')),
        digit1,
        opt(pair(char('.'), digit1)),
        opt(tuple((one_of("eE"), opt(one_of("+-")), digit1))),
    )));
    whole_token(map_opt(terminated(text, parse_boundary), Number::parse))(input)
}

fn parse_boolean(input: &str) -> PResult<'_, bool> {
    alt((value(true, keyword("true")), value(false, keyword("false"))))(input)
}

/// LIST: `(` [SCALAR (`,` SCALAR)*] `)`. An empty list is syntax; validation refuses it where
/// it makes no sense.
fn parse_list(input: &str, level: usize) -> PResult<'_, Vec<Value>> {
    let (input, _) = symbol("(")(input)?;
    // A list still counts as one level below its rule; it never nests further.
    nest(input, level)?;
    let (input, first) = opt(parse_scalar)(input)?;
    let Some(first) = first else {
        // Not a cut: `between 1 and (a = 1 ...)` must be able to fall back to `between 1`.
        let (input, _) = context(expected::VALUE_OR_LIST_END, symbol(")"))(input)?;
        return Ok((input, Vec::new()));
    };
    let next = preceded(symbol(","), cut(context(expected::VALUE, parse_scalar)));
    let (input, rest) = many0(next)(input)?;
    let (input, _) = cut(context(expected::LIST_END, symbol(")")))(input)?;
    Ok((input, std::iter::once(first).chain(rest).collect()))
}

/// DURATION: `30 days` (normalized to one space), or any VALUE such as `"30 days"`.
pub(super) fn parse_duration(input: &str, level: usize) -> PResult<'_, Value> {
    alt((map(parse_duration_words, Value::String), |i| {
        parse_value(i, level)
    }))(input)
}

/// `N unit`: digits, blanks, a word of letters that is not `and`/`or`.
fn parse_duration_words(input: &str) -> PResult<'_, String> {
    let (rest, amount) = preceded(parse_whitespace, digit1)(input)?;
    let (rest, _) = take_while1(char::is_whitespace)(rest)?;
    let (rest, unit) = take_while1(is_word_char)(rest)?;
    if !unit.chars().all(|c| c.is_ascii_alphabetic()) || is_connective(unit) {
        return Err(nom::Err::Error(TextError::at(input)));
    }
    Ok((rest, format!("{amount} {unit}")))
}

/// Whether `text` prints unquoted as a DATE and reads back as the same string.
pub(super) fn is_date_text(text: &str) -> bool {
    matches!(all_consuming(parse_date)(text), Ok((_, date)) if date == text)
}

/// Whether `text` prints unquoted as a DURATION and reads back as the same string.
pub(super) fn is_duration_text(text: &str) -> bool {
    matches!(all_consuming(parse_duration_words)(text), Ok((_, ref d)) if d == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(s: &str) -> Value {
        Value::String(s.to_string())
    }

    fn number(s: &str) -> Value {
        Value::Number(Number::parse(s).unwrap_or_else(|| panic!("bad test number {s}")))
    }

    #[test]
    fn scalars() {
        assert_eq!(parse_value(r#" "a\"b\\""#, 0), Ok(("", string("a\"b\\"))));
        assert_eq!(
            parse_value("2024-01-31 x", 0),
            Ok((" x", string("2024-01-31")))
        );
        assert_eq!(parse_value("01/31/2024", 0), Ok(("", string("01/31/2024"))));
        let instant = "2024-01-31T10:00:00.123+02:00";
        assert_eq!(parse_value(instant, 0), Ok(("", string(instant))));
        assert_eq!(parse_value("-1.5e+3", 0), Ok(("", number("-1.5e+3"))));
        assert_eq!(parse_value("TRUE", 0), Ok(("", Value::Bool(true))));
        assert_eq!(parse_value("false)", 0), Ok((")", Value::Bool(false))));
    }

    #[test]
    fn malformed_scalars_are_refused() {
        for text in [
            "007",
            "1.",
            "1e",
            "3days",
            "2024-01-31T10:00",
            "2024-1-31",
            "truex",
            "'a'",
        ] {
            assert!(parse_value(text, 0).is_err(), "{text}");
        }
    }

    #[test]
    fn lists() {
        assert_eq!(parse_value("()", 0), Ok(("", Value::List(vec![]))));
        let flat = Value::List(vec![number("1"), string("a")]);
        assert_eq!(parse_value("( 1 ,\"a\" )", 0), Ok(("", flat)));
        // Lists hold scalars only, as JSON arrays of values do.
        assert!(matches!(
            parse_value("(1, (2))", 0),
            Err(nom::Err::Failure(_))
        ));
        assert!(matches!(parse_value("((1))", 0), Err(nom::Err::Error(_))));
        assert!(matches!(parse_value("(1,)", 0), Err(nom::Err::Failure(_))));
        assert!(matches!(parse_value("(1 2)", 0), Err(nom::Err::Failure(_))));
        assert!(matches!(parse_value("(a = 1)", 0), Err(nom::Err::Error(_))));
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_duration(" 30 \n days", 0),
            Ok(("", string("30 days")))
        );
        assert_eq!(parse_duration("30 and", 0), Ok((" and", number("30"))));
        assert_eq!(
            parse_duration("\"30 days\"", 0),
            Ok(("", string("30 days")))
        );
        assert!(is_duration_text("1 week"));
        for text in ["30  days", "30 OR", " 1 day", "1 day2", "1 d y", "1"] {
            assert!(!is_duration_text(text), "{text}");
        }
    }
}
