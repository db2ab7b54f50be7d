//! react-querybuilder's RuleGroupType (docs/reference/formats.md, "react-querybuilder").
//!
//! A group is `{"combinator": "and" | "or", "not": bool, "rules": [...]}`, and a rule
//! `{"field", "operator", "value", "valueSource"}`; both may carry `id`, `disabled` and other
//! keys of the app's own, which are ignored (a disabled rule or group is left out, as
//! react-querybuilder's own formatters leave it). Groups with independent combinators
//! (`"rules": [rule, "and", rule, "or", rule]`) read with `and` binding tighter than `or`.
//!
//! Their default operators map to ours; an operator of ours that they lack (`within_last`,
//! `includes`, `eq_ci`, ...) is written under our name, as a custom operator of theirs, and
//! read back so.

use serde_json::{Map, Value as J};

use super::{
    check_depth, coerce, compare, compares_fields, cond, group, is_time, ordered, value_json,
    write_items, FieldTypes, Format, FormatError,
};
use crate::ast::{self, Node, Op};
use crate::json::{path, shape::kind, value};

const FORMAT: Format = Format::QueryBuilder;

/// Reads a RuleGroupType (or a single rule) into a ruleset.
pub fn from_querybuilder(input: &J, types: FieldTypes) -> Result<Node, FormatError> {
    super::check_size(input, FORMAT)?;
    let read = if input.get("rules").is_some() || input.get("field").is_none() {
        read_group(input, "", 1, types)?
    } else {
        read_rule(input, "", types)?
    };
    // Everything disabled: no rules, which is true, as an empty "and" group is.
    Ok(read.unwrap_or(Node::All(Vec::new())))
}

fn object<'a>(v: &'a J, at: &str, subject: &str) -> Result<&'a Map<String, J>, FormatError> {
    v.as_object().ok_or_else(|| FormatError::Invalid {
        subject: subject.to_string(),
        path: at.to_string(),
        expected: "an object",
        found: kind(v).to_string(),
    })
}

fn disabled(obj: &Map<String, J>) -> bool {
    obj.get("disabled").and_then(J::as_bool) == Some(true)
}

/// A group, or None when it is disabled.
fn read_group(
    v: &J,
    at: &str,
    depth: usize,
    types: FieldTypes,
) -> Result<Option<Node>, FormatError> {
    check_depth(depth, at, FORMAT.name())?;
    let obj = object(v, at, "a rule group")?;
    if disabled(obj) {
        return Ok(None);
    }
    let rules_at = path::key(at, "rules");
    let rules = match obj.get("rules") {
        Some(J::Array(items)) => items,
        Some(other) => {
            return Err(FormatError::Invalid {
                subject: "\"rules\"".into(),
                path: rules_at,
                expected: "an array of rules and groups",
                found: kind(other).to_string(),
            })
        }
        None => {
            return Err(FormatError::Invalid {
                subject: "a rule group".into(),
                path: at.to_string(),
                expected: "an object with \"rules\"",
                found: "no \"rules\"".into(),
            })
        }
    };
    let negate = match obj.get("not") {
        None | Some(J::Null) => false,
        Some(J::Bool(b)) => *b,
        Some(other) => {
            return Err(FormatError::Invalid {
                subject: "\"not\"".into(),
                path: path::key(at, "not"),
                expected: "true or false",
                found: kind(other).to_string(),
            })
        }
    };
    let independent = rules.iter().any(J::is_string);
    let node = if independent {
        independent_combinators(rules, &rules_at, depth, types)?
    } else {
        let all = combinator(obj.get("combinator"), &path::key(at, "combinator"))?;
        let mut items = Vec::new();
        for (i, item) in rules.iter().enumerate() {
            if let Some(n) = read_item(item, &path::index(&rules_at, i), depth, types)? {
                items.push(n);
            }
        }
        group(all, items)
    };
    Ok(Some(if negate {
        Node::Not(Box::new(node))
    } else {
        node
    }))
}

/// `rule, "and", rule, "or", rule`: `and` binds tighter, as in react-querybuilder's formats.
fn independent_combinators(
    rules: &[J],
    at: &str,
    depth: usize,
    types: FieldTypes,
) -> Result<Node, FormatError> {
    let mut any: Vec<Node> = Vec::new();
    let mut all: Vec<Node> = Vec::new();
    let mut expect_item = true;
    for (i, item) in rules.iter().enumerate() {
        let item_at = path::index(at, i);
        if expect_item {
            if let Some(n) = read_item(item, &item_at, depth, types)? {
                all.push(n);
            }
        } else if combinator(Some(item), &item_at)? {
            // "and": the next item joins the current conjunction.
        } else {
            any.push(group(true, std::mem::take(&mut all)));
        }
        expect_item = !expect_item;
    }
    if expect_item && !rules.is_empty() {
        return Err(FormatError::Invalid {
            subject: "a group with independent combinators".into(),
            path: at.to_string(),
            expected: "a rule or group after each combinator",
            found: "a combinator last".into(),
        });
    }
    if any.is_empty() {
        return Ok(group(true, all));
    }
    any.push(group(true, all));
    Ok(group(false, any))
}

