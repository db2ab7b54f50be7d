//! The canonical text of an AST: `parse(&print(n)) == Ok(n)` for every valid AST (a value
//! exactly when the operator takes one, list elements scalar), so the text form can stand in
//! for the stored JSON. It adds only the parentheses that structure needs.

use super::lexical::{is_plain_name, quote};
use super::rule::count_phrase;
use super::value::{is_date_text, is_duration_text};
use crate::ast::{Condition, Has, Node, Op, Value};

/// The text form of `node`.
pub fn print(node: &Node) -> String {
    let mut out = String::new();
    write_ruleset(&mut out, node);
    out
}

/// What an operand is an operand of, which decides whether it needs parentheses.
#[derive(Clone, Copy, PartialEq)]
enum Operand {
    And,
    Or,
    Not,
}

/// A node in a position that reads a whole ruleset: the top, a `where` body, inside
/// parentheses or an explicit group.
fn write_ruleset(out: &mut String, node: &Node) {
    match node {
        Node::All(items) if items.len() >= 2 => write_chain(out, items, " and ", Operand::And),
        Node::Any(items) if items.len() >= 2 => write_chain(out, items, " or ", Operand::Or),
        Node::All(items) => write_explicit_group(out, "all", items),
        Node::Any(items) => write_explicit_group(out, "any", items),
        Node::Not(inner) => write_not(out, inner),
        Node::Cond(cond) => write_condition(out, cond),
        Node::Compare(c) => {
            write_name(out, &c.field);
            out.push(' ');
            out.push_str(op_text(c.op));
            out.push(' ');
            write_name(out, &c.value_field);
        }
        Node::MemberOf(group) => {
            out.push_str("member of ");
            out.push_str(&quote(group, '"'));
        }
        Node::Has(has) => write_has(out, has, false),
    }
}

fn write_chain(out: &mut String, items: &[Node], joiner: &str, position: Operand) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(joiner);
        }
        write_operand(out, item, position);
    }
}

fn write_operand(out: &mut String, node: &Node, position: Operand) {
    if needs_parentheses(node, position) {
        out.push('(');
        write_ruleset(out, node);
        out.push(')');
    } else {
        write_ruleset(out, node);
    }
}

fn needs_parentheses(node: &Node, position: Operand) -> bool {
    match node {
        // `and` binds tighter than `or`, so only an `and` chain can sit bare in an `or` chain;
        // a chain in a chain of its own kind is parenthesized to keep the nesting.
        Node::All(items) if items.len() >= 2 => position != Operand::Or,
        Node::Any(items) if items.len() >= 2 => true,
        _ => is_open_ended(node),
    }
}

/// Rules whose text would swallow what follows: a `where` body is a whole ruleset (greedy).
/// (`between V` followed by `and (...)` is not one: no rule starts like a value, so the
/// parser's `between A and B` attempt fails there and falls back to `between V`.)
fn is_open_ended(node: &Node) -> bool {
    match node {
        Node::Has(Has {
            filter: Some(_), ..
        }) => true,
        Node::Not(inner) => matches!(
            **inner,
            Node::Has(Has {
                count: None,
                filter: Some(_),
                ..
            })
        ),
        _ => false,
    }
}

fn write_explicit_group(out: &mut String, kind: &str, items: &[Node]) {
    out.push_str(kind);
    out.push_str(" of (");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_ruleset(out, item);
    }
    out.push(')');
}

fn write_not(out: &mut String, inner: &Node) {
    if let Node::Has(has @ Has { count: None, .. }) = inner {
        return write_has(out, has, true);
    }
    out.push_str("not ");
    write_operand(out, inner, Operand::Not);
}

fn write_has(out: &mut String, has: &Has, negated: bool) {
    out.push_str("has ");
    if negated {
        out.push_str("no ");
    } else if let Some(count) = has.count {
        out.push_str(count_phrase(count.op));
        out.push_str(&format!(" {} ", count.value));
    }
    write_name(out, &has.relation);
    if let Some(filter) = &has.filter {
        out.push_str(" where ");
        write_ruleset(out, filter);
    }
}

fn write_name(out: &mut String, name: &str) {
    if is_plain_name(name) {
        out.push_str(name);
    } else {
        out.push_str(&quote(name, '`'));
    }
}

fn write_condition(out: &mut String, cond: &Condition) {
    write_name(out, &cond.field);
    let Some(value) = cond.value.as_ref().filter(|_| cond.op.takes_value()) else {
        // Without a value only `is [not] empty` is valid; other operators are printed bare
        // rather than inventing a value.
        out.push(' ');
        out.push_str(op_words(cond.op, None));
        return;
    };
    out.push(' ');
    out.push_str(op_words(cond.op, Some(value)));
    out.push(' ');
    match (cond.op, value) {
        (Op::Between, _) => match between_bounds(&cond.value) {
            Some((low, high)) => {
                write_value(out, low);
                out.push_str(" and ");
                write_value(out, high);
            }
            None => write_value(out, value),
        },
        (Op::WithinLast | Op::NotWithinLast, Value::String(s)) if is_duration_text(s) => {
            out.push_str(s)
        }
        _ => write_value(out, value),
    }
}

/// The two bounds of `between A and B`, when the value is a pair.
fn between_bounds(value: &Option<Value>) -> Option<(&Value, &Value)> {
    match value {
        Some(Value::List(items)) => match items.as_slice() {
            [low, high] => Some((low, high)),
            _ => None,
        },
        _ => None,
    }
}

/// How the text form spells `op` (`=` for `eq`, whatever the value): error messages about a
/// text-form ruleset name operators this way.
pub fn op_text(op: Op) -> &'static str {
    op_words(op, None)
}

fn op_words(op: Op, value: Option<&Value>) -> &'static str {
    match op {
        Op::Eq => match value {
            Some(Value::String(s)) if is_date_text(s) => "on",
            _ => "=",
        },
        Op::Neq => "!=",
        Op::Lt => "<",
        Op::Lte => "<=",
        Op::Gt => ">",
        Op::Gte => ">=",
        Op::Contains => "contains",
        Op::NotContains => "does not contain",
        Op::StartsWith => "starts with",
        Op::EndsWith => "ends with",
        Op::EqCi => "equals ignoring case",
        Op::ContainsCi => "contains ignoring case",
        Op::StartsWithCi => "starts with ignoring case",
        Op::EndsWithCi => "ends with ignoring case",
        Op::In => "in",
        Op::NotIn => "not in",
        Op::IsEmpty => "is empty",
        Op::IsNotEmpty => "is not empty",
        Op::Between => "between",
        Op::Before => "before",
        Op::After => "after",
        Op::WithinLast => "within last",
        Op::NotWithinLast => "not within last",
        Op::Includes => "includes",
        Op::NotIncludes => "does not include",
        Op::IncludesAny => "includes any",
        Op::IncludesAll => "includes all",
    }
}

fn write_value(out: &mut String, value: &Value) {
    match value {
        Value::String(s) if is_date_text(s) => out.push_str(s),
        Value::String(s) => out.push_str(&quote(s, '"')),
        Value::Number(n) => out.push_str(n.as_str()),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::List(items) => {
            out.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item);
            }
            out.push(')');
        }
    }
}
