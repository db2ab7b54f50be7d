//! Live maintenance: the statement triggers on the attached tables, the commit-time step, and
//! the keyed refreshes the API asks for. `sql/maintain.sql` holds the schema side (trigger
//! installation, TRUNCATE, the time refresh's loop) and documents the lock protocol.

mod advisory;
mod commit;
mod depths;
pub(crate) mod direct;
mod maintain;
mod neighbourhood;
pub(crate) mod pending;
mod row_read;
mod set_codes;
mod small;
pub(crate) mod state;
pub(crate) mod statements;

pub(crate) use small::check_overrides;
pub(crate) use state::State;
mod table_change;
mod time_refresh;
mod users_update;
pub(crate) mod writer;

use std::collections::BTreeSet;

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::errors::{raise, DbError};

/// UPDATEs of the users table changing at most this many rows take the kept-plan path
/// (`small.rs`); larger ones one set-based statement per member_of depth.
pub static SMALL_STATEMENT_ROWS: GucSetting<i32> = GucSetting::<i32>::new(1000);

/// Whether such statements decide rules on the users' own rows in Rust, from the rows at
/// hand (`row_read`), rather than by a query over the transition tables.
pub static DECIDE_IN_RUST: GucSetting<bool> = GucSetting::<bool>::new(true);

/// Whether rules may be decided in Rust from values read into Rust: `decide_in_rust`, in a
/// UTF8 database. Text of another encoding may not be UTF-8 (a SQL_ASCII database keeps any
/// bytes), and a value Rust cannot read must never fail the app's write: there the compiled
/// SQL decides, which compares bytes as the rules do.
pub fn decide_in_rust() -> bool {
    // SAFETY: reads the database encoding, set once at backend start.
    DECIDE_IN_RUST.get()
        && unsafe { pg_sys::GetDatabaseEncoding() } == pg_sys::pg_enc::PG_UTF8 as i32
}

pub fn init() {
    pending::init();
    GucRegistry::define_int_guc(
        c"smart_groups.small_statement_rows",
        c"UPDATEs of the users table changing at most this many rows are maintained with plans kept per backend.",
        c"Larger statements are maintained set-based, planned for their size. Both give the same membership; the setting exists to test and tune that choice.",
        &SMALL_STATEMENT_ROWS,
        0,
        i32::MAX,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"smart_groups.decide_in_rust",
        c"UPDATEs of a few users decide the rules on the users' own rows in Rust, from the changed rows.",
        c"Off, a query over the statement's transition tables decides them. Both give the same membership; the setting exists to test that.",
        &DECIDE_IN_RUST,
        GucContext::Userset,
        GucFlags::default(),
    );
}

pub(crate) type TriggerResult<'a> = Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, DbError>;

/// Runs `f` in an SPI connection that sees the trigger's transition tables.
fn in_trigger(trigger: &PgTrigger<'_>, f: impl FnOnce(&mut SpiClient<'_>) -> Result<(), DbError>) {
    let data = trigger.trigger_data() as *const pg_sys::TriggerData as *mut pg_sys::TriggerData;
    let result = Spi::connect_mut(|client| {
        // SAFETY: `data` is the TriggerData of the call in progress, alive until it returns;
        // registering it only makes its transition tables visible to this connection.
        let rc = unsafe { pg_sys::SPI_register_trigger_data(data) };
        if rc < 0 {
            return Err(DbError::Spi(format!(
                "SPI_register_trigger_data failed ({rc})"
            )));
        }
        f(client)
    });
    if let Err(e) = result {
        raise(&e);
    }
}

/// AFTER UPDATE FOR EACH STATEMENT on the users table.
#[pg_trigger]
fn _on_users_update_rs<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
    let set = set_in_transaction();
    let new_table = trigger.trigger_data().tg_newtable;
    // SAFETY: the statement's new-rows transition table, alive while the trigger runs.
    let rows = if new_table.is_null() {
        0
    } else {
        unsafe { pg_sys::tuplestore_tuple_count(new_table) }
    };
    in_trigger(trigger, |client| {
        state::with_state(client, |client, st| {
            users_update::run(client, st, set.as_ref(), rows, trigger.trigger_data())
        })
        .map(|_| ())
    });
    Ok(None)
}

