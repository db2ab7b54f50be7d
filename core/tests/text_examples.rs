//! Every example of docs/reference/rules.md, "The text form", and the other spellings of the text form, parse to the
//! exact AST.

mod common;

use common::{boolean, cond, cond0, has, list, member_of, n, not, s};
use smart_groups_core::ast::{CmpOp, Node, Op};
use smart_groups_core::text::parse;

fn ok(text: &str) -> Node {
    parse(text).unwrap_or_else(|e| panic!("{text:?} did not parse: {e}"))
}

#[test]
fn spec_section_4_examples() {
    let cases = [
        (
            r#"location in ("Netherlands", "Belgium", "Luxembourg") and role = "manager""#,
            Node::All(vec![
                cond(
                    "location",
                    Op::In,
                    list(vec![s("Netherlands"), s("Belgium"), s("Luxembourg")]),
                ),
                cond("role", Op::Eq, s("manager")),
            ]),
        ),
        (
            r#"job_title contains "manager""#,
            cond("job_title", Op::Contains, s("manager")),
        ),
        (
            "hire_date within last 30 days",
            cond("hire_date", Op::WithinLast, s("30 days")),
        ),
        (
            "created_at on 2021-04-08",
            cond("created_at", Op::Eq, s("2021-04-08")),
        ),
        (
            "hire_date between 01/01/2024 and 03/31/2024",
            cond(
                "hire_date",
                Op::Between,
                list(vec![s("01/01/2024"), s("03/31/2024")]),
            ),
        ),
        (
            r#"member of "Sales" or member of "Marketing""#,
            Node::Any(vec![member_of("Sales"), member_of("Marketing")]),
        ),
        (
            r#"has enrollments where course = "Driver Safety" and status = "completed""#,
            has(
                "enrollments",
                Some(Node::All(vec![
                    cond("course", Op::Eq, s("Driver Safety")),
                    cond("status", Op::Eq, s("completed")),
                ])),
                None,
            ),
        ),
        (
            "has at least 3 clicks where clicked_at within last 20 days",
            has(
                "clicks",
                Some(cond("clicked_at", Op::WithinLast, s("20 days"))),
                Some((CmpOp::Gte, 3)),
            ),
        ),
        (
            r#"has no enrollments where status = "completed""#,
            not(has(
                "enrollments",
                Some(cond("status", Op::Eq, s("completed"))),
                None,
            )),
        ),
        (
            r#"manager.name = "John Doe""#,
            cond("manager.name", Op::Eq, s("John Doe")),
        ),
        (
            r#"email is not empty and not (email ends with "@contractor.com")"#,
            Node::All(vec![
                cond0("email", Op::IsNotEmpty),
                not(cond("email", Op::EndsWith, s("@contractor.com"))),
            ]),
        ),
        (r#"shirt_size != "L""#, cond("shirt_size", Op::Neq, s("L"))),
    ];
    for (text, expected) in cases {
        assert_eq!(ok(text), expected, "{text}");
    }
}

#[test]
fn every_operator_spelling() {
    let v = || s("v");
    let cases = [
        (r#"f = "v""#, cond("f", Op::Eq, v())),
        (r#"f != "v""#, cond("f", Op::Neq, v())),
        (r#"f <> "v""#, cond("f", Op::Neq, v())),
        ("f < 1", cond("f", Op::Lt, n("1"))),
        ("f <= 1", cond("f", Op::Lte, n("1"))),
        ("f > 1", cond("f", Op::Gt, n("1"))),
        ("f >= 1", cond("f", Op::Gte, n("1"))),
        ("f on 2024-01-31", cond("f", Op::Eq, s("2024-01-31"))),
        (r#"f contains "v""#, cond("f", Op::Contains, v())),
        (r#"f does not contain "v""#, cond("f", Op::NotContains, v())),
        (r#"f starts with "v""#, cond("f", Op::StartsWith, v())),
        (r#"f ends with "v""#, cond("f", Op::EndsWith, v())),
        (r#"f equals ignoring case "v""#, cond("f", Op::EqCi, v())),
        (
            r#"f contains ignoring case "v""#,
            cond("f", Op::ContainsCi, v()),
        ),
        (
            r#"f starts with ignoring case "v""#,
            cond("f", Op::StartsWithCi, v()),
        ),
        (
            r#"f ends with ignoring case "v""#,
            cond("f", Op::EndsWithCi, v()),
        ),
        (r#"f in ("v")"#, cond("f", Op::In, list(vec![v()]))),
        ("f not in ()", cond("f", Op::NotIn, list(vec![]))),
        ("f is empty", cond0("f", Op::IsEmpty)),
        ("f is not empty", cond0("f", Op::IsNotEmpty)),
        (
            "f between 1 and 2",
            cond("f", Op::Between, list(vec![n("1"), n("2")])),
        ),
        (
            "f before 01/31/2024",
            cond("f", Op::Before, s("01/31/2024")),
        ),
        (
            "f after 2024-01-31T10:00:00Z",
            cond("f", Op::After, s("2024-01-31T10:00:00Z")),
        ),
        (
            "f within last 1 week",
            cond("f", Op::WithinLast, s("1 week")),
        ),
        (
            "f not within last 2 months",
            cond("f", Op::NotWithinLast, s("2 months")),
        ),
        (r#"f includes "v""#, cond("f", Op::Includes, v())),
        (r#"f does not include "v""#, cond("f", Op::NotIncludes, v())),
        (
            r#"f includes any ("v")"#,
            cond("f", Op::IncludesAny, list(vec![v()])),
        ),
        (
            r#"f includes all ("v")"#,
            cond("f", Op::IncludesAll, list(vec![v()])),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(ok(text), expected, "{text}");
    }
}

#[test]
fn value_shapes_are_not_judged_here() {
    assert_eq!(ok("f in 1"), cond("f", Op::In, n("1")));
    assert_eq!(ok(r#"f between "x""#), cond("f", Op::Between, s("x")));
    assert_eq!(
        ok("f between (1, 2, 3)"),
        cond("f", Op::Between, list(vec![n("1"), n("2"), n("3")]))
    );
    assert_eq!(
        ok(r#"f within last "30  days""#),
        cond("f", Op::WithinLast, s("30  days"))
    );
    assert_eq!(ok("f within last 30"), cond("f", Op::WithinLast, n("30")));
    assert_eq!(
        ok("f = (true, -0.5e2)"),
        cond("f", Op::Eq, list(vec![boolean(true), n("-0.5e2")]))
    );
    assert_eq!(
        ok("f within last 30 \n\t days"),
        cond("f", Op::WithinLast, s("30 days"))
    );
}

#[test]
fn between_falls_back_when_the_second_bound_is_a_rule() {
    // `and` followed by a rule, not a value: it continues the chain.
    assert_eq!(
        ok("f between 1 and g = 2"),
        Node::All(vec![
            cond("f", Op::Between, n("1")),
            cond("g", Op::Eq, n("2"))
        ])
    );
    assert_eq!(
        ok("f between 1 and 2 and g = 2"),
        Node::All(vec![
            cond("f", Op::Between, list(vec![n("1"), n("2")])),
            cond("g", Op::Eq, n("2")),
        ])
    );
}
