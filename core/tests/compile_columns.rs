//! Golden SQL for every operator on every kind of users column.

mod compile_support;

use compile_support::*;
use smart_groups_core::ast::Op;
use smart_groups_core::checked::Operand;

fn sql(field: &str, op: Op, operand: Operand) -> String {
    compile(&rule(col(field), op, operand))
}

#[test]
fn text_column() {
    let g = |op, operand| sql("name", op, operand);
    let not_null = "u.\"name\" IS NOT NULL AND ";
    assert_eq!(
        g(Op::Eq, text("Ann")),
        format!("({not_null}u.\"name\" = 'Ann')")
    );
    assert_eq!(
        g(Op::Neq, text("Ann")),
        format!("NOT (({not_null}u.\"name\" = 'Ann'))")
    );
    assert_eq!(
        g(Op::Contains, text("an")),
        format!("({not_null}u.\"name\" LIKE '%an%' ESCAPE '!')")
    );
    assert_eq!(
        g(Op::NotContains, text("an")),
        format!("NOT (({not_null}u.\"name\" LIKE '%an%' ESCAPE '!'))")
    );
    assert_eq!(
        g(Op::StartsWith, text("A")),
        format!("({not_null}u.\"name\" LIKE 'A%' ESCAPE '!')")
    );
    assert_eq!(
        g(Op::EndsWith, text("n")),
        format!("({not_null}u.\"name\" LIKE '%n' ESCAPE '!')")
    );
    assert_eq!(
        g(Op::In, texts(&["A", "B"])),
        format!("({not_null}u.\"name\" IN ('A', 'B'))")
    );
    assert_eq!(
        g(Op::NotIn, texts(&["A"])),
        format!("NOT (({not_null}u.\"name\" IN ('A')))")
    );
    assert_eq!(
        g(Op::IsNotEmpty, Operand::None),
        format!("({not_null}u.\"name\" <> '')")
    );
    assert_eq!(
        g(Op::IsEmpty, Operand::None),
        format!("NOT (({not_null}u.\"name\" <> ''))")
    );
    let lower = "lower(u.\"name\" COLLATE \"und-x-icu\")";
    let lit = "lower('Än' COLLATE \"und-x-icu\")";
    assert_eq!(
        g(Op::EqCi, text("Än")),
        format!("({not_null}{lower} = {lit})")
    );
    assert_eq!(
        g(Op::ContainsCi, text("Än")),
        format!("({not_null}strpos({lower}, {lit}) > 0)")
    );
    assert_eq!(
        g(Op::StartsWithCi, text("Än")),
        format!("({not_null}starts_with({lower}, {lit}))")
    );
    assert_eq!(
        g(Op::EndsWithCi, text("Än")),
        format!("({not_null}right({lower}, char_length({lit})) = {lit})")
    );
}

#[test]
fn like_patterns_match_only_themselves() {
    let g = |op, s| sql("name", op, text(s));
    assert_eq!(
        g(Op::Contains, "50%_off"),
        "(u.\"name\" IS NOT NULL AND u.\"name\" LIKE '%50!%!_off%' ESCAPE '!')"
    );
    assert_eq!(
        g(Op::StartsWith, "wow!"),
        "(u.\"name\" IS NOT NULL AND u.\"name\" LIKE 'wow!!%' ESCAPE '!')"
    );
    // The backslash is not LIKE's escape here; it only needs the E'' literal form.
    assert_eq!(
        g(Op::EndsWith, r"C:\dir"),
        r#"(u."name" IS NOT NULL AND u."name" LIKE E'%C:\\dir' ESCAPE '!')"#
    );
}

#[test]
fn citext_and_enum_compare_as_text() {
    assert_eq!(
        sql("email", Op::Eq, text("A@x.org")),
        "(u.\"email\" IS NOT NULL AND u.\"email\"::text = 'A@x.org')"
    );
    assert_eq!(
        sql("email", Op::StartsWith, text("a")),
        "(u.\"email\" IS NOT NULL AND u.\"email\"::text LIKE 'a%' ESCAPE '!')"
    );
    assert_eq!(
        sql("email", Op::EqCi, text("a")),
        "(u.\"email\" IS NOT NULL AND lower(u.\"email\"::text COLLATE \"und-x-icu\") = lower('a' COLLATE \"und-x-icu\"))"
    );
    assert_eq!(
        sql("role", Op::Eq, text("admin")),
        "(u.\"role\" IS NOT NULL AND u.\"role\"::text = 'admin')"
    );
    assert_eq!(
        sql("role", Op::NotIn, texts(&["admin", "manager"])),
        "NOT ((u.\"role\" IS NOT NULL AND u.\"role\"::text IN ('admin', 'manager')))"
    );
    assert_eq!(
        sql("role", Op::IsEmpty, Operand::None),
        "NOT ((u.\"role\" IS NOT NULL AND u.\"role\"::text <> ''))"
    );
}

