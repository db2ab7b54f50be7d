//! Every JSON example of docs/reference/rules.md reads to the AST written out by hand, and writes back
//! to the same JSON.

use serde_json::json;
use smart_groups_core::ast::{CmpOp, Condition, Count, Has, Node, Number, Op, Value};
use smart_groups_core::json::{read_str, read_value, write};

fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

fn cond(field: &str, op: Op, value: Option<Value>) -> Node {
    Node::Cond(Condition {
        field: field.to_string(),
        op,
        value,
    })
}

/// Reads the text, checks the AST, and checks that writing gives back the same JSON.
fn check(text: &str, expected: Node) {
    let node = read_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    assert_eq!(node, expected, "{text}");
    let original: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(write(&node), original, "{text}");
    assert_eq!(read_value(&original), Ok(expected));
}

#[test]
fn benelux_managers() {
    check(
        r#"{"all": [
          {"field": "location", "op": "in", "value": ["Netherlands", "Belgium", "Luxembourg"]},
          {"field": "role", "op": "eq", "value": "manager"}
        ]}"#,
        Node::All(vec![
            cond(
                "location",
                Op::In,
                Some(Value::List(vec![
                    s("Netherlands"),
                    s("Belgium"),
                    s("Luxembourg"),
                ])),
            ),
            cond("role", Op::Eq, Some(s("manager"))),
        ]),
    );
}

#[test]
fn within_last() {
    check(
        r#"{"field": "hire_date", "op": "within_last", "value": "30 days"}"#,
        cond("hire_date", Op::WithinLast, Some(s("30 days"))),
    );
}

#[test]
fn between_dates() {
    check(
        r#"{"field": "hire_date", "op": "between", "value": ["2024-01-01", "03/31/2024"]}"#,
        cond(
            "hire_date",
            Op::Between,
            Some(Value::List(vec![s("2024-01-01"), s("03/31/2024")])),
        ),
    );
}

#[test]
fn is_empty_has_no_value() {
    check(
        r#"{"field": "email", "op": "is_empty"}"#,
        cond("email", Op::IsEmpty, None),
    );
}

#[test]
fn reference_field() {
    check(
        r#"{"field": "manager.name", "op": "eq", "value": "John Doe"}"#,
        cond("manager.name", Op::Eq, Some(s("John Doe"))),
    );
}

#[test]
fn has_with_where_and_count() {
    check(
        r#"{"has": "clicks", "where": {"field": "clicked_at", "op": "within_last", "value": "20 days"},
            "count": {"op": "gte", "value": 3}}"#,
        Node::Has(Has {
            relation: "clicks".into(),
            filter: Some(Box::new(cond(
                "clicked_at",
                Op::WithinLast,
                Some(s("20 days")),
            ))),
            count: Some(Count {
                op: CmpOp::Gte,
                value: 3,
            }),
        }),
    );
}

#[test]
fn has_none() {
    check(
        r#"{"not": {"has": "enrollments", "where": {"field": "status", "op": "eq", "value": "completed"}}}"#,
        Node::Not(Box::new(Node::Has(Has {
            relation: "enrollments".into(),
            filter: Some(Box::new(cond("status", Op::Eq, Some(s("completed"))))),
            count: None,
        }))),
    );
}

#[test]
fn member_of_and_bare_has_and_empty_groups() {
    check(r#"{"member_of": "Sales"}"#, Node::MemberOf("Sales".into()));
    check(
        r#"{"has": "enrollments"}"#,
        Node::Has(Has {
            relation: "enrollments".into(),
            filter: None,
            count: None,
        }),
    );
    check(r#"{"all": []}"#, Node::All(vec![]));
    check(
        r#"{"any": [{"any": []}]}"#,
        Node::Any(vec![Node::Any(vec![])]),
    );
}

#[test]
fn numbers_and_booleans() {
    let n = |t: &str| Value::Number(Number::parse(t).unwrap_or_else(|| panic!("{t}")));
    check(
        r#"{"any": [
          {"field": "age", "op": "between", "value": [18, 65]},
          {"field": "salary", "op": "gt", "value": -2.5},
          {"field": "big", "op": "eq", "value": 18446744073709551615},
          {"field": "small", "op": "eq", "value": -9223372036854775808},
          {"field": "active", "op": "eq", "value": true}
        ]}"#,
        Node::Any(vec![
            cond(
                "age",
                Op::Between,
                Some(Value::List(vec![n("18"), n("65")])),
            ),
            cond("salary", Op::Gt, Some(n("-2.5"))),
            cond("big", Op::Eq, Some(n("18446744073709551615"))),
            cond("small", Op::Eq, Some(n("-9223372036854775808"))),
            cond("active", Op::Eq, Some(Value::Bool(true))),
        ]),
    );
}

#[test]
fn writer_uses_grammar_keys_only() {
    let node = Node::Has(Has {
        relation: "clicks".into(),
        filter: None,
        count: Some(Count {
            op: CmpOp::Lt,
            value: 0,
        }),
    });
    assert_eq!(
        write(&node),
        json!({"has": "clicks", "count": {"op": "lt", "value": 0}})
    );
    assert_eq!(
        write(&cond("e", Op::IsNotEmpty, None)),
        json!({"field": "e", "op": "is_not_empty"})
    );
}

#[test]
fn every_operator_name_reads() {
    for &op in Op::ALL {
        let text = if op.takes_value() {
            format!(r#"{{"field": "f", "op": "{op}", "value": 1}}"#)
        } else {
            format!(r#"{{"field": "f", "op": "{op}"}}"#)
        };
        let node = read_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(
            matches!(node, Node::Cond(Condition { op: o, .. }) if o == op),
            "{text}"
        );
    }
    for op in CmpOp::ALL {
        let text = format!(
            r#"{{"has": "r", "count": {{"op": "{}", "value": 2}}}}"#,
            op.name()
        );
        let node = read_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert!(
            matches!(node, Node::Has(Has { count: Some(Count { op: o, value: 2 }), .. }) if o == op)
        );
    }
}
