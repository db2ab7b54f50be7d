//! Every example of SPEC section 4, and the other spellings of the text form, parse to the
//! exact AST.

mod common;

use common::{cond, cond0, has, list, member_of, n, not, s};
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
                cond("location", Op::In, list(vec![s("Netherlands"), s("Belgium"), s("Luxembourg")])),
                cond("role", Op::Eq, s("manager")),
            ]),
        ),
        (r#"job_title contains "manager""#, cond("job_title", Op::Contains, s("manager"))),
        ("hire_date within last 30 days", cond("hire_date", Op::WithinLast, s("30 days"))),
        ("created_at on 2021-04-08", cond("created_at", Op::Eq, s("2021-04-08"))),
        (
            "hire_date between 01/01/2024 and 03/31/2024",
            cond("hire_date", Op::Between, list(vec![s("01/01/2024"), s("03/31/2024")])),
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
            not(has("enrollments", Some(cond("status", Op::Eq, s("completed"))), None)),
        ),
        (r#"manager.name = "John Doe""#, cond("manager.name", Op::Eq, s("John Doe"))),
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
        (r#"f contains ignoring case "v""#, cond("f", Op::ContainsCi, v())),
        (r#"f starts with ignoring case "v""#, cond("f", Op::StartsWithCi, v())),
        (r#"f ends with ignoring case "v""#, cond("f", Op::EndsWithCi, v())),
        (r#"f in ("v")"#, cond("f", Op::In, list(vec![v()]))),
        ("f not in ()", cond("f", Op::NotIn, list(vec![]))),
        ("f is empty", cond0("f", Op::IsEmpty)),
        ("f is not empty", cond0("f", Op::IsNotEmpty)),
        ("f between 1 and 2", cond("f", Op::Between, list(vec![n("1"), n("2")]))),
        ("f before 01/31/2024", cond("f", Op::Before, s("01/31/2024"))),
        ("f after 2024-01-31T10:00:00Z", cond("f", Op::After, s("2024-01-31T10:00:00Z"))),
        ("f within last 1 week", cond("f", Op::WithinLast, s("1 week"))),
        ("f not within last 2 months", cond("f", Op::NotWithinLast, s("2 months"))),
        (r#"f includes "v""#, cond("f", Op::Includes, v())),
        (r#"f does not include "v""#, cond("f", Op::NotIncludes, v())),
        (r#"f includes any ("v")"#, cond("f", Op::IncludesAny, list(vec![v()]))),
        (r#"f includes all ("v")"#, cond("f", Op::IncludesAll, list(vec![v()]))),
    ];
    for (text, expected) in cases {
        assert_eq!(ok(text), expected, "{text}");
    }
}

#[test]
fn value_shapes_are_not_judged_here() {
    assert_eq!(ok("f in 1"), cond("f", Op::In, n("1")));
    assert_eq!(ok(r#"f between "x""#), cond("f", Op::Between, s("x")));
    assert_eq!(ok("f between (1, 2, 3)"), cond("f", Op::Between, list(vec![n("1"), n("2"), n("3")])));
    assert_eq!(ok(r#"f within last "30  days""#), cond("f", Op::WithinLast, s("30  days")));
    assert_eq!(ok("f within last 30"), cond("f", Op::WithinLast, n("30")));
    assert_eq!(ok("f = (true, -0.5e2)"), cond("f", Op::Eq, list(vec![Node_bool(true), n("-0.5e2")])));
    assert_eq!(ok("f within last 30 \n\t days"), cond("f", Op::WithinLast, s("30 days")));
}

#[allow(non_snake_case)]
fn Node_bool(b: bool) -> smart_groups_core::ast::Value {
    smart_groups_core::ast::Value::Bool(b)
}

#[test]
fn between_falls_back_when_the_second_bound_is_a_rule() {
    // `and` followed by a rule, not a value: it continues the chain.
    assert_eq!(
        ok("f between 1 and g = 2"),
        Node::All(vec![cond("f", Op::Between, n("1")), cond("g", Op::Eq, n("2"))])
    );
    assert_eq!(
        ok("f between 1 and 2 and g = 2"),
        Node::All(vec![
            cond("f", Op::Between, list(vec![n("1"), n("2")])),
            cond("g", Op::Eq, n("2")),
        ])
    );
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(
        ok(r#"ROLE = "x" AND NOT Email Is Not Empty Or MEMBER OF "G""#),
        Node::Any(vec![
            Node::All(vec![cond("ROLE", Op::Eq, s("x")), not(cond0("Email", Op::IsNotEmpty))]),
            member_of("G"),
        ])
    );
    assert_eq!(
        ok("HAS AT LEAST 2 r WHERE x BETWEEN 1 AND 2"),
        has("r", Some(cond("x", Op::Between, list(vec![n("1"), n("2")]))), Some((CmpOp::Gte, 2)))
    );
    assert_eq!(ok("ALL OF ()"), Node::All(vec![]));
    assert_eq!(ok("f = TRUE"), cond("f", Op::Eq, Node_bool(true)));
}

#[test]
fn precedence_not_then_and_then_or() {
    let (a, b, c) = (cond("a", Op::Eq, n("1")), cond("b", Op::Eq, n("2")), cond("c", Op::Eq, n("3")));
    assert_eq!(
        ok("a = 1 or b = 2 and not c = 3"),
        Node::Any(vec![a.clone(), Node::All(vec![b.clone(), not(c.clone())])])
    );
    assert_eq!(
        ok("not a = 1 and b = 2 or c = 3"),
        Node::Any(vec![Node::All(vec![not(a.clone()), b.clone()]), c.clone()])
    );
    assert_eq!(
        ok("(a = 1 or b = 2) and c = 3"),
        Node::All(vec![Node::Any(vec![a.clone(), b.clone()]), c.clone()])
    );
    assert_eq!(ok("a = 1 and b = 2 and c = 3"), Node::All(vec![a.clone(), b.clone(), c.clone()]));
    // Parentheses keep the grouping written: no flattening into the enclosing chain.
    assert_eq!(
        ok("(a = 1 and b = 2) and c = 3"),
        Node::All(vec![Node::All(vec![a.clone(), b.clone()]), c.clone()])
    );
    assert_eq!(ok("((a = 1))"), a.clone());
    assert_eq!(ok("not not a = 1"), not(not(a.clone())));
}

#[test]
fn explicit_groups() {
    let a = cond("a", Op::Eq, n("1"));
    assert_eq!(ok("all of ()"), Node::All(vec![]));
    assert_eq!(ok("any of ( )"), Node::Any(vec![]));
    assert_eq!(ok("all of (a = 1)"), Node::All(vec![a.clone()]));
    assert_eq!(ok("any of (a = 1, a = 1)"), Node::Any(vec![a.clone(), a.clone()]));
    assert_eq!(
        ok("any of (has r where a = 1, a = 1)"),
        Node::Any(vec![has("r", Some(a.clone()), None), a.clone()])
    );
    // `all` is only a keyword before `of`.
    assert_eq!(ok("all = 1"), cond("all", Op::Eq, n("1")));
}

#[test]
fn has_forms() {
    let a = cond("a", Op::Eq, n("1"));
    let counts = [
        ("at least 2", CmpOp::Gte),
        ("at most 2", CmpOp::Lte),
        ("more than 2", CmpOp::Gt),
        ("fewer than 2", CmpOp::Lt),
        ("less than 2", CmpOp::Lt),
        ("exactly 2", CmpOp::Eq),
        ("not exactly 2", CmpOp::Neq),
    ];
    for (phrase, op) in counts {
        assert_eq!(ok(&format!("has {phrase} r")), has("r", None, Some((op, 2))), "{phrase}");
    }
    assert_eq!(ok("has r"), has("r", None, None));
    assert_eq!(ok("has no r"), not(has("r", None, None)));
    assert_eq!(ok("has `at` where a = 1"), has("at", Some(a.clone()), None));
    assert_eq!(
        ok("(has r where a = 1) and a = 1"),
        Node::All(vec![has("r", Some(a.clone()), None), a.clone()])
    );
    assert_eq!(
        ok("has r where has s where a = 1 or a = 1"),
        has("r", Some(has("s", Some(Node::Any(vec![a.clone(), a.clone()])), None)), None)
    );
}

#[test]
fn names_and_strings() {
    assert_eq!(ok(r#"`shirt size` = "a\"b\\c""#), cond("shirt size", Op::Eq, s(r#"a"b\c"#)));
    assert_eq!(ok(r"`not` = 1"), cond("not", Op::Eq, n("1")));
    assert_eq!(ok(r"`a\`b\\` = 1"), cond(r"a`b\", Op::Eq, n("1")));
    assert_eq!(ok("f = \"line\nbreak ünï 😀\""), cond("f", Op::Eq, s("line\nbreak ünï 😀")));
    assert_eq!(ok(r#"f = """#), cond("f", Op::Eq, s("")));
    assert_eq!(ok(r#"member of "a \"q\"""#), member_of(r#"a "q""#));
    assert_eq!(ok("a.b$c.d_1 is empty"), cond0("a.b$c.d_1", Op::IsEmpty));
    assert_eq!(ok("android = 1"), cond("android", Op::Eq, n("1")));
}

#[test]
fn whitespace_anywhere_between_tokens() {
    let text = "\n  role\n=\t\"x\"\r\nand\n(\nage>=18\n)\n";
    assert_eq!(
        ok(text),
        Node::All(vec![cond("role", Op::Eq, s("x")), cond("age", Op::Gte, n("18"))])
    );
    assert_eq!(ok("age>=18 and(b=1)"), Node::All(vec![cond("age", Op::Gte, n("18")), cond("b", Op::Eq, n("1"))]));
}
