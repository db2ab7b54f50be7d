//! The SQL boundary for errors: every core error becomes an `ErrorReport` with its own
//! SQLSTATE, detail and hint, so a user mistake never surfaces as pgrx's generic 22000/XX000.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;
use smart_groups_core::report::Report;

/// Postgres packs a SQLSTATE's five characters into six bits each (MAKE_SQLSTATE).
fn sqlstate_code(sqlstate: &str) -> PgSqlErrorCode {
    let packed = sqlstate
        .chars()
        .take(5)
        .enumerate()
        .fold(0i32, |acc, (i, ch)| {
            acc + ((((ch as i32) - ('0' as i32)) & 0x3F) << (6 * i))
        });
    PgSqlErrorCode::from(packed)
}

/// Raises `err` as an ERROR. Never returns.
pub fn raise(err: &dyn Report) -> ! {
    let mut report = ErrorReport::new(
        sqlstate_code(err.sqlstate()),
        err.to_string(),
        "smart_groups",
    );
    if let Some(detail) = err.detail() {
        report = report.set_detail(detail);
    }
    if let Some(hint) = err.hint() {
        report = report.set_hint(hint);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ereport(ERROR) does not return")
}

/// An error of the extension's own database layer (not of a ruleset).
#[derive(Debug, thiserror::Error)]
#[allow(dead_code)]
pub enum DbError {
    #[error("no users table is attached")]
    NotAttached,
    #[error("table {0} does not exist")]
    NoSuchTable(String),
    #[error("table {table} has no single-column primary key")]
    NoPrimaryKey { table: String },
    #[error("the primary key {column} of {table} has type {ty}; the users key must be integer, bigint, uuid or text")]
    BadKeyType {
        table: String,
        column: String,
        ty: String,
    },
    #[error("column \"{column}\" does not exist in table {table}")]
    NoSuchColumn { table: String, column: String },
    #[error("custom field \"{0}\" already exists")]
    DuplicateCustomField(String),
    #[error("custom field \"{key}\" collides with column \"{key}\" of the users table")]
    CollidesWithColumn { key: String },
    #[error("unknown custom field \"{0}\"")]
    UnknownCustomField(String),
    #[error("unknown custom field type \"{0}\"")]
    UnknownFieldType(String),
    #[error("an enum custom field needs allowed values")]
    EnumWithoutValues,
    #[error("allowed values are only for enum custom fields")]
    AllowedOnNonEnum,
    #[error("relation \"{0}\" already exists")]
    DuplicateRelation(String),
    #[error("the users table cannot change while groups exist")]
    GroupsExist,
    #[error("no custom-field table is attached")]
    NoCustomTable,
    #[error("invalid name: {0}")]
    InvalidName(String),
    #[error("could not serialize access due to concurrent membership maintenance")]
    SerializationFailure,
    #[error("{0} must not be NULL")]
    NullArgument(&'static str),
    #[error("{0} is not valid UTF-8")]
    NotUtf8(String),
    #[error("the smart_groups library is already loaded in this session from another file")]
    LoadedTwice,
    #[error("{0}")]
    Spi(String),
}

impl Report for DbError {
    fn sqlstate(&self) -> &'static str {
        match self {
            DbError::NotAttached | DbError::NoCustomTable | DbError::LoadedTwice => "55000",
            DbError::NoSuchTable(_) => "42P01",
            DbError::NoPrimaryKey { .. } => "42P10",
            DbError::BadKeyType { .. } => "42804",
            DbError::NoSuchColumn { .. } => "42703",
            DbError::DuplicateCustomField(_) | DbError::DuplicateRelation(_) => "42710",
            DbError::CollidesWithColumn { .. } => "42701",
            DbError::UnknownCustomField(_) => "42704",
            DbError::UnknownFieldType(_)
            | DbError::EnumWithoutValues
            | DbError::AllowedOnNonEnum => "22023",
            DbError::GroupsExist => "55006",
            DbError::InvalidName(_) => "42602",
            DbError::SerializationFailure => "40001",
            DbError::NullArgument(_) => "22004",
            DbError::NotUtf8(_) => "22021",
            DbError::Spi(_) => "XX000",
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            DbError::NotAttached => Some("call smart_groups.attach_users('schema.table') first".into()),
            DbError::NoCustomTable => Some(
                "call smart_groups.attach_custom_fields('schema.table', user_column => ..., key_column => ..., value_column => ...) first"
                    .into(),
            ),
            DbError::NoPrimaryKey { .. } => Some("add a primary key on one column".into()),
            DbError::CollidesWithColumn { .. } => {
                Some("field names are unique: choose another key for the custom field".into())
            }
            DbError::UnknownFieldType(_) => {
                Some("custom field types: text, number, date, timestamp, boolean, enum".into())
            }
            DbError::EnumWithoutValues => Some("pass allowed => '{A,B,C}'".into()),
            DbError::GroupsExist => Some("drop the groups first".into()),
            DbError::LoadedTwice => Some(
                "load it from one file: shared_preload_libraries, session_preload_libraries and LOAD must name the library the extension's functions use ($libdir/smart_groups); then reconnect"
                    .into(),
            ),
            DbError::SerializationFailure => Some("the transaction might succeed if retried".into()),
            DbError::NotUtf8(_) => Some(
                "rules, group names and field names are read as UTF-8; in a database of another encoding, write them in ASCII"
                    .into(),
            ),
            _ => None,
        }
    }
}

impl From<pgrx::spi::Error> for DbError {
    fn from(e: pgrx::spi::Error) -> Self {
        DbError::Spi(e.to_string())
    }
}

/// Unwraps a result at the SQL boundary, raising its error with its SQLSTATE.
pub trait OrRaise<T> {
    fn or_raise(self) -> T;
}

impl<T, E: Report> OrRaise<T> for Result<T, E> {
    fn or_raise(self) -> T {
        match self {
            Ok(v) => v,
            Err(e) => raise(&e),
        }
    }
}
