//! Syntax errors name the line, the column, what was expected and what was found, and show
//! the line with a caret; limits give their own errors. Each SQLSTATE is checked.

use smart_groups_core::limits::{MAX_DEPTH, MAX_RULESET_BYTES};
use smart_groups_core::report::Report;
use smart_groups_core::text::{parse, ParseError};

/// (line, column, expected, found, detail) of the syntax error `text` must produce.
fn syntax(text: &str) -> (usize, usize, String, String, String) {
    match parse(text) {
        Err(e @ ParseError::Syntax { .. }) => {
            assert_eq!(e.sqlstate(), "42601");
            let detail = e.detail().unwrap_or_default();
            let ParseError::Syntax {
                line,
                column,
                expected,
                found,
                snippet,
                offset,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(snippet, detail);
            // The offset and the line/column describe the same spot.
            let before = text
                .get(..offset)
                .unwrap_or_else(|| panic!("offset {offset} off a char"));
            assert_eq!(before.matches('\n').count() + 1, line);
            assert_eq!(
                before.rsplit('\n').next().map(|l| l.chars().count() + 1),
                Some(column)
            );
            (line, column, expected, found, detail)
        }
        other => panic!("{text:?}: expected a syntax error, got {other:?}"),
    }
}

#[test]
fn missing_value_message_is_exact() {
    let e = parse("role = and").err();
    let message = e.as_ref().map(ToString::to_string).unwrap_or_default();
    assert_eq!(
        message,
        "syntax error at line 1, column 8: expected a value (a \"string\", number, date, \
         true/false or a (list)), found \"and\""
    );
    assert_eq!(
        e.and_then(|e| e.detail()).as_deref(),
        Some("role = and\n       ^")
    );
    let (line, column, _, found, _) = syntax("role =");
    assert_eq!((line, column, found.as_str()), (1, 7, "end of input"));
}

#[test]
fn multi_line_input_points_at_the_right_line() {
    let (line, column, expected, found, detail) = syntax("a = 1 and\n  b = 2 or\n   c ~ 3");
    assert_eq!((line, column), (3, 6));
    assert!(expected.starts_with("an operator"), "{expected}");
    assert_eq!(found, "\"~\"");
    assert_eq!(detail, "   c ~ 3\n     ^");
    let (line, column, _, found, detail) = syntax("a = 1 and\r\n\tb = ");
    assert_eq!((line, column, found.as_str()), (2, 6, "end of input"));
    assert_eq!(detail, "\tb = \n\t    ^");
}

#[test]
fn columns_count_characters_not_bytes() {
    let (line, column, _, found, detail) = syntax("`naïve ü` = \"é\" ünd x = 1");
    assert_eq!((line, column, found.as_str()), (1, 17, "\"ünd\""));
    assert_eq!(detail, "`naïve ü` = \"é\" ünd x = 1\n                ^");
}

#[test]
fn unterminated_string_and_name() {
    let text = "role = \"abc\nand x = 1";
    let (line, column, expected, found, _) = syntax(text);
    assert_eq!((line, column, found.as_str()), (2, 10, "end of input"));
    assert!(expected.contains("closing \""), "{expected}");
    let hint = parse(text).err().and_then(|e| e.hint()).unwrap_or_default();
    assert!(hint.contains("\\\""), "{hint}");
    let (_, _, expected, _, _) = syntax("`abc = 1");
    assert!(expected.contains("closing `"), "{expected}");
}

#[test]
fn bad_escapes() {
    let (line, column, expected, found, detail) = syntax(r#"role = "a\nb""#);
    assert_eq!((line, column, found.as_str()), (1, 10, r#""\n""#));
    assert!(expected.contains(r#"\" or \\"#), "{expected}");
    assert_eq!(detail, "role = \"a\\nb\"\n         ^");
    assert!(parse(r#"role = "a\nb""#)
        .err()
        .and_then(|e| e.hint())
        .is_some());
    let (_, column, _, found, _) = syntax(r"`a\x` = 1");
    assert_eq!((column, found.as_str()), (3, r#""\x""#));
}

#[test]
fn unknown_operator_word() {
    let (line, column, expected, found, _) = syntax(r#"role iz "x""#);
    assert_eq!((line, column, found.as_str()), (1, 6, "\"iz\""));
    assert!(expected.starts_with("an operator"));
    let hint = parse(r#"role iz "x""#)
        .err()
        .and_then(|e| e.hint())
        .unwrap_or_default();
    assert!(
        hint.contains("does not contain") && hint.contains("backticks"),
        "{hint}"
    );
    // A multi-word operator cut short names the word it needed.
    let cases = [
        (r#"a starts "x""#, 10, r#""with""#, r#"the string "x""#),
        (
            "a is nothing",
            6,
            r#""empty" or "not empty""#,
            "\"nothing\"",
        ),
        ("a does contain 1", 8, r#""not""#, "\"contain\""),
        ("a not like 1", 7, r#""in" or "within last""#, "\"like\""),
        ("a within 3 days", 10, r#""last""#, "\"3\""),
        (
            r#"a contains ignoring "x""#,
            21,
            r#""case""#,
            r#"the string "x""#,
        ),
    ];
    for (text, col, want, got) in cases {
        let (_, column, expected, found, _) = syntax(text);
        assert_eq!(
            (column, expected.as_str(), found.as_str()),
            (col, want, got),
            "{text}"
        );
    }
}

#[test]
fn trailing_garbage() {
    let (_, column, expected, found, _) = syntax("a = 1 b");
    assert_eq!(
        (column, expected.as_str(), found.as_str()),
        (7, r#""and", "or" or end of input"#, "\"b\"")
    );
    let (_, column, _, found, _) = syntax("a = 1)");
    assert_eq!((column, found.as_str()), (6, "\")\""));
    let (_, column, expected, _, _) = syntax("(a = 1 b)");
    assert_eq!((column, expected.as_str()), (8, r#""and", "or" or ")""#));
    let (_, column, expected, _, _) = syntax("(a = 1");
    assert_eq!((column, expected.as_str()), (7, r#""and", "or" or ")""#));
}

#[test]
fn missing_rules() {
    for (text, column) in [
        ("", 1),
        ("  \n ", 2),
        ("not", 4),
        ("a = 1 and", 10),
        ("a = 1 or ", 10),
        ("(", 2),
    ] {
        let (_, col, expected, found, _) = syntax(text);
        assert!(expected.starts_with("a rule"), "{text:?}: {expected}");
        assert_eq!((col, found.as_str()), (column, "end of input"), "{text:?}");
    }
    let (_, column, expected, found, _) = syntax("true = 1");
    assert_eq!((column, found.as_str()), (1, "\"true\""));
    assert!(expected.starts_with("a rule"));
}

#[test]
fn malformed_values_lists_and_groups() {
    let cases = [
        ("x = 18and", 5, "a value (", "\"18and\""),
        ("x = 007", 5, "a value (", "\"007\""),
        ("x = 'v'", 5, "a value (", "\"'\""),
        (
            "a = 2024-01-01T10:00",
            5,
            "a value (",
            "\"2024-01-01T10:00\"",
        ),
        ("a in (1,", 9, "a value (", "end of input"),
        ("a in (1 2)", 9, "\",\" or \")\"", "\"2\""),
        ("a in (b)", 7, "a value or \")\"", "\"b\""),
        (
            "all of (a = 1 b)",
            15,
            "\",\", \"and\", \"or\" or \")\"",
            "\"b\"",
        ),
        ("all of (= 1)", 9, "a rule or \")\"", "\"=\""),
        ("all of a = 1", 8, "\"(\"", "\"a\""),
        (
            "member of Sales",
            11,
            "a group name in double quotes",
            "\"Sales\"",
        ),
        ("member = 1", 8, "\"of\"", "\"=\""),
        ("has at least x r", 14, "a count", "\"x\""),
        (
            "has at least 99999999999999999999 r",
            14,
            "a count",
            "\"99999999999999999999\"",
        ),
        ("has", 4, "a relation name", "end of input"),
        ("has r where", 12, "a rule", "end of input"),
    ];
    for (text, col, want, got) in cases {
        let (_, column, expected, found, _) = syntax(text);
        assert_eq!(column, col, "{text}");
        assert!(expected.starts_with(want), "{text}: {expected}");
        assert_eq!(found, got, "{text}");
    }
}

#[test]
fn long_lines_show_a_window() {
    let text = format!("a = \"{}\" b", "x".repeat(1000));
    let (_, column, _, found, detail) = syntax(&text);
    assert_eq!((column, found.as_str()), (1008, "\"b\""));
    let (shown, caret) = detail.split_once('\n').unwrap_or_default();
    assert!(shown.chars().count() < 120, "{shown}");
    assert_eq!(shown.chars().nth(caret.chars().count() - 1), Some('b'));
}

#[test]
fn too_large() {
    let text = format!("a = \"{}\"", "x".repeat(MAX_RULESET_BYTES));
    let e = parse(&text).err();
    assert_eq!(
        e,
        Some(ParseError::TooLarge {
            bytes: MAX_RULESET_BYTES + 6
        })
    );
    let e = e.unwrap_or(ParseError::TooDeep);
    assert_eq!(e.sqlstate(), "54000");
    assert!(
        e.to_string().contains("65542") && e.to_string().contains("65536"),
        "{e}"
    );
    assert!(e.hint().is_some());
}

#[test]
fn too_deep() {
    // 60,000 levels (within the size limit for parentheses): refused, no stack overflow.
    let parens = "(".repeat(60_000);
    assert_eq!(parse(&parens), Err(ParseError::TooDeep));
    let nots = "not ".repeat(16_000) + "a = 1";
    assert!(nots.len() <= MAX_RULESET_BYTES);
    assert_eq!(parse(&nots), Err(ParseError::TooDeep));
    // Lists hold scalars only (as in JSON): the second `(` is a syntax error, at once.
    let lists = "a in ".to_string() + &"(".repeat(60_000);
    let (_, column, expected, found, _) = syntax(&lists);
    assert_eq!(
        (column, expected.as_str(), found.as_str()),
        (7, "a value or \")\"", "\"(\"")
    );
    let e = ParseError::TooDeep;
    assert_eq!(e.sqlstate(), "54001");
    assert!(e.to_string().contains(&MAX_DEPTH.to_string()));
    assert!(e.hint().is_some());
}

#[test]
fn depth_limit_is_measured_like_the_json_reader() {
    // ast::depth: each `not` adds a level, the leaf is one.
    let at_limit = "not ".repeat(MAX_DEPTH - 1) + "a = 1";
    assert!(parse(&at_limit).is_ok());
    let past_limit = "not ".repeat(MAX_DEPTH) + "a = 1";
    assert_eq!(parse(&past_limit), Err(ParseError::TooDeep));
    // Parentheses around a single rule add no level.
    let parens = "(".repeat(MAX_DEPTH + 10) + "a = 1" + &")".repeat(MAX_DEPTH + 10);
    assert!(parse(&parens).is_ok());
    // Nested groups and `where` bodies do.
    let groups = "all of (".repeat(MAX_DEPTH) + "a = 1" + &")".repeat(MAX_DEPTH);
    assert_eq!(parse(&groups), Err(ParseError::TooDeep));
    let wheres = "has r where ".repeat(MAX_DEPTH - 1) + "a = 1";
    assert!(parse(&wheres).is_ok());
    let wheres = "has r where ".repeat(MAX_DEPTH) + "a = 1";
    assert_eq!(parse(&wheres), Err(ParseError::TooDeep));
}
