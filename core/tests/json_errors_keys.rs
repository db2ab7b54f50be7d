//! Reader errors about the text and the keys of objects: SQLSTATE, message naming the thing
//! and where it is, path, and hint.

mod json_common;

use json_common::{check, fail};
use smart_groups_core::json::JsonError;
use smart_groups_core::report::Report;

#[test]
fn malformed_text_is_22p02_with_position() {
    let e = check(
        "{\"all\": [\n  {\"field\": \"a\",, }]}",
        "22P02",
        "invalid ruleset JSON: key must be a string at line 2, column 17",
        None,
    );
    assert!(
        matches!(
            e,
            JsonError::Syntax {
                line: 2,
                column: 17,
                ..
            }
        ),
        "{e:?}"
    );
    check(
        "{\"all\": []} x",
        "22P02",
        "invalid ruleset JSON: trailing characters at line 1, column 13",
        None,
    );
    check(
        "{\"all\": [",
        "22P02",
        "invalid ruleset JSON: EOF while parsing a list at line 1, column 9",
        None,
    );
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
    assert_eq!(
        e.hint().as_deref(),
        Some("Keys allowed here: field, op, value.")
    );
    check(
        r#"{"any": [{"not": {"has": "r", "wehre": {"member_of": "g"}}}]}"#,
        "42601",
        "unknown key \"wehre\" at any[0].not (did you mean \"where\"?)",
        Some("any[0].not"),
    );
    check(
        r#"{"colour": "red"}"#,
        "42601",
        "unknown key \"colour\" at the top level",
        Some(""),
    );
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
    check(
        r#"{"op": "eq", "value": 1}"#,
        "42601",
        "missing key \"field\" at the top level",
        Some(""),
    );
    check(
        r#"{"where": {"all": []}}"#,
        "42601",
        "missing key \"has\" at the top level",
        Some(""),
    );
    check(
        r#"{"all": [{"has": "r", "where": {"all": [{"has": "s", "count": {"value": 1}}]}}]}"#,
        "42601",
        "missing key \"op\" at all[0].where.all[0].count",
        Some("all[0].where.all[0].count"),
    );
    check(
        r#"{"has": "r", "count": {"op": "eq"}}"#,
        "42601",
        "missing key \"value\" at count",
        Some("count"),
    );
    check(
        r#"{"not": {}}"#,
        "42601",
        "empty object at not: expected a ruleset",
        Some("not"),
    );
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
    check(
        r#"{"all": [], "any": []}"#,
        "42601",
        "key \"any\" cannot be combined with \"all\" at the top level",
        Some(""),
    );
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
    check(
        r#"{"field": "e", "op": "contains"}"#,
        "42601",
        "contains requires a \"value\" at the top level",
        Some(""),
    );
}
