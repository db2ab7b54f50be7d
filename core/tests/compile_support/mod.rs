//! A hand-built catalog and builders of checked predicates, shared by the compile tests.
#![allow(dead_code)]

use chrono::{DateTime, NaiveDate, Utc};
use smart_groups_core::ast::{CmpOp, Count, Number, Op};
use smart_groups_core::catalog::*;
use smart_groups_core::checked::{FieldPath, Moment, Operand, Pred, Test, TimeUnit};

pub fn table(schema: &str, name: &str) -> TableName {
    TableName {
        schema: schema.into(),
        name: name.into(),
    }
}

pub fn column(name: &str, kind: ColumnKind) -> Column {
    let ty = match kind {
        ColumnKind::Text | ColumnKind::Citext => FieldType::Text,
        ColumnKind::Number => FieldType::Number,
        ColumnKind::Date => FieldType::Date,
        ColumnKind::Timestamp | ColumnKind::Timestamptz => FieldType::Timestamp,
        ColumnKind::Boolean => FieldType::Boolean,
        ColumnKind::Enum(_) => FieldType::Enum,
        ColumnKind::TextArray => FieldType::List,
    };
    let allowed = matches!(kind, ColumnKind::Enum(_)).then(|| {
        vec![
            "admin".to_string(),
            "manager".to_string(),
            "learner".to_string(),
        ]
    });
    Column {
        name: name.into(),
        ty,
        kind,
        allowed,
    }
}

pub fn custom_field(key: &str, ty: FieldType) -> CustomField {
    let allowed = (ty == FieldType::Enum).then(|| vec!["S".to_string(), "M".to_string()]);
    CustomField {
        key: key.into(),
        ty,
        allowed,
        tenant: None,
    }
}

pub fn enrollments() -> Relation {
    Relation {
        lookups: Vec::new(),
        name: "enrollments".into(),
        table: table("public", "enrollments"),
        user_column: "user_id".into(),
        columns: vec![
            column("course", ColumnKind::Text),
            column("status", ColumnKind::Text),
            column("completed_at", ColumnKind::Timestamptz),
        ],
    }
}

/// users(id integer) with one column of every kind, a custom-field table, a `manager`
/// reference and an `enrollments` relation.
pub fn catalog() -> Catalog {
    Catalog {
        lookups: Vec::new(),
        users: UsersTable {
            table: table("public", "users"),
            key_column: "id".into(),
            key_type: KeyType::Integer,
        },
        columns: vec![
            column("name", ColumnKind::Text),
            column("email", ColumnKind::Citext),
            column("age", ColumnKind::Number),
            column("birthday", ColumnKind::Date),
            column("last_login", ColumnKind::Timestamp),
            column("created_at", ColumnKind::Timestamptz),
            column("active", ColumnKind::Boolean),
            column("role", ColumnKind::Enum(table("public", "role"))),
            column("tags", ColumnKind::TextArray),
            column("manager_id", ColumnKind::Number),
        ],
        custom_table: Some(CustomFieldTable {
            table: table("public", "user_field_values"),
            user_column: "user_id".into(),
            key_column: "field_key".into(),
            value_column: "value".into(),
        }),
        custom_fields: vec![
            custom_field("nickname", FieldType::Text),
            custom_field("shirt_size", FieldType::Enum),
            custom_field("score", FieldType::Number),
            custom_field("start_date", FieldType::Date),
            custom_field("badge_at", FieldType::Timestamp),
            custom_field("vip", FieldType::Boolean),
        ],
        references: vec![Reference {
            name: "manager".into(),
            column: "manager_id".into(),
        }],
        relations: vec![enrollments()],
        groups: vec![],
        tenant_column: None,
    }
}

/// A user column of the fixture catalog, by name.
pub fn col(name: &str) -> FieldPath {
    let c = catalog().columns.into_iter().find(|c| c.name == name);
    FieldPath::Column(c.unwrap_or_else(|| panic!("no column {name} in the fixture")))
}

/// A column of the enrollments relation.
pub fn rel_col(name: &str) -> FieldPath {
    let c = enrollments().columns.into_iter().find(|c| c.name == name);
    FieldPath::Column(c.unwrap_or_else(|| panic!("no relation column {name}")))
}

pub fn custom(key: &str) -> FieldPath {
    let f = catalog().custom_fields.into_iter().find(|f| f.key == key);
    FieldPath::Custom(f.unwrap_or_else(|| panic!("no custom field {key}")))
}

pub fn manager(inner: FieldPath) -> FieldPath {
    FieldPath::Reference {
        reference: Reference {
            name: "manager".into(),
            column: "manager_id".into(),
        },
        inner: Box::new(inner),
    }
}

pub fn t(field: FieldPath, op: Op, operand: Operand) -> Test {
    Test {
        path: String::new(),
        field,
        op,
        operand,
    }
}

pub fn rule(field: FieldPath, op: Op, operand: Operand) -> Pred {
    Pred::Test(t(field, op, operand))
}

pub fn text(s: &str) -> Operand {
    Operand::Text(s.into())
}

pub fn texts(items: &[&str]) -> Operand {
    Operand::TextList(items.iter().map(|s| s.to_string()).collect())
}

pub fn num(s: &str) -> Number {
    Number::parse(s).unwrap_or_else(|| panic!("bad number {s}"))
}

pub fn day(s: &str) -> Moment {
    Moment::Day(NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}")))
}

pub fn instant(s: &str) -> Moment {
    let i = DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    Moment::Instant(i.with_timezone(&Utc))
}

pub fn interval(n: u32, unit: TimeUnit) -> Operand {
    Operand::Interval { n, unit }
}

pub fn has(filter: Option<Pred>, op: CmpOp, value: u64) -> Pred {
    Pred::Has {
        relation: enrollments(),
        filter: filter.map(Box::new),
        count: Count { op, value },
    }
}

pub fn compile(p: &Pred) -> String {
    smart_groups_core::compile::compile(p, &catalog())
}
