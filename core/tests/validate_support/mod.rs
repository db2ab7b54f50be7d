//! Shared by the validate_* tests: a realistic catalog and a compact way to write rulesets.
#![allow(dead_code)]

use serde_json::Value as J;
use smart_groups_core::ast::{CmpOp, Condition, Count, Has, Node, Number, Op, Value};
use smart_groups_core::catalog::*;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{validate, Options, Problem, Severity, Validation};

fn column(name: &str, ty: FieldType, kind: ColumnKind) -> Column {
    Column {
        name: name.into(),
        ty,
        kind,
        allowed: None,
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn group(id: i64, name: &str, kind: GroupKind, status: GroupStatus, member_of: &[&str]) -> Group {
    Group {
        id,
        name: name.into(),
        kind,
        status,
        member_of: strings(member_of),
        tenant: None,
    }
}

fn table(name: &str) -> TableName {
    TableName {
        schema: "public".into(),
        name: name.into(),
    }
}

/// public.users with every field type, a self-reference, custom fields, two relations and
/// groups in each state. Groups B → A and C → B (member_of edges) are for cycle tests.
pub fn catalog() -> Catalog {
    use ColumnKind as K;
    use FieldType as T;
    let mut role = column("role", T::Enum, K::Enum(table("user_role")));
    role.allowed = Some(strings(&["admin", "manager", "creator", "learner"]));
    Catalog {
        lookups: Vec::new(),
        users: UsersTable {
            table: table("users"),
            key_column: "id".into(),
            key_type: KeyType::Integer,
        },
        columns: vec![
            column("id", T::Number, K::Number),
            column("name", T::Text, K::Text),
            column("email", T::Text, K::Text),
            column("location", T::Text, K::Text),
            role,
            column("job_title", T::Text, K::Text),
            column("department", T::Text, K::Text),
            column("hire_date", T::Date, K::Date),
            column("created_at", T::Timestamp, K::Timestamptz),
            column("active", T::Boolean, K::Boolean),
            column("age", T::Number, K::Number),
            column("salary", T::Number, K::Number),
            column("tags", T::List, K::TextArray),
            column("manager_id", T::Number, K::Number),
        ],
        custom_table: Some(CustomFieldTable {
            table: table("user_field_values"),
            user_column: "user_id".into(),
            key_column: "field_key".into(),
            value_column: "value".into(),
        }),
        custom_fields: vec![
            CustomField {
                key: "shirt_size".into(),
                ty: T::Enum,
                allowed: Some(strings(&["S", "M", "L", "XL"])),
                tenant: None,
            },
            CustomField {
                key: "start_date".into(),
                ty: T::Date,
                allowed: None,
                tenant: None,
            },
            CustomField {
                key: "score".into(),
                ty: T::Number,
                allowed: None,
                tenant: None,
            },
        ],
        references: vec![Reference {
            name: "manager".into(),
            column: "manager_id".into(),
        }],
        relations: vec![
            Relation {
                lookups: Vec::new(),
                name: "enrollments".into(),
                table: table("enrollments"),
                user_column: "user_id".into(),
                columns: vec![
                    column("course", T::Text, K::Text),
                    column("status", T::Text, K::Text),
                    column("completed_at", T::Timestamp, K::Timestamptz),
                ],
            },
            Relation {
                lookups: Vec::new(),
                name: "clicks".into(),
                table: table("clicks"),
                user_column: "user_id".into(),
                columns: vec![column("clicked_at", T::Timestamp, K::Timestamptz)],
            },
        ],
        groups: vec![
            group(1, "Sales", GroupKind::Smart, GroupStatus::Active, &[]),
            group(2, "Marketing", GroupKind::Static, GroupStatus::Active, &[]),
            group(3, "Old", GroupKind::Smart, GroupStatus::Archived, &[]),
            group(4, "Paused", GroupKind::Smart, GroupStatus::Inactive, &[]),
            group(5, "A", GroupKind::Smart, GroupStatus::Active, &[]),
            group(6, "B", GroupKind::Smart, GroupStatus::Active, &["A"]),
            group(
                7,
                "C",
                GroupKind::Smart,
                GroupStatus::Active,
                &["B", "Sales"],
            ),
        ],
        tenant_column: None,
    }
}

/// A ruleset from its JSON form (a test-only reader: the real one is `json::read_value`).
pub fn node(j: J) -> Node {
    let J::Object(o) = &j else {
        panic!("not an object: {j}")
    };
    if let Some(J::Array(items)) = o.get("all") {
        return Node::All(items.iter().cloned().map(node).collect());
    }
    if let Some(J::Array(items)) = o.get("any") {
        return Node::Any(items.iter().cloned().map(node).collect());
    }
    if let Some(inner) = o.get("not") {
        return Node::Not(Box::new(node(inner.clone())));
    }
    if let Some(J::String(g)) = o.get("member_of") {
        return Node::MemberOf(g.clone());
    }
    if let Some(J::String(r)) = o.get("has") {
        let count = o.get("count").map(|c| Count {
            op: CmpOp::from_name(c["op"].as_str().unwrap()).unwrap(),
            value: c["value"].as_u64().unwrap(),
        });
        let filter = o.get("where").map(|w| Box::new(node(w.clone())));
        return Node::Has(Has {
            relation: r.clone(),
            filter,
            count,
        });
    }
    let field = o["field"].as_str().unwrap().to_string();
    let op = Op::from_name(o["op"].as_str().unwrap()).unwrap();
    Node::Cond(Condition {
        field,
        op,
        value: o.get("value").map(value),
    })
}

pub fn value(j: &J) -> Value {
    match j {
        J::String(s) if s.starts_with("#num:") => num(&s[5..]),
        J::String(s) => Value::String(s.clone()),
        J::Number(n) => num(&n.to_string()),
        J::Bool(b) => Value::Bool(*b),
        J::Array(items) => Value::List(items.iter().map(value).collect()),
        other => panic!("no AST value for {other}"),
    }
}

pub fn num(text: &str) -> Value {
    Value::Number(Number::parse(text).unwrap_or_else(|| panic!("bad number {text}")))
}

pub fn cond(field: &str, op: Op, value: Option<Value>) -> Node {
    Node::Cond(Condition {
        field: field.into(),
        op,
        value,
    })
}

pub fn check(j: J) -> Validation {
    validate(&node(j), &catalog(), &Options::default())
}

pub fn check_as(group: &str, j: J) -> Validation {
    validate(
        &node(j),
        &catalog(),
        &Options {
            group: Some(group.into()),
            ..Options::default()
        },
    )
}

/// The only problem, which must be an error.
pub fn sole_error(v: &Validation) -> &Problem {
    assert_eq!(
        v.problems.len(),
        1,
        "expected one problem, got {:#?}",
        v.problems
    );
    assert!(v.pred.is_none(), "an error must leave no predicate");
    let p = &v.problems[0];
    assert_eq!(p.severity, Severity::Error);
    p
}

/// Asserts SQLSTATE, path and message of the only problem; returns its hint.
pub fn expect_error(j: J, state: &str, path: &str, message: &str) -> Option<String> {
    let v = check(j);
    let p = sole_error(&v);
    assert_eq!(
        (
            p.error.sqlstate(),
            p.path.as_str(),
            p.error.to_string().as_str()
        ),
        (state, path, message)
    );
    p.error.hint()
}
