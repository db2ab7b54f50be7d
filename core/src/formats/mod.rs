//! Other programs' rule formats, both ways (docs/reference/formats.md): react-querybuilder's
//! RuleGroupType (`querybuilder`) and JsonLogic (`jsonlogic`). Each importer gives a ruleset
//! AST that the usual validation then checks; each exporter refuses, with the JSON path of our
//! ruleset, a construct the other format cannot say.
//!
//! Some of their operators mean different things for different field types (`<` on a date is
//! `before`, `contains` on a list is `includes`): the importers ask `FieldTypes`, which the SQL
//! layer answers from the catalog. A trip ours → theirs → ours gives back `normalize` of the
//! ruleset: the same meaning, written the one way the importer writes it.

mod error;
pub mod jsonlogic;
pub mod querybuilder;

pub use error::FormatError;

use serde_json::Value as J;

use crate::ast::{self, Condition, Node, Op};
use crate::catalog::{Catalog, FieldType};
use crate::json;

/// The type of a field as rules name it, when known.
pub type FieldTypes<'a> = &'a dyn Fn(&str) -> Option<FieldType>;

/// `FieldTypes` from a catalog.
pub fn catalog_types(catalog: &Catalog) -> impl Fn(&str) -> Option<FieldType> + '_ {
    move |name| crate::validate::field_type(catalog, name)
}

/// Input of another format larger than this is refused before it is read (their JSON carries
/// ids and paths besides the rules, so the limit is above our rulesets' own).
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;

/// Which format, for messages and for `normalize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    QueryBuilder,
    JsonLogic,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::QueryBuilder => "react-querybuilder",
            Format::JsonLogic => "JsonLogic",
        }
    }
}

/// What a trip through `format` and back makes of `node`: a group of one item becomes that
/// item (both formats); through JsonLogic, which has no `not in` of its own, `not` of `in`,
/// `contains` or `includes` becomes `not_in`, `not_contains` or `not_includes`.
pub fn normalize(node: &Node, format: Format) -> Node {
    match node {
        Node::All(items) | Node::Any(items) if items.len() == 1 => normalize(&items[0], format),
        Node::All(items) => Node::All(items.iter().map(|n| normalize(n, format)).collect()),
        Node::Any(items) => Node::Any(items.iter().map(|n| normalize(n, format)).collect()),
        Node::Not(inner) => {
            let inner = normalize(inner, format);
            if format == Format::JsonLogic {
                if let Node::Cond(c) = &inner {
                    if let Some(op) = negated(c.op) {
                        return Node::Cond(Condition { op, ..c.clone() });
                    }
                }
            }
            Node::Not(Box::new(inner))
        }
        Node::Has(h) => Node::Has(ast::Has {
            filter: h.filter.as_ref().map(|f| Box::new(normalize(f, format))),
            ..h.clone()
        }),
        Node::Cond(_) | Node::Compare(_) | Node::MemberOf(_) => node.clone(),
    }
}

/// The operator meaning `not op`, for those JsonLogic writes as `!` of another.
fn negated(op: Op) -> Option<Op> {
    match op {
        Op::In => Some(Op::NotIn),
        Op::Contains => Some(Op::NotContains),
        Op::Includes => Some(Op::NotIncludes),
        _ => None,
    }
}

/// A group of several items, or the item itself: both importers write a group of one item
/// as that item.
fn group(all: bool, mut items: Vec<Node>) -> Node {
    if items.len() == 1 {
        if let Some(item) = items.pop() {
            return item;
        }
    }
    if all {
        Node::All(items)
    } else {
        Node::Any(items)
    }
}

