//! Values and names that must not escape their quotes, and the explain helpers.

mod compile_support;

use compile_support::*;
use smart_groups_core::ast::{CmpOp, Op};
use smart_groups_core::catalog::{ColumnKind, CustomFieldTable, FieldType, Reference, Relation};
use smart_groups_core::checked::{FieldPath, Operand, Pred};
use smart_groups_core::compile::{actual_value, compile_test, quote_ident, quote_literal};

fn name_eq(s: &str) -> String {
    compile(&rule(col("name"), Op::Eq, text(s)))
}

#[test]
fn hostile_values_stay_inside_literals() {
    let pre = "(u.\"name\" IS NOT NULL AND u.\"name\" = ";
    assert_eq!(name_eq("O'Brien"), format!("{pre}'O''Brien')"));
    assert_eq!(
        name_eq("'); DROP TABLE users; --"),
        format!("{pre}'''); DROP TABLE users; --')")
    );
    assert_eq!(name_eq("a\"b"), format!("{pre}'a\"b')"));
    assert_eq!(name_eq(r"\'; DROP"), format!(r"{pre}E'\\''; DROP')"));
    assert_eq!(name_eq("100%_x"), format!("{pre}'100%_x')"));
    assert_eq!(name_eq("Zoë 日本 🎉"), format!("{pre}'Zoë 日本 🎉')"));
    assert_eq!(name_eq("line\nbreak"), format!("{pre}'line\nbreak')"));
    assert_eq!(name_eq("$$ $tag$"), format!("{pre}'$$ $tag$')"));
}

#[test]
fn hostile_values_in_every_literal_position() {
    let evil = "x'); DROP TABLE users; --\\";
    let quoted = r"E'x''); DROP TABLE users; --\\'";
    let cases = [
        rule(col("name"), Op::In, texts(&[evil, "b"])),
        rule(col("tags"), Op::IncludesAny, texts(&[evil])),
        rule(col("name"), Op::EqCi, text(evil)),
        rule(custom("nickname"), Op::EndsWithCi, text(evil)),
        rule(manager(col("email")), Op::Eq, text(evil)),
    ];
    for p in &cases {
        let sql = compile(p);
        assert!(sql.contains(quoted), "{sql}");
    }
    let like = compile(&rule(col("name"), Op::Contains, text(evil)));
    assert!(
        like.contains(r"LIKE E'%x''); DROP TABLE users; --\\%' ESCAPE '!'"),
        "{like}"
    );
}

#[test]
fn hostile_custom_field_key_is_a_literal() {
    let mut f = custom("nickname");
    if let FieldPath::Custom(c) = &mut f {
        c.key = "k' OR true --".into();
    }
    let sql = compile(&rule(f, Op::IsNotEmpty, Operand::None));
    assert!(sql.contains("f1.\"field_key\" = 'k'' OR true --'"), "{sql}");
}

