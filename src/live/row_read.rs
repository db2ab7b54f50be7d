//! The rows of a few-row UPDATE of the users table, read straight from the statement's
//! transition tables into the evaluator's form (`eval::UserRow`): rules on the users' own
//! rows are then decided in Rust (`users_update::decide_in_rust`) instead of by a query over
//! the transition tables.
//!
//! A column is read *exactly* when Rust compares its values as Postgres compares them in the
//! compiled rules (docs/design/deciding-in-rust.md, "Exactness"): text,
//! varchar, citext and enum labels under a deterministic collation, integers and numeric
//! (decimal text), float4 and float8 (binary floats), booleans, dates, timestamps and text
//! arrays. Every other column a rule reads is kept as its output text, which is enough to
//! tell whether it changed; a rule on it is decided in SQL (`Rows::exact`).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CStr;

use chrono::{DateTime, NaiveDate, Utc};
use pgrx::pg_sys;
use pgrx::FromDatum;
use smart_groups_core::catalog::{Catalog, ColumnKind};
use smart_groups_core::eval::{Datum, UserRow};

/// How one column's datum becomes a `Datum`.
#[derive(Clone, Copy)]
pub(super) enum Conv {
    /// The type's output text, as text (`exact`: compared as the rules compare text).
    Text {
        out: pg_sys::Oid,
        exact: bool,
    },
    /// The type's output text, as a decimal number (integers and numeric).
    Number {
        out: pg_sys::Oid,
    },
    Float4,
    Float8,
    Bool,
    Date,
    Timestamp,
    TextArray {
        exact: bool,
    },
}

struct ColumnRead {
    name: String,
    attnum: usize,
    conv: Conv,
}

/// The old and new row of every user a statement updated, paired (same key).
pub struct Rows {
    pub pairs: Vec<(UserRow, UserRow)>,
    /// The columns read exactly: a rule on any other is not decided in Rust.
    pub exact: BTreeSet<String>,
}

/// Reads `columns` (and the key) of the updated rows. None when the rows cannot be paired by
/// position with equal keys (a key changed), or a value is not valid text.
///
/// # Safety
/// `data` is the TriggerData of an AFTER ... FOR EACH STATEMENT trigger in progress, with
/// both transition tables.
pub unsafe fn read(
    data: &pg_sys::TriggerData,
    catalog: &Catalog,
    key_column: &str,
    columns: &[String],
) -> Option<Rows> {
    // Text of any other encoding may not be valid UTF-8 (SQL_ASCII), and Rust compares
    // UTF-8.
    if pg_sys::GetDatabaseEncoding() != pg_sys::pg_enc::PG_UTF8 as i32 {
        return None;
    }
    let (old_store, new_store) = (data.tg_oldtable, data.tg_newtable);
    if old_store.is_null() || new_store.is_null() || data.tg_relation.is_null() {
        return None;
    }
    let tupdesc = (*data.tg_relation).rd_att;
    let wanted: BTreeSet<&str> = columns
        .iter()
        .map(String::as_str)
        .chain([key_column])
        .collect();
    let natts = usize::try_from((*tupdesc).natts).ok()?;
    let mut reads = Vec::new();
    let mut key = None;
    for (i, attr) in (*tupdesc).attrs.as_slice(natts).iter().enumerate() {
        if attr.attisdropped {
            continue;
        }
        let name = pgrx::name_data_to_str(&attr.attname).to_string();
        if !wanted.contains(name.as_str()) {
            continue;
        }
        let kind = catalog
            .columns
            .iter()
            .find(|c| c.name == name)
            .map(|c| &c.kind);
        let conv = conv_for(attr.atttypid, attr.attcollation, kind);
        if name == key_column {
            key = Some(reads.len());
        }
        reads.push(ColumnRead {
            name,
            attnum: i + 1,
            conv,
        });
    }
    let key = key?;
    let exact = reads
        .iter()
        .filter(|r| match r.conv {
            Conv::Text { exact, .. } | Conv::TextArray { exact } => exact,
            _ => true,
        })
        .map(|r| r.name.clone())
        .collect();
    let last = reads.iter().map(|r| r.attnum).max()?;
    let old = rows_of(old_store, tupdesc, &reads, key, last)?;
    let new = rows_of(new_store, tupdesc, &reads, key, last)?;
    if old.len() != new.len() || old.iter().zip(&new).any(|(o, n)| o.key != n.key) {
        return None;
    }
    Some(Rows {
        pairs: old.into_iter().zip(new).collect(),
        exact,
    })
}

/// Whether Rust compares text of this collation byte for byte, as `=` does under it.
unsafe fn deterministic(collation: pg_sys::Oid) -> bool {
    collation == pg_sys::InvalidOid || pg_sys::get_collation_isdeterministic(collation)
}

