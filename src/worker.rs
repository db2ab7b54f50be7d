//! The background worker that applies relative-time rules (`within_last`) as time passes.
//!
//! With the library in `shared_preload_libraries`, a launcher (connected to the `postgres`
//! database, to list databases) starts one worker per database; each worker calls
//! `smart_groups.refresh_time_rules()` every `smart_groups.time_refresh_interval` and exits
//! when its database does not have the extension (the launcher looks again later).

use std::collections::HashMap;
use std::ffi::CString;
use std::time::Duration;

use pgrx::bgworkers::*;
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::prelude::*;

pub static TIME_REFRESH_INTERVAL_MS: GucSetting<i32> = GucSetting::<i32>::new(60_000);
pub static DATABASES: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);

/// How long the launcher waits between looks at the list of databases, at least.
const LAUNCHER_MIN_PERIOD: Duration = Duration::from_secs(10);

pub fn init() {
    GucRegistry::define_int_guc(
        c"smart_groups.time_refresh_interval",
        c"How often relative-time rules (within_last) are applied by the background worker.",
        c"Users whose values crossed a within_last boundary join or leave their groups at most this long after the boundary passed.",
        &TIME_REFRESH_INTERVAL_MS,
        100,
        i32::MAX,
        GucContext::Sighup,
        GucFlags::UNIT_MS,
    );
    GucRegistry::define_string_guc(
        c"smart_groups.databases",
        c"Databases the background worker maintains, comma-separated (empty: every database).",
        c"Only databases where the smart_groups extension is installed are maintained.",
        &DATABASES,
        GucContext::Sighup,
        GucFlags::default(),
    );
    // SAFETY: a plain read of a postmaster global during _PG_init.
    if unsafe { pg_sys::process_shared_preload_libraries_in_progress } {
        BackgroundWorkerBuilder::new("smart_groups launcher")
            .set_function("smart_groups_launcher_main")
            .set_library("smart_groups")
            .enable_spi_access()
            .set_restart_time(Some(LAUNCHER_MIN_PERIOD))
            .load();
    }
}

fn interval() -> Duration {
    Duration::from_millis(TIME_REFRESH_INTERVAL_MS.get().max(100) as u64)
}

fn wanted(db: &str) -> bool {
    match DATABASES.get() {
        None => true,
        Some(list) => {
            let list = list.to_string_lossy();
            list.trim().is_empty() || list.split(',').any(|d| d.trim() == db)
        }
    }
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn smart_groups_launcher_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    BackgroundWorker::connect_worker_to_spi(Some("postgres"), None);
    let mut workers: HashMap<String, DynamicBackgroundWorker> = HashMap::new();
    loop {
        let databases: Vec<String> = BackgroundWorker::transaction(|| {
            Spi::connect(|client| {
                client
                    .select(
                        "SELECT datname::text FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1",
                        None,
                        &[],
                    )
                    .map(|rows| rows.filter_map(|r| r.get::<String>(1).ok().flatten()).collect())
                    .unwrap_or_default()
            })
        });
        for db in databases.into_iter().filter(|d| wanted(d)) {
            let running = workers.get(&db).is_some_and(|w| {
                matches!(w.pid(), Ok(_) | Err(BackgroundWorkerStatus::NotYetStarted))
            });
            if running {
                continue;
            }
            let started = BackgroundWorkerBuilder::new(&format!("smart_groups time refresh {db}"))
                .set_function("smart_groups_db_worker_main")
                .set_library("smart_groups")
                .set_extra(&db)
                .enable_spi_access()
                .set_restart_time(None)
                // SAFETY: plain read of this process's pid, so the postmaster reports to us.
                .set_notify_pid(unsafe { pg_sys::MyProcPid })
                .load_dynamic();
            match started {
                Ok(w) => {
                    workers.insert(db, w);
                }
                Err(e) => log!("smart_groups: could not start the worker for database {db}: {e:?}"),
            }
        }
        if !BackgroundWorker::wait_latch(Some(interval().max(LAUNCHER_MIN_PERIOD))) {
            break;
        }
    }
}

#[pg_guard]
#[no_mangle]
pub extern "C-unwind" fn smart_groups_db_worker_main(_arg: pg_sys::Datum) {
    BackgroundWorker::attach_signal_handlers(SignalWakeFlags::SIGHUP | SignalWakeFlags::SIGTERM);
    let db = BackgroundWorker::get_extra().to_string();
    BackgroundWorker::connect_worker_to_spi(Some(&db), None);
    // The runs are READ COMMITTED whatever the database's default: only such a run moves the
    // groups' time_refreshed_at (see refresh_time_rules()). Set for the session, from the next
    // transaction on: this one has its snapshot already.
    BackgroundWorker::transaction(|| {
        if let Err(e) = Spi::run("SET default_transaction_isolation = 'read committed'") {
            log!("smart_groups: could not set the isolation level in database {db}: {e}");
        }
    });
    loop {
        let installed = BackgroundWorker::transaction(|| {
            Spi::get_one::<bool>(
                "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'smart_groups')",
            )
            .ok()
            .flatten()
            .unwrap_or(false)
        });
        if !installed {
            return;
        }
        // An error here ends the worker (the transaction is rolled back); the launcher starts
        // a new one on its next look.
        BackgroundWorker::transaction(|| {
            Spi::run("SELECT smart_groups.refresh_time_rules()").unwrap_or_else(|e| {
                log!("smart_groups: refresh_time_rules failed in database {db}: {e}");
            })
        });
        if !BackgroundWorker::wait_latch(Some(interval())) {
            break;
        }
    }
}