#[test]
fn number_column() {
    let g = |op, operand| sql("age", op, operand);
    let n = |s: &str| Operand::Number(num(s));
    let nn = "u.\"age\" IS NOT NULL AND ";
    assert_eq!(g(Op::Eq, n("30")), format!("({nn}u.\"age\" = 30)"));
    assert_eq!(g(Op::Neq, n("30")), format!("NOT (({nn}u.\"age\" = 30))"));
    assert_eq!(g(Op::Lt, n("-5")), format!("({nn}u.\"age\" < (-5))"));
    assert_eq!(g(Op::Lte, n("1.5")), format!("({nn}u.\"age\" <= 1.5)"));
    assert_eq!(g(Op::Gt, n("1e3")), format!("({nn}u.\"age\" > 1e3)"));
    assert_eq!(
        g(Op::Gte, n("-0.5E-2")),
        format!("({nn}u.\"age\" >= (-0.5E-2))")
    );
    assert_eq!(
        g(Op::Between, Operand::NumberRange(num("-1"), num("10"))),
        format!("({nn}u.\"age\" >= (-1) AND u.\"age\" <= 10)")
    );
    assert_eq!(
        g(Op::In, Operand::NumberList(vec![num("1"), num("-2")])),
        format!("({nn}u.\"age\" IN (1, (-2)))")
    );
    assert_eq!(
        g(Op::NotIn, Operand::NumberList(vec![num("1")])),
        format!("NOT (({nn}u.\"age\" IN (1)))")
    );
    assert_eq!(g(Op::IsNotEmpty, Operand::None), "(u.\"age\" IS NOT NULL)");
    assert_eq!(
        g(Op::IsEmpty, Operand::None),
        "NOT ((u.\"age\" IS NOT NULL))"
    );
}

#[test]
fn boolean_column() {
    let g = |op, operand| sql("active", op, operand);
    assert_eq!(
        g(Op::Eq, Operand::Bool(true)),
        "(u.\"active\" IS NOT NULL AND u.\"active\" = true)"
    );
    assert_eq!(
        g(Op::Neq, Operand::Bool(false)),
        "NOT ((u.\"active\" IS NOT NULL AND u.\"active\" = false))"
    );
    assert_eq!(
        g(Op::IsEmpty, Operand::None),
        "NOT ((u.\"active\" IS NOT NULL))"
    );
}

#[test]
fn list_column() {
    let g = |op, operand| sql("tags", op, operand);
    let nn = "u.\"tags\" IS NOT NULL AND ";
    assert_eq!(
        g(Op::Includes, text("a")),
        format!("({nn}u.\"tags\" @> ARRAY['a']::text[])")
    );
    assert_eq!(
        g(Op::NotIncludes, text("a")),
        format!("NOT (({nn}u.\"tags\" @> ARRAY['a']::text[]))")
    );
    assert_eq!(
        g(Op::IncludesAny, texts(&["a", "b"])),
        format!("({nn}u.\"tags\" && ARRAY['a', 'b']::text[])")
    );
    assert_eq!(
        g(Op::IncludesAll, texts(&["a", "b"])),
        format!("({nn}u.\"tags\" @> ARRAY['a', 'b']::text[])")
    );
    assert_eq!(
        g(Op::IsNotEmpty, Operand::None),
        format!("({nn}cardinality(u.\"tags\") > 0)")
    );
    assert_eq!(
        g(Op::IsEmpty, Operand::None),
        format!("NOT (({nn}cardinality(u.\"tags\") > 0))")
    );
}

#[test]
fn operand_that_validation_would_refuse_compiles_to_false() {
    assert_eq!(sql("age", Op::Contains, text("x")), "false");
    assert_eq!(sql("name", Op::In, texts(&[])), "false");
    assert_eq!(sql("name", Op::Neq, Operand::Bool(true)), "NOT (false)");
    assert_eq!(sql("tags", Op::Eq, text("x")), "false");
}