/// True for "and", false for "or".
fn combinator(v: Option<&J>, at: &str) -> Result<bool, FormatError> {
    match v
        .and_then(J::as_str)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("and") | None if v.is_none_or(J::is_string) => Ok(true),
        Some("or") => Ok(false),
        Some("xor") => Err(FormatError::Unsupported {
            what: "the combinator \"xor\"".into(),
            path: at.to_string(),
            target: "smart_groups rules",
            hint: "Write it as (A and not B) or (not A and B).",
        }),
        _ => Err(FormatError::Invalid {
            subject: "the combinator".into(),
            path: at.to_string(),
            expected: "\"and\" or \"or\"",
            found: v.map(|v| v.to_string()).unwrap_or_default(),
        }),
    }
}

/// A rule or a nested group.
fn read_item(
    v: &J,
    at: &str,
    depth: usize,
    types: FieldTypes,
) -> Result<Option<Node>, FormatError> {
    let obj = object(v, at, "a rule or group")?;
    if obj.contains_key("rules") {
        read_group(v, at, depth + 1, types)
    } else {
        read_rule(v, at, types)
    }
}

fn text<'a>(obj: &'a Map<String, J>, key: &str, at: &str) -> Result<&'a str, FormatError> {
    match obj.get(key) {
        Some(J::String(s)) => Ok(s),
        other => Err(FormatError::Invalid {
            subject: format!("\"{key}\""),
            path: path::key(at, key),
            expected: "a string",
            found: other.map(kind).unwrap_or("nothing").to_string(),
        }),
    }
}

/// A rule, or None when it is disabled.
fn read_rule(v: &J, at: &str, types: FieldTypes) -> Result<Option<Node>, FormatError> {
    let obj = object(v, at, "a rule")?;
    if disabled(obj) {
        return Ok(None);
    }
    let field = text(obj, "field", at)?;
    let operator = text(obj, "operator", at)?;
    match obj.get("valueSource").and_then(J::as_str) {
        None | Some("value") => {}
        Some("field") => return read_field_rule(obj, field, operator, at, types).map(Some),
        Some(source) => {
            return Err(FormatError::Unsupported {
                what: format!("the value source \"{source}\""),
                path: path::key(at, "valueSource"),
                target: "smart_groups rules",
                hint: "valueSource is \"value\" (the default) or \"field\".",
            })
        }
    }
    if obj.get("match").is_some_and(|m| !m.is_null()) {
        return Err(FormatError::Unsupported {
            what: "a match over an array field's elements (\"match\")".into(),
            path: path::key(at, "match"),
            target: "smart_groups rules",
            hint: "Use includes, includes_any or includes_all on the list field.",
        });
    }
    let ty = types(field);
    let value_at = path::key(at, "value");
    let raw = obj.get("value").unwrap_or(&J::Null);
    let one = || -> Result<ast::Value, FormatError> {
        if raw.is_null() {
            return Err(FormatError::Invalid {
                subject: format!("the value of \"{operator}\""),
                path: value_at.clone(),
                expected: "a value",
                found: "null".into(),
            });
        }
        Ok(coerce(value::read(raw, &value_at)?, ty))
    };
    let list = || -> Result<ast::Value, FormatError> {
        let v = match raw {
            J::String(s) => {
                ast::Value::List(split_list(s).into_iter().map(ast::Value::String).collect())
            }
            _ => one()?,
        };
        Ok(coerce(v, ty))
    };
    let time = is_time(ty);
    let is_list = ty == Some(crate::catalog::FieldType::List);
    let not = |n: Node| Node::Not(Box::new(n));
    if let Some(node) = ordered(operator, time, &|op| Ok(cond(field, op, Some(one()?))))? {
        return Ok(Some(node));
    }
    let node = match operator {
        "=" => cond(field, Op::Eq, Some(one()?)),
        "!=" => cond(field, Op::Neq, Some(one()?)),
        "contains" if is_list => cond(field, Op::Includes, Some(one()?)),
        "doesNotContain" if is_list => cond(field, Op::NotIncludes, Some(one()?)),
        "contains" => cond(field, Op::Contains, Some(one()?)),
        "doesNotContain" => cond(field, Op::NotContains, Some(one()?)),
        "beginsWith" => cond(field, Op::StartsWith, Some(one()?)),
        "doesNotBeginWith" => not(cond(field, Op::StartsWith, Some(one()?))),
        "endsWith" => cond(field, Op::EndsWith, Some(one()?)),
        "doesNotEndWith" => not(cond(field, Op::EndsWith, Some(one()?))),
        "in" if is_list => cond(field, Op::IncludesAny, Some(list()?)),
        "notIn" if is_list => not(cond(field, Op::IncludesAny, Some(list()?))),
        "in" => cond(field, Op::In, Some(list()?)),
        "notIn" => cond(field, Op::NotIn, Some(list()?)),
        "between" => cond(field, Op::Between, Some(list()?)),
        "notBetween" => not(cond(field, Op::Between, Some(list()?))),
        "null" => cond(field, Op::IsEmpty, None),
        "notNull" => cond(field, Op::IsNotEmpty, None),
        other => match Op::from_name(other) {
            Some(op) if !op.takes_value() => cond(field, op, None),
            Some(op @ (Op::In | Op::NotIn | Op::Between | Op::IncludesAny | Op::IncludesAll)) => {
                cond(field, op, Some(list()?))
            }
            Some(op) => cond(field, op, Some(one()?)),
            None => {
                return Err(FormatError::Unsupported {
                    what: format!("the operator \"{other}\""),
                    path: path::key(at, "operator"),
                    target: "smart_groups rules",
                    hint: "Use one of react-querybuilder's default operators or a smart_groups operator name (docs/reference/formats.md).",
                })
            }
        },
    };
    Ok(Some(node))
}

