//! JsonLogic (docs/reference/formats.md, "JsonLogic"): a rule is an object of one operation,
//! `{"op": [arguments]}`, a field is `{"var": "name"}`.
//!
//! Read: `and`, `or`, `!`, `==`/`===`, `!=`/`!==` (against `null`: is empty / is not empty),
//! `<`, `<=`, `>`, `>=` (with three arguments, `<=` is `between`), `in` (a field in a list of
//! values; a value in a text field: `contains`; in a list field: `includes`), `some` of a list
//! field over `in` (`includes_any`), and `startsWith` / `endsWith` as react-querybuilder
//! writes them. `!` of `in` reads as `not_in`, `not_contains` or `not_includes`. Anything else
//! (`if`, `var` with a default, arithmetic, a bare field's truthiness) is refused with its path.

use serde_json::{Map, Value as J};

use super::{
    check_depth, coerce, compare, cond, group, is_time, negated, ordered, value_json, write_items,
    FieldTypes, Format, FormatError,
};
use crate::ast::{self, Condition, Node, Op};
use crate::catalog::FieldType;
use crate::json::{path, shape::kind, value};

const FORMAT: Format = Format::JsonLogic;

/// Reads a JsonLogic rule into a ruleset.
pub fn from_jsonlogic(input: &J, types: FieldTypes) -> Result<Node, FormatError> {
    super::check_size(input, FORMAT)?;
    read(input, "", 1, types)
}

fn invalid(subject: &str, at: &str, expected: &'static str, found: &J) -> FormatError {
    FormatError::Invalid {
        subject: subject.to_string(),
        path: at.to_string(),
        expected,
        found: kind(found).to_string(),
    }
}

fn unsupported(what: String, at: &str) -> FormatError {
    FormatError::Unsupported {
        what,
        path: at.to_string(),
        target: "smart_groups rules",
        hint: "smart_groups reads and, or, !, ==, !=, <, <=, >, >=, in, some, startsWith and endsWith over {\"var\": field} and values (docs/reference/formats.md).",
    }
}

/// The operation of an object of one key, and its arguments (a single argument may be
/// written without its array, as JsonLogic allows).
fn operation<'a>(v: &'a J, at: &str) -> Result<(&'a str, Vec<&'a J>, String), FormatError> {
    let Some(obj) = v.as_object() else {
        return Err(invalid("a rule", at, "an object of one operation", v));
    };
    let mut entries = obj.iter();
    let (Some((op, args)), None) = (entries.next(), entries.next()) else {
        return Err(invalid(
            "a rule",
            at,
            "an object of exactly one operation",
            v,
        ));
    };
    let op_at = path::key(at, op);
    let args = match args {
        J::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    Ok((op.as_str(), args, op_at))
}

/// A field reference `{"var": "name"}` (or `{"var": ["name"]}`), else None.
fn field_of<'a>(v: &'a J, at: &str) -> Result<Option<&'a str>, FormatError> {
    let Some(obj) = v.as_object() else {
        return Ok(None);
    };
    let Some(var) = obj.get("var") else {
        return Ok(None);
    };
    let var_at = path::key(at, "var");
    if obj.len() != 1 {
        return Err(invalid("a field", at, "{\"var\": name} alone", v));
    }
    let name = match var {
        J::String(s) => s.as_str(),
        J::Array(items) if items.len() == 1 => match &items[0] {
            J::String(s) => s.as_str(),
            other => {
                return Err(invalid(
                    "the field name",
                    &path::index(&var_at, 0),
                    "a string",
                    other,
                ))
            }
        },
        J::Array(_) => return Err(unsupported("a field with a default value".into(), &var_at)),
        other => return Err(invalid("the field name", &var_at, "a string", other)),
    };
    if name.is_empty() {
        return Err(unsupported(
            "the current element (\"var\": \"\") outside \"some\"".into(),
            &var_at,
        ));
    }
    Ok(Some(name))
}

fn literal(v: &J, at: &str, ty: Option<FieldType>) -> Result<ast::Value, FormatError> {
    if v.is_object() {
        return Err(invalid(
            "the value",
            at,
            "a string, number, boolean or array of those",
            v,
        ));
    }
    Ok(coerce(value::read(v, at)?, ty))
}

