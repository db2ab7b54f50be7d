//! `read::read_rules` picks the JSON reader for objects and the text parser otherwise, and
//! reports the inner error unchanged.

use smart_groups_core::ast::{Condition, Node, Op, Value};
use smart_groups_core::read::{read_rules, ReadError};
use smart_groups_core::report::Report;

#[test]
fn json_after_leading_whitespace() {
    let node = read_rules(" \n\t{\"field\": \"role\", \"op\": \"eq\", \"value\": \"x\"}");
    let expected = Node::Cond(Condition {
        field: "role".into(),
        op: Op::Eq,
        value: Some(Value::String("x".into())),
    });
    assert!(matches!(node, Ok(ref n) if *n == expected), "{node:?}");
}

#[test]
fn json_errors_pass_through() {
    let e = read_rules("  {\"field\": \"role\", \"op\": \"eqq\", \"value\": 1}");
    let Err(e @ ReadError::Json(_)) = e else {
        panic!("expected a JSON error, got {e:?}")
    };
    assert_eq!(e.sqlstate(), "42883");
    assert_eq!(
        e.to_string(),
        "unknown operator \"eqq\" at op (did you mean \"eq\"?)"
    );
    assert!(e.hint().is_some_and(|h| h.contains("starts_with_ci")));
    let e = read_rules(&format!("{{\"all\": [{}]}}", " ".repeat(70_000)));
    assert!(matches!(&e, Err(ReadError::Json(_))), "{e:?}");
    assert_eq!(
        e.err().map(|e| (e.sqlstate(), e.detail().is_some())),
        Some(("54000", true))
    );
}

#[test]
fn anything_else_goes_to_the_text_parser() {
    for input in ["role = \"manager\"", "  (role = \"x\")", "", "[1]", "\"{\""] {
        let r = read_rules(input);
        assert!(!matches!(r, Err(ReadError::Json(_))), "{input}: {r:?}");
    }
    if let Err(e) = read_rules("role = ") {
        assert_eq!(e.sqlstate(), "42601");
    }
}
