//! The advisory transaction locks of the lock protocol (docs/design/lock-protocol.md), taken
//! without a statement: the same lock tags `pg_advisory_xact_lock(int4, int4)` and its
//! shared and `try` forms use, so the SQL functions of `sql/maintain.sql` and these exclude
//! each other. A `SELECT pg_advisory_xact_lock…` through SPI cost 5–15 µs on every app
//! statement and commit; the lock itself is a hash lookup in the lock table.

use pgrx::pg_sys;

/// The namespace of the maintenance lock (NAMESPACE, MAINTENANCE) and the commit lock.
pub const NAMESPACE: i32 = 1936159858;
/// Shared by every writer of membership, exclusive for changes of what groups exist or read.
pub const MAINTENANCE: i32 = 0;

/// Takes the lock (`space`, `id`) until the transaction ends, as `pg_advisory_xact_lock` and
/// `pg_advisory_xact_lock_shared` do (waiting, with PostgreSQL's deadlock detection), or with
/// `wait` false only if it is free at once, as `pg_try_advisory_xact_lock`. Returns whether
/// it is held.
pub fn lock(space: i32, id: i32, exclusive: bool, wait: bool) -> bool {
    // SAFETY: a lock tag built as SET_LOCKTAG_INT32 builds it; LockAcquire raises its errors
    // (deadlock, cancel, out of shared memory) through pgrx's guard, and the lock belongs to
    // the current resource owner as the SQL function's does.
    unsafe {
        let tag = pg_sys::LOCKTAG {
            locktag_field1: pg_sys::MyDatabaseId.to_u32(),
            locktag_field2: space as u32,
            locktag_field3: id as u32,
            locktag_field4: 2,
            locktag_type: pg_sys::LockTagType::LOCKTAG_ADVISORY as u8,
            locktag_lockmethodid: pg_sys::USER_LOCKMETHOD as u8,
        };
        let mode = if exclusive {
            pg_sys::ExclusiveLock
        } else {
            pg_sys::ShareLock
        } as pg_sys::LOCKMODE;
        pg_sys::LockAcquire(&tag, mode, false, !wait)
            != pg_sys::LockAcquireResult::LOCKACQUIRE_NOT_AVAIL
    }
}

/// The maintenance lock, shared: taken by every statement that writes membership before it
/// locks any row of ours (sql/maintain.sql).
pub fn writer() {
    lock(NAMESPACE, MAINTENANCE, false, true);
}

/// The maintenance lock, exclusive (TRUNCATE of an attached table recomputes groups).
pub fn maintenance_exclusive() {
    lock(NAMESPACE, MAINTENANCE, true, true);
}