fn read(v: &J, at: &str, depth: usize, types: FieldTypes) -> Result<Node, FormatError> {
    check_depth(depth, at, FORMAT.name())?;
    if field_of(v, at)?.is_some() {
        return Err(unsupported("a field's truthiness".into(), at));
    }
    let (op, args, op_at) = operation(v, at)?;
    let arg_at = |i: usize| path::index(&op_at, i);
    match op {
        "and" | "or" => {
            let items = args
                .iter()
                .enumerate()
                .map(|(i, a)| read(a, &arg_at(i), depth + 1, types))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(group(op == "and", items))
        }
        "!" => {
            let [inner] = args.as_slice() else {
                return Err(invalid("\"!\"", &op_at, "one argument", v));
            };
            let inner_at = if v.get("!").is_some_and(J::is_array) {
                arg_at(0)
            } else {
                op_at.clone()
            };
            let node = read(inner, &inner_at, depth + 1, types)?;
            if let Node::Cond(c) = &node {
                if let Some(op) = negated(c.op) {
                    return Ok(Node::Cond(Condition { op, ..c.clone() }));
                }
            }
            Ok(Node::Not(Box::new(node)))
        }
        "==" | "===" | "!=" | "!==" => {
            let eq = op.starts_with('=');
            if let Some((field, other)) = two_fields(&args, &op_at)? {
                return Ok(compare(field, if eq { Op::Eq } else { Op::Neq }, other));
            }
            let (field, value, value_at) = field_and_value(&args, &op_at, v)?;
            if value.is_null() {
                return Ok(cond(
                    field,
                    if eq { Op::IsEmpty } else { Op::IsNotEmpty },
                    None,
                ));
            }
            let value = literal(value, &value_at, types(field))?;
            Ok(cond(field, if eq { Op::Eq } else { Op::Neq }, Some(value)))
        }
        "<" | "<=" | ">" | ">=" if args.len() == 3 && op.starts_with('<') => {
            let field = field_of(args[1], &arg_at(1))?.ok_or_else(|| {
                unsupported(
                    format!("\"{op}\" with three arguments not of the form [value, field, value]"),
                    &op_at,
                )
            })?;
            let ty = types(field);
            let time = is_time(ty);
            // Each bound is a value or another field.
            let bound = |i: usize, op: &str| -> Result<Node, FormatError> {
                let unsaid = || unsupported(format!("the operation \"{op}\""), &op_at);
                match field_of(args[i], &arg_at(i))? {
                    Some(other) => ordered(op, time, &|o| Ok(compare(field, o, other)))?,
                    None => {
                        let value = literal(args[i], &arg_at(i), ty)?;
                        ordered(op, time, &|o| Ok(cond(field, o, Some(value.clone()))))?
                    }
                }
                .ok_or_else(unsaid)
            };
            let fields = [0, 2].map(|i| field_of(args[i], &arg_at(i)));
            if op == "<=" && matches!(fields, [Ok(None), Ok(None)]) {
                let low = literal(args[0], &arg_at(0), ty)?;
                let high = literal(args[2], &arg_at(2), ty)?;
                return Ok(cond(
                    field,
                    Op::Between,
                    Some(ast::Value::List(vec![low, high])),
                ));
            }
            // low < field < high: above low and below high, in the field's own terms.
            let (above, below) = if op == "<=" { (">=", "<=") } else { (">", "<") };
            Ok(Node::All(vec![bound(0, above)?, bound(2, below)?]))
        }
        "<" | "<=" | ">" | ">=" => {
            let [a, b] = args.as_slice() else {
                return Err(invalid(
                    &format!("\"{op}\""),
                    &op_at,
                    "two arguments, or three for a range",
                    v,
                ));
            };
            // A value on the left turns the comparison around.
            let (field, value, value_at, op) =
                match (field_of(a, &arg_at(0))?, field_of(b, &arg_at(1))?) {
                    (Some(f), Some(other)) => {
                        let time = is_time(types(f));
                        return ordered(op, time, &|o| Ok(compare(f, o, other)))?
                            .ok_or_else(|| unsupported(format!("the operation \"{op}\""), &op_at));
                    }
                    (Some(f), None) => (f, *b, arg_at(1), op),
                    (None, Some(f)) => (f, *a, arg_at(0), flip(op)),
                    _ => {
                        return Err(unsupported(
                            format!("\"{op}\" not between a field and a value"),
                            &op_at,
                        ))
                    }
                };
            let ty = types(field);
            let value = || literal(value, &value_at, ty);
            ordered(op, is_time(ty), &|o| Ok(cond(field, o, Some(value()?))))?
                .ok_or_else(|| unsupported(format!("the operation \"{op}\""), &op_at))
        }
        "in" => {
            let [a, b] = args.as_slice() else {
                return Err(invalid("\"in\"", &op_at, "two arguments", v));
            };
            match (field_of(a, &arg_at(0))?, field_of(b, &arg_at(1))?) {
                (Some(field), None) => {
                    let ty = types(field);
                    if !b.is_array() {
                        return Err(invalid(
                            "the list of \"in\"",
                            &arg_at(1),
                            "an array of values",
                            b,
                        ));
                    }
                    let list = literal(b, &arg_at(1), ty)?;
                    let op = if ty == Some(FieldType::List) {
                        Op::IncludesAny
                    } else {
                        Op::In
                    };
                    Ok(cond(field, op, Some(list)))
                }
                (None, Some(field)) => {
                    let ty = types(field);
                    let item = literal(a, &arg_at(0), ty)?;
                    let op = if ty == Some(FieldType::List) {
                        Op::Includes
                    } else {
                        Op::Contains
                    };
                    Ok(cond(field, op, Some(item)))
                }
                _ => Err(unsupported(
                    "\"in\" not between a field and values".into(),
                    &op_at,
                )),
            }
        }
        "some" => {
            let [list, test] = args.as_slice() else {
                return Err(invalid("\"some\"", &op_at, "two arguments", v));
            };
            let Some(field) = field_of(list, &arg_at(0))? else {
                return Err(unsupported(
                    "\"some\" over anything but a field".into(),
                    &arg_at(0),
                ));
            };
            let test_at = arg_at(1);
            let (inner, inner_args, inner_at) = operation(test, &test_at)?;
            let element = inner_args
                .first()
                .and_then(|e| e.get("var"))
                .and_then(J::as_str)
                == Some("");
            match (inner, inner_args.as_slice()) {
                ("in", [_, values]) if element && values.is_array() => {
                    let ty = types(field);
                    let values = literal(values, &path::index(&inner_at, 1), ty)?;
                    Ok(cond(field, Op::IncludesAny, Some(values)))
                }
                _ => Err(unsupported(
                    "\"some\" other than {\"some\": [{\"var\": field}, {\"in\": [{\"var\": \"\"}, [values]]}]}".into(),
                    &test_at,
                )),
            }
        }
        "startsWith" | "endsWith" => {
            let (field, value, value_at) = field_and_value(&args, &op_at, v)?;
            let value = literal(value, &value_at, types(field))?;
            let op = if op == "startsWith" {
                Op::StartsWith
            } else {
                Op::EndsWith
            };
            Ok(cond(field, op, Some(value)))
        }
        other => Err(unsupported(format!("the operation \"{other}\""), &op_at)),
    }
}

