//! A rule's value v for one row: where it is read from (`FieldPath`) and how stored data
//! becomes a typed value. NULL is the absence of a value, so a read returns every value the
//! field has for the row: none (NULL), one, or — only when the app's tables hold duplicate
//! custom-field rows or duplicate users keys — several.

use chrono::{DateTime, NaiveDate, Utc};

use super::data::{Datum, RelRow, UserRow};
use super::Evaluator;
use crate::catalog::{CustomField, FieldType};
use crate::checked::FieldPath;
use crate::values::{read_boolean, read_date, read_number, read_timestamp};

/// The row a rule is evaluated against: a user, or a relation row inside `has ... where`.
#[derive(Debug, Clone, Copy)]
pub(super) enum Row<'d> {
    User(&'d UserRow),
    Rel(&'d RelRow),
}

/// A non-NULL value of a field, in the field's type.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Val<'d> {
    /// Text and enum fields.
    Text(&'d str),
    /// Decimal text in `values::read_number`'s normal form.
    Number(String),
    /// A float column's value (`Datum::Float`).
    Float(f64),
    Date(NaiveDate),
    Time(DateTime<Utc>),
    Bool(bool),
    List(&'d [Option<String>]),
}

impl<'d> Evaluator<'d> {
    /// Every value `path` has for `row`; empty means v is NULL.
    pub(super) fn values(&self, path: &FieldPath, row: Row<'d>) -> Vec<Val<'d>> {
        match (path, row) {
            (FieldPath::Column(column), Row::User(UserRow { values, .. }))
            | (FieldPath::Column(column), Row::Rel(RelRow { values, .. })) => values
                .get(&column.name)
                .and_then(|datum| column_value(column.ty, datum))
                .into_iter()
                .collect(),
            (FieldPath::Custom(field), Row::User(user)) => self
                .custom_texts(&user.key, &field.key)
                .iter()
                .filter_map(|text| text.and_then(|t| custom_value(field, t)))
                .collect(),
            (FieldPath::Reference { reference, inner }, Row::User(user)) => {
                let Some(key) = user.values.get(&reference.column).and_then(referenced_key) else {
                    return Vec::new();
                };
                self.users_with_key(key)
                    .iter()
                    .flat_map(|target| self.values(inner, Row::User(target)))
                    .collect()
            }
            // The lookup row the user's or the related row's foreign key points to.
            (FieldPath::Lookup { lookup, column }, Row::User(UserRow { values, .. }))
            | (FieldPath::Lookup { lookup, column }, Row::Rel(RelRow { values, .. })) => {
                let Some(key) = values.get(&lookup.column).and_then(referenced_key) else {
                    return Vec::new();
                };
                self.data
                    .lookups
                    .get(&lookup.table)
                    .into_iter()
                    .flatten()
                    .filter(|r| {
                        r.values.get(&lookup.key_column).and_then(referenced_key) == Some(key)
                    })
                    .filter_map(|r| r.values.get(&column.name))
                    .filter_map(|datum| column_value(column.ty, datum))
                    .collect()
            }
            // Relation rows have only columns and lookups; validation never produces anything
            // else there.
            (FieldPath::Custom(_) | FieldPath::Reference { .. }, Row::Rel(_)) => Vec::new(),
        }
    }
}

/// A column's stored value in the column's rule type. A datum of another kind than the type
/// (a dataset mistake) counts as NULL rather than being guessed at.
pub(super) fn column_value(ty: FieldType, datum: &Datum) -> Option<Val<'_>> {
    match (ty, datum) {
        (FieldType::Text | FieldType::Enum, Datum::Text(s)) => Some(Val::Text(s)),
        // NaN and ±Infinity are values of numeric and float columns (only NULL is empty);
        // they order above (NaN, Infinity) or below (-Infinity) every number, as in Postgres.
        (FieldType::Number, Datum::Number(n)) if SPECIAL_NUMBERS.contains(&n.as_str()) => {
            Some(Val::Number(n.clone()))
        }
        (FieldType::Number, Datum::Number(n)) => read_number(n).map(Val::Number),
        (FieldType::Number, Datum::Float(f)) => Some(Val::Float(*f)),
        (FieldType::Date, Datum::Date(d)) => Some(Val::Date(*d)),
        (FieldType::Timestamp, Datum::Timestamp(t)) => Some(Val::Time(*t)),
        (FieldType::Boolean, Datum::Bool(b)) => Some(Val::Bool(*b)),
        (FieldType::List, Datum::List(items)) => Some(Val::List(items)),
        _ => None,
    }
}

/// A custom field's stored text read as the field's type; `None` when it cannot be read
/// (docs/reference/rules.md, "Reading custom-field values": it then counts as empty for that user).
fn custom_value<'d>(field: &CustomField, text: &'d str) -> Option<Val<'d>> {
    match field.ty {
        FieldType::Text => Some(Val::Text(text)),
        // Only an allowed label can be read as an enum: a custom enum field then behaves like
        // an enum column, which cannot hold anything else.
        FieldType::Enum => match &field.allowed {
            Some(labels) if !labels.iter().any(|l| l == text) => None,
            _ => Some(Val::Text(text)),
        },
        FieldType::Number => read_number(text).map(Val::Number),
        FieldType::Date => read_date(text).map(Val::Date),
        FieldType::Timestamp => read_timestamp(text).map(Val::Time),
        FieldType::Boolean => read_boolean(text).map(Val::Bool),
        // Custom fields cannot be lists (docs/reference/rules.md, "Fields").
        FieldType::List => None,
    }
}

/// The key a reference or foreign key column points at, in text form.
fn referenced_key(datum: &Datum) -> Option<&str> {
    match datum {
        Datum::Text(key) | Datum::Number(key) => Some(key),
        _ => None,
    }
}

/// Postgres' spellings of the numbers that are not finite.
pub(crate) const SPECIAL_NUMBERS: [&str; 3] = ["NaN", "Infinity", "-Infinity"];
