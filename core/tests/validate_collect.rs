//! Collecting every problem in document order, warnings, and the result API.

mod validate_support;

use serde_json::json;
use smart_groups_core::checked::Pred;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{Problem, Severity, ValidationError};
use validate_support::*;

#[test]
fn every_problem_is_reported_in_document_order() {
    let v = check(json!({"all": [
        {"field": "departmnet", "op": "eq", "value": "Sales"},
        {"field": "age", "op": "eq", "value": 30},
        {"any": [
            {"field": "hire_date", "op": "contains", "value": "x"},
            {"not": {"member_of": "Salse"}},
            {"field": "location", "op": "in", "value": ["NL", 1, "\u{0}"]}
        ]},
        {"has": "enrollments", "where": {"field": "status", "op": "eq", "value": 1}, "count": {"op": "gte", "value": 2}},
        {"field": "role", "op": "eq", "value": "admn"},
        {"field": "name", "op": "eq", "value": " Ann"}
    ]}));
    assert!(v.pred.is_none());
    let got: Vec<(&str, &str, Severity)> = v
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.error.sqlstate(), p.severity))
        .collect();
    assert_eq!(
        got,
        vec![
            ("all[0].field", "42703", Severity::Error),
            ("all[2].any[0].op", "42804", Severity::Error),
            ("all[2].any[1].not.member_of", "42704", Severity::Error),
            ("all[2].any[2].value[1]", "42804", Severity::Error),
            ("all[2].any[2].value[2]", "22021", Severity::Error),
            ("all[3].where.value", "42804", Severity::Error),
            ("all[4].value", "22023", Severity::Error),
            ("all[5].value", "01000", Severity::Warning),
        ]
    );
    let first = v.into_result().unwrap_err();
    assert_eq!(first.path, "all[0].field");
    assert_eq!(first.detail().as_deref(), Some("at all[0].field"));
    assert_eq!(first.sqlstate(), "42703");
    assert_eq!(
        first.to_string(),
        r#"unknown field "departmnet" (did you mean "department"?)"#
    );
}

#[test]
fn both_bounds_of_between_are_checked() {
    let v = check(json!({"field": "created_at", "op": "between", "value": ["yesterday", 5]}));
    let got: Vec<(&str, &str)> = v
        .problems
        .iter()
        .map(|p| (p.path.as_str(), p.error.sqlstate()))
        .collect();
    assert_eq!(got, vec![("value[0]", "22007"), ("value[1]", "42804")]);
}

#[test]
fn a_group_can_be_unusable_and_cyclic_at_once() {
    let mut catalog = catalog();
    catalog
        .groups
        .iter_mut()
        .find(|g| g.name == "B")
        .unwrap()
        .status = smart_groups_core::catalog::GroupStatus::Inactive;
    let opts = smart_groups_core::validate::Options {
        group: Some("A".into()),
        ..Default::default()
    };
    let v =
        smart_groups_core::validate::validate(&node(json!({"member_of": "B"})), &catalog, &opts);
    let states: Vec<&str> = v.problems.iter().map(|p| p.error.sqlstate()).collect();
    assert_eq!(states, vec!["55000", "42P17"]);
}

fn warning_of(value: &str) -> Option<String> {
    let v = check(json!({"field": "job_title", "op": "contains", "value": value}));
    assert!(v.pred.is_some(), "warnings must not block");
    match v.problems.as_slice() {
        [] => None,
        [p] => {
            assert_eq!(
                (p.severity, p.error.sqlstate(), p.path.as_str()),
                (Severity::Warning, "01000", "value")
            );
            Some(p.error.to_string())
        }
        many => panic!("one warning per value, got {many:#?}"),
    }
}

