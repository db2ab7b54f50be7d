//! Fitting a random AST to `validate_support::catalog()`, so that random rulesets reach the
//! compiler: names are replaced by the catalog's (plus one unknown name per scope) and, when
//! asked, operators and values by ones that suit the field's type. Choices derive from the
//! generated names and values (FNV-1a), so a shrunk case stays the same case.

use smart_groups_core::ast::{Comparison, Condition, Has, Node, Number, Op, Value};
use smart_groups_core::catalog::FieldType;
use smart_groups_core::validate::{applicable_ops, comparison_ops_between};

use FieldType as T;

/// A field in scope: its name, type, and sample values for types random text rarely fits.
type Field = (&'static str, FieldType, &'static [&'static str]);

const DATES: &[&str] = &["2024-01-31", "02/29/2024"];
const STAMPS: &[&str] = &["2024-01-31", "2024-01-31T10:00:00Z", "12/31/2023"];

pub const USER_FIELDS: &[Field] = &[
    ("name", T::Text, &[]),
    ("email", T::Text, &[]),
    ("location", T::Text, &[]),
    ("role", T::Enum, &["admin", "manager", "learner"]),
    ("job_title", T::Text, &[]),
    ("hire_date", T::Date, DATES),
    ("created_at", T::Timestamp, STAMPS),
    ("active", T::Boolean, &[]),
    ("age", T::Number, &[]),
    ("salary", T::Number, &[]),
    ("tags", T::List, &[]),
    ("shirt_size", T::Enum, &["S", "M", "XL"]),
    ("start_date", T::Date, DATES),
    ("score", T::Number, &[]),
    ("manager.name", T::Text, &[]),
    ("manager.hire_date", T::Date, DATES),
    ("nosuchfield", T::Text, &[]),
];
const ENROLLMENT_FIELDS: &[Field] = &[
    ("course", T::Text, &[]),
    ("status", T::Text, &[]),
    ("completed_at", T::Timestamp, STAMPS),
    ("nosuchcolumn", T::Text, &[]),
];
const CLICK_FIELDS: &[Field] = &[
    ("clicked_at", T::Timestamp, STAMPS),
    ("nosuchcolumn", T::Number, &[]),
];
pub const RELATIONS: &[&str] = &["enrollments", "clicks", "enrollments", "clicks", "nosuch"];
const GROUPS: &[&str] = &["Sales", "Marketing", "A", "B", "C", "Old", "Paused", "Nope"];

fn hash(text: &str) -> usize {
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    // Truncation is fine: only the value modulo a small pool size matters.
    h as usize
}

fn pick<T: Copy>(pool: &[T], key: &str, fallback: T) -> T {
    pool.get(hash(key) % pool.len().max(1))
        .copied()
        .unwrap_or(fallback)
}

/// `node` fitted to the catalog, starting with the users' fields in scope.
pub fn suit(node: &Node, typed: bool) -> Node {
    suit_in(node, USER_FIELDS, typed)
}

fn suit_in(node: &Node, fields: &[Field], typed: bool) -> Node {
    let each = |items: &[Node]| items.iter().map(|i| suit_in(i, fields, typed)).collect();
    match node {
        Node::All(items) => Node::All(each(items)),
        Node::Any(items) => Node::Any(each(items)),
        Node::Not(inner) => Node::Not(Box::new(suit_in(inner, fields, typed))),
        Node::MemberOf(group) => Node::MemberOf(pick(GROUPS, group, "").to_string()),
        Node::Cond(c) => {
            let field = pick(fields, &c.field, ("", T::Text, &[]));
            Node::Cond(if typed {
                typed_condition(field, c)
            } else {
                Condition {
                    field: field.0.to_string(),
                    ..c.clone()
                }
            })
        }
        Node::Compare(c) => {
            let left = pick(fields, &c.field, ("", T::Text, &[]));
            if !typed {
                let right = pick(fields, &c.value_field, ("", T::Text, &[]));
                return Node::Compare(Comparison {
                    field: left.0.to_string(),
                    op: c.op,
                    value_field: right.0.to_string(),
                });
            }
            // A partner of a comparable type and an operator both allow; a field that
            // compares with nothing (a list) is tested for emptiness instead.
            let partners: Vec<Field> = fields
                .iter()
                .copied()
                .filter(|f| !comparison_ops_between(left.1, f.1).is_empty())
                .collect();
            let Some(right) = partners.get(hash(&c.value_field) % partners.len().max(1)) else {
                return Node::Cond(Condition {
                    field: left.0.to_string(),
                    op: Op::IsEmpty,
                    value: None,
                });
            };
            let ops = comparison_ops_between(left.1, right.1);
            let op = if ops.contains(&c.op) {
                c.op
            } else {
                pick(&ops, &format!("{}{}", c.value_field, c.op), Op::Eq)
            };
            Node::Compare(Comparison {
                field: left.0.to_string(),
                op,
                value_field: right.0.to_string(),
            })
        }
        Node::Has(h) => {
            let relation = pick(RELATIONS, &h.relation, "");
            let columns = match relation {
                "enrollments" => ENROLLMENT_FIELDS,
                "clicks" => CLICK_FIELDS,
                _ => USER_FIELDS,
            };
            Node::Has(Has {
                relation: relation.to_string(),
                filter: h
                    .filter
                    .as_ref()
                    .map(|f| Box::new(suit_in(f, columns, typed))),
                count: h.count,
            })
        }
    }
}

fn typed_condition((name, ty, samples): Field, c: &Condition) -> Condition {
    let ops = applicable_ops(ty);
    let op = if ops.contains(&c.op) {
        c.op
    } else {
        pick(ops, &format!("{}{}", c.field, c.op), Op::IsEmpty)
    };
    let key = format!("{:?}", c.value);
    let scalar = || -> Value {
        let generated = match &c.value {
            Some(Value::List(items)) => items.first(),
            other => other.as_ref(),
        };
        match (ty, generated) {
            (T::Text | T::List, Some(Value::String(s))) => Value::String(s.clone()),
            (T::Text | T::List, _) => Value::String(key.chars().take(6).collect()),
            (T::Number, Some(Value::Number(n))) if n.to_f64().is_finite() => {
                Value::Number(n.clone())
            }
            (T::Number, _) => Number::parse("42").map_or(Value::Bool(false), Value::Number),
            (T::Boolean, Some(Value::Bool(b))) => Value::Bool(*b),
            (T::Boolean, _) => Value::Bool(true),
            (T::Date | T::Timestamp | T::Enum, _) => {
                Value::String(pick(samples, &key, "").to_string())
            }
        }
    };
    let value = match op {
        _ if !op.takes_value() => None,
        Op::In | Op::NotIn | Op::IncludesAny | Op::IncludesAll => Some(Value::List(vec![scalar()])),
        // Equal bounds: always in order.
        Op::Between => Some(Value::List(vec![scalar(), scalar()])),
        // Generated durations are kept: some are valid, some not.
        Op::WithinLast | Op::NotWithinLast => match &c.value {
            Some(Value::String(s)) => Some(Value::String(s.clone())),
            _ => Some(Value::String("30 days".to_string())),
        },
        _ => Some(scalar()),
    };
    Condition {
        field: name.to_string(),
        op,
        value,
    }
}
