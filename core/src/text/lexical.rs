//! Tokens: whitespace, keywords, symbols, names and quoted text. Every token parser skips the
//! whitespace before it, so that errors point at the token, not at the blanks.

use super::error::{expected, TextError};
use super::PResult;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::character::complete::{char, digit1, satisfy};
use nom::combinator::{all_consuming, map_opt, not, peek, recognize};
use nom::multi::separated_list1;
use nom::sequence::{pair, preceded};

/// Words a bare name cannot start with, because a rule starting with them means something
/// else (`not x = 1`, `has r`, `member of "G"`) or because they are values.
const RESERVED: [&str; 7] = ["and", "or", "not", "has", "member", "true", "false"];

/// Words the printer also puts in backticks: they are not ambiguous everywhere, but in some
/// place (`has no r`, `has at least 3 r`, `all of (...)`, `x contains ignoring`, the last
/// field) a bare name spelled like them would be read as the keyword.
const PRINTED_IN_BACKTICKS: [&str; 11] = [
    "all", "any", "of", "no", "at", "more", "fewer", "less", "exactly", "where", "ignoring",
];

/// Any whitespace, newlines included.
pub(super) fn parse_whitespace(input: &str) -> PResult<'_, &str> {
    take_while(char::is_whitespace)(input)
}

/// Characters of keywords and identifiers.
pub(super) fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '$'
}

/// A whole word. Keywords are matched against whole words so that `android` never starts
/// with the keyword `and`.
pub(super) fn parse_word(input: &str) -> PResult<'_, &str> {
    preceded(parse_whitespace, take_while1(is_word_char))(input)
}

/// A case-insensitive keyword. ASCII-only folding on purpose: Unicode folding would let
/// characters such as the Kelvin sign match `k` and change byte lengths.
pub(super) fn keyword<'a>(word: &'static str) -> impl FnMut(&'a str) -> PResult<'a, &'a str> {
    move |input: &'a str| {
        let (start, _) = parse_whitespace(input)?;
        match parse_word(start) {
            Ok((rest, found)) if found.eq_ignore_ascii_case(word) => Ok((rest, found)),
            _ => Err(nom::Err::Error(TextError::at(start))),
        }
    }
}

/// Punctuation or an operator symbol.
pub(super) fn symbol<'a>(text: &'static str) -> impl FnMut(&'a str) -> PResult<'a, &'a str> {
    preceded(parse_whitespace, tag(text))
}

/// Succeeds, consuming nothing, unless a word character follows: `3days` is not `3`.
pub(super) fn parse_boundary(input: &str) -> PResult<'_, ()> {
    not(peek(satisfy(|c| is_word_char(c) || ".:-/+".contains(c))))(input)
}

/// `parser`, failing at the start of the token rather than wherever inside it it stopped:
/// `18and` is reported as a whole, not as a bad `and`.
pub(super) fn whole_token<'a, O>(
    mut parser: impl FnMut(&'a str) -> PResult<'a, O>,
) -> impl FnMut(&'a str) -> PResult<'a, O> {
    move |input: &'a str| match parser(input) {
        Err(nom::Err::Error(_)) => Err(nom::Err::Error(TextError::at(input))),
        result => result,
    }
}

/// `and`/`or`: they end a value, so a duration's unit cannot be one of them.
pub(super) fn is_connective(word: &str) -> bool {
    word.eq_ignore_ascii_case("and") || word.eq_ignore_ascii_case("or")
}

/// NAME: a dotted identifier or a backtick-quoted name.
pub(super) fn parse_name(input: &str) -> PResult<'_, String> {
    preceded(
        parse_whitespace,
        nom::branch::alt((
            parse_quoted('`', expected::NAME_END, expected::NAME_ESCAPE),
            parse_bare_name,
        )),
    )(input)
}

/// `manager.name`: identifiers joined by dots, not starting with a reserved word.
fn parse_bare_name(input: &str) -> PResult<'_, String> {
    let (rest, name) = recognize(separated_list1(char('.'), parse_identifier))(input)?;
    let first = name.split('.').next().unwrap_or(name);
    if RESERVED.iter().any(|r| first.eq_ignore_ascii_case(r)) {
        return Err(nom::Err::Error(TextError::at(input)));
    }
    Ok((rest, name.to_string()))
}