/// Their ordering operator `<`, `<=`, `>` or `>=` (both formats spell them so), as rules
/// made by `rule` (a condition on a value, or a comparison with another field): on a date or
/// timestamp (`time`) `before` and `after`, `<=` and `>=` there being "before or on" and
/// "after or on"; else `lt`, `lte`, `gt`, `gte`. None for any other operator, for which
/// `rule` is not called.
fn ordered(
    op: &str,
    time: bool,
    rule: &dyn Fn(Op) -> Result<Node, FormatError>,
) -> Result<Option<Node>, FormatError> {
    let (plain, timed) = match op {
        "<" => (Op::Lt, Op::Before),
        "<=" => (Op::Lte, Op::Before),
        ">" => (Op::Gt, Op::After),
        ">=" => (Op::Gte, Op::After),
        _ => return Ok(None),
    };
    Ok(Some(if !time {
        rule(plain)?
    } else if op.len() == 1 {
        rule(timed)?
    } else {
        group(false, vec![rule(timed)?, rule(Op::Eq)?])
    }))
}

/// The operators a field-to-field rule may have (`validate::comparison_ops` of any type):
/// the only ones the exporters write with another field, and the importers read so.
fn compares_fields(op: Op) -> bool {
    crate::catalog::FieldType::ALL
        .iter()
        .any(|ty| crate::validate::comparison_ops(*ty).contains(&op))
}

/// A comparison of `field` with the field `other`.
fn compare(field: &str, op: Op, other: &str) -> Node {
    Node::Compare(ast::Comparison {
        field: field.to_string(),
        op,
        value_field: other.to_string(),
    })
}

/// A condition.
fn cond(field: &str, op: Op, value: Option<ast::Value>) -> Node {
    Node::Cond(Condition {
        field: field.to_string(),
        op,
        value,
    })
}

/// Our value as JSON, as our own JSON writes it.
fn value_json(value: &Option<ast::Value>) -> J {
    value.as_ref().map(json::write::value).unwrap_or(J::Null)
}

/// A value the other format wrote for a field of type `ty`: their editors give text for every
/// input, so a number field's `"42"` is the number 42 and a boolean field's `"true"` is true.
fn coerce(value: ast::Value, ty: Option<FieldType>) -> ast::Value {
    match (value, ty) {
        (ast::Value::String(s), Some(FieldType::Number)) => match ast::Number::parse(s.trim()) {
            Some(n) => ast::Value::Number(n),
            None => ast::Value::String(s),
        },
        (ast::Value::String(s), Some(FieldType::Boolean)) => match s.trim() {
            "true" => ast::Value::Bool(true),
            "false" => ast::Value::Bool(false),
            _ => ast::Value::String(s),
        },
        (ast::Value::List(items), ty) => {
            ast::Value::List(items.into_iter().map(|v| coerce(v, ty)).collect())
        }
        (v, _) => v,
    }
}

/// Whether a type compares with `before`/`after` rather than `lt`/`gt`.
fn is_time(ty: Option<FieldType>) -> bool {
    matches!(ty, Some(FieldType::Date | FieldType::Timestamp))
}

/// Refuses nesting deeper than our rulesets may have, as the converters descend (`format`:
/// whose JSON is being read).
fn check_depth(depth: usize, at: &str, format: &'static str) -> Result<(), FormatError> {
    if depth > crate::limits::MAX_DEPTH {
        return Err(FormatError::TooDeep {
            format,
            path: at.to_string(),
        });
    }
    Ok(())
}

/// Writes the items of our `all` or `any` list (`key`) at `at` with `write`, each one level
/// deeper.
fn write_items(
    items: &[Node],
    at: &str,
    key: &str,
    depth: usize,
    write: fn(&Node, &str, usize) -> Result<J, FormatError>,
) -> Result<Vec<J>, FormatError> {
    let key_at = json::path::key(at, key);
    items
        .iter()
        .enumerate()
        .map(|(i, n)| write(n, &json::path::index(&key_at, i), depth + 1))
        .collect()
}

/// Refuses input larger than `MAX_INPUT_BYTES` (its compact serialization).
fn check_size(input: &J, format: Format) -> Result<(), FormatError> {
    let size = crate::json::size::serialized_len(input);
    if size > MAX_INPUT_BYTES {
        return Err(FormatError::TooLarge {
            format: format.name(),
            size,
        });
    }
    Ok(())
}
