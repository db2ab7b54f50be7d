//! smart_groups: the thin pgrx layer. Rulesets are parsed, validated and compiled by the
//! pure-Rust `smart_groups_core`; this crate exposes that as SQL functions and ships the
//! schema under `sql/`.

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

mod args;
mod batch;
mod catalog_load;
mod catalog_tables;
mod data_checks;
mod errors;
mod explain;
mod fields;
mod formats_api;
mod groups_api;
mod guc_scope;
mod legacy;
mod live;
mod readers;
mod rules_api;
mod worker;

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    // A second copy of the library in one backend (another file: a LOAD of a copy, or
    // shared_preload_libraries naming a path the functions do not) would define the settings
    // again, which Postgres refuses with an internal error. A rendezvous variable is one
    // process-wide slot, which both copies see.
    // SAFETY: the slot is read and set here only, before anything else of the library runs.
    unsafe {
        let slot = pg_sys::find_rendezvous_variable(c"smart_groups library".as_ptr());
        if !(*slot).is_null() {
            errors::raise(&errors::DbError::LoadedTwice);
        }
        *slot = std::ptr::addr_of!(LOADED).cast_mut().cast();
    }
    worker::init();
    live::init();
}

/// What the rendezvous slot of `_PG_init` points to once the library is loaded.
static LOADED: u8 = 1;

/// The internals' schema (created by `sql/schema.sql`), declared so that functions may name
/// it: `#[pg_extern(schema = "smart_groups_internal")]`.
#[pg_schema]
mod smart_groups_internal {}

extension_sql_file!("../sql/schema.sql", name = "schema", bootstrap);
extension_sql_file!(
    "../sql/attach.sql",
    name = "attach",
    requires = [fields::_field_list]
);
extension_sql_file!(
    "../sql/maintain.sql",
    name = "maintain",
    requires = ["attach"]
);
extension_sql_file!("../sql/groups.sql", name = "groups", finalize);

#[cfg(any(test, feature = "pg_test"))]
#[pg_schema]
mod tests {
    include!("tests.rs");
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
