//! Statements of the trigger path, prepared once per backend and kept: the same few shapes
//! run statement after statement on a busy table. Statements that read the transition tables
//! are prepared inside the trigger's SPI connection, after `SPI_register_trigger_data`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::CStr;
use std::hash::BuildHasherDefault;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::PgOid;
use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient, SpiTupleTable};

use crate::errors::DbError;
use crate::guc_scope::{with_settings, GENERIC_PLANS, NO_JIT, NO_MERGE_JOIN};

// A statement per group and a few per changed-column set: room for a thousand groups.
const LIMIT: usize = 2048;

/// FxHash (rustc's): the keys are statement texts of up to several kilobytes, hashed on every
/// run of the hot path, where SipHash's resistance to chosen keys buys nothing (the texts are
/// ours) and cost 2% of a one-user UPDATE.
#[derive(Default)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Kept = HashMap<String, OwnedPreparedStatement, BuildHasherDefault<FxHasher>>;

thread_local! {
    static KEPT: RefCell<Kept> = RefCell::new(Kept::default());
}

/// Forgets every kept statement (the groups they name may be gone).
pub fn clear() {
    KEPT.with(|k| k.borrow_mut().clear());
    LATEST.with(|k| {
        for (_, plan) in k.borrow_mut().drain() {
            // SAFETY: a plan of ours, kept by SPI_keepplan and used by no one else.
            unsafe { pg_sys::SPI_freeplan(plan as pg_sys::SPIPlanPtr) };
        }
    });
}

thread_local! {
    /// Plans of `run_latest`, by text (kept with SPI_keepplan).
    static LATEST: RefCell<HashMap<String, usize>> = RefCell::new(HashMap::new());
}

