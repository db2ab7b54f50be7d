//! Size (64 KiB) and depth (32 levels) limits, and hostile nesting that must neither crash nor
//! recurse without bound.

use serde_json::{json, Value};
use smart_groups_core::ast::{depth, Node};
use smart_groups_core::json::{read_str, read_value, write, JsonError, Location};
use smart_groups_core::limits::{MAX_DEPTH, MAX_RULESET_BYTES};
use smart_groups_core::report::Report;

const LEAF: &str = r#"{"member_of": "g"}"#;

/// `levels` nested levels in total, made by wrapping a leaf with `open`/`close` pairs.
fn nested(levels: usize, open: &str, close: &str) -> String {
    format!(
        "{}{LEAF}{}",
        open.repeat(levels - 1),
        close.repeat(levels - 1)
    )
}

fn read_both(text: &str) -> Result<Node, JsonError> {
    let from_text = read_str(text);
    let value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(read_value(&value), from_text);
    from_text
}

#[test]
fn thirty_two_levels_pass_thirty_three_fail() {
    let wrappers = [
        (r#"{"not": "#, "}"),
        (r#"{"all": ["#, "]}"),
        (r#"{"any": [{"all": []}, "#, "]}"),
        (r#"{"has": "r", "where": "#, "}"),
    ];
    for (open, close) in wrappers {
        let ok =
            read_both(&nested(MAX_DEPTH, open, close)).unwrap_or_else(|e| panic!("{open}: {e}"));
        assert_eq!(depth(&ok), MAX_DEPTH);
        let e = read_both(&nested(MAX_DEPTH + 1, open, close)).err();
        let e = e.unwrap_or_else(|| panic!("{open}: 33 levels accepted"));
        assert_eq!(e.sqlstate(), "54001", "{open}");
        assert!(e.hint().is_some() && e.detail().is_some());
    }
}

#[test]
fn too_deep_names_the_path_of_level_33() {
    let e = read_both(&nested(40, r#"{"not": "#, "}"));
    let path = vec!["not"; 32].join(".");
    assert_eq!(
        e,
        Err(JsonError::TooDeep {
            location: Location::Path(path.clone())
        })
    );
    assert_eq!(
        e.err().map(|e| e.to_string()),
        Some(format!(
            "ruleset is nested too deeply at {path}: the limit is 32 levels"
        ))
    );
    let e = read_both(&nested(MAX_DEPTH + 1, r#"{"all": [{"all": []}, "#, "]}"));
    // The empty group at index 0 of the 32nd level is the first node at level 33.
    let expected = format!("{}.all[0]", vec!["all[1]"; 31].join("."));
    assert_eq!(
        e.err().and_then(|e| e.path().map(str::to_string)),
        Some(expected)
    );
}

#[test]
fn empty_groups_and_bare_has_count_as_one_level() {
    // depth({"all": []}) is 1, so an empty group at level 33 is too deep, at 32 it is not.
    let at = |levels: usize, leaf: &str| {
        format!(
            "{}{leaf}{}",
            r#"{"not": "#.repeat(levels - 1),
            "}".repeat(levels - 1)
        )
    };
    for leaf in [
        r#"{"all": []}"#,
        r#"{"any": []}"#,
        r#"{"has": "r"}"#,
        r#"{"field": "e", "op": "is_empty"}"#,
    ] {
        assert!(read_str(&at(MAX_DEPTH, leaf)).is_ok(), "{leaf}");
        assert_eq!(
            read_str(&at(MAX_DEPTH + 1, leaf))
                .err()
                .map(|e| e.sqlstate()),
            Some("54001"),
            "{leaf}"
        );
    }
}

#[test]
fn nesting_beyond_serde_limit_is_too_deep_not_a_crash() {
    // 5,000 levels fit in 64 KiB; serde_json stops at 128 and we say "too deep".
    let text = nested(5_000, r#"{"not":"#, "}");
    assert!(text.len() < MAX_RULESET_BYTES);
    let e = read_str(&text);
    assert!(
        matches!(
            e,
            Err(JsonError::TooDeep {
                location: Location::Text { line: 1, .. }
            })
        ),
        "{e:?}"
    );
    let e = read_str(&format!(
        r#"{{"field": "a", "op": "in", "value": {}"#,
        "[".repeat(30_000)
    ));
    assert_eq!(e.err().map(|e| e.sqlstate()), Some("54001"));
}

#[test]
fn deep_values_stop_at_level_33() {
    let mut value = json!({"member_of": "g"});
    // Not `json!`, which would clone the inner value recursively.
    let wrap = |inner: Value| Value::Object([("not".to_string(), inner)].into_iter().collect());
    for _ in 0..5_000 {
        value = wrap(value);
    }
    let deep = read_value(&value);
    // Deep enough to exceed the size limit as well: size is checked first, without recursion.
    for _ in 0..10_000 {
        value = wrap(value);
    }
    let deeper = read_value(&value);
    // Unwind by hand before asserting: serde_json drops nested values recursively, which
    // would overflow the stack of a panicking test.
    while let Value::Object(mut map) = value {
        value = map.remove("not").unwrap_or(Value::Null);
    }
    let path = vec!["not"; 32].join(".");
    assert_eq!(
        deep,
        Err(JsonError::TooDeep {
            location: Location::Path(path)
        })
    );
    assert!(
        matches!(deeper, Err(JsonError::TooLarge { size: 120_017 })),
        "{deeper:?}"
    );
}

#[test]
fn seventy_kib_is_too_large() {
    // Compact JSON, so that the value's serialization is as large as the text.
    let rule = r#"{"field":"location","op":"eq","value":"Netherlands"}"#;
    let count = 70 * 1024 / (rule.len() + 1) + 1;
    let text = format!(r#"{{"any": [{}]}}"#, vec![rule; count].join(","));
    assert!(text.len() > 70 * 1024);
    for e in [
        read_str(&text).err(),
        read_value(&serde_json::from_str(&text).unwrap_or(Value::Null)).err(),
    ] {
        let e = e.unwrap_or_else(|| panic!("70 KiB accepted"));
        assert_eq!(e.sqlstate(), "54000");
        assert!(e.to_string().starts_with("ruleset is too large: "), "{e}");
        assert!(e.detail().is_some_and(|d| d.contains("65536")));
    }
    // Refused before parsing: malformed text that large is still "too large".
    assert!(matches!(
        read_str(&"x".repeat(MAX_RULESET_BYTES + 1)),
        Err(JsonError::TooLarge { size: 65537 })
    ));
}

#[test]
fn the_limit_itself_is_allowed_and_counts_bytes() {
    let base = r#"{"all": []}"#;
    let pad = |n: usize| format!(r#"{{"all": [{}]}}"#, " ".repeat(n - base.len()));
    assert!(read_str(&pad(MAX_RULESET_BYTES)).is_ok());
    assert!(matches!(
        read_str(&pad(MAX_RULESET_BYTES + 1)),
        Err(JsonError::TooLarge { .. })
    ));
    // Bytes, not characters: 30,000 two-byte characters are 60,000 bytes.
    let name = "é".repeat(33_000);
    let text = format!(r#"{{"member_of": "{name}"}}"#);
    assert!(text.chars().count() < MAX_RULESET_BYTES && text.len() > MAX_RULESET_BYTES);
    assert!(matches!(read_str(&text), Err(JsonError::TooLarge { .. })));
    // A value is measured as compact JSON: whitespace in some original text does not count.
    let value: Value = serde_json::from_str(&pad(MAX_RULESET_BYTES + 100)).unwrap_or(Value::Null);
    assert!(read_value(&value).is_ok());
}

#[test]
fn many_rules_are_fine() {
    let rule = r#"{"member_of": "g"}"#;
    let text = format!(r#"{{"any": [{}]}}"#, vec![rule; 3_000].join(","));
    let node = read_str(&text).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(&node, Node::Any(items) if items.len() == 3_000));
    assert_eq!(read_value(&write(&node)), Ok(node));
}
