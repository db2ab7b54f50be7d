//! The printer is the parser's inverse: `parse(print(n)) == n` for every valid AST, and its
//! output is canonical (stable, lower-case keywords, parentheses only where structure needs).

mod common;

use common::gen::arb_node;
use common::{cond, cond0, has, list, member_of, n, not, s};
use proptest::prelude::*;
use smart_groups_core::ast::{self, CmpOp, Node, Op, Value};
use smart_groups_core::limits::MAX_DEPTH;
use smart_groups_core::text::{parse, print};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn parse_inverts_print(node in arb_node()) {
        prop_assert!(ast::depth(&node) <= 5);
        let text = print(&node);
        prop_assert_eq!(parse(&text), Ok(node), "text: {}", text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn printing_is_stable(node in arb_node()) {
        let text = print(&node);
        let again = parse(&text).map(|n| print(&n));
        prop_assert_eq!(again, Ok(text));
    }
}

fn a() -> Node {
    cond("a", Op::Eq, n("1"))
}

fn b() -> Node {
    cond("b", Op::Eq, n("2"))
}

fn round_trip(node: &Node) -> String {
    let text = print(node);
    assert_eq!(parse(&text).as_ref(), Ok(node), "text: {text}");
    text
}

#[test]
fn spec_examples_print_canonically() {
    let cases = [
        (
            Node::All(vec![
                cond(
                    "location",
                    Op::In,
                    list(vec![s("Netherlands"), s("Belgium")]),
                ),
                cond("role", Op::Eq, s("manager")),
            ]),
            r#"location in ("Netherlands", "Belgium") and role = "manager""#,
        ),
        (
            cond("hire_date", Op::WithinLast, s("30 days")),
            "hire_date within last 30 days",
        ),
        (
            cond("created_at", Op::Eq, s("2021-04-08")),
            "created_at on 2021-04-08",
        ),
        (
            cond(
                "hire_date",
                Op::Between,
                list(vec![s("2024-01-01"), s("03/31/2024")]),
            ),
            "hire_date between 2024-01-01 and 03/31/2024",
        ),
        (cond0("email", Op::IsEmpty), "email is empty"),
        (
            cond("manager.name", Op::Eq, s("John Doe")),
            r#"manager.name = "John Doe""#,
        ),
        (
            has(
                "clicks",
                Some(cond("clicked_at", Op::WithinLast, s("20 days"))),
                Some((CmpOp::Gte, 3)),
            ),
            "has at least 3 clicks where clicked_at within last 20 days",
        ),
        (
            not(has(
                "enrollments",
                Some(cond("status", Op::Eq, s("completed"))),
                None,
            )),
            r#"has no enrollments where status = "completed""#,
        ),
        (
            Node::Any(vec![member_of("Sales"), member_of("Mar\"keting")]),
            r#"member of "Sales" or member of "Mar\"keting""#,
        ),
    ];
    for (node, text) in cases {
        assert_eq!(round_trip(&node), text);
    }
}

#[test]
fn parentheses_only_where_structure_needs_them() {
    let cases = [
        (
            Node::Any(vec![Node::All(vec![a(), b()]), a()]),
            "a = 1 and b = 2 or a = 1",
        ),
        (
            Node::All(vec![Node::Any(vec![a(), b()]), a()]),
            "(a = 1 or b = 2) and a = 1",
        ),
        (
            Node::All(vec![Node::All(vec![a(), b()]), a()]),
            "(a = 1 and b = 2) and a = 1",
        ),
        (
            Node::Any(vec![a(), Node::Any(vec![a(), b()])]),
            "a = 1 or (a = 1 or b = 2)",
        ),
        (not(Node::All(vec![a(), b()])), "not (a = 1 and b = 2)"),
        (Node::All(vec![not(a()), b()]), "not a = 1 and b = 2"),
        (not(not(a())), "not not a = 1"),
        (Node::All(vec![]), "all of ()"),
        (Node::Any(vec![a()]), "any of (a = 1)"),
        (
            Node::All(vec![Node::All(vec![]), a()]),
            "all of () and a = 1",
        ),
        (
            Node::All(vec![Node::Any(vec![Node::All(vec![a(), b()])]), b()]),
            "any of (a = 1 and b = 2) and b = 2",
        ),
    ];
    for (node, text) in cases {
        assert_eq!(round_trip(&node), text);
    }
}

#[test]
fn greedy_where_is_parenthesized_inside_chains() {
    let where_a = has("r", Some(a()), None);
    let cases = [
        (
            Node::All(vec![where_a.clone(), b()]),
            "(has r where a = 1) and b = 2",
        ),
        (
            Node::All(vec![b(), where_a.clone()]),
            "b = 2 and (has r where a = 1)",
        ),
        (
            Node::Any(vec![not(where_a.clone()), b()]),
            "(has no r where a = 1) or b = 2",
        ),
        (not(not(where_a.clone())), "not (has no r where a = 1)"),
        (
            not(has("r", Some(a()), Some((CmpOp::Lt, 2)))),
            "not (has fewer than 2 r where a = 1)",
        ),
        (
            Node::All(vec![has("r", None, None), b()]),
            "has r and b = 2",
        ),
        (
            has("r", Some(Node::All(vec![a(), b()])), None),
            "has r where a = 1 and b = 2",
        ),
        (
            Node::All(vec![
                cond("x", Op::Between, n("1")),
                Node::Any(vec![a(), b()]),
            ]),
            "x between 1 and (a = 1 or b = 2)",
        ),
        (
            Node::Any(vec![all_of_one(where_a.clone()), b()]),
            "all of (has r where a = 1) or b = 2",
        ),
    ];
    for (node, text) in cases {
        assert_eq!(round_trip(&node), text);
    }
}

fn all_of_one(node: Node) -> Node {
    Node::All(vec![node])
}

#[test]
fn names_values_and_operators_print_readably() {
    let cases = [
        (cond("not", Op::Eq, n("1")), "`not` = 1"),
        (cond("shirt size", Op::Eq, s("L")), "`shirt size` = \"L\""),
        (
            cond("a`b\\", Op::Eq, s("q\"\\\n")),
            "`a\\`b\\\\` = \"q\\\"\\\\\n\"",
        ),
        (
            cond("", Op::IsEmpty, Value::Bool(true)).with_value(None),
            "`` is empty",
        ),
        (
            has("no", None, Some((CmpOp::Neq, 0))),
            "has not exactly 0 `no`",
        ),
        (
            cond("f", Op::WithinLast, s("30  days")),
            "f within last \"30  days\"",
        ),
        (
            cond("f", Op::WithinLast, s("30 and")),
            "f within last \"30 and\"",
        ),
        (cond("f", Op::NotWithinLast, n("5")), "f not within last 5"),
        (
            cond("f", Op::Eq, s("2024-01-31T10:00:00Z")),
            "f on 2024-01-31T10:00:00Z",
        ),
        (cond("f", Op::Eq, s("2024-1-31")), "f = \"2024-1-31\""),
        (cond("f", Op::Between, list(vec![n("1")])), "f between (1)"),
        (cond("f", Op::EqCi, s("x")), "f equals ignoring case \"x\""),
        (
            cond("f", Op::NotIncludes, Value::Bool(false)),
            "f does not include false",
        ),
        (
            cond("f", Op::IncludesAll, list(vec![])),
            "f includes all ()",
        ),
    ];
    for (node, text) in cases {
        assert_eq!(round_trip(&node), text);
    }
}

trait WithValue {
    fn with_value(self, value: Option<Value>) -> Node;
}

impl WithValue for Node {
    fn with_value(self, value: Option<Value>) -> Node {
        match self {
            Node::Cond(mut c) => {
                c.value = value;
                Node::Cond(c)
            }
            other => other,
        }
    }
}

/// The printer may spend more nesting tokens than AST levels (`not (has ... where` is three
/// tokens for two levels); rulesets at the depth limit must still read back, and one level
/// more must not.
#[test]
fn rulesets_at_the_depth_limit_round_trip() {
    let mut node = a();
    while ast::depth(&node) + 2 <= MAX_DEPTH {
        node = not(has("r", Some(node), Some((CmpOp::Gte, 1))));
    }
    while ast::depth(&node) < MAX_DEPTH {
        node = not(node);
    }
    assert_eq!(ast::depth(&node), MAX_DEPTH);
    let text = round_trip(&node);
    let tokens =
        text.matches('(').count() + text.matches("not ").count() + text.matches(" where ").count();
    assert!(tokens > MAX_DEPTH, "{text}");
    let deeper = not(node);
    assert_eq!(
        parse(&print(&deeper)),
        Err(smart_groups_core::text::ParseError::TooDeep)
    );
}
