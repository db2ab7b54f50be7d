//! Each class of reader error: its SQLSTATE, its message (which names the thing and where it
//! is), its path, and its hint.

use serde_json::json;
use smart_groups_core::json::{read_str, read_value, JsonError};
use smart_groups_core::report::Report;

/// The error of reading `text`, which must fail, also checking that reading the same
/// document as a value fails the same way (when the text is valid JSON).
fn fail(text: &str) -> JsonError {
    let e = match read_str(text) {
        Ok(node) => panic!("{text} read as {node:?}"),
        Err(e) => e,
    };
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if !matches!(e, JsonError::DuplicateKey { .. }) {
            assert_eq!(read_value(&value).err().as_ref(), Some(&e), "{text}");
        }
    }
    e
}

/// SQLSTATE, message and path of reading `text`.
fn check(text: &str, sqlstate: &str, message: &str, path: Option<&str>) -> JsonError {
    let e = fail(text);
    assert_eq!((e.sqlstate(), e.to_string().as_str(), e.path()), (sqlstate, message, path), "{text}");
    e
}

#[test]
fn malformed_text_is_22p02_with_position() {
    let e = check(
        "{\"all\": [\n  {\"field\": \"a\",, }]}",
        "22P02",
        "invalid ruleset JSON: key must be a string at line 2, column 17",
        None,
    );
    assert!(matches!(e, JsonError::Syntax { line: 2, column: 17, .. }), "{e:?}");
    check("{\"all\": []} x", "22P02", "invalid ruleset JSON: trailing characters at line 1, column 13", None);
    check("{\"all\": [", "22P02", "invalid ruleset JSON: EOF while parsing a list at line 1, column 9", None);
    let e = fail("{\"field\": \"n\", \"op\": \"eq\", \"value\": 1e400}");
    assert_eq!(e.sqlstate(), "22P02");
    assert!(e.hint().is_some());
}

#[test]
fn duplicate_keys_are_refused() {
    let e = check(
        r#"{"field": "a", "op": "eq", "value": 1, "op": "neq"}"#,
        "42601",
        "duplicate key \"op\" in ruleset JSON at line 1, column 43",
        None,
    );
    assert!(e.hint().is_some());
}

