//! The structure of the text form: keywords in any case, precedence and parentheses,
//! explicit groups, `has` phrases, names, strings and whitespace.

mod common;

use common::{boolean, cond, cond0, has, list, member_of, n, not, s};
use smart_groups_core::ast::{CmpOp, Node, Op};
use smart_groups_core::text::parse;

fn ok(text: &str) -> Node {
    parse(text).unwrap_or_else(|e| panic!("{text:?} did not parse: {e}"))
}

#[test]
fn keywords_are_case_insensitive() {
    assert_eq!(
        ok(r#"ROLE = "x" AND NOT Email Is Not Empty Or MEMBER OF "G""#),
        Node::Any(vec![
            Node::All(vec![
                cond("ROLE", Op::Eq, s("x")),
                not(cond0("Email", Op::IsNotEmpty))
            ]),
            member_of("G"),
        ])
    );
    assert_eq!(
        ok("HAS AT LEAST 2 r WHERE x BETWEEN 1 AND 2"),
        has(
            "r",
            Some(cond("x", Op::Between, list(vec![n("1"), n("2")]))),
            Some((CmpOp::Gte, 2))
        )
    );
    assert_eq!(ok("ALL OF ()"), Node::All(vec![]));
    assert_eq!(ok("f = TRUE"), cond("f", Op::Eq, boolean(true)));
}

#[test]
fn precedence_not_then_and_then_or() {
    let (a, b, c) = (
        cond("a", Op::Eq, n("1")),
        cond("b", Op::Eq, n("2")),
        cond("c", Op::Eq, n("3")),
    );
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
    assert_eq!(
        ok("a = 1 and b = 2 and c = 3"),
        Node::All(vec![a.clone(), b.clone(), c.clone()])
    );
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
    assert_eq!(
        ok("any of (a = 1, a = 1)"),
        Node::Any(vec![a.clone(), a.clone()])
    );
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
        assert_eq!(
            ok(&format!("has {phrase} r")),
            has("r", None, Some((op, 2))),
            "{phrase}"
        );
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
        has(
            "r",
            Some(has("s", Some(Node::Any(vec![a.clone(), a.clone()])), None)),
            None
        )
    );
}

#[test]
fn names_and_strings() {
    assert_eq!(
        ok(r#"`shirt size` = "a\"b\\c""#),
        cond("shirt size", Op::Eq, s(r#"a"b\c"#))
    );
    assert_eq!(ok(r"`not` = 1"), cond("not", Op::Eq, n("1")));
    assert_eq!(ok(r"`a\`b\\` = 1"), cond(r"a`b\", Op::Eq, n("1")));
    assert_eq!(
        ok("f = \"line\nbreak ünï 😀\""),
        cond("f", Op::Eq, s("line\nbreak ünï 😀"))
    );
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
        Node::All(vec![
            cond("role", Op::Eq, s("x")),
            cond("age", Op::Gte, n("18"))
        ])
    );
    assert_eq!(
        ok("age>=18 and(b=1)"),
        Node::All(vec![
            cond("age", Op::Gte, n("18")),
            cond("b", Op::Eq, n("1"))
        ])
    );
}

/// A name where a value goes is another field: `A op B` compares two fields. Values are
/// still values (`true`, dates, numbers); reserved words in backticks are names.
#[test]
fn a_name_as_the_value_compares_two_fields() {
    use smart_groups_core::ast::Comparison;
    let cmp = |field: &str, op: Op, other: &str| {
        Node::Compare(Comparison {
            field: field.into(),
            op,
            value_field: other.into(),
        })
    };
    assert_eq!(
        ok("hire_date after created_at"),
        cmp("hire_date", Op::After, "created_at")
    );
    assert_eq!(
        ok("location = manager.location and age >= `min age`"),
        Node::All(vec![
            cmp("location", Op::Eq, "manager.location"),
            cmp("age", Op::Gte, "min age"),
        ])
    );
    assert_eq!(ok("d on e"), cmp("d", Op::Eq, "e"));
    assert_eq!(ok("a != b"), cmp("a", Op::Neq, "b"));
    assert_eq!(ok("a equals ignoring case b"), cmp("a", Op::EqCi, "b"));
    assert_eq!(
        ok("a contains ignoring case `ignoring`"),
        cmp("a", Op::ContainsCi, "ignoring")
    );
    assert_eq!(ok("a = `true`"), cmp("a", Op::Eq, "true"));
    assert_eq!(ok("a = true"), cond("a", Op::Eq, boolean(true)));
    assert_eq!(ok("a = 2024-01-31"), cond("a", Op::Eq, s("2024-01-31")));
    assert_eq!(
        ok("has r where x < y"),
        has("r", Some(cmp("x", Op::Lt, "y")), None)
    );
    // Printed back the same way.
    for text in [
        "a after b",
        "a = manager.b",
        "a != `not`",
        "x equals ignoring case `ignoring`",
    ] {
        assert_eq!(smart_groups_core::text::print(&ok(text)), text);
    }
    // `is empty` takes nothing, so a name after it is not part of the rule.
    assert!(parse("a is empty b").is_err());
}
