//! Live maintenance in Rust: the statement triggers whose cost every write to the users table
//! pays. The rest of the trigger family (inserts, deletes, custom fields, relations) is in
//! `sql/maintain.sql` and shares this module's lock protocol.

mod state;
mod statements;
mod users_update;

use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use crate::errors::{raise, DbError};

type TriggerResult<'a> = Result<Option<PgHeapTuple<'a, AllocatedByPostgres>>, DbError>;

/// Runs `f` in an SPI connection that sees the trigger's transition tables.
fn in_trigger(trigger: &PgTrigger<'_>, f: impl FnOnce(&mut SpiClient<'_>) -> Result<(), DbError>) {
    let data = trigger.trigger_data() as *const pg_sys::TriggerData as *mut pg_sys::TriggerData;
    let result = Spi::connect_mut(|client| {
        // SAFETY: `data` is the TriggerData of the call in progress, alive until it returns;
        // registering it only makes its transition tables visible to this connection.
        let rc = unsafe { pg_sys::SPI_register_trigger_data(data) };
        if rc < 0 {
            return Err(DbError::Spi(format!("SPI_register_trigger_data failed ({rc})")));
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
/// maintenance lock, then the reference lock while a group reads another user's row
/// (UPDATE and TRUNCATE exclusively, INSERT and DELETE shared). See sql/maintain.sql.
#[pg_trigger]
fn _before_statement_rs<'a>(trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
    let exclusive = matches!(
        trigger.op(),
        Ok(PgTriggerOperation::Update) | Ok(PgTriggerOperation::Truncate)
    );
    in_trigger(trigger, |client| {
        statements::execute(client, "SELECT pg_advisory_xact_lock_shared(1936159858, 0)")?;
        let references = state::with_state(client, |_, st| Ok(st.has_reference_groups))?.unwrap_or(false);
        if references {
            statements::execute(
                client,
                if exclusive {
                    "SELECT pg_advisory_xact_lock(1936159858, 1)"
                } else {
                    "SELECT pg_advisory_xact_lock_shared(1936159858, 1)"
                },
            )?;
        }
        Ok(())
    });
    Ok(None)
}
