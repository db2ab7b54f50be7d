//! Typed reads of custom-field text (docs/reference/rules.md, "Fields"): a value that cannot be read as the
//! field's type is NULL, never an error, so the app's own writes can never fail because of
//! what a user typed into a custom field. The parsing rules live in the core (`values`).

use pgrx::prelude::*;

use crate::args::Text;
use smart_groups_core::values;

/// Microseconds between the Unix epoch and Postgres' epoch (2000-01-01 UTC).
const PG_EPOCH_OFFSET_MICROS: i64 = 946_684_800_000_000;

#[pg_extern(immutable, strict, parallel_safe)]
fn read_number(value: Text) -> Option<AnyNumeric> {
    values::read_number(value.ok()?).and_then(|s| AnyNumeric::try_from(s.as_str()).ok())
}

#[pg_extern(immutable, strict, parallel_safe)]
fn read_date(value: Text) -> Option<pgrx::datum::Date> {
    use chrono::Datelike;
    let d = values::read_date(value.ok()?)?;
    pgrx::datum::Date::new(d.year(), d.month() as u8, d.day() as u8).ok()
}

#[pg_extern(immutable, strict, parallel_safe)]
fn read_timestamp(value: Text) -> Option<pgrx::datum::TimestampWithTimeZone> {
    let t = values::read_timestamp(value.ok()?)?;
    pgrx::datum::TimestampWithTimeZone::try_from(t.timestamp_micros() - PG_EPOCH_OFFSET_MICROS).ok()
}

#[pg_extern(immutable, strict, parallel_safe)]
fn read_boolean(value: Text) -> Option<bool> {
    values::read_boolean(value.ok()?)
}
