//! docs/reference/rules.md, "The text form", says the two forms map one-to-one. Here on its own examples: every
//! text example of section 4 gives exactly the JSON written below by hand, every JSON example
//! of section 3 prints to the text written below and parses back to the same ruleset, and
//! both forms of each example validate and compile to the same SQL.

mod forms_support;
mod validate_support;

use forms_support::parse_ok;
use serde_json::{json, Value as Json};
use smart_groups_core::ast::Node;
use smart_groups_core::compile::compile;
use smart_groups_core::read::read_rules;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{validate, Options};
use smart_groups_core::{json, text};
use validate_support::catalog;

/// The text examples of docs/reference/rules.md, "The text form", copied exactly, with their JSON written by hand.
fn section_4() -> Vec<(&'static str, Json)> {
    vec![
        (
            r#"location in ("Netherlands", "Belgium", "Luxembourg") and role = "manager""#,
            json!({"all": [
                {"field": "location", "op": "in", "value": ["Netherlands", "Belgium", "Luxembourg"]},
                {"field": "role", "op": "eq", "value": "manager"}
            ]}),
        ),
        (
            r#"job_title contains "manager""#,
            json!({"field": "job_title", "op": "contains", "value": "manager"}),
        ),
        (
            "hire_date within last 30 days",
            json!({"field": "hire_date", "op": "within_last", "value": "30 days"}),
        ),
        (
            "created_at on 2021-04-08",
            json!({"field": "created_at", "op": "eq", "value": "2021-04-08"}),
        ),
        (
            "hire_date between 01/01/2024 and 03/31/2024",
            json!({"field": "hire_date", "op": "between", "value": ["01/01/2024", "03/31/2024"]}),
        ),
        (
            r#"member of "Sales" or member of "Marketing""#,
            json!({"any": [{"member_of": "Sales"}, {"member_of": "Marketing"}]}),
        ),
        (
            r#"has enrollments where course = "Driver Safety" and status = "completed""#,
            json!({"has": "enrollments", "where": {"all": [
                {"field": "course", "op": "eq", "value": "Driver Safety"},
                {"field": "status", "op": "eq", "value": "completed"}
            ]}}),
        ),
        (
            "has at least 3 clicks where clicked_at within last 20 days",
            json!({"has": "clicks",
                   "where": {"field": "clicked_at", "op": "within_last", "value": "20 days"},
                   "count": {"op": "gte", "value": 3}}),
        ),
        (
            r#"has no enrollments where status = "completed""#,
            json!({"not": {"has": "enrollments",
                           "where": {"field": "status", "op": "eq", "value": "completed"}}}),
        ),
        (
            r#"manager.name = "John Doe""#,
            json!({"field": "manager.name", "op": "eq", "value": "John Doe"}),
        ),
        (
            r#"email is not empty and not (email ends with "@contractor.com")"#,
            json!({"all": [
                {"field": "email", "op": "is_not_empty"},
                {"not": {"field": "email", "op": "ends_with", "value": "@contractor.com"}}
            ]}),
        ),
        (
            r#"shirt_size != "L""#,
            json!({"field": "shirt_size", "op": "neq", "value": "L"}),
        ),
    ]
}

/// The JSON examples of docs/reference/rules.md, with the canonical text each one prints as.
fn section_3() -> Vec<(Json, &'static str)> {
    vec![
        (
            json!({"all": [
                {"field": "location", "op": "in", "value": ["Netherlands", "Belgium", "Luxembourg"]},
                {"field": "role", "op": "eq", "value": "manager"}
            ]}),
            r#"location in ("Netherlands", "Belgium", "Luxembourg") and role = "manager""#,
        ),
        (
            json!({"field": "hire_date", "op": "within_last", "value": "30 days"}),
            "hire_date within last 30 days",
        ),
        (
            json!({"field": "hire_date", "op": "between", "value": ["2024-01-01", "03/31/2024"]}),
            "hire_date between 2024-01-01 and 03/31/2024",
        ),
        (
            json!({"field": "email", "op": "is_empty"}),
            "email is empty",
        ),
        (
            json!({"field": "manager.name", "op": "eq", "value": "John Doe"}),
            r#"manager.name = "John Doe""#,
        ),
        (
            json!({"has": "clicks", "where": {"field": "clicked_at", "op": "within_last", "value": "20 days"},
                   "count": {"op": "gte", "value": 3}}),
            "has at least 3 clicks where clicked_at within last 20 days",
        ),
        (
            json!({"not": {"has": "enrollments", "where": {"field": "status", "op": "eq", "value": "completed"}}}),
            r#"has no enrollments where status = "completed""#,
        ),
    ]
}