/// AFTER INSERT FOR EACH STATEMENT on the users table (`maintain::inserted`).
#[pg_trigger]
fn _on_users_insert_rs<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
    in_trigger(trigger, |client| {
        state::with_state(client, maintain::inserted).map(|_| ())
    });
    Ok(None)
}

/// AFTER DELETE FOR EACH STATEMENT on the users table (`maintain::deleted`).
#[pg_trigger]
fn _on_users_delete_rs<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
    in_trigger(trigger, |client| {
        state::with_state(client, maintain::deleted).map(|_| ())
    });
    Ok(None)
}

/// AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on the custom-field table
/// (`'custom'`), on each relation (`'relation', name`) and on each lookup table (`'lookup'`).
#[pg_trigger]
fn _on_table_change_rs<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
    let args = trigger.extra_args().unwrap_or_default();
    let table = match (args.first().map(String::as_str), args.get(1)) {
        (Some("relation"), Some(name)) => table_change::Table::Relation(name.clone()),
        (Some("lookup"), _) => table_change::Table::Lookup,
        _ => table_change::Table::Custom,
    };
    let Ok(op) = trigger.op() else {
        return Ok(None);
    };
    let data = trigger.trigger_data();
    in_trigger(trigger, |client| {
        state::with_state(client, |client, st| {
            table_change::run(client, st, &table, op, data)
        })
        .map(|_| ())
    });
    Ok(None)
}

thread_local! {
    /// The users columns the UPDATE statements of the current transaction set (None: any
    /// column may have changed), keyed by the local transaction id.
    static SET_IN_TRANSACTION: std::cell::RefCell<(u32, Option<BTreeSet<String>>)> =
        const { std::cell::RefCell::new((0, None)) };
}

fn local_transaction_id() -> u32 {
    // SAFETY: MyProc is this backend's PGPROC, set for the life of the backend.
    unsafe {
        if pg_sys::MyProc.is_null() {
            0
        } else {
            (*pg_sys::MyProc).lxid
        }
    }
}

/// Adds an UPDATE statement's SET list (from its BEFORE STATEMENT trigger) to the
/// transaction's.
fn note_set_columns(trigger: &PgTrigger<'_>) {
    let lxid = local_transaction_id();
    let set = set_columns(trigger);
    SET_IN_TRANSACTION.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.0 != lxid {
            *cell = (lxid, Some(BTreeSet::new()));
        }
        cell.1 = match (cell.1.take(), set) {
            (Some(mut all), Some(this)) => {
                all.extend(this);
                Some(all)
            }
            _ => None,
        };
    });
}

/// The columns the UPDATE statements of this transaction set, for the AFTER STATEMENT
/// trigger. Not that trigger's own tg_updatedcols: when an update cascades into the same
/// table (a self-referencing foreign key ON UPDATE CASCADE), Postgres fires one AFTER
/// STATEMENT trigger for the rows of both statements with the SET list of the last one.
/// The union over the transaction covers every statement whose rows it can be handed.
fn set_in_transaction() -> Option<BTreeSet<String>> {
    let lxid = local_transaction_id();
    SET_IN_TRANSACTION.with(|cell| {
        let cell = cell.borrow();
        if cell.0 == lxid {
            cell.1.clone()
        } else {
            None
        }
    })
}