/// `[A-Za-z_][A-Za-z0-9_$]*`
fn parse_identifier(input: &str) -> PResult<'_, &str> {
    recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(is_word_char),
    ))(input)
}

/// Whether `name` prints without backticks: it reads back as the same bare name everywhere.
pub(super) fn is_plain_name(name: &str) -> bool {
    let first = name.split('.').next().unwrap_or(name);
    matches!(all_consuming(parse_bare_name)(name), Ok((_, ref n)) if n == name)
        && !PRINTED_IN_BACKTICKS
            .iter()
            .any(|r| first.eq_ignore_ascii_case(r))
}

/// Text between `quote`s where only `\quote` and `\\` are escapes and everything else,
/// newlines included, stands for itself. Once the opening quote is seen the text can only be
/// quoted text, so its errors are failures.
pub(super) fn parse_quoted<'a>(
    quote: char,
    unterminated: &'static str,
    bad_escape: &'static str,
) -> impl FnMut(&'a str) -> PResult<'a, String> {
    move |input: &'a str| {
        let (mut rest, _) = char(quote)(input)?;
        let mut text = String::new();
        loop {
            let mut chars = rest.chars();
            match chars.next() {
                None => return Err(nom::Err::Failure(TextError::expecting(rest, unterminated))),
                Some(c) if c == quote => return Ok((chars.as_str(), text)),
                Some('\\') => match chars.next() {
                    Some(e) if e == quote || e == '\\' => text.push(e),
                    _ => return Err(nom::Err::Failure(TextError::expecting(rest, bad_escape))),
                },
                Some(c) => text.push(c),
            }
            rest = chars.as_str();
        }
    }
}

/// Quotes `text` so that `parse_quoted(quote, ..)` reads it back.
pub(super) fn quote(text: &str, quote: char) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        if c == quote || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push(quote);
    out
}

/// A count in `has at least N r`: a whole number that fits in u64.
pub(super) fn parse_count_number(input: &str) -> PResult<'_, u64> {
    let digits = nom::sequence::terminated(digit1, parse_boundary);
    let count = whole_token(map_opt(digits, |d: &str| d.parse::<u64>().ok()));
    preceded(parse_whitespace, count)(input)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_whole_words_in_any_case() {
        assert_eq!(keyword("and")(" AnD x"), Ok((" x", "AnD")));
        assert!(keyword("and")("android").is_err());
        assert!(keyword("and")("\u{212A}").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(
            parse_name(" manager.name ="),
            Ok((" =", "manager.name".to_string()))
        );
        assert_eq!(parse_name("a$1"), Ok(("", "a$1".to_string())));
        assert_eq!(parse_name(r"`a\`b\\c d`"), Ok(("", r"a`b\c d".to_string())));
        assert!(parse_name("not").is_err());
        assert!(parse_name("Member.x").is_err());
        assert!(parse_name("1a").is_err());
        assert!(matches!(parse_name(r"`a\n`"), Err(nom::Err::Failure(_))));
        assert!(matches!(parse_name("`abc"), Err(nom::Err::Failure(_))));
    }

    #[test]
    fn plain_names() {
        assert!(is_plain_name("manager.name"));
        assert!(is_plain_name("android"));
        for name in [
            "",
            "not",
            "All",
            "shirt size",
            "a.",
            ".a",
            "a..b",
            "1a",
            "no",
            "x-y",
            "é",
        ] {
            assert!(!is_plain_name(name), "{name}");
        }
    }

    #[test]
    fn quoting_round_trips() {
        for text in ["", "a\"b", "\\", "x\ny", "ünï`"] {
            let quoted = quote(text, '"');
            let parsed = parse_quoted('"', "", "")(&quoted);
            assert_eq!(parsed, Ok(("", text.to_string())));
        }
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count_number(" 007 x"), Ok((" x", 7)));
        assert!(parse_count_number("3x").is_err());
        assert!(parse_count_number("99999999999999999999").is_err());
    }
}