/// The type's output function.
unsafe fn output_function(typid: pg_sys::Oid) -> pg_sys::Oid {
    let mut out = pg_sys::InvalidOid;
    let mut varlena = false;
    pg_sys::getTypeOutputInfo(typid, &mut out, &mut varlena);
    out
}

unsafe fn conv_for(typid: pg_sys::Oid, collation: pg_sys::Oid, kind: Option<&ColumnKind>) -> Conv {
    let output = || output_function(typid);
    match typid {
        pg_sys::BOOLOID => Conv::Bool,
        pg_sys::DATEOID => Conv::Date,
        pg_sys::TIMESTAMPOID | pg_sys::TIMESTAMPTZOID => Conv::Timestamp,
        pg_sys::FLOAT4OID => Conv::Float4,
        pg_sys::FLOAT8OID => Conv::Float8,
        pg_sys::INT2OID | pg_sys::INT4OID | pg_sys::INT8OID | pg_sys::NUMERICOID => {
            Conv::Number { out: output() }
        }
        pg_sys::TEXTOID | pg_sys::VARCHAROID => Conv::Text {
            out: output(),
            exact: deterministic(collation),
        },
        pg_sys::TEXTARRAYOID => Conv::TextArray {
            exact: deterministic(collation),
        },
        // citext is compared as text (`::text`), an enum by its label.
        _ => Conv::Text {
            out: output(),
            exact: matches!(kind, Some(ColumnKind::Citext) | Some(ColumnKind::Enum(_)))
                && deterministic(collation),
        },
    }
}

/// How a table column read by `direct::read` converts: as `conv_for`, or as its output text
/// when the statement it replaces casts it `::text` (a text column keeps its collation).
pub(super) unsafe fn column_conv(
    typid: pg_sys::Oid,
    collation: pg_sys::Oid,
    as_text: bool,
    kind: Option<&ColumnKind>,
) -> Conv {
    match (as_text, typid) {
        (false, _) => conv_for(typid, collation, kind),
        (true, pg_sys::TEXTOID | pg_sys::VARCHAROID) => conv_for(pg_sys::TEXTOID, collation, None),
        (true, _) => Conv::Text {
            out: output_function(typid),
            exact: deterministic(pg_sys::DEFAULT_COLLATION_OID),
        },
    }
}

/// Whether Rust compares a column read with `conv` exactly as the rules do.
pub(super) fn conv_exact(conv: Conv) -> bool {
    !matches!(
        conv,
        Conv::Text { exact: false, .. } | Conv::TextArray { exact: false }
    )
}

/// Every row of a transition table, through a read pointer of our own (the statement's other
/// readers keep theirs), in a slot of `tupdesc` deformed up to column `last` (1-based); `f`
/// says whether to go on. False when `f` stopped.
unsafe fn each_row(
    store: *mut pg_sys::Tuplestorestate,
    tupdesc: pg_sys::TupleDesc,
    last: usize,
    f: &mut dyn FnMut(*mut pg_sys::TupleTableSlot) -> bool,
) -> bool {
    let pointer = pg_sys::tuplestore_alloc_read_pointer(store, pg_sys::EXEC_FLAG_REWIND as i32);
    pg_sys::tuplestore_select_read_pointer(store, pointer);
    pg_sys::tuplestore_rescan(store);
    let slot = pg_sys::MakeSingleTupleTableSlot(tupdesc, &pg_sys::TTSOpsMinimalTuple);
    let mut went_on = true;
    while pg_sys::tuplestore_gettupleslot(store, true, false, slot) {
        pg_sys::check_for_interrupts!();
        pg_sys::slot_getsomeattrs_int(slot, i32::try_from(last).unwrap_or(i32::MAX));
        if !f(slot) {
            went_on = false;
            break;
        }
    }
    pg_sys::ExecDropSingleTupleTableSlot(slot);
    pg_sys::tuplestore_select_read_pointer(store, 0);
    went_on
}

/// Every row of a transition table as a user's row (`each_row`).
unsafe fn rows_of(
    store: *mut pg_sys::Tuplestorestate,
    tupdesc: pg_sys::TupleDesc,
    reads: &[ColumnRead],
    key: usize,
    last: usize,
) -> Option<Vec<UserRow>> {
    let mut out = Vec::new();
    let read_all = each_row(store, tupdesc, last, &mut |slot| {
        let mut values = BTreeMap::new();
        let mut user_key = None;
        for (i, r) in reads.iter().enumerate() {
            let at = r.attnum - 1;
            let datum = if *(*slot).tts_isnull.add(at) {
                Some(Datum::Null)
            } else {
                convert(r.conv, *(*slot).tts_values.add(at))
            };
            let Some(datum) = datum else {
                return false;
            };
            if i == key {
                user_key = match &datum {
                    Datum::Text(s) | Datum::Number(s) => Some(s.clone()),
                    _ => None,
                };
            }
            values.insert(r.name.clone(), datum);
        }
        let Some(user_key) = user_key else {
            return false;
        };
        out.push(UserRow {
            key: user_key,
            values,
        });
        true
    });
    read_all.then_some(out)
}