fn read_json(value: &Json) -> Node {
    json::read_value(value).unwrap_or_else(|e| panic!("{value} does not read: {e}"))
}

#[test]
fn section_4_text_gives_the_expected_json() {
    for (source, expected) in section_4() {
        let node = parse_ok(source);
        assert_eq!(json::write(&node), expected, "JSON of {source:?}");
        assert_eq!(read_json(&expected), node, "AST of the JSON of {source:?}");
        // Back to text: the same ruleset (the spelling may be canonicalized).
        assert_eq!(parse_ok(&text::print(&node)), node, "{source:?} printed");
    }
}

#[test]
fn section_3_json_prints_as_text_that_parses_back() {
    for (value, expected_text) in section_3() {
        let node = read_json(&value);
        assert_eq!(json::read_str(&value.to_string()), Ok(node.clone()));
        let printed = text::print(&node);
        assert_eq!(printed, expected_text, "text of {value}");
        let back = parse_ok(&printed);
        assert_eq!(back, node, "{printed:?} parsed");
        assert_eq!(json::write(&back), value, "{printed:?} written");
    }
}

/// A stored ruleset and the text a DBA types for it mean the same to the database.
#[test]
fn both_forms_of_every_example_compile_to_the_same_sql() {
    let catalog = catalog();
    let from_text = section_4().into_iter().map(|(t, j)| (t.to_string(), j));
    let from_json = section_3().into_iter().map(|(j, t)| (t.to_string(), j));
    for (source, value) in from_text.chain(from_json) {
        let sql = |node: Node| {
            let v = validate(&node, &catalog, &Options::default());
            let pred = v
                .into_result()
                .unwrap_or_else(|p| panic!("{source:?} does not validate: {}", p.error));
            compile(&pred, &catalog)
        };
        let via_text = read_rules(&source).map(sql);
        let via_json = read_rules(&value.to_string()).map(sql);
        assert!(via_text.as_ref().is_ok_and(|s| !s.is_empty()), "{source:?}");
        assert_eq!(via_text.ok(), via_json.ok(), "{source:?}");
    }
}

/// The one place where JSON cannot carry a text-form value: a number literal beyond f64's
/// range. The writer keeps its text as a string rather than change the number; validation
/// refuses such a number in the text form (22003), so no stored ruleset ever differs.
#[test]
fn out_of_range_numbers_become_strings() {
    let node = parse_ok("age = 1e400");
    assert_eq!(
        json::write(&node),
        json!({"field": "age", "op": "eq", "value": "1e400"})
    );
    let v = validate(&node, &catalog(), &Options::default());
    let error = v.into_result().map(|_| ()).map_err(|p| p.error.sqlstate());
    assert_eq!(error, Err("22003"));
}

/// Numbers are the one thing the forms spell differently; the value is kept.
#[test]
fn numbers_are_respelled_not_changed() {
    for (source, value) in [
        ("age = 1.50", json!(1.5)),
        ("age = 1E2", json!(100.0)),
        ("age = -0", json!(0)),
        ("age = 18446744073709551615", json!(18446744073709551615u64)),
        ("age = -9223372036854775808", json!(-9223372036854775808i64)),
        ("age = 0.1", json!(0.1)),
    ] {
        let node = parse_ok(source);
        let written = json::write(&node);
        assert_eq!(written["value"], value, "{source}");
        let back = read_json(&written);
        assert!(forms_support::same_modulo_numbers(&node, &back), "{source}");
        assert_eq!(parse_ok(&text::print(&back)), back, "{source}");
    }
}
