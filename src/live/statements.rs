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
}

/// Runs `sql` with `args` (of types `types`) through a kept plan and hands the rows to `f`.
pub fn run<R>(
    client: &mut SpiClient<'_>,
    sql: &str,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
    f: impl FnOnce(SpiTupleTable<'_>) -> Result<R, DbError>,
) -> Result<R, DbError> {
    // Taken out of the cache while it runs: the statement may fire triggers that use it too.
    let stmt = match KEPT.with(|k| k.borrow_mut().remove(sql)) {
        Some(stmt) => stmt,
        None => client.prepare_mut(sql, types)?.keep(),
    };
    // Generic plans: these statements are shaped for a handful of rows and planning them is
    // most of their cost; left to itself, the plan cache re-plans an execution whenever a
    // custom plan looks cheaper, which for a statement writing into partitions costs more
    // than running it.
    let result = with_settings(&[GENERIC_PLANS, NO_JIT], || {
        client.update(&stmt, None, args)
    })
    .map_err(DbError::from)
    .and_then(f);
    KEPT.with(|k| {
        let mut k = k.borrow_mut();
        if !k.contains_key(sql) {
            if k.len() >= LIMIT {
                k.clear();
            }
            k.insert(sql.to_string(), stmt);
        }
    });
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
    with_settings(&settings, || client.update(sql, None, args))
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
