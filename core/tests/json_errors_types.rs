//! Reader errors about JSON types, operator names and counts: SQLSTATE, message naming the
//! thing and where it is, path, and hint.

mod json_common;

use json_common::{check, fail};
use serde_json::json;
use smart_groups_core::json::read_value;
use smart_groups_core::report::Report;

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
    check(
        r#"{"field": 3, "op": "eq", "value": 1}"#,
        "42804",
        "\"field\" must be a string at field, found a number",
        Some("field"),
    );
    check(
        r#"{"field": "a", "op": ["eq"], "value": 1}"#,
        "42804",
        "\"op\" must be a string at op, found an array",
        Some("op"),
    );
    check(
        r#"{"all": {}}"#,
        "42804",
        "\"all\" must be an array of rulesets at all, found an object",
        Some("all"),
    );
    check(
        r#"{"any": [{"not": [ ]}]}"#,
        "42804",
        "expected an object at any[0].not, found an array",
        Some("any[0].not"),
    );
    check(
        r#"{"member_of": null}"#,
        "42804",
        "\"member_of\" must be a string at member_of, found null",
        Some("member_of"),
    );
    check(
        r#"{"has": "r", "where": true}"#,
        "42804",
        "expected an object at where, found a boolean",
        Some("where"),
    );
    check(
        r#"{"has": "r", "count": 3}"#,
        "42804",
        "\"count\" must be an object at count, found a number",
        Some("count"),
    );
    check(
        r#"{"has": "r", "count": {"op": "gt", "value": "3"}}"#,
        "42804",
        "count \"value\" must be a number at count.value, found a string",
        Some("count.value"),
    );
    assert_eq!(
        fail("[]").to_string(),
        "expected an object at the top level, found an array"
    );
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
    assert!(
        hint.contains("eq, neq, contains") && hint.contains("includes_all"),
        "{hint}"
    );
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
    assert_eq!(
        e.hint().as_deref(),
        Some("Count operators are: eq, neq, lt, lte, gt, gte.")
    );
    // Operator names are exact: the JSON form is canonical.
    check(
        r#"{"field": "a", "op": "EQ", "value": 1}"#,
        "42883",
        "unknown operator \"EQ\" at op (did you mean \"eq\"?)",
        Some("op"),
    );
}

#[test]
fn counts_must_be_non_negative_integers() {
    for (value, shown) in [
        ("-1", "-1"),
        ("2.5", "2.5"),
        ("3.0", "3.0"),
        ("1e30", "1e+30"),
        ("18446744073709551616", "1.8446744073709552e+19"),
    ] {
        let text =
            format!(r#"{{"all": [{{"has": "r", "count": {{"op": "gte", "value": {value}}}}}]}}"#);
        let e = fail(&text);
        assert_eq!(e.sqlstate(), "22023", "{text}");
        assert_eq!(e.path(), Some("all[0].count.value"));
        assert!(
            e.to_string().starts_with(
                "count \"value\" must be a non-negative integer at all[0].count.value, found "
            ),
            "{e}"
        );
        assert!(e.to_string().ends_with(shown), "{e}");
        assert!(e.hint().is_some());
    }
    assert!(read_value(&json!({"has": "r", "count": {"op": "eq", "value": u64::MAX}})).is_ok());
}
