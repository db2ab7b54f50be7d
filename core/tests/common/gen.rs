//! proptest strategies for random ASTs: every node kind, all operators, values of suitable and
//! of arbitrary shapes, and strings and names chosen to stress quoting (quotes, backslashes,
//! backticks, newlines, Unicode, keywords, text shaped like dates and durations).

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use smart_groups_core::ast::{CmpOp, Comparison, Condition, Count, Has, Node, Number, Op, Value};

const KEYWORDS: &[&str] = &[
    "and", "or", "not", "has", "member", "of", "all", "any", "true", "false", "no", "at", "least",
    "most", "more", "fewer", "less", "than", "exactly", "where", "in", "is", "empty", "on",
    "between", "within", "last", "contains", "includes", "AND", "Not", "HAS", "All",
];

/// Free text for string values, group names and quoted names.
pub fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-zA-Z0-9 ]{0,12}",
        "[\"\\\\`\n\t a-z]{0,8}",
        "\\PC{0,10}",
        any::<String>(),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
        "[0-9]{2}/[0-9]{2}/[0-9]{4}",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?([Zz]|[+-][0-9]{2}:[0-9]{2})",
        "[0-9]{1,3} {1,2}[a-zA-Z]{1,8}",
        select(KEYWORDS).prop_map(str::to_string),
    ]
}

/// Field and relation names: plain, dotted, keywords, and names that need backticks.
pub fn arb_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_][a-zA-Z0-9_$]{0,8}",
        2 => "[a-z_][a-z0-9_]{0,5}(\\.[a-z_][a-z0-9_$]{0,5}){1,2}",
        2 => select(KEYWORDS).prop_map(str::to_string),
        1 => select(KEYWORDS).prop_map(|k| format!("{k}.x")),
        2 => arb_text(),
    ]
}

/// A JSON-syntax number.
pub fn arb_number() -> impl Strategy<Value = Number> {
    "-?(0|[1-9][0-9]{0,12})(\\.[0-9]{1,4})?([eE][+-]?[0-9]{1,3})?"
        .prop_map(|t| Number::parse(&t).unwrap_or_else(|| panic!("generator made {t}")))
}

pub fn arb_scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        arb_text().prop_map(Value::String),
        arb_number().prop_map(Value::Number),
        any::<bool>().prop_map(Value::Bool),
    ]
}

/// A value of any valid shape: a scalar or a list of scalars.
pub fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => arb_scalar(),
        1 => vec(arb_scalar(), 0..4).prop_map(Value::List),
    ]
}

/// A value shaped as `op` usually wants it, or (less often) any shape at all.
fn value_for(op: Op) -> BoxedStrategy<Value> {
    let suitable = match op {
        Op::Between => vec(arb_scalar(), 2..=2).prop_map(Value::List).boxed(),
        Op::In | Op::NotIn | Op::IncludesAny | Op::IncludesAll => {
            vec(arb_scalar(), 0..4).prop_map(Value::List).boxed()
        }
        Op::WithinLast | Op::NotWithinLast => prop_oneof![
            "[1-9][0-9]{0,3} (minutes|hours|day|days|weeks|months|Years)".prop_map(Value::String),
            arb_value(),
        ]
        .boxed(),
        _ => arb_scalar().boxed(),
    };
    prop_oneof![3 => suitable, 1 => arb_value()].boxed()
}

pub fn arb_condition() -> impl Strategy<Value = Condition> {
    (arb_name(), select(Op::ALL)).prop_flat_map(|(field, op)| {
        let value = if op.takes_value() {
            value_for(op).prop_map(Some).boxed()
        } else {
            Just(None).boxed()
        };
        value.prop_map(move |value| Condition {
            field: field.clone(),
            op,
            value,
        })
    })
}

/// A field compared with another field; any operator that takes a value (the readers refuse
/// the others), validation judging the pair.
pub fn arb_comparison() -> impl Strategy<Value = Comparison> {
    let ops: Vec<Op> = Op::ALL
        .iter()
        .copied()
        .filter(|op| op.takes_value())
        .collect();
    (arb_name(), select(ops), arb_name()).prop_map(|(field, op, value_field)| Comparison {
        field,
        op,
        value_field,
    })
}

pub fn arb_count() -> impl Strategy<Value = Option<Count>> {
    let value = prop_oneof![0..5u64, any::<u64>()];
    proptest::option::of(
        (select(&CmpOp::ALL[..]), value).prop_map(|(op, value)| Count { op, value }),
    )
}

fn arb_has(filter: impl Strategy<Value = Option<Box<Node>>>) -> impl Strategy<Value = Node> {
    (arb_name(), filter, arb_count()).prop_map(|(relation, filter, count)| {
        Node::Has(Has {
            relation,
            filter,
            count,
        })
    })
}

pub fn arb_leaf() -> impl Strategy<Value = Node> {
    prop_oneof![
        4 => arb_condition().prop_map(Node::Cond),
        1 => arb_comparison().prop_map(Node::Compare),
        1 => arb_text().prop_map(Node::MemberOf),
        1 => arb_has(Just(None)),
    ]
}

/// A random valid ruleset of depth at most 5 (as `ast::depth` counts).
pub fn arb_node() -> impl Strategy<Value = Node> {
    arb_leaf().prop_recursive(4, 48, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Node::All),
            vec(inner.clone(), 0..4).prop_map(Node::Any),
            inner.clone().prop_map(|n| Node::Not(Box::new(n))),
            arb_has(inner.prop_map(|n| Some(Box::new(n)))),
        ]
    })
}