/// A rule whose value is another field (`valueSource: "field"`): a comparison of the two
/// fields. `between` takes two fields (the field is at or above the first and at or below the
/// second), `in` several (equal to one of them).
fn read_field_rule(
    obj: &Map<String, J>,
    field: &str,
    operator: &str,
    at: &str,
    types: FieldTypes,
) -> Result<Node, FormatError> {
    let value_at = path::key(at, "value");
    let other = || text(obj, "value", at);
    let others = || -> Result<Vec<String>, FormatError> {
        let invalid = |found: &J| FormatError::Invalid {
            subject: format!("the fields of \"{operator}\""),
            path: value_at.clone(),
            expected: "field names, as an array or a comma-separated string",
            found: kind(found).to_string(),
        };
        match obj.get("value").unwrap_or(&J::Null) {
            J::String(s) => Ok(split_list(s)),
            J::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(|| invalid(i)))
                .collect(),
            found => Err(invalid(found)),
        }
    };
    let time = is_time(types(field));
    let not = |n: Node| Node::Not(Box::new(n));
    if let Some(node) = ordered(operator, time, &|op| Ok(compare(field, op, other()?)))? {
        return Ok(node);
    }
    Ok(match operator {
        "=" => compare(field, Op::Eq, other()?),
        "!=" => compare(field, Op::Neq, other()?),
        "between" | "notBetween" => {
            let bounds = others()?;
            let [low, high] = bounds.as_slice() else {
                return Err(FormatError::Invalid {
                    subject: format!("the fields of \"{operator}\""),
                    path: value_at,
                    expected: "two field names",
                    found: format!("{} names", bounds.len()),
                });
            };
            let unsaid = || FormatError::Invalid {
                subject: "an ordering".into(),
                path: at.to_string(),
                expected: "an ordering operator",
                found: operator.to_string(),
            };
            let above = ordered(">=", time, &|op| Ok(compare(field, op, low)))?.ok_or_else(unsaid)?;
            let below = ordered("<=", time, &|op| Ok(compare(field, op, high)))?.ok_or_else(unsaid)?;
            let both = Node::All(vec![above, below]);
            if operator == "between" {
                both
            } else {
                not(both)
            }
        }
        "in" | "notIn" => {
            let any = group(
                false,
                others()?
                    .iter()
                    .map(|o| compare(field, Op::Eq, o))
                    .collect(),
            );
            if operator == "in" {
                any
            } else {
                not(any)
            }
        }
        "null" => cond(field, Op::IsEmpty, None),
        "notNull" => cond(field, Op::IsNotEmpty, None),
        name => match Op::from_name(name) {
            Some(op) if compares_fields(op) => compare(field, op, other()?),
            _ => {
                return Err(FormatError::Unsupported {
                    what: format!("the operator \"{name}\" with another field"),
                    path: path::key(at, "operator"),
                    target: "smart_groups rules",
                    hint: "Two fields compare with =, !=, <, <=, >, >=, between, in and eq_ci (docs/reference/formats.md).",
                })
            }
        },
    })
}

