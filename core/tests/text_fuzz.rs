//! No input makes the parser panic: random text, token soup built from the grammar's own
//! words, and mutations of valid texts. Whatever parses prints back to the same AST, and
//! every error locates itself consistently.

mod common;

use common::gen::arb_node;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use smart_groups_core::report::Report;
use smart_groups_core::text::{parse, print, ParseError};

const TOKENS: &[&str] = &[
    "and",
    "or",
    "not",
    "has",
    "no",
    "member",
    "of",
    "all",
    "any",
    "where",
    "at",
    "least",
    "most",
    "more",
    "fewer",
    "less",
    "than",
    "exactly",
    "true",
    "false",
    "on",
    "before",
    "after",
    "contains",
    "does",
    "contain",
    "include",
    "includes",
    "starts",
    "ends",
    "with",
    "equals",
    "ignoring",
    "case",
    "in",
    "is",
    "empty",
    "between",
    "within",
    "last",
    "days",
    "AND",
    "Not",
    "(",
    ")",
    ",",
    "=",
    "!=",
    "<>",
    "<",
    "<=",
    ">",
    ">=",
    "!",
    ".",
    "`",
    "\"",
    "\\",
    "'",
    "role",
    "manager.name",
    "`shirt size`",
    "`a\\`b`",
    "\"x\"",
    "\"a\\\"b\"",
    "\"\\n\"",
    "\"",
    "0",
    "3",
    "-1.5e3",
    "007",
    "1e",
    "30",
    "2024-01-31",
    "01/31/2024",
    "2024-01-31T10:00:00Z",
    "2024-01-31T10",
    "30 days",
    "ü",
    "😀",
    "\u{212A}",
    "\u{130}",
    "\0",
    "\r\n",
    "\t",
];

/// Parses, and checks what a parse may return.
fn check(text: &str) -> Result<(), TestCaseError> {
    match parse(text) {
        Ok(node) => {
            let printed = print(&node);
            prop_assert_eq!(parse(&printed), Ok(node), "printed: {}", printed);
        }
        Err(e @ ParseError::Syntax { .. }) => {
            // Rendering an error must not panic either.
            let _ = (e.to_string(), e.detail(), e.hint(), e.sqlstate());
            if let ParseError::Syntax {
                offset,
                line,
                column,
                snippet,
                ..
            } = &e
            {
                prop_assert!(text.is_char_boundary(*offset));
                prop_assert!(*line >= 1 && *column >= 1);
                prop_assert!(snippet.ends_with('^'));
            }
        }
        Err(ParseError::TooDeep | ParseError::TooLarge { .. }) => {}
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn token_soup_never_panics(
        tokens in vec((select(TOKENS), select(&["", " ", "\n", "  "][..])), 0..24)
    ) {
        let text: String = tokens.iter().flat_map(|(t, sep)| [*t, *sep]).collect();
        check(&text)?;
    }

    #[test]
    fn mutated_valid_text_never_panics(
        node in arb_node(),
        edits in vec((any::<prop::sample::Index>(), 0..3u8, select(TOKENS)), 1..4),
    ) {
        let mut text: Vec<char> = print(&node).chars().collect();
        for (at, kind, token) in edits {
            let i = at.index(text.len() + 1);
            match kind {
                0 if i < text.len() => { text.remove(i); }
                1 => text.splice(i..i, token.chars()).for_each(drop),
                _ => text.truncate(i),
            }
        }
        check(&text.into_iter().collect::<String>())?;
    }
}
