//! Text form of a ruleset (docs/reference/rules.md, "The text form"): what a DBA types, e.g.
//! `location in ("Netherlands", "Belgium") and role = "manager"`.
//!
//! The grammar is a nom parser with one `parse_*` function per grammar rule, spread over
//! submodules by rule family; `print` is its inverse: `parse(&print(n)) == Ok(n)` for every
//! valid AST.
//!
//! ```text
//! ruleset        := or_expr
//! or_expr        := and_expr ("or" and_expr)*
//! and_expr       := not_expr ("and" not_expr)*
//! not_expr       := "not" not_expr | primary
//! primary        := "(" ruleset ")" | explicit_group | member_of | has | condition
//! explicit_group := ("all" | "any") "of" "(" [ruleset ("," ruleset)*] ")"
//! member_of      := "member" "of" STRING
//! has            := "has" ["no" | count_phrase] NAME ["where" ruleset]
//! condition      := NAME operator
//! ```
//!
//! Keywords are case-insensitive; any whitespace, newlines included, separates tokens.
//! NAME is a dotted identifier (`manager.name`) or a backtick-quoted name (`` `shirt size` ``,
//! escapes `` \` `` and `\\`). Operators, with the JSON operator each one means:
//!
//! | text | op | text | op |
//! |---|---|---|---|
//! | `=`, `on` | eq | `!=`, `<>` | neq |
//! | `<` `<=` `>` `>=` | lt lte gt gte | `before`, `after` | before, after |
//! | `contains` | contains | `does not contain` | not_contains |
//! | `starts with`, `ends with` | starts_with, ends_with | `equals ignoring case` | eq_ci |
//! | `contains ignoring case` | contains_ci | `starts with ignoring case` | starts_with_ci |
//! | `ends with ignoring case` | ends_with_ci | `in (...)`, `not in (...)` | in, not_in |
//! | `is empty`, `is not empty` | is_empty, is_not_empty | `between A and B` | between |
//! | `within last 30 days` | within_last | `not within last 30 days` | not_within_last |
//! | `includes` | includes | `does not include` | not_includes |
//! | `includes any (...)` | includes_any | `includes all (...)` | includes_all |
//!
//! Values: `"strings"` (escapes `\"` and `\\` only), numbers in JSON syntax, `true`/`false`,
//! dates `2024-01-31` or `01/31/2024` (optionally with an RFC 3339 time) and lists of those
//! `("a", "b")` (not of lists: JSON has none). Count phrases of `has`: `at least N`, `at most N`, `more than N`,
//! `fewer than N` / `less than N`, `exactly N`, `not exactly N`; `has no R` is `not (has R)`.

mod error;
mod expr;
mod lexical;
mod operator;
mod print;
mod rule;
mod snippet;
mod value;

pub use error::ParseError;
pub use print::{op_text, print};

use crate::ast::{self, Node};
use crate::limits::{MAX_DEPTH, MAX_RULESET_BYTES};
use error::{expected, TextError};
use nom::combinator::all_consuming;
use nom::error::context;
use nom::sequence::terminated;
use nom::IResult;

/// Result of every grammar rule: the rest of the input and what the rule produced.
type PResult<'a, T> = IResult<&'a str, T, TextError<'a>>;

/// Parses the text form of a ruleset into its AST.
pub fn parse(input: &str) -> Result<Node, ParseError> {
    // Checked before parsing so that oversized input costs nothing.
    if input.len() > MAX_RULESET_BYTES {
        return Err(ParseError::TooLarge { bytes: input.len() });
    }
    parse_unlimited(input)
}

/// `parse` without the size limit, so that tests can prove the nesting guard alone keeps
/// hostile input from exhausting the stack.
fn parse_unlimited(input: &str) -> Result<Node, ParseError> {
    let mut parse_text = context(
        expected::END,
        all_consuming(terminated(expr::parse_top, lexical::parse_whitespace)),
    );
    match parse_text(input) {
        // The parser's own guard is looser than MAX_DEPTH (see `expr::NESTING_GUARD`); the
        // limit itself is measured exactly as the JSON reader measures it.
        Ok((_, node)) if ast::depth(&node) > MAX_DEPTH => Err(ParseError::TooDeep),
        Ok((_, node)) => Ok(node),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => Err(e.into_parse_error(input)),
        // Only streaming parsers report Incomplete; none is used, but no input may panic.
        Err(nom::Err::Incomplete(_)) => Err(TextError::at("").into_parse_error(input)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sixty_thousand_levels_do_not_overflow_the_stack() {
        // Bigger than MAX_RULESET_BYTES on purpose: the guard, not the size check, must stop it.
        let nots = "not ".repeat(60_000) + "a = 1";
        assert_eq!(parse_unlimited(&nots), Err(ParseError::TooDeep));
        let parens = "(".repeat(60_000) + "a = 1" + &")".repeat(60_000);
        assert_eq!(parse_unlimited(&parens), Err(ParseError::TooDeep));
        // Lists hold scalars only, so a second `(` is already a syntax error.
        let lists = "a in ".to_string() + &"(".repeat(60_000);
        assert!(matches!(
            parse_unlimited(&lists),
            Err(ParseError::Syntax { .. })
        ));
        let wheres = "has r where ".repeat(60_000) + "a = 1";
        assert_eq!(parse_unlimited(&wheres), Err(ParseError::TooDeep));
        let groups = "all of (".repeat(60_000);
        assert_eq!(parse_unlimited(&groups), Err(ParseError::TooDeep));
    }

    #[test]
    fn size_is_checked_before_parsing() {
        let big = format!("a = \"{}\"", "x".repeat(MAX_RULESET_BYTES));
        assert_eq!(parse(&big), Err(ParseError::TooLarge { bytes: big.len() }));
        let fits = format!("a = \"{}\"", "x".repeat(MAX_RULESET_BYTES - 6));
        assert_eq!(fits.len(), MAX_RULESET_BYTES);
        assert!(parse(&fits).is_ok());
    }
}
