//! "Every text form has a JSON ruleset" (docs/reference/rules.md, "The text form") for text a DBA could type, not only
//! for text the printer makes: whatever the parser accepts, random or mutated, writes to
//! JSON that the JSON reader accepts and that means the same ruleset.

mod common;
mod forms_support;

use common::gen::arb_node;
use forms_support::{fit_f64, same_modulo_numbers};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use smart_groups_core::ast::Node;
use smart_groups_core::read::read_rules;
use smart_groups_core::text::ParseError;
use smart_groups_core::{json, text};

/// Words of rules and, above all, of values: lists, bounds and durations in every place.
const TOKENS: &[&str] = &[
    "a",
    "b.c",
    "`x y`",
    "=",
    "!=",
    "<",
    "in",
    "not",
    "between",
    "and",
    "or",
    "(",
    "(",
    ")",
    ")",
    ",",
    ",",
    "1",
    "-2.50",
    "1E3",
    "\"x\"",
    "\"\"",
    "true",
    "2024-01-31",
    "01/31/2024",
    "within last",
    "30 days",
    "includes any",
    "includes",
    "is empty",
    "has r where",
    "has at least 2 r",
    "has no r where",
    "member of \"G\"",
    "all of",
    "any of",
];

/// Value words, after one of `PREFIXES`.
const VALUE_TOKENS: &[&str] = &[
    "(",
    "(",
    ")",
    ")",
    ",",
    "1",
    "\"x\"",
    "true",
    "2024-01-31",
    "30 days",
    "and",
    "b = 1",
];
const PREFIXES: &[&str] = &[
    "a in ",
    "a not in ",
    "a = ",
    "a between ",
    "a within last ",
    "a includes any ",
    "not a in ",
    "has r where a between ",
];

/// What must hold for any text: when it parses, its JSON reads back as the same ruleset.
fn check(source: &str) -> Result<(), TestCaseError> {
    let node = match text::parse(source) {
        Ok(node) => node,
        Err(ParseError::Syntax { .. } | ParseError::TooDeep | ParseError::TooLarge { .. }) => {
            return Ok(())
        }
    };
    let value = json::write(&node);
    let back = json::read_value(&value);
    prop_assert!(
        back.as_ref().is_ok_and(|b| same_modulo_numbers(b, &node)),
        "{:?} parses as {:?}, written {}, read back as {:?}",
        source,
        node,
        value,
        back
    );
    let read = read_rules(&value.to_string()).map_err(|e| e.to_string());
    prop_assert_eq!(read, back.map_err(|e| e.to_string()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(5000))]

    #[test]
    fn parsed_token_soup_has_a_json_form(
        tokens in vec((select(TOKENS), select(&[" ", "", "\n"][..])), 1..16)
    ) {
        let source: String = tokens.iter().flat_map(|(t, sep)| [*t, *sep]).collect();
        check(&source)?;
    }

    #[test]
    fn parsed_values_have_a_json_form(
        prefix in select(PREFIXES),
        tokens in vec((select(VALUE_TOKENS), select(&[" ", ""][..])), 1..10)
    ) {
        let values: String = tokens.iter().flat_map(|(t, sep)| [*t, *sep]).collect();
        check(&format!("{prefix}{values}"))?;
    }

    #[test]
    fn parsed_mutated_text_has_a_json_form(
        node in arb_node(),
        edits in vec((any::<prop::sample::Index>(), 0..3u8, select(TOKENS)), 1..4),
    ) {
        let mut source: Vec<char> = text::print(&fit_f64(&node)).chars().collect();
        for (at, kind, token) in edits {
            let i = at.index(source.len() + 1);
            match kind {
                0 if i < source.len() => {
                    source.remove(i);
                }
                1 => source.splice(i..i, token.chars()).for_each(drop),
                _ => source.truncate(i),
            }
        }
        // Out-of-range literals typed in by a mutation are out of scope here (see `fit_f64`).
        let source: String = source.into_iter().collect();
        if let Ok(parsed) = text::parse(&source) {
            if fit_f64(&parsed) != parsed {
                return Ok(());
            }
        }
        check(&source)?;
    }
}

/// Regression: the parser accepted lists inside lists (`in ((1, 2), 3)`, `between 1 and (2)`),
/// which no JSON ruleset has: the JSON reader refuses nested arrays. Such text read as a
/// ruleset whose stored form could not be read back. Lists now hold scalars only, as in JSON.
#[test]
fn nested_lists_are_refused_as_in_json() {
    for source in [
        "a in ((1, 2), 3)",
        "a in ((\"x\"))",
        "a in (1, ())",
        "a = (())",
        "a between 1 and (2)",
        "a between (1) and 2",
        "a between ((1, 2))",
        "a includes any ((1), 2)",
        "a within last ((1))",
    ] {
        let Err(e) = text::parse(source) else {
            panic!("{source:?} parsed as {:?}", text::parse(source))
        };
        assert!(matches!(e, ParseError::Syntax { .. }), "{source:?}: {e:?}");
    }
    let json_form = r#"{"field": "a", "op": "in", "value": [[1, 2], 3]}"#;
    assert!(read_rules(json_form).is_err());
    // Flat lists in every place still read, as before.
    for (source, value) in [
        (
            "a in (1, \"x\", true, 2024-01-31)",
            serde_json::json!([1, "x", true, "2024-01-31"]),
        ),
        ("a in ()", serde_json::json!([])),
        ("a between (1, 2)", serde_json::json!([1, 2])),
        ("a between 1 and 2", serde_json::json!([1, 2])),
        ("a = (1)", serde_json::json!([1])),
    ] {
        let node = forms_support::parse_ok(source);
        assert_eq!(json::write(&node)["value"], value, "{source}");
        assert_eq!(json::read_value(&json::write(&node)), Ok(node));
    }
    // `between 1 and` followed by a parenthesized rule still falls back to `between 1`.
    let node = forms_support::parse_ok("a between 1 and (b = 2)");
    assert!(
        matches!(node, Node::All(ref items) if items.len() == 2),
        "{node:?}"
    );
}