/// The columns an UPDATE statement can have changed, when Postgres can tell: those it sets
/// (tg_updatedcols). Not when a BEFORE ROW UPDATE trigger is on the table (it may change any
/// column) or a stored generated column (recomputed from others): then every column may have.
fn set_columns(trigger: &PgTrigger<'_>) -> Option<BTreeSet<String>> {
    let data = trigger.trigger_data();
    // SAFETY: the TriggerData and relation of the call in progress; the relcache entry, its
    // trigger and tuple descriptors stay valid while the trigger runs, and tg_updatedcols is
    // either NULL or a Bitmapset of attribute numbers offset by
    // FirstLowInvalidHeapAttributeNumber; the foreign-key list is the relcache entry's own,
    // valid while the relation is open, of ForeignKeyCacheInfo nodes.
    unsafe {
        let rel = data.tg_relation;
        let updated = data.tg_updatedcols;
        if rel.is_null() || updated.is_null() {
            return None;
        }
        let triggers = (*rel).trigdesc;
        if !triggers.is_null() && (*triggers).trig_update_before_row {
            return None;
        }
        let desc = (*rel).rd_att;
        let constr = (*desc).constr;
        if !constr.is_null() && (*constr).has_generated_stored {
            return None;
        }
        let natts = (*desc).natts;
        let attrs = (*desc).attrs.as_slice(natts as usize);
        let mut out = BTreeSet::new();
        // The name of attribute number `attnum`, unless out of range or dropped.
        let mut add = |attnum: i32| {
            let Some(att) = usize::try_from(attnum)
                .ok()
                .and_then(|a| a.checked_sub(1))
                .and_then(|a| attrs.get(a))
            else {
                return;
            };
            if !att.attisdropped {
                let name = std::ffi::CStr::from_ptr(att.attname.data.as_ptr());
                out.insert(name.to_string_lossy().into_owned());
            }
        };
        let mut member = -1;
        loop {
            member = pg_sys::bms_next_member(updated, member);
            if member < 0 {
                break;
            }
            add(member + pg_sys::FirstLowInvalidHeapAttributeNumber);
        }
        // A column that a foreign key of the table onto itself references (its key, for
        // manager_id) may cascade into the referencing column of other rows (ON UPDATE
        // CASCADE, SET NULL, SET DEFAULT). Those rows reach this statement's AFTER trigger
        // with this SET list: the cascade runs at the same query level, where Postgres fires
        // BEFORE STATEMENT triggers once. A manager's key moved left the users reading
        // `manager.manager_id` through them stale (differential test, seed 1234).
        let keys = pg_sys::RelationGetFKeyList(rel);
        let own = (*rel).rd_id;
        let count = if keys.is_null() { 0 } else { (*keys).length };
        for i in 0..usize::try_from(count).unwrap_or(0) {
            let fk = (*(*keys).elements.add(i)).ptr_value as *const pg_sys::ForeignKeyCacheInfo;
            let Some(fk) = fk.as_ref() else {
                continue;
            };
            if fk.confrelid != own || fk.conrelid != own {
                continue;
            }
            let n = usize::try_from(fk.nkeys).unwrap_or(0).min(32);
            let referenced = fk.confkey[..n].iter().any(|&a| {
                pg_sys::bms_is_member(
                    i32::from(a) - pg_sys::FirstLowInvalidHeapAttributeNumber,
                    updated,
                )
            });
            if !referenced {
                continue;
            }
            for &a in &fk.conkey[..n] {
                add(i32::from(a));
            }
        }
        Some(out)
    }
}

/// BEFORE ... FOR EACH STATEMENT on the users and custom-field tables: the shared
/// maintenance lock, before the statement locks any row (sql/maintain.sql), exclusive for
/// TRUNCATE; and for an UPDATE of the users table, the columns it sets.
#[pg_trigger]
fn _before_statement_rs<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
    let users_table = trigger
        .extra_args()
        .ok()
        .and_then(|a| a.first().cloned())
        .as_deref()
        != Some("custom");
    let op = trigger.op().ok();
    if users_table && matches!(op, Some(PgTriggerOperation::Update)) {
        note_set_columns(trigger);
    }
    // TRUNCATE recomputes groups under the exclusive lock: asked for here at once, never
    // shared first and exclusively after.
    if matches!(op, Some(PgTriggerOperation::Truncate)) {
        advisory::maintenance_exclusive();
    } else {
        advisory::writer();
    }
    Ok(None)
}