/// The distinct values of the columns `attnums` (1-based) over every row of the transition
/// tables `stores`, as text, NULLs left out: what `array_agg(DISTINCT c::text)` gives for
/// each, without a statement. Only for types whose `::text` is their output function
/// (integers, numeric, text, varchar, uuid; not `char(n)`, whose cast trims), in a UTF-8
/// database; None otherwise.
///
/// # Safety
/// `stores` are the transition tables of the trigger call in progress, with rows of
/// `tupdesc`.
pub unsafe fn transition_texts(
    stores: &[*mut pg_sys::Tuplestorestate],
    tupdesc: pg_sys::TupleDesc,
    attnums: &[usize],
) -> Option<Vec<BTreeSet<String>>> {
    if pg_sys::GetDatabaseEncoding() != pg_sys::pg_enc::PG_UTF8 as i32 {
        return None;
    }
    let natts = usize::try_from((*tupdesc).natts).ok()?;
    let attrs = (*tupdesc).attrs.as_slice(natts);
    let mut outputs = Vec::with_capacity(attnums.len());
    for at in attnums {
        let attr = attrs.get(at.checked_sub(1)?)?;
        let plain = [
            pg_sys::INT2OID,
            pg_sys::INT4OID,
            pg_sys::INT8OID,
            pg_sys::NUMERICOID,
            pg_sys::TEXTOID,
            pg_sys::VARCHAROID,
            pg_sys::UUIDOID,
        ];
        if !plain.contains(&attr.atttypid) {
            return None;
        }
        outputs.push(output_function(attr.atttypid));
    }
    let last = attnums.iter().copied().max().unwrap_or(1);
    let mut out = vec![BTreeSet::new(); attnums.len()];
    for store in stores.iter().filter(|s| !s.is_null()) {
        let read_all = each_row(*store, tupdesc, last, &mut |slot| {
            for ((at, function), set) in attnums.iter().zip(&outputs).zip(out.iter_mut()) {
                let i = at - 1;
                if *(*slot).tts_isnull.add(i) {
                    continue;
                }
                match output(*function, *(*slot).tts_values.add(i)) {
                    Some(text) => set.insert(text),
                    None => return false,
                };
            }
            true
        });
        if !read_all {
            return None;
        }
    }
    Some(out)
}

/// Days and microseconds count from 2000-01-01 (Postgres' epoch); the largest and smallest
/// values are infinity and -infinity.
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800_000_000;

/// An instant as Postgres keeps it (microseconds since 2000-01-01 UTC); None out of range.
pub fn from_pg_micros(t: pg_sys::TimestampTz) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(t.checked_add(PG_EPOCH_UNIX_MICROS)?)
}

/// The case folding of the case-insensitive operators: Postgres' own under `collation`
/// (`lower_in`), or Rust's where the server has no ICU collation.
pub fn folding(collation: Option<pg_sys::Oid>) -> Box<dyn Fn(&str) -> String> {
    match collation {
        Some(c) => Box::new(lower_in(c)),
        None => Box::new(|t: &str| t.to_lowercase()),
    }
}

pub(super) unsafe fn convert(conv: Conv, d: pg_sys::Datum) -> Option<Datum> {
    Some(match conv {
        Conv::Bool => Datum::Bool(d.value() != 0),
        Conv::Float8 => Datum::Float(f64::from_datum(d, false)?),
        Conv::Float4 => Datum::Float(f64::from(f32::from_datum(d, false)?)),
        Conv::Date => {
            let days = d.value() as i32;
            Datum::Date(match days {
                i32::MAX => NaiveDate::MAX,
                i32::MIN => NaiveDate::MIN,
                _ => NaiveDate::from_ymd_opt(2000, 1, 1)?
                    .checked_add_signed(chrono::TimeDelta::try_days(i64::from(days))?)?,
            })
        }
        Conv::Timestamp => {
            let micros = d.value() as i64;
            Datum::Timestamp(match micros {
                i64::MAX => DateTime::<Utc>::MAX_UTC,
                i64::MIN => DateTime::<Utc>::MIN_UTC,
                _ => from_pg_micros(micros)?,
            })
        }
        Conv::TextArray { .. } => Datum::List(Vec::<Option<String>>::from_datum(d, false)?),
        Conv::Text { out, .. } => Datum::Text(output(out, d)?),
        Conv::Number { out } => Datum::Number(output(out, d)?),
    })
}