#[test]
fn unknown_keys_suggest_the_right_one() {
    let e = check(
        r#"{"all": [{"feild": "a", "op": "eq", "value": 1}]}"#,
        "42601",
        "unknown key \"feild\" at all[0] (did you mean \"field\"?)",
        Some("all[0]"),
    );
    assert_eq!(e.hint().as_deref(), Some("Keys allowed here: field, op, value."));
    check(
        r#"{"any": [{"not": {"has": "r", "wehre": {"member_of": "g"}}}]}"#,
        "42601",
        "unknown key \"wehre\" at any[0].not (did you mean \"where\"?)",
        Some("any[0].not"),
    );
    check(r#"{"colour": "red"}"#, "42601", "unknown key \"colour\" at the top level", Some(""));
    check(
        r#"{"has": "r", "count": {"op": "gt", "value": 1, "vale": 2}}"#,
        "42601",
        "unknown key \"vale\" at count (did you mean \"value\"?)",
        Some("count"),
    );
}

#[test]
fn missing_keys_name_the_key() {
    let e = check(
        r#"{"any": [{"member_of": "g"}, {"field": "a", "value": 1}]}"#,
        "42601",
        "missing key \"op\" at any[1]",
        Some("any[1]"),
    );
    assert!(e.hint().is_some_and(|h| h.contains("\"field\"")));
    check(r#"{"op": "eq", "value": 1}"#, "42601", "missing key \"field\" at the top level", Some(""));
    check(r#"{"where": {"all": []}}"#, "42601", "missing key \"has\" at the top level", Some(""));
    check(
        r#"{"all": [{"has": "r", "where": {"all": [{"has": "s", "count": {"value": 1}}]}}]}"#,
        "42601",
        "missing key \"op\" at all[0].where.all[0].count",
        Some("all[0].where.all[0].count"),
    );
    check(r#"{"has": "r", "count": {"op": "eq"}}"#, "42601", "missing key \"value\" at count", Some("count"));
    check(r#"{"not": {}}"#, "42601", "empty object at not: expected a ruleset", Some("not"));
}

#[test]
fn mixed_shapes_name_the_extra_key() {
    let e = check(
        r#"{"all": [{"all": [], "field": "a", "op": "eq", "value": 1}]}"#,
        "42601",
        "key \"all\" cannot be combined with \"field\" at all[0]",
        Some("all[0]"),
    );
    assert!(e.hint().is_some_and(|h| h.contains("\"any\"")));
    check(r#"{"all": [], "any": []}"#, "42601", "key \"any\" cannot be combined with \"all\" at the top level", Some(""));
    check(
        r#"{"not": {"member_of": "g", "where": {"all": []}}}"#,
        "42601",
        "key \"where\" cannot be combined with \"member_of\" at not",
        Some("not"),
    );
}

#[test]
fn value_presence_follows_the_operator() {
    let e = check(
        r#"{"all": [{"member_of": "g"}, {"field": "e", "op": "is_empty", "value": ""}]}"#,
        "42601",
        "is_empty takes no \"value\" at all[1]",
        Some("all[1]"),
    );
    assert!(e.hint().is_some_and(|h| h.contains("Remove")));
    check(
        r#"{"not": {"field": "e", "op": "is_not_empty", "value": null}}"#,
        "42601",
        "is_not_empty takes no \"value\" at not",
        Some("not"),
    );
    check(r#"{"field": "e", "op": "contains"}"#, "42601", "contains requires a \"value\" at the top level", Some(""));
}

#[test]
fn wrong_json_types_are_42804() {
    let e = check(
        r#"{"all": [{"field": "a", "op": "eq", "value": null}]}"#,
        "42804",
        "\"value\" must be a string, number, boolean or array of those at all[0].value, found null",
        Some("all[0].value"),
    );
    assert!(e.hint().is_some_and(|h| h.contains("is_empty")));
    check(
        r#"{"all": [{"all": []}, {"any": []}, {"not": {"all": []}}, "x"]}"#,
        "42804",
        "expected an object at all[3], found a string",
        Some("all[3]"),
    );
    check(
        r#"{"field": "a", "op": "in", "value": ["x", ["y"]]}"#,
        "42804",
        "each element of \"value\" must be a string, number or boolean at value[1], found an array",
        Some("value[1]"),
    );
    check(
        r#"{"field": "a", "op": "in", "value": {"x": 1}}"#,
        "42804",
        "\"value\" must be a string, number, boolean or array of those at value, found an object",
        Some("value"),
    );
    check(r#"{"field": 3, "op": "eq", "value": 1}"#, "42804", "\"field\" must be a string at field, found a number", Some("field"));
    check(r#"{"field": "a", "op": ["eq"], "value": 1}"#, "42804", "\"op\" must be a string at op, found an array", Some("op"));
    check(r#"{"all": {}}"#, "42804", "\"all\" must be an array of rulesets at all, found an object", Some("all"));
    check(r#"{"any": [{"not": [ ]}]}"#, "42804", "expected an object at any[0].not, found an array", Some("any[0].not"));
    check(r#"{"member_of": null}"#, "42804", "\"member_of\" must be a string at member_of, found null", Some("member_of"));
    check(r#"{"has": "r", "where": true}"#, "42804", "expected an object at where, found a boolean", Some("where"));
    check(r#"{"has": "r", "count": 3}"#, "42804", "\"count\" must be an object at count, found a number", Some("count"));
    check(
        r#"{"has": "r", "count": {"op": "gt", "value": "3"}}"#,
        "42804",
        "count \"value\" must be a number at count.value, found a string",
        Some("count.value"),
    );
    assert_eq!(fail("[]").to_string(), "expected an object at the top level, found an array");
}

#[test]
fn unknown_operators_are_42883_with_the_list() {
    let e = check(
        r#"{"field": "a", "op": "containz", "value": "x"}"#,
        "42883",
        "unknown operator \"containz\" at op (did you mean \"contains\"?)",
        Some("op"),
    );
    let hint = e.hint().unwrap_or_default();
    assert!(hint.contains("eq, neq, contains") && hint.contains("includes_all"), "{hint}");
    check(
        r#"{"any": [{"not": {"field": "a", "op": "frobnicate", "value": 1}}]}"#,
        "42883",
        "unknown operator \"frobnicate\" at any[0].not.op",
        Some("any[0].not.op"),
    );
    let e = check(
        r#"{"not": {"has": "r", "count": {"op": "gtee", "value": 1}}}"#,
        "42883",
        "unknown count operator \"gtee\" at not.count.op (did you mean \"gte\"?)",
        Some("not.count.op"),
    );
    assert_eq!(e.hint().as_deref(), Some("Count operators are: eq, neq, lt, lte, gt, gte."));
    // Operator names are exact: the JSON form is canonical.
    check(r#"{"field": "a", "op": "EQ", "value": 1}"#, "42883", "unknown operator \"EQ\" at op (did you mean \"eq\"?)", Some("op"));
}

#[test]
fn counts_must_be_non_negative_integers() {
    for (value, shown) in [("-1", "-1"), ("2.5", "2.5"), ("3.0", "3.0"), ("1e30", "1e+30"), ("18446744073709551616", "1.8446744073709552e+19")] {
        let text = format!(r#"{{"all": [{{"has": "r", "count": {{"op": "gte", "value": {value}}}}}]}}"#);
        let e = fail(&text);
        assert_eq!(e.sqlstate(), "22023", "{text}");
        assert_eq!(e.path(), Some("all[0].count.value"));
        assert!(e.to_string().starts_with("count \"value\" must be a non-negative integer at all[0].count.value, found "), "{e}");
        assert!(e.to_string().ends_with(shown), "{e}");
        assert!(e.hint().is_some());
    }
    assert!(read_value(&json!({"has": "r", "count": {"op": "eq", "value": u64::MAX}})).is_ok());
}