fn flip(op: &str) -> &str {
    match op {
        "<" => ">",
        "<=" => ">=",
        ">" => "<",
        _ => "<=",
    }
}

/// The two fields of a two-argument comparison of fields, else None.
fn two_fields<'a>(args: &[&'a J], op_at: &str) -> Result<Option<(&'a str, &'a str)>, FormatError> {
    let [a, b] = args else {
        return Ok(None);
    };
    let (at_a, at_b) = (path::index(op_at, 0), path::index(op_at, 1));
    Ok(match (field_of(a, &at_a)?, field_of(b, &at_b)?) {
        (Some(f), Some(other)) => Some((f, other)),
        _ => None,
    })
}

/// The field and the value of a two-argument comparison, the field on either side.
fn field_and_value<'a>(
    args: &[&'a J],
    op_at: &str,
    whole: &J,
) -> Result<(&'a str, &'a J, String), FormatError> {
    let [a, b] = args else {
        return Err(invalid("the comparison", op_at, "two arguments", whole));
    };
    let (at_a, at_b) = (path::index(op_at, 0), path::index(op_at, 1));
    match (field_of(a, &at_a)?, field_of(b, &at_b)?) {
        (Some(f), None) => Ok((f, b, at_b)),
        (None, Some(f)) => Ok((f, a, at_a)),
        (Some(_), Some(_)) => Err(unsupported("a comparison of two fields".into(), op_at)),
        (None, None) => Err(unsupported("a comparison without a field".into(), op_at)),
    }
}

/// Writes a ruleset as JsonLogic.
pub fn to_jsonlogic(node: &Node) -> Result<J, FormatError> {
    write(node, "", 1)
}

fn op(name: &str, args: Vec<J>) -> J {
    let mut m = Map::new();
    m.insert(name.into(), J::Array(args));
    J::Object(m)
}

