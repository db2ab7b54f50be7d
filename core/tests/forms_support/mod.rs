//! Shared by the forms_* tests: equivalence of ASTs up to how numbers are spelled, and the
//! adaptation of generated ASTs to what a JSON number can carry.
#![allow(dead_code)]

pub mod suit;

use smart_groups_core::ast::{Condition, Has, Node, Number, Value};
use smart_groups_core::{json, text};

/// The AST after one trip through JSON: what storing a ruleset makes of it. Numbers come back
/// in serde_json's spelling (`1.50` → `1.5`, `1E2` → `100.0`, `-0` → `0`).
pub fn through_json(node: &Node) -> Node {
    match json::read_value(&json::write(node)) {
        Ok(back) => back,
        Err(e) => panic!("the JSON of {node:?} does not read back: {e}"),
    }
}

pub fn parse_ok(source: &str) -> Node {
    text::parse(source).unwrap_or_else(|e| panic!("{source:?} does not parse: {e}"))
}

/// Equal, except that numbers are compared by value rather than by spelling: integers that
/// fit 64 bits exactly, anything else as the nearest f64 (all a JSON number carries).
pub fn same_modulo_numbers(a: &Node, b: &Node) -> bool {
    match (a, b) {
        (Node::All(x), Node::All(y)) | (Node::Any(x), Node::Any(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_modulo_numbers(x, y))
        }
        (Node::Not(x), Node::Not(y)) => same_modulo_numbers(x, y),
        (Node::MemberOf(x), Node::MemberOf(y)) => x == y,
        (Node::Compare(x), Node::Compare(y)) => x == y,
        (Node::Cond(x), Node::Cond(y)) => {
            x.field == y.field
                && x.op == y.op
                && match (&x.value, &y.value) {
                    (Some(v), Some(w)) => same_value(v, w),
                    (None, None) => true,
                    _ => false,
                }
        }
        (Node::Has(x), Node::Has(y)) => {
            x.relation == y.relation
                && x.count == y.count
                && match (&x.filter, &y.filter) {
                    (Some(v), Some(w)) => same_modulo_numbers(v, w),
                    (None, None) => true,
                    _ => false,
                }
        }
        _ => false,
    }
}

fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => same_number(x, y),
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        _ => a == b,
    }
}

fn same_number(a: &Number, b: &Number) -> bool {
    match (exact_integer(a), exact_integer(b)) {
        (Some(x), Some(y)) => x == y,
        // An integer literal must stay exact: a float on one side means precision was lost.
        (Some(_), None) | (None, Some(_)) => false,
        (None, None) => a.to_f64() == b.to_f64(),
    }
}

/// The value of an integer literal that fits u64 or i64.
fn exact_integer(n: &Number) -> Option<i128> {
    let text = n.as_str();
    let fits = text.parse::<u64>().is_ok() || text.parse::<i64>().is_ok();
    fits.then(|| text.parse::<i128>().ok()).flatten()
}

/// ADAPTATION of generated ASTs: `gen::arb_number` can make literals beyond f64's range
/// (`3e999`), which no JSON number that serde_json holds can carry; the JSON writer keeps them
/// as strings by design (validation refuses non-finite numbers anyway, 22003). Properties
/// that compare numbers by value first drop the exponent of such literals; the string
/// behaviour itself is pinned by `forms_examples::out_of_range_numbers_become_strings`.
pub fn fit_f64(node: &Node) -> Node {
    match node {
        Node::All(items) => Node::All(items.iter().map(fit_f64).collect()),
        Node::Any(items) => Node::Any(items.iter().map(fit_f64).collect()),
        Node::Not(inner) => Node::Not(Box::new(fit_f64(inner))),
        Node::MemberOf(g) => Node::MemberOf(g.clone()),
        Node::Compare(c) => Node::Compare(c.clone()),
        Node::Cond(c) => Node::Cond(Condition {
            field: c.field.clone(),
            op: c.op,
            value: c.value.as_ref().map(fit_value),
        }),
        Node::Has(h) => Node::Has(Has {
            relation: h.relation.clone(),
            filter: h.filter.as_ref().map(|f| Box::new(fit_f64(f))),
            count: h.count,
        }),
    }
}

fn fit_value(value: &Value) -> Value {
    match value {
        Value::Number(n) if !n.to_f64().is_finite() => {
            let mantissa = n.as_str().split(['e', 'E']).next().unwrap_or("0");
            Value::Number(Number::parse(mantissa).unwrap_or_else(|| panic!("bad {mantissa}")))
        }
        Value::List(items) => Value::List(items.iter().map(fit_value).collect()),
        other => other.clone(),
    }
}