/// The type's output text; None when it is not valid UTF-8 (a SQL_ASCII database).
unsafe fn output(function: pg_sys::Oid, d: pg_sys::Datum) -> Option<String> {
    let text = pg_sys::OidOutputFunctionCall(function, d);
    if text.is_null() {
        return None;
    }
    let s = CStr::from_ptr(text).to_str().ok().map(str::to_string);
    pg_sys::pfree(text.cast());
    s
}

thread_local! {
    /// The ICU root collation's oid (`und-x-icu`), looked up once per backend.
    static ICU: std::cell::Cell<Option<Option<pg_sys::Oid>>> = const { std::cell::Cell::new(None) };
}

/// The collation the compiled rules fold case with (`und-x-icu`), if this server has it.
pub fn icu_collation(
    client: &mut pgrx::spi::SpiClient<'_>,
) -> Result<Option<pg_sys::Oid>, crate::errors::DbError> {
    if let Some(known) = ICU.get() {
        return Ok(known);
    }
    let oid = super::statements::query_one::<pg_sys::Oid>(
        client,
        "SELECT oid FROM pg_catalog.pg_collation WHERE collname = 'und-x-icu' \
           AND collnamespace = 'pg_catalog'::regnamespace",
        &[],
        &[],
    )?;
    ICU.set(Some(oid));
    Ok(oid)
}

/// Postgres' `lower` under `collation`: exactly what the compiled rules compute.
pub fn lower_in(collation: pg_sys::Oid) -> impl Fn(&str) -> String {
    move |s: &str| {
        let len = i32::try_from(s.len()).unwrap_or(i32::MAX);
        // SAFETY: `s` is valid UTF-8 of `len` bytes (text holds no NUL); `lower` takes one
        // text argument and returns text, both palloc'd in the current memory context.
        unsafe {
            let text = pg_sys::cstring_to_text_with_len(s.as_ptr().cast(), len);
            let folded = pg_sys::OidFunctionCall1Coll(
                pg_sys::Oid::from(pg_sys::F_LOWER_TEXT),
                collation,
                pg_sys::Datum::from(text),
            );
            String::from_datum(folded, false).unwrap_or_default()
        }
    }
}

/// The rows of the SPI result at hand (`SPI_tuptable`): column 1 is a users key as text,
/// the others values of the columns they are named after, converted as `read` converts a
/// changed row's. `kind`: a column's kind in the catalog (citext and enum columns are read
/// exactly only when it says so).
pub struct ResultRows {
    pub rows: Vec<(String, BTreeMap<String, Datum>)>,
    /// Columns not read exactly: a rule on them is decided in SQL.
    pub inexact: BTreeSet<String>,
    /// Every column of the result but the key.
    pub columns: BTreeSet<String>,
}

/// See `ResultRows`. None when a value is not valid UTF-8 or a key is NULL.
///
/// # Safety
/// Called while the SPI result of the statement just run is current.
pub unsafe fn spi_result(kind: &dyn Fn(&str) -> Option<ColumnKind>) -> Option<ResultRows> {
    if pg_sys::GetDatabaseEncoding() != pg_sys::pg_enc::PG_UTF8 as i32 {
        return None;
    }
    let mut out = ResultRows {
        rows: Vec::new(),
        inexact: BTreeSet::new(),
        columns: BTreeSet::new(),
    };
    let table = pg_sys::SPI_tuptable;
    if table.is_null() || (*table).tupdesc.is_null() {
        return Some(out);
    }
    let tupdesc = (*table).tupdesc;
    let natts = usize::try_from((*tupdesc).natts).ok()?;
    let mut columns = Vec::new();
    for (at, attr) in (*tupdesc).attrs.as_slice(natts).iter().enumerate() {
        let name = pgrx::name_data_to_str(&attr.attname).to_string();
        if at > 0 {
            out.columns.insert(name.clone());
        }
        let conv = conv_for(attr.atttypid, attr.attcollation, kind(&name).as_ref());
        if let Conv::Text { exact: false, .. } | Conv::TextArray { exact: false } = conv {
            out.inexact.insert(name.clone());
        }
        columns.push((name, conv));
    }
    let processed = usize::try_from(pg_sys::SPI_processed).ok()?;
    for i in 0..processed {
        pg_sys::check_for_interrupts!();
        let tuple = *(*table).vals.add(i);
        let mut key = None;
        let mut values = BTreeMap::new();
        for (at, (name, conv)) in columns.iter().enumerate() {
            let mut isnull = false;
            let d = pg_sys::SPI_getbinval(tuple, tupdesc, i32::try_from(at + 1).ok()?, &mut isnull);
            let datum = if isnull {
                Datum::Null
            } else {
                convert(*conv, d)?
            };
            if at == 0 {
                key = match datum {
                    Datum::Text(s) | Datum::Number(s) => Some(s),
                    _ => None,
                };
            } else {
                values.insert(name.clone(), datum);
            }
        }
        out.rows.push((key?, values));
    }
    Some(out)
}
