//! Large rulesets in both forms: there is no limit on the number of rules (docs/reference/rules.md), so
//! 1,000 rules read, validate and compile from text and from JSON alike; the only limit is the
//! size, 64 KiB, which holds to the byte in both forms (54000 beyond it).

mod forms_support;
mod validate_support;

use smart_groups_core::ast::Node;
use smart_groups_core::compile::compile;
use smart_groups_core::limits::MAX_RULESET_BYTES;
use smart_groups_core::read::read_rules;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{validate, Options};
use smart_groups_core::{json, text};
use validate_support::catalog;

/// Rule `i` of a big ruleset, cycling through field types so that every compiler family is
/// exercised; all valid against `validate_support::catalog()`.
fn rule(i: usize) -> String {
    match i % 5 {
        0 => format!("age = {i}"),
        1 => format!("name = \"u{i}\""),
        2 => format!("tags includes \"t{i}\""),
        3 => format!("hire_date before 2024-01-{:02}", i % 28 + 1),
        // Parenthesized: a `where` body would take in the rules after it.
        _ => format!(
            "(has clicks where clicked_at within last {} days)",
            i % 90 + 1
        ),
    }
}

fn rules(count: usize, joiner: &str) -> String {
    (0..count).map(rule).collect::<Vec<_>>().join(joiner)
}

/// Reads `input`, validates and compiles it; the AST and the SQL.
fn through(input: &str) -> (Node, String) {
    let node = read_rules(input).unwrap_or_else(|e| panic!("does not read: {e}"));
    let catalog = catalog();
    let pred = validate(&node, &catalog, &Options::default())
        .into_result()
        .unwrap_or_else(|p| panic!("does not validate: {} at {}", p.error, p.path));
    let sql = compile(&pred, &catalog);
    (node, sql)
}

fn check_thousand(joiner: &str, group: fn(Vec<Node>) -> Node) {
    let source = rules(1000, joiner);
    let value = json::write(&forms_support::parse_ok(&source)).to_string();
    assert!(source.len() < MAX_RULESET_BYTES && value.len() < MAX_RULESET_BYTES);

    let (from_text, sql_text) = through(&source);
    let (from_json, sql_json) = through(&value);
    let (Node::Any(items) | Node::All(items)) = &from_text else {
        panic!("not a group: {from_text:?}")
    };
    assert_eq!(items.len(), 1000);
    assert_eq!(from_text, group(items.clone()));
    assert_eq!(from_json, from_text);
    assert_eq!(sql_text, sql_json);
    // Every rule made it into the SQL, the last ones included.
    for needle in ["995", "'u996'", "'t997'", "2024-01-19", "90 days"] {
        assert!(sql_text.contains(needle), "{needle} missing from the SQL");
    }
    // And the canonical text of the JSON is the text we started from.
    assert_eq!(text::print(&from_json), source);
}

#[test]
fn any_of_a_thousand_rules_in_both_forms() {
    check_thousand(" or ", Node::Any);
}

#[test]
fn all_of_a_thousand_rules_in_both_forms() {
    check_thousand(" and ", Node::All);
}

/// An `any` of as many rules as its compact JSON fits in `size` bytes, both forms padded with
/// whitespace to exactly `size` bytes.
fn padded(size: usize) -> (String, String) {
    // `{"any":[` + items joined by `,` + `]}`
    let mut json_len = "{\"any\":[]}".len() - 1;
    let mut items = Vec::new();
    for i in 0.. {
        let item = forms_support::parse_ok(&rule(i));
        json_len += json::write(&item).to_string().len() + 1;
        if json_len > size {
            break;
        }
        items.push(item);
    }
    let node = Node::Any(items);
    let value = json::write(&node).to_string();
    let source = text::print(&node);
    let pad = |s: String| format!("{s}{}", "\n".repeat(size - s.len()));
    (pad(source), pad(value))
}

#[test]
fn a_ruleset_of_exactly_64_kib_works_in_both_forms() {
    let (source, value) = padded(MAX_RULESET_BYTES);
    assert_eq!((source.len(), value.len()), (65536, 65536));
    let (from_text, sql_text) = through(&source);
    let (from_json, sql_json) = through(&value);
    assert_eq!(from_text, from_json);
    assert_eq!(sql_text, sql_json);
    let Node::Any(items) = &from_json else {
        panic!("not an any: {from_json:?}")
    };
    assert!(items.len() > 1000, "only {} rules", items.len());
    // The stored form of a jsonb is measured by its compact serialization.
    let parsed: serde_json::Value = serde_json::from_str(&value).unwrap_or_default();
    assert_eq!(json::read_value(&parsed), Ok(from_json));
}

#[test]
fn one_byte_more_is_refused_with_54000_in_both_forms() {
    let (source, value) = padded(MAX_RULESET_BYTES);
    for input in [format!("{source} "), format!("{value} ")] {
        assert_eq!(input.len(), MAX_RULESET_BYTES + 1);
        let error = read_rules(&input).map(|_| ()).map_err(|e| e.sqlstate());
        assert_eq!(error, Err("54000"), "{}", &input[..40]);
    }
    // A value whose compact JSON is 64 KiB + 1 (one more character in a string).
    let name = "x".repeat(MAX_RULESET_BYTES - 40);
    let mut value = serde_json::json!({"field": "name", "op": "eq", "value": name});
    let short = MAX_RULESET_BYTES + 1 - value.to_string().len();
    value["value"] = serde_json::Value::String("x".repeat(name.len() + short));
    assert_eq!(value.to_string().len(), MAX_RULESET_BYTES + 1);
    let error = json::read_value(&value)
        .map(|_| ())
        .map_err(|e| e.sqlstate());
    assert_eq!(error, Err("54000"));
    value["value"] = serde_json::Value::String("x".repeat(name.len() + short - 1));
    assert!(json::read_value(&value).is_ok());
}