#[test]
fn suspicious_whitespace_warns() {
    assert_eq!(
        warning_of("Van  Loon").as_deref(),
        Some(r#"value "Van  Loon" has two spaces in a row; rules match exact text"#)
    );
    assert_eq!(
        warning_of(" Sales").as_deref(),
        Some(r#"value " Sales" has leading whitespace; rules match exact text"#)
    );
    assert_eq!(
        warning_of("Sales\t").as_deref(),
        Some(r#"value "Sales\t" has trailing whitespace; rules match exact text"#)
    );
    assert_eq!(
        warning_of(" a  b ").as_deref(),
        Some(r#"value " a  b " has leading and trailing whitespace; rules match exact text"#)
    );
    assert_eq!(warning_of("Van Loon"), None);
    assert_eq!(warning_of(""), None);
}

#[test]
fn whitespace_warnings_in_lists_where_and_enums() {
    let v = check(json!({"all": [
        {"field": "tags", "op": "includes_any", "value": ["ok", "bad "]},
        {"has": "enrollments", "where": {"field": "course", "op": "eq", "value": "Driver  Safety"}},
        {"field": "role", "op": "eq", "value": "admin"}
    ]}));
    assert!(v.pred.is_some());
    let paths: Vec<&str> = v.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, vec!["all[0].value[1]", "all[1].where.value"]);
    assert!(v.problems.iter().all(|p| p.severity == Severity::Warning));
    // Numbers and dates have no whitespace to warn about; an enum label that has none either.
    assert!(
        check(json!({"field": "shirt_size", "op": "in", "value": ["S", "M"]}))
            .problems
            .is_empty()
    );
}

#[test]
fn into_result_and_push() {
    let ok = check(json!({"field": "name", "op": "eq", "value": "Van  Loon"}));
    assert_eq!(ok.problems.len(), 1);
    assert!(matches!(ok.clone().into_result(), Ok(Pred::Test(_))));

    let mut later = ok.clone();
    later.push(Problem::new(
        "value",
        ValidationError::UnmatchedValue {
            field: "name".into(),
            value: "Van  Loon".into(),
            suggestion: Some("Van Loon".into()),
        },
    ));
    assert!(later.pred.is_some() && !later.has_errors());
    assert_eq!(later.problems[1].severity, Severity::Warning);
    assert_eq!(
        later.problems[1].to_string(),
        r#"no user has "Van  Loon" in field "name" (did you mean "Van Loon"?)"#
    );

    let mut blocked = ok;
    blocked.push(Problem::new(
        "value",
        ValidationError::NulCharacter {
            field: "name".into(),
        },
    ));
    assert!(blocked.pred.is_none() && blocked.has_errors());
    let err = blocked.into_result().unwrap_err();
    assert_eq!(err.sqlstate(), "22021");
}

#[test]
fn unreadable_values_warning_reads_well() {
    let p = Problem::new(
        "",
        ValidationError::UnreadableValues {
            field: "start_date".into(),
            ty: smart_groups_core::catalog::FieldType::Date,
            count: 3,
        },
    );
    assert_eq!(p.severity, Severity::Warning);
    assert_eq!(
        p.to_string(),
        r#"3 stored value(s) of custom field "start_date" cannot be read as date; they count as empty"#
    );
    assert_eq!(
        p.detail().as_deref(),
        Some("values that cannot be read as the field's type count as empty")
    );
}

#[test]
fn test_paths_point_at_rule_objects() {
    let v = check(json!({"any": [{"not": {"all": [{"field": "age", "op": "gt", "value": 1}]}}]}));
    let Some(Pred::Any(any)) = v.pred else {
        panic!()
    };
    let Pred::Not(not) = &any[0] else { panic!() };
    let Pred::All(all) = not.as_ref() else {
        panic!()
    };
    let Pred::Test(t) = &all[0] else { panic!() };
    assert_eq!(t.path, "any[0].not.all[0]");
}

#[test]
fn has_problems_follow_key_order() {
    use smart_groups_core::ast::{CmpOp, Count, Has, Node};
    let where_ = node(json!({"field": "nope", "op": "is_empty"}));
    let has = |relation: &str| {
        Node::Has(Has {
            relation: relation.into(),
            filter: Some(Box::new(where_.clone())),
            count: Some(Count {
                op: CmpOp::Lt,
                value: u64::MAX,
            }),
        })
    };
    let opts = smart_groups_core::validate::Options::default();
    let v = smart_groups_core::validate::validate(&has("clicks"), &catalog(), &opts);
    let paths: Vec<&str> = v.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, vec!["where.field", "count.value"]);
    let v = smart_groups_core::validate::validate(&has("clickz"), &catalog(), &opts);
    let paths: Vec<&str> = v.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, vec!["has", "count.value"]);
}
