//! Settings for the extension's own statements only, saved at a new GUC nest level like a
//! function's SET clause: the caller's session keeps its own, and an error rolls them back
//! with the (sub)transaction.

use std::ffi::CStr;

use pgrx::pg_sys;

/// Runs `f` with `settings` (name, value) in effect.
pub fn with_settings<R>(settings: &[(&CStr, &CStr)], f: impl FnOnce() -> R) -> R {
    // SAFETY: a plain call into the GUC machinery from a backend, paired as fmgr does for
    // functions with SET clauses.
    let level = unsafe { pg_sys::NewGUCNestLevel() };
    for (name, value) in settings {
        set(name, value, pg_sys::GucAction::GUC_ACTION_SAVE);
    }
    let out = f();
    // SAFETY: closes the nest level opened above.
    unsafe { pg_sys::AtEOXact_GUC(true, level) };
    out
}

fn set(name: &CStr, value: &CStr, action: pg_sys::GucAction::Type) {
    // SAFETY: set_config_option copies both strings; errors are raised by Postgres.
    unsafe {
        pg_sys::set_config_option(
            name.as_ptr(),
            value.as_ptr(),
            pg_sys::GucContext::PGC_USERSET,
            pg_sys::GucSource::PGC_S_SESSION,
            action,
            true,
            0,
            false,
        );
    }
}

/// JIT off: the statements that evaluate many groups' rules at once carry expressions of
/// hundreds of predicates, which LLVM takes minutes and gigabytes to compile (measured on a
/// million-user UPDATE with a hundred groups) for a statement that runs once.
pub const NO_JIT: (&CStr, &CStr) = (c"jit", c"off");

/// No merge joins for the set-based statement of a large UPDATE: with the number of pairs
/// unknown to the planner (a CTE), it deleted the leavers with a merge join reading every
/// member of every group the statement touches in index order (a random heap fetch per
/// member: 18 million at a million users); a hash join reads the same partitions in order.
pub const NO_MERGE_JOIN: (&CStr, &CStr) = (c"enable_mergejoin", c"off");

/// No parallel workers: the time refresh's boundary search unites a query per relative-time
/// value, each an index range scan of a few rows, and the planner, adding up their costs,
/// ran them through a Gather whose two workers took longer to start than the scans (10 ms
/// for 0.5 ms of reading at 100 groups).
pub const NO_PARALLEL: (&CStr, &CStr) = (c"max_parallel_workers_per_gather", c"0");

/// Generic plans for the kept statements of the trigger path (see src/live/statements.rs).
pub const GENERIC_PLANS: (&CStr, &CStr) = (c"plan_cache_mode", c"force_generic_plan");

/// No nested loops for the set-based statement of an UPDATE of a large part of the users
/// table (see `users_update::BULK_FRACTION`): the planner, which cannot know how many
/// (group, user) pairs the statement's CTEs hold, probed each group's partition index once
/// per leaver (2 million probes at a million users); hash joins read those partitions once.
/// S2 at 1M users, one phase, rolled back: 226.7 and 174.0 s with nested loops, 169.4 and
/// 160.7 s without.
pub const NO_NESTED_LOOP: (&CStr, &CStr) = (c"enable_nestloop", c"off");

/// The search_path the extension's functions run with (SECURITY DEFINER ... SET
/// search_path), for its code that runs outside them: the commit-time step.
pub const FIXED_SEARCH_PATH: (&CStr, &CStr) = (c"search_path", c"pg_catalog, pg_temp");

/// Whether the transaction runs on one snapshot (REPEATABLE READ or SERIALIZABLE): what it
/// waited for is then invisible to it.
pub fn snapshot_isolation() -> bool {
    // SAFETY: a plain read of the transaction's isolation level.
    unsafe { pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 }
}