/// Runs a statement under REPEATABLE READ or SERIALIZABLE as the foreign-key checks do: it
/// reads what is committed now (the latest snapshot), and with `crosscheck` a row it would
/// change that the transaction's own snapshot cannot see is a serialization failure
/// (40001). A statement run with the transaction's snapshot would not see a membership or
/// an override that a transaction committed after that snapshot (the time refresh or an
/// exclusion, at READ COMMITTED, while this one waited for the user's row), and would
/// decide and write from stale rows. The plan is kept per backend. `row` gets each row's
/// columns by number (1-based), NULL as None.
pub fn run_latest(
    sql: &str,
    args: &[DatumWithOid<'_>],
    crosscheck: bool,
    mut row: impl FnMut(&dyn Fn(usize) -> Option<pg_sys::Datum>),
) -> Result<(), DbError> {
    let plan = match LATEST.with(|k| k.borrow().get(sql).copied()) {
        Some(p) => p as pg_sys::SPIPlanPtr,
        None => {
            let text = std::ffi::CString::new(sql)
                .map_err(|_| DbError::Spi("statement text holds a NUL".into()))?;
            let mut oids: Vec<pg_sys::Oid> = args.iter().map(|a| a.oid()).collect();
            // SAFETY: `text` and `oids` outlive the call; the plan is kept past this SPI
            // connection by SPI_keepplan and freed by `clear`.
            let plan = unsafe {
                let plan = pg_sys::SPI_prepare(
                    text.as_ptr(),
                    i32::try_from(oids.len()).unwrap_or(i32::MAX),
                    oids.as_mut_ptr(),
                );
                if plan.is_null() || pg_sys::SPI_keepplan(plan) != 0 {
                    return Err(DbError::Spi(
                        "could not prepare a statement with the latest snapshot".into(),
                    ));
                }
                plan
            };
            LATEST.with(|k| k.borrow_mut().insert(sql.to_string(), plan as usize));
            plan
        }
    };
    let mut values: Vec<pg_sys::Datum> = args
        .iter()
        .map(|a| {
            a.datum()
                .map(|d| d.sans_lifetime())
                .unwrap_or(pg_sys::Datum::from(0usize))
        })
        .collect();
    let nulls: Vec<std::ffi::c_char> = args
        .iter()
        .map(|a| {
            if a.datum().is_some() {
                b' ' as _
            } else {
                b'n' as _
            }
        })
        .collect();
    // SAFETY: the arguments match the plan's types; the snapshots are the backend's own,
    // taken after the counter made this transaction's earlier writes visible.
    let rc = unsafe {
        pg_sys::CommandCounterIncrement();
        let check = if crosscheck {
            pg_sys::GetTransactionSnapshot()
        } else {
            std::ptr::null_mut()
        };
        pg_sys::SPI_execute_snapshot(
            plan,
            values.as_mut_ptr(),
            nulls.as_ptr(),
            pg_sys::GetLatestSnapshot(),
            check,
            false,
            false,
            0,
        )
    };
    if rc < 0 {
        return Err(DbError::Spi(format!(
            "statement with the latest snapshot failed ({rc})"
        )));
    }
    // SAFETY: the result of the statement just run is the current SPI result.
    unsafe {
        let table = pg_sys::SPI_tuptable;
        if table.is_null() {
            return Ok(());
        }
        let tupdesc = (*table).tupdesc;
        let natts = usize::try_from((*tupdesc).natts).unwrap_or(0);
        for i in 0..usize::try_from(pg_sys::SPI_processed).unwrap_or(0) {
            let tuple = *(*table).vals.add(i);
            let col = |n: usize| {
                if n == 0 || n > natts {
                    return None;
                }
                let mut null = false;
                let d =
                    pg_sys::SPI_getbinval(tuple, tupdesc, i32::try_from(n).unwrap_or(0), &mut null);
                (!null).then_some(d)
            };
            row(&col);
        }
    }
    Ok(())
}

/// Runs `sql` with `args` (of types `types`) through a kept plan, generic, and hands the rows
/// to `f`.
pub fn run<R>(
    client: &mut SpiClient<'_>,
    sql: &str,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
    f: impl FnOnce(SpiTupleTable<'_>) -> Result<R, DbError>,
) -> Result<R, DbError> {
    run_kept(client, sql, types, args, true, f)
}

/// `run`, with a generic plan or not: a statement over many keys is better planned for them
/// each time (the plan cache chooses), though its plan is kept.
pub fn run_kept<R>(
    client: &mut SpiClient<'_>,
    sql: &str,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
    generic: bool,
    f: impl FnOnce(SpiTupleTable<'_>) -> Result<R, DbError>,
) -> Result<R, DbError> {
    let stmt = take(client, sql, types)?;
    // Generic plans: these statements are shaped for a handful of rows and planning them is
    // most of their cost; left to itself, the plan cache re-plans an execution whenever a
    // custom plan looks cheaper, which for these statements costs more than running them.
    let settings: &[_] = if generic {
        &[GENERIC_PLANS, NO_JIT]
    } else {
        &[NO_JIT]
    };
    let result = with_settings(settings, || client.update(&stmt, None, args))
        .map_err(DbError::from)
        .and_then(f);
    put_back(sql, stmt);
    result
}

/// The kept statement for `sql`, prepared if there is none. Taken out of the cache while it
/// runs: the statement may fire triggers that use it too (`put_back`).
fn take(
    client: &mut SpiClient<'_>,
    sql: &str,
    types: &[PgOid],
) -> Result<OwnedPreparedStatement, DbError> {
    match KEPT.with(|k| k.borrow_mut().remove(sql)) {
        Some(stmt) => Ok(stmt),
        None => Ok(client.prepare_mut(sql, types)?.keep()),
    }
}

/// Keeps `stmt` for `sql` again, unless a nested run kept one meanwhile.
fn put_back(sql: &str, stmt: OwnedPreparedStatement) {
    KEPT.with(|k| {
        let mut k = k.borrow_mut();
        if !k.contains_key(sql) {
            if k.len() >= LIMIT {
                k.clear();
            }
            k.insert(sql.to_string(), stmt);
        }
    });
}

/// `run` for a query whose rows may be as many as a statement's: read `batch` rows at a time
/// through a cursor, each batch's rows, and what `f` allocates in PostgreSQL's memory while
/// reading them, freed before the next, so that the backend's memory follows the batch and
/// not the result. `f` returns whether to read on.
pub fn run_batches(
    client: &mut SpiClient<'_>,
    sql: &str,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
    batch: i64,
    mut f: impl FnMut(SpiTupleTable<'_>) -> Result<bool, DbError>,
) -> Result<(), DbError> {
    let stmt = take(client, sql, types)?;
    let result = with_settings(&[GENERIC_PLANS, NO_JIT], || -> Result<(), DbError> {
        let mut cursor = client.try_open_cursor_mut(&stmt, args)?;
        loop {
            pgrx::check_for_interrupts!();
            let mut context = pgrx::memcxt::PgMemoryContexts::new("smart_groups batch");
            // SAFETY: what `f` allocates in the context is read within `f` only; the context
            // is deleted when it drops, after the batch.
            let more = unsafe {
                context.switch_to(|_| -> Result<bool, DbError> {
                    let rows = cursor.fetch(batch)?;
                    if rows.is_empty() {
                        return Ok(false);
                    }
                    f(rows)
                })
            }?;
            // SAFETY: the batch's result, which `f` read above and nothing refers to now.
            unsafe { pg_sys::SPI_freetuptable(pg_sys::SPI_tuptable) };
            if !more {
                return Ok(());
            }
        }
    });
    put_back(sql, stmt);
    result
}

/// Runs `sql` once, planned for the parameters at hand (for statements over many rows, whose
/// best plan depends on how many).
pub fn run_once<R>(
    client: &mut SpiClient<'_>,
    sql: &str,
    args: &[DatumWithOid<'_>],
    f: impl FnOnce(SpiTupleTable<'_>) -> Result<R, DbError>,
) -> Result<R, DbError> {
    run_once_with(client, sql, args, &[], f)
}

/// `run_once` with `extra` settings besides its own.
pub fn run_once_with<R>(
    client: &mut SpiClient<'_>,
    sql: &str,
    args: &[DatumWithOid<'_>],
    extra: &[(&CStr, &CStr)],
    f: impl FnOnce(SpiTupleTable<'_>) -> Result<R, DbError>,
) -> Result<R, DbError> {
    let mut settings = vec![NO_JIT, NO_MERGE_JOIN];
    settings.extend_from_slice(extra);
    run_once_exactly(client, sql, args, &settings, f)
}

/// `run_once` with exactly these settings.
pub fn run_once_exactly<R>(
    client: &mut SpiClient<'_>,
    sql: &str,
    args: &[DatumWithOid<'_>],
    settings: &[(&CStr, &CStr)],
    f: impl FnOnce(SpiTupleTable<'_>) -> Result<R, DbError>,
) -> Result<R, DbError> {
    with_settings(settings, || client.update(sql, None, args))
        .map_err(DbError::from)
        .and_then(f)
}

/// The first column of the last row (these statements return one), through a kept plan.
pub fn query_one<T: FromDatum + IntoDatum>(
    client: &mut SpiClient<'_>,
    sql: &str,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
) -> Result<Option<T>, DbError> {
    run(client, sql, types, args, |rows| {
        let mut out = None;
        for row in rows {
            out = row.get::<T>(1)?;
        }
        Ok(out)
    })
}

/// Under REPEATABLE READ and SERIALIZABLE: `sql`, a query of one row of bigint columns, gives
/// the same row as the transaction's snapshot shows the data and as committed now; another
/// row is a serialization failure. For what a statement decided from, where reading it with
/// the latest snapshot is not possible or too costly (docs/design/lock-protocol.md,
/// "Snapshot isolation").
pub fn unchanged_since_snapshot(
    client: &mut SpiClient<'_>,
    sql: &str,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
) -> Result<(), DbError> {
    let mut ours: Vec<Option<i64>> = Vec::new();
    run(client, sql, types, args, |rows| {
        for row in rows {
            ours = (1..=row.columns())
                .map(|i| row.get::<i64>(i))
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    })?;
    let mut now: Vec<Option<i64>> = Vec::new();
    run_latest(sql, args, false, |col| {
        // SAFETY: the statement's columns are bigint, as many as in our row.
        now = (1..=ours.len())
            .map(|i| unsafe { col(i).and_then(|d| i64::from_datum(d, false)) })
            .collect();
    })?;
    if ours != now {
        return Err(DbError::SerializationFailure);
    }
    Ok(())
}

pub fn execute(client: &mut SpiClient<'_>, sql: &str) -> Result<(), DbError> {
    run(client, sql, &[], &[], |_| Ok(()))
}

pub fn text_array() -> PgOid {
    PgBuiltInOids::TEXTARRAYOID.oid()
}

pub fn bool_array() -> PgOid {
    PgBuiltInOids::BOOLARRAYOID.oid()
}

pub fn int8_array() -> PgOid {
    PgBuiltInOids::INT8ARRAYOID.oid()
}
