//! A snapshot of the application's data, as the evaluator sees it: the users table, the
//! custom-field table, relation tables and current group memberships. Tests (and the
//! differential test against Postgres) build it by hand or from the same rows they load.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::catalog::TableName;

/// One stored value of a users or relation column.
#[derive(Debug, Clone, PartialEq)]
pub enum Datum {
    Null,
    /// text, varchar, citext, and enum labels.
    Text(String),
    /// Any numeric column, as decimal text (`-12.50`, `1e3`), or Postgres' `NaN`,
    /// `Infinity`, `-Infinity`, which are values ordered above / below every number.
    Number(String),
    Date(NaiveDate),
    /// timestamptz, and timestamp without time zone taken as UTC.
    Timestamp(DateTime<Utc>),
    Bool(bool),
    /// text[]; elements may be NULL.
    List(Vec<Option<String>>),
    /// float4 and float8 (float4 widened), compared as Postgres does: in binary floating
    /// point with the rule's number rounded to the nearest double, NaN above every number.
    /// A numeric column's value must stay `Number`: its comparisons are exact.
    Float(f64),
}

/// A row of the users table. `key` is the users key in its text form (`42`, a uuid, ...).
/// A column absent from `values` counts as NULL.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UserRow {
    pub key: String,
    pub values: BTreeMap<String, Datum>,
}

/// A row of the custom-field (entity-attribute-value) table: the value is text, read as the
/// field's type when a rule looks at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRow {
    pub user_key: String,
    pub field_key: String,
    pub value: Option<String>,
}

/// A row of a relation table, for the user whose key (as text) is `user_key`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RelRow {
    pub user_key: String,
    pub values: BTreeMap<String, Datum>,
}

/// A row of a lookup table (`catalog::Lookup`): found through the lookup's key column.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LookupRow {
    pub values: BTreeMap<String, Datum>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Dataset {
    pub users: Vec<UserRow>,
    pub custom: Vec<CustomRow>,
    /// Rows of each relation, by the relation's catalog name (`catalog::Relation::name`), not
    /// its table name.
    pub relations: BTreeMap<String, Vec<RelRow>>,
    /// Rows of each lookup table, by table.
    pub lookups: BTreeMap<TableName, Vec<LookupRow>>,
    /// Current members of each group (by group id), as users keys in text form.
    pub members: BTreeMap<i64, BTreeSet<String>>,
}

impl UserRow {
    pub fn new(key: impl Into<String>) -> Self {
        UserRow {
            key: key.into(),
            values: BTreeMap::new(),
        }
    }

    /// Builder: sets `column` to `datum`.
    pub fn with(mut self, column: impl Into<String>, datum: Datum) -> Self {
        self.values.insert(column.into(), datum);
        self
    }
}

impl RelRow {
    pub fn new(user_key: impl Into<String>) -> Self {
        RelRow {
            user_key: user_key.into(),
            values: BTreeMap::new(),
        }
    }

    /// Builder: sets `column` to `datum`.
    pub fn with(mut self, column: impl Into<String>, datum: Datum) -> Self {
        self.values.insert(column.into(), datum);
        self
    }
}

impl CustomRow {
    pub fn new(
        user_key: impl Into<String>,
        field_key: impl Into<String>,
        value: Option<&str>,
    ) -> Self {
        CustomRow {
            user_key: user_key.into(),
            field_key: field_key.into(),
            value: value.map(str::to_string),
        }
    }
}