fn var(field: &str) -> J {
    let mut m = Map::new();
    m.insert("var".into(), J::String(field.into()));
    J::Object(m)
}

fn not(inner: J) -> J {
    let mut m = Map::new();
    m.insert("!".into(), inner);
    J::Object(m)
}

fn write(node: &Node, at: &str, depth: usize) -> Result<J, FormatError> {
    check_depth(depth, at, "smart_groups")?;
    let refuse = |what: String, hint: &'static str| FormatError::Unsupported {
        what,
        path: at.to_string(),
        target: FORMAT.name(),
        hint,
    };
    let items = |items: &[Node], key: &str| write_items(items, at, key, depth, write);
    match node {
        Node::All(list) => Ok(op("and", items(list, "all")?)),
        Node::Any(list) => Ok(op("or", items(list, "any")?)),
        Node::Not(inner) => Ok(not(write(inner, &path::key(at, "not"), depth + 1)?)),
        Node::Cond(c) if c.field.is_empty() => Err(refuse(
            "an empty field name".into(),
            "In JsonLogic {\"var\": \"\"} is the whole data, not a field.",
        )),
        Node::Cond(c) => {
            let f = var(&c.field);
            let v = value_json(&c.value);
            Ok(match c.op {
                Op::Eq => op("==", vec![f, v]),
                Op::Neq => op("!=", vec![f, v]),
                Op::Lt | Op::Before => op("<", vec![f, v]),
                Op::Lte => op("<=", vec![f, v]),
                Op::Gt | Op::After => op(">", vec![f, v]),
                Op::Gte => op(">=", vec![f, v]),
                Op::Between => match v {
                    J::Array(bounds) if bounds.len() == 2 => {
                        let mut bounds = bounds.into_iter();
                        let low = bounds.next().unwrap_or(J::Null);
                        let high = bounds.next().unwrap_or(J::Null);
                        op("<=", vec![low, f, high])
                    }
                    _ => return Err(refuse("\"between\" without two bounds".into(), "Give between a list of two values.")),
                },
                Op::In => op("in", vec![f, v]),
                Op::NotIn => not(op("in", vec![f, v])),
                Op::Contains | Op::Includes => op("in", vec![v, f]),
                Op::NotContains | Op::NotIncludes => not(op("in", vec![v, f])),
                Op::IncludesAny => op("some", vec![f, op("in", vec![var(""), v])]),
                Op::StartsWith => op("startsWith", vec![f, v]),
                Op::EndsWith => op("endsWith", vec![f, v]),
                Op::IsEmpty => op("==", vec![f, J::Null]),
                Op::IsNotEmpty => op("!=", vec![f, J::Null]),
                Op::EqCi | Op::ContainsCi | Op::StartsWithCi | Op::EndsWithCi => {
                    return Err(refuse(format!("the operator \"{}\"", c.op.name()), "JsonLogic compares text exactly; use the exact operator."))
                }
                Op::WithinLast | Op::NotWithinLast => {
                    return Err(refuse(format!("the operator \"{}\"", c.op.name()), "JsonLogic has no clock; use before/after with a date."))
                }
                Op::IncludesAll => {
                    return Err(refuse("the operator \"includes_all\"".into(), "Write it as one \"includes\" per value, joined with and."))
                }
            })
        }
        Node::Compare(c) if c.field.is_empty() || c.value_field.is_empty() => Err(refuse(
            "an empty field name".into(),
            "In JsonLogic {\"var\": \"\"} is the whole data, not a field.",
        )),
        Node::Compare(c) => {
            let (f, g) = (var(&c.field), var(&c.value_field));
            Ok(match c.op {
                Op::Eq => op("==", vec![f, g]),
                Op::Neq => op("!=", vec![f, g]),
                Op::Lt | Op::Before => op("<", vec![f, g]),
                Op::Lte => op("<=", vec![f, g]),
                Op::Gt | Op::After => op(">", vec![f, g]),
                Op::Gte => op(">=", vec![f, g]),
                other => {
                    return Err(refuse(
                        format!("the operator \"{}\" between two fields", other.name()),
                        "JsonLogic compares two fields with ==, !=, <, <=, > and >=.",
                    ))
                }
            })
        }
        Node::MemberOf(_) => Err(refuse("\"member_of\"".into(), "JsonLogic has no rule on another group's membership; keep this ruleset in smart_groups' own form.")),
        Node::Has(_) => Err(refuse("\"has\"".into(), "JsonLogic has no rule on related rows; keep this ruleset in smart_groups' own form.")),
    }
}
