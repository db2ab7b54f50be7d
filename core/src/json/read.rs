//! Walking a JSON value into a ruleset AST. The walk goes one ruleset level per call and
//! stops at `MAX_DEPTH`, so its recursion is bounded whatever the input.

use serde_json::{Map, Value};

use super::error::{JsonError, Location, Shape};
use super::shape::{check_keys, classify, kind, required, required_str};
use super::{path, value};
use crate::ast::{CmpOp, Comparison, Condition, Count, Has, Node, Op};
use crate::limits::MAX_DEPTH;
use crate::report::did_you_mean;

/// The ruleset at `at`, which sits at nesting `level` (1 for the root, as `ast::depth`
/// counts: a node at level L makes the whole ruleset at least L deep).
pub(crate) fn ruleset(value: &Value, at: &str, level: usize) -> Result<Node, JsonError> {
    if level > MAX_DEPTH {
        return Err(JsonError::TooDeep {
            location: Location::Path(at.to_string()),
        });
    }
    let Value::Object(obj) = value else {
        return Err(JsonError::NotAnObject {
            path: at.to_string(),
            found: kind(value),
        });
    };
    match classify(obj, at)? {
        Shape::All => items(obj, "all", at, level).map(Node::All),
        Shape::Any => items(obj, "any", at, level).map(Node::Any),
        Shape::Not => {
            let inner = required(obj, "not", at, Shape::Not)?;
            ruleset(inner, &path::key(at, "not"), level + 1).map(|n| Node::Not(Box::new(n)))
        }
        Shape::Condition => condition(obj, at).map(Node::Cond),
        Shape::Comparison => comparison(obj, at).map(Node::Compare),
        Shape::MemberOf => required_str(obj, "member_of", at, Shape::MemberOf)
            .map(|g| Node::MemberOf(g.to_string())),
        Shape::Has => has(obj, at, level).map(Node::Has),
        // `classify` only answers ruleset shapes.
        Shape::Count => Err(JsonError::EmptyObject {
            path: at.to_string(),
        }),
    }
}

fn items(
    obj: &Map<String, Value>,
    key: &'static str,
    at: &str,
    level: usize,
) -> Result<Vec<Node>, JsonError> {
    let shape = if key == "all" { Shape::All } else { Shape::Any };
    let list_path = path::key(at, key);
    match required(obj, key, at, shape)? {
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, item)| ruleset(item, &path::index(&list_path, i), level + 1))
            .collect(),
        other => Err(JsonError::WrongType {
            subject: format!("\"{key}\""),
            path: list_path,
            expected: "an array of rulesets",
            found: kind(other),
        }),
    }
}

/// The `"op"` of a rule.
fn operator(obj: &Map<String, Value>, at: &str, shape: Shape) -> Result<Op, JsonError> {
    let op_name = required_str(obj, "op", at, shape)?;
    Op::from_name(op_name).ok_or_else(|| JsonError::UnknownOperator {
        name: op_name.to_string(),
        path: path::key(at, "op"),
        suggestion: did_you_mean(op_name, Op::ALL.iter().map(|op| op.name())),
    })
}

/// Which operators may compare two fields is validation's to say, with the fields' types in
/// hand; any operator name is read here.
fn comparison(obj: &Map<String, Value>, at: &str) -> Result<Comparison, JsonError> {
    let field = required_str(obj, "field", at, Shape::Comparison)?;
    let op = operator(obj, at, Shape::Comparison)?;
    if !op.takes_value() {
        return Err(JsonError::UnexpectedValueField {
            op,
            path: at.to_string(),
        });
    }
    let value_field = required_str(obj, "value_field", at, Shape::Comparison)?;
    Ok(Comparison {
        field: field.to_string(),
        op,
        value_field: value_field.to_string(),
    })
}

fn condition(obj: &Map<String, Value>, at: &str) -> Result<Condition, JsonError> {
    let field = required_str(obj, "field", at, Shape::Condition)?;
    let op = operator(obj, at, Shape::Condition)?;
    let value = match (op.takes_value(), obj.get("value")) {
        (true, Some(v)) => Some(value::read(v, &path::key(at, "value"))?),
        (false, None) => None,
        (true, None) => {
            return Err(JsonError::MissingValue {
                op,
                path: at.to_string(),
            })
        }
        (false, Some(_)) => {
            return Err(JsonError::UnexpectedValue {
                op,
                path: at.to_string(),
            })
        }
    };
    Ok(Condition {
        field: field.to_string(),
        op,
        value,
    })
}

fn has(obj: &Map<String, Value>, at: &str, level: usize) -> Result<Has, JsonError> {
    let relation = required_str(obj, "has", at, Shape::Has)?.to_string();
    let filter = match obj.get("where") {
        Some(w) => Some(Box::new(ruleset(w, &path::key(at, "where"), level + 1)?)),
        None => None,
    };
    let count = match obj.get("count") {
        Some(c) => Some(count(c, &path::key(at, "count"))?),
        None => None,
    };
    Ok(Has {
        relation,
        filter,
        count,
    })
}

fn count(value: &Value, at: &str) -> Result<Count, JsonError> {
    let Value::Object(obj) = value else {
        return Err(JsonError::WrongType {
            subject: "\"count\"".to_string(),
            path: at.to_string(),
            expected: "an object",
            found: kind(value),
        });
    };
    check_keys(obj, at, Shape::Count)?;
    let op_name = required_str(obj, "op", at, Shape::Count)?;
    let op = CmpOp::from_name(op_name).ok_or_else(|| JsonError::UnknownCountOperator {
        name: op_name.to_string(),
        path: path::key(at, "op"),
        suggestion: did_you_mean(op_name, CmpOp::ALL.iter().map(|op| op.name())),
    })?;
    let value_path = path::key(at, "value");
    let n = match required(obj, "value", at, Shape::Count)? {
        Value::Number(n) => n,
        other => {
            return Err(JsonError::WrongType {
                subject: "count \"value\"".to_string(),
                path: value_path,
                expected: "a number",
                found: kind(other),
            })
        }
    };
    // Only integers serde_json holds as u64 qualify: 3.0, -1 and 1e30 are not row counts.
    match n.as_u64() {
        Some(value) => Ok(Count { op, value }),
        None => Err(JsonError::BadCount {
            path: value_path,
            found: n.to_string(),
        }),
    }
}
