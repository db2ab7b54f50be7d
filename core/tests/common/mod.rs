//! Helpers shared by the integration tests (`mod common;`). Not every test file uses every
//! helper, hence the allow.
#![allow(dead_code)]

pub mod gen;

use smart_groups_core::ast::{CmpOp, Condition, Count, Has, Node, Number, Op, Value};

pub fn s(text: &str) -> Value {
    Value::String(text.to_string())
}

pub fn n(text: &str) -> Value {
    Value::Number(Number::parse(text).unwrap_or_else(|| panic!("not a JSON number: {text}")))
}

pub fn boolean(b: bool) -> Value {
    Value::Bool(b)
}

pub fn list(items: Vec<Value>) -> Value {
    Value::List(items)
}

pub fn cond(field: &str, op: Op, value: Value) -> Node {
    Node::Cond(Condition {
        field: field.to_string(),
        op,
        value: Some(value),
    })
}

pub fn cond0(field: &str, op: Op) -> Node {
    Node::Cond(Condition {
        field: field.to_string(),
        op,
        value: None,
    })
}

pub fn has(relation: &str, filter: Option<Node>, count: Option<(CmpOp, u64)>) -> Node {
    Node::Has(Has {
        relation: relation.to_string(),
        filter: filter.map(Box::new),
        count: count.map(|(op, value)| Count { op, value }),
    })
}

pub fn not(node: Node) -> Node {
    Node::Not(Box::new(node))
}

pub fn member_of(group: &str) -> Node {
    Node::MemberOf(group.to_string())
}
