//! The canonical JSON of a ruleset: keys as in the grammar, no optional key written when
//! absent, numbers as JSON numbers.

use serde_json::{Map, Value};

use crate::ast::{self, Node};

pub fn write(node: &Node) -> Value {
    match node {
        Node::All(items) => object([("all", Value::Array(items.iter().map(write).collect()))]),
        Node::Any(items) => object([("any", Value::Array(items.iter().map(write).collect()))]),
        Node::Not(inner) => object([("not", write(inner))]),
        Node::MemberOf(group) => object([("member_of", Value::String(group.clone()))]),
        Node::Cond(c) => {
            let mut map = Map::new();
            map.insert("field".into(), Value::String(c.field.clone()));
            map.insert("op".into(), Value::String(c.op.name().into()));
            if let Some(v) = &c.value {
                map.insert("value".into(), value(v));
            }
            Value::Object(map)
        }
        Node::Compare(c) => object([
            ("field", Value::String(c.field.clone())),
            ("op", Value::String(c.op.name().into())),
            ("value_field", Value::String(c.value_field.clone())),
        ]),
        Node::Has(h) => {
            let mut map = Map::new();
            map.insert("has".into(), Value::String(h.relation.clone()));
            if let Some(w) = &h.filter {
                map.insert("where".into(), write(w));
            }
            if let Some(c) = &h.count {
                let count = object([
                    ("op", Value::String(c.op.name().into())),
                    ("value", Value::from(c.value)),
                ]);
                map.insert("count".into(), count);
            }
            Value::Object(map)
        }
    }
}

fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

pub(crate) fn value(v: &ast::Value) -> Value {
    match v {
        ast::Value::String(s) => Value::String(s.clone()),
        ast::Value::Bool(b) => Value::Bool(*b),
        ast::Value::Number(n) => number(n),
        ast::Value::List(items) => Value::Array(items.iter().map(value).collect()),
    }
}

/// Integers within 64 bits stay exact; anything else becomes the nearest f64. Rust's own
/// parser is used for floats because it rounds correctly, whereas serde_json's default one
/// may be one unit off, which would make write → read → write drift.
///
/// A literal out of f64's range (`1e400`, possible from the text form) has no JSON number
/// that serde_json can hold; it is kept as its text in a string rather than silently changed,
/// so that validation reports it instead of comparing against a different number.
fn number(n: &ast::Number) -> Value {
    let text = n.as_str();
    if let Ok(u) = text.parse::<u64>() {
        return Value::from(u);
    }
    if let Ok(i) = text.parse::<i64>() {
        return Value::from(i);
    }
    match text
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
    {
        Some(num) => Value::Number(num),
        None => Value::String(text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(text: &str) -> ast::Value {
        ast::Value::Number(
            ast::Number::parse(text).unwrap_or_else(|| panic!("bad test number {text}")),
        )
    }

    #[test]
    fn numbers_keep_integers_exact() {
        assert_eq!(
            value(&num("18446744073709551615")),
            json!(18446744073709551615u64)
        );
        assert_eq!(
            value(&num("-9223372036854775808")),
            json!(-9223372036854775808i64)
        );
        assert_eq!(value(&num("1.50")), json!(1.5));
        assert_eq!(value(&num("1E2")), json!(100.0));
        assert_eq!(value(&num("1e400")), json!("1e400"));
        assert_eq!(value(&num("-1e400")), json!("-1e400"));
        assert_eq!(value(&num("1e-400")), json!(0.0));
        assert_eq!(value(&num("-0")), json!(0));
        // Correctly rounded, unlike serde_json's default float parser.
        assert_eq!(
            value(&num("2.3060000007434614e+17")),
            json!(2.3060000007434614e17)
        );
    }
}