/// A list written as one string, as react-querybuilder's value editors give it: split at
/// commas not preceded by a backslash, each item trimmed, `\,` read as a comma.
fn split_list(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                cur.push(',');
                chars.next();
            }
            ',' => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// Writes a ruleset as a RuleGroupType. A ruleset that is a single rule becomes a group of
/// that rule.
pub fn to_querybuilder(node: &Node) -> Result<J, FormatError> {
    let out = write(node, "", 1)?;
    if out.get("rules").is_some() {
        Ok(out)
    } else {
        Ok(group_json("and", false, vec![out]))
    }
}

fn group_json(combinator: &str, negate: bool, rules: Vec<J>) -> J {
    let mut m = Map::new();
    m.insert("combinator".into(), J::String(combinator.into()));
    if negate {
        m.insert("not".into(), J::Bool(true));
    }
    m.insert("rules".into(), J::Array(rules));
    J::Object(m)
}

fn rule_json(field: &str, operator: &str, value: J) -> J {
    let mut m = Map::new();
    m.insert("field".into(), J::String(field.into()));
    m.insert("operator".into(), J::String(operator.into()));
    m.insert("value".into(), value);
    J::Object(m)
}

/// Their operator for ours: a default operator where one means the same, else our name (as a
/// custom operator).
fn operator(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Neq => "!=",
        Op::Lt | Op::Before => "<",
        Op::Lte => "<=",
        Op::Gt | Op::After => ">",
        Op::Gte => ">=",
        Op::Contains => "contains",
        Op::NotContains => "doesNotContain",
        Op::StartsWith => "beginsWith",
        Op::EndsWith => "endsWith",
        Op::In => "in",
        Op::NotIn => "notIn",
        Op::Between => "between",
        Op::IsEmpty => "null",
        Op::IsNotEmpty => "notNull",
        other => other.name(),
    }
}

fn write(node: &Node, at: &str, depth: usize) -> Result<J, FormatError> {
    check_depth(depth, at, "smart_groups")?;
    let items = |items: &[Node], key: &str| write_items(items, at, key, depth, write);
    match node {
        Node::All(list) => Ok(group_json("and", false, items(list, "all")?)),
        Node::Any(list) => Ok(group_json("or", false, items(list, "any")?)),
        Node::Not(inner) => {
            let inner_at = path::key(at, "not");
            if let Node::Cond(c) = inner.as_ref() {
                let negated = match c.op {
                    Op::Between => Some("notBetween"),
                    Op::StartsWith => Some("doesNotBeginWith"),
                    Op::EndsWith => Some("doesNotEndWith"),
                    _ => None,
                };
                if let Some(op) = negated {
                    return Ok(rule_json(&c.field, op, value_json(&c.value)));
                }
            }
            let written = write(inner, &inner_at, depth + 1)?;
            match written {
                J::Object(mut m) if m.contains_key("rules") && !m.contains_key("not") => {
                    m.insert("not".into(), J::Bool(true));
                    Ok(J::Object(m))
                }
                other => Ok(group_json("and", true, vec![other])),
            }
        }
        Node::Cond(c) => Ok(rule_json(&c.field, operator(c.op), value_json(&c.value))),
        Node::Compare(c) if compares_fields(c.op) => {
            let mut rule = rule_json(&c.field, operator(c.op), J::String(c.value_field.clone()));
            if let J::Object(m) = &mut rule {
                m.insert("valueSource".into(), J::String("field".into()));
            }
            Ok(rule)
        }
        Node::Compare(c) => Err(FormatError::Unsupported {
            what: format!("the operator \"{}\" between two fields", c.op.name()),
            path: at.to_string(),
            target: FORMAT.name(),
            hint: "Two fields compare with eq, neq, eq_ci, lt, lte, gt, gte, before and after.",
        }),
        Node::MemberOf(_) => Err(FormatError::Unsupported {
            what: "\"member_of\"".into(),
            path: at.to_string(),
            target: FORMAT.name(),
            hint: "react-querybuilder has no rule on another group's membership; keep this ruleset in smart_groups' own form.",
        }),
        Node::Has(_) => Err(FormatError::Unsupported {
            what: "\"has\"".into(),
            path: at.to_string(),
            target: FORMAT.name(),
            hint: "react-querybuilder has no rule on related rows; keep this ruleset in smart_groups' own form.",
        }),
    }
}