#[test]
fn identifiers_needing_quotes() {
    let mut cat = catalog();
    cat.users.table = table("My Schema", "user\"s");
    cat.users.key_column = "User Id".into();
    cat.custom_table = Some(CustomFieldTable {
        table: table("app", "field\"values"),
        user_column: "who".into(),
        key_column: "k\"ey".into(),
        value_column: "Value".into(),
    });
    let odd = column("na\"me", ColumnKind::Text);
    let reference = Reference {
        name: "boss".into(),
        column: "boss\"id".into(),
    };
    let path = FieldPath::Reference {
        reference,
        inner: Box::new(FieldPath::Column(odd.clone())),
    };
    assert_eq!(
        smart_groups_core::compile::compile(&rule(path, Op::Eq, text("x")), &cat),
        "EXISTS (SELECT 1 FROM \"My Schema\".\"user\"\"s\" m1 WHERE m1.\"User Id\" = u.\"boss\"\"id\" \
         AND (m1.\"na\"\"me\" IS NOT NULL AND m1.\"na\"\"me\" = 'x'))"
    );
    let sql = smart_groups_core::compile::compile(
        &rule(
            FieldPath::Custom(custom_field("c", FieldType::Number)),
            Op::Eq,
            Operand::Number(num("1")),
        ),
        &cat,
    );
    assert!(
        sql.starts_with(
            "EXISTS (SELECT 1 FROM \"app\".\"field\"\"values\" f1 WHERE f1.\"who\" = u.\"User Id\" \
             AND f1.\"k\"\"ey\" = 'c' AND (smart_groups.read_number(f1.\"Value\")"
        ),
        "{sql}"
    );
    let relation = Relation {
        lookups: Vec::new(),
        name: "r".into(),
        table: table("s\"x", "t t"),
        user_column: "u\"c".into(),
        columns: vec![odd.clone()],
    };
    let p = Pred::Has {
        relation,
        filter: Some(Box::new(rule(
            FieldPath::Column(odd),
            Op::IsEmpty,
            Operand::None,
        ))),
        count: smart_groups_core::ast::Count {
            op: CmpOp::Gte,
            value: 1,
        },
    };
    assert_eq!(
        smart_groups_core::compile::compile(&p, &cat),
        "EXISTS (SELECT 1 FROM \"s\"\"x\".\"t t\" r1 WHERE r1.\"u\"\"c\" = u.\"User Id\" \
         AND NOT ((r1.\"na\"\"me\" IS NOT NULL AND r1.\"na\"\"me\" <> '')))"
    );
}

#[test]
fn quoting_functions() {
    assert_eq!(quote_ident("x\"y"), "\"x\"\"y\"");
    assert_eq!(
        quote_literal("'); DROP TABLE users; --"),
        "'''); DROP TABLE users; --'"
    );
    assert_eq!(quote_literal(r"\"), r"E'\\'");
}

#[test]
fn compile_test_uses_the_given_alias() {
    let cat = catalog();
    let test = t(manager(custom("score")), Op::Lt, Operand::Number(num("5")));
    assert_eq!(
        compile_test(&test, &cat, "x1"),
        "EXISTS (SELECT 1 FROM \"public\".\"users\" m1 WHERE m1.\"id\" = x1.\"manager_id\" AND \
         EXISTS (SELECT 1 FROM \"public\".\"user_field_values\" f1 WHERE f1.\"user_id\" = m1.\"id\" \
         AND f1.\"field_key\" = 'score' AND (smart_groups.read_number(f1.\"value\") IS NOT NULL \
         AND smart_groups.read_number(f1.\"value\") < 5)))"
    );
    let test = t(col("age"), Op::IsEmpty, Operand::None);
    assert_eq!(
        compile_test(&test, &cat, "usr"),
        "NOT ((\"usr\".\"age\" IS NOT NULL))"
    );
    assert_eq!(
        compile_test(&test, &cat, "u"),
        "NOT ((u.\"age\" IS NOT NULL))"
    );
}

#[test]
fn actual_values_as_text() {
    let cat = catalog();
    assert_eq!(actual_value(&col("tags"), &cat, "u"), "u.\"tags\"::text");
    assert_eq!(
        actual_value(&custom("score"), &cat, "u"),
        "(SELECT min(f1.\"value\"::text) FROM \"public\".\"user_field_values\" f1 \
         WHERE f1.\"user_id\" = u.\"id\" AND f1.\"field_key\" = 'score')"
    );
    assert_eq!(
        actual_value(&manager(manager(col("name"))), &cat, "v"),
        "(SELECT (SELECT m2.\"name\"::text FROM \"public\".\"users\" m2 WHERE m2.\"id\" = m1.\"manager_id\") \
         FROM \"public\".\"users\" m1 WHERE m1.\"id\" = v.\"manager_id\")"
    );
    let mut bare = catalog();
    bare.custom_table = None;
    assert_eq!(actual_value(&custom("score"), &bare, "u"), "NULL::text");
}
