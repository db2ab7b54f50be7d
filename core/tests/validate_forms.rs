//! Problems speak the form the ruleset was written in (`validate::Form`, `InForm`): the text
//! form names operators and values as it spells them, JSON as its keys do. The messages are
//! otherwise the same, and so are the SQLSTATE and the path.

mod validate_support;

use serde_json::json;
use smart_groups_core::report::Report;
use smart_groups_core::text;
use smart_groups_core::validate::{validate, Form, InForm, Options};
use validate_support::*;

fn problem_of(rules: &str) -> smart_groups_core::validate::Problem {
    let node = text::parse(rules).expect("the text parses");
    let v = validate(&node, &catalog(), &Options::default());
    sole_error(&v).clone()
}

#[test]
fn operators_in_text_words() {
    let p = problem_of("hire_date > 2024-01-01");
    let text = InForm(&p, Form::Text);
    let json = InForm(&p, Form::Json);
    assert_eq!(
        text.to_string(),
        r#"operator ">" does not apply to date field "hire_date""#
    );
    assert_eq!(
        json.to_string(),
        r#"operator "gt" does not apply to date field "hire_date""#
    );
    assert_eq!(text.sqlstate(), json.sqlstate());
    assert_eq!(text.detail(), json.detail());
    let hint = text.hint().unwrap();
    assert!(hint.contains("before, after"), "{hint}");
    assert!(
        hint.contains("within last") && !hint.contains("within_last"),
        "{hint}"
    );
    assert!(json.hint().unwrap().contains("within_last"));
}

#[test]
fn values_in_text_words() {
    let p = problem_of(r#"age > "5""#);
    assert_eq!(
        InForm(&p, Form::Text).hint().as_deref(),
        Some("write a number, without quotes")
    );
    assert_eq!(
        InForm(&p, Form::Json).hint().as_deref(),
        Some("write a JSON number, without quotes")
    );
}

#[test]
fn the_json_form_reads_as_before() {
    // Form::Json is the problem as it always read.
    let v = check(json!({"field": "hire_date", "op": "gt", "value": "2024-01-01"}));
    let p = sole_error(&v);
    assert_eq!(InForm(p, Form::Json).to_string(), p.to_string());
    assert_eq!(InForm(p, Form::Json).hint(), p.hint());
}

#[test]
fn a_users_field_inside_a_where() {
    // The where runs to the end of the parentheses: `name` is read as a column of clicks.
    let p = problem_of(r#"has clicks where clicked_at within last 3 days or name = "x""#);
    assert_eq!(p.sqlstate(), "42703");
    let text = InForm(&p, Form::Text).hint().unwrap();
    assert!(
        text.contains("runs to the end of its parentheses"),
        "{text}"
    );
    assert!(text.contains("(has clicks where ...)"), "{text}");
    let json = InForm(&p, Form::Json).hint().unwrap();
    assert!(json.contains("next to the has"), "{json}");
    // A name that is no users field either keeps the list of the relation's columns.
    let p = problem_of(r#"has clicks where nonsense = "x""#);
    assert!(InForm(&p, Form::Text)
        .hint()
        .unwrap()
        .starts_with("columns of clicks"));
}
