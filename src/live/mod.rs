//! Live maintenance in Rust: the statement triggers whose cost every write to the users table
//! pays. The rest of the trigger family (inserts, deletes, custom fields, relations) is in
//! `sql/maintain.sql` and shares this module's lock protocol.

mod set_codes;
mod small;
mod state;
mod statements;
mod users_update;

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::errors::{raise, DbError};

/// UPDATEs of the users table changing at most this many rows take the kept-plan path
/// (`small.rs`); larger ones one set-based statement per member_of depth.
pub static SMALL_STATEMENT_ROWS: GucSetting<i32> = GucSetting::<i32>::new(1000);

pub fn init() {
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
}

type TriggerResult<'a> = Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, DbError>;

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
    in_trigger(trigger, |client| {
        state::with_state(client, users_update::run).map(|_| ())
    });
    Ok(None)
}

/// BEFORE ... FOR EACH STATEMENT on the users and custom-field tables: the shared
/// maintenance lock, then the reference lock while a group reads another user's row. See
/// sql/maintain.sql. On the users table an UPDATE takes it exclusively only when it sets a
/// column read on referenced users (or a reference column), shared when it sets another
/// column such groups read, and not at all otherwise; INSERT and DELETE take it shared.
/// On the custom-field table UPDATE and TRUNCATE take it exclusively.
#[pg_trigger]
fn _before_statement_rs<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
    let op = trigger.op().ok();
    let users_table = trigger
        .extra_args()
        .ok()
        .and_then(|a| a.first().cloned())
        .as_deref()
        != Some("custom");
    // SAFETY: the TriggerData of the call in progress; tg_updatedcols is set for UPDATE
    // statement triggers (NULL otherwise, and bms_is_member accepts NULL).
    let updated = trigger.trigger_data().tg_updatedcols;
    in_trigger(trigger, |client| {
        statements::execute(client, "SELECT pg_advisory_xact_lock_shared(1936159858, 0)")?;
        let mode = state::with_state(client, |_, st| {
            if !st.has_reference_groups {
                return Ok(Lock::None);
            }
            Ok(match op {
                Some(PgTriggerOperation::Truncate) => Lock::Exclusive,
                Some(PgTriggerOperation::Update) if users_table => {
                    let locks = st.reference_locks()?;
                    let set = |cols: &std::collections::BTreeSet<i32>| {
                        cols.iter().any(|&a| unsafe {
                            pg_sys::bms_is_member(
                                a - pg_sys::FirstLowInvalidHeapAttributeNumber,
                                updated,
                            )
                        })
                    };
                    if set(&locks.exclusive) {
                        Lock::Exclusive
                    } else if set(&locks.shared) {
                        Lock::Shared
                    } else {
                        Lock::None
                    }
                }
                Some(PgTriggerOperation::Update) => Lock::Exclusive,
                _ => Lock::Shared,
            })
        })?
        .unwrap_or(Lock::None);
        match mode {
            Lock::None => Ok(()),
            Lock::Shared => {
                statements::execute(client, "SELECT pg_advisory_xact_lock_shared(1936159858, 1)")
            }
            Lock::Exclusive => {
                statements::execute(client, "SELECT pg_advisory_xact_lock(1936159858, 1)")
            }
        }
    });
    Ok(None)
}

enum Lock {
    None,
    Shared,
    Exclusive,
}
