//! Shared by the eval_* tests: a catalog with every field kind, datum builders, and
//! `expect`, which runs a rule in text form through parse → validate → evaluate and checks
//! the exact set of matching users, together with `not R` as its complement.
#![allow(dead_code)]

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use smart_groups_core::catalog::*;
use smart_groups_core::checked::Pred;
use smart_groups_core::eval::{self, CustomRow, Dataset, Datum, Evaluator, UserRow};
use smart_groups_core::text;
use smart_groups_core::validate::{validate, Options};

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

fn table(name: &str) -> TableName {
    TableName {
        schema: "public".into(),
        name: name.into(),
    }
}

fn custom(key: &str, ty: FieldType, allowed: Option<&[&str]>) -> CustomField {
    CustomField {
        key: key.into(),
        ty,
        allowed: allowed.map(strings),
        tenant: None,
    }
}

fn group(id: i64, name: &str, kind: GroupKind) -> Group {
    Group {
        id,
        name: name.into(),
        kind,
        status: GroupStatus::Active,
        member_of: Vec::new(),
        tenant: None,
    }
}

pub const SALES: i64 = 1;
pub const MARKETING: i64 = 2;

pub fn catalog() -> Catalog {
    use ColumnKind as K;
    use FieldType as T;
    let mut role = column("role", T::Enum, K::Enum(table("user_role")));
    role.allowed = Some(strings(&["admin", "manager", "learner"]));
    Catalog {
        lookups: Vec::new(),
        users: UsersTable {
            table: table("users"),
            key_column: "id".into(),
            key_type: KeyType::Integer,
        },
        columns: vec![
            column("name", T::Text, K::Text),
            column("nick", T::Text, K::Citext),
            role,
            column("age", T::Number, K::Number),
            column("hire_date", T::Date, K::Date),
            column("created_at", T::Timestamp, K::Timestamptz),
            column("seen_at", T::Timestamp, K::Timestamp),
            column("active", T::Boolean, K::Boolean),
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
            custom("shirt_size", T::Enum, Some(&["S", "M", "L", "XL"])),
            custom("motto", T::Text, None),
            custom("score", T::Number, None),
            custom("start_date", T::Date, None),
            custom("badge_at", T::Timestamp, None),
            custom("vip", T::Boolean, None),
        ],
        references: vec![Reference {
            name: "manager".into(),
            column: "manager_id".into(),
        }],
        relations: vec![
            Relation {
                lookups: Vec::new(),
                name: "enrollments".into(),
                table: table("course_enrollments"),
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
            group(SALES, "Sales", GroupKind::Smart),
            group(MARKETING, "Marketing", GroupKind::Static),
        ],
        tenant_column: None,
    }
}

/// The checked form of a rule written in the text form; panics (failing the test) when it
/// does not parse or validate. Warnings (e.g. leading spaces) are fine.
pub fn pred(rule: &str) -> Pred {
    let node = text::parse(rule).unwrap_or_else(|e| panic!("{rule:?} does not parse: {e}"));
    validate(&node, &catalog(), &Options::default())
        .into_result()
        .unwrap_or_else(|p| panic!("{rule:?} does not validate: {} at {:?}", p.error, p.path))
}

/// The instant the tests evaluate at, unless they say otherwise.
pub fn now() -> DateTime<Utc> {
    at("2024-03-15T12:00:00Z")
}

pub fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap_or_else(|e| panic!("bad instant {rfc3339}: {e}"))
        .with_timezone(&Utc)
}

pub fn text(s: &str) -> Datum {
    Datum::Text(s.into())
}

pub fn num(s: &str) -> Datum {
    Datum::Number(s.into())
}

pub fn date(s: &str) -> Datum {
    Datum::Date(day(s))
}

pub fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("bad date {s}: {e}"))
}

pub fn ts(rfc3339: &str) -> Datum {
    Datum::Timestamp(at(rfc3339))
}

pub fn list(items: &[Option<&str>]) -> Datum {
    Datum::List(items.iter().map(|i| i.map(str::to_string)).collect())
}

/// Users 1..=n, each with one value of `column` (`None`: the column is absent from the row,
/// which must read as NULL just like `Datum::Null`).
pub fn users_with(column: &str, values: Vec<Option<Datum>>) -> Dataset {
    let users = values
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            let user = UserRow::new((i + 1).to_string());
            match v {
                Some(datum) => user.with(column, datum),
                None => user,
            }
        })
        .collect();
    Dataset {
        users,
        ..Dataset::default()
    }
}

/// Users 1..=n with no columns, and for each a custom-field row holding `values[i]`
/// (outer `None`: no row at all; inner `None`: a row whose value is NULL).
pub fn custom_values(field: &str, values: &[Option<Option<&str>>]) -> Dataset {
    let mut data = Dataset::default();
    for (i, v) in values.iter().enumerate() {
        let key = (i + 1).to_string();
        if let Some(value) = v {
            data.custom.push(CustomRow::new(key.clone(), field, *value));
        }
        data.users.push(UserRow::new(key));
    }
    data
}

fn keys(keys: &[&str]) -> BTreeSet<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

/// Asserts that exactly the users `expected` match `rule` at `now`, and that `not (rule)`
/// matches exactly the others, user by user.
pub fn expect_at(data: &Dataset, now: DateTime<Utc>, rule: &str, expected: &[&str]) {
    let p = pred(rule);
    let got = eval::matching(&p, data, now);
    assert_eq!(got, keys(expected), "users matching {rule:?}");
    let negated = Pred::Not(Box::new(p.clone()));
    let evaluator = Evaluator::new(data, now);
    for user in &data.users {
        let direct = eval::eval(&p, user, data, now);
        assert_eq!(
            direct,
            evaluator.eval(&p, user),
            "{rule:?}, user {}",
            user.key
        );
        assert_eq!(
            evaluator.eval(&negated, user),
            !direct,
            "not ({rule:?}) for user {}",
            user.key
        );
    }
}

pub fn expect(data: &Dataset, rule: &str, expected: &[&str]) {
    expect_at(data, now(), rule, expected);
}

/// Every user key of `data` except `but`, for the negated operators.
pub fn all_but<'a>(data: &'a Dataset, but: &[&str]) -> Vec<&'a str> {
    data.users
        .iter()
        .map(|u| u.key.as_str())
        .filter(|k| !but.contains(k))
        .collect()
}
