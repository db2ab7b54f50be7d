//! Commit-time maintenance of the groups whose membership depends on rows other than the
//! user's own: another user's (`manager.x`), custom fields, relations.
//!
//! A group reading `manager.x` makes a user's membership depend on another user's row, and
//! two transactions can each change one side: W sets M's `x` while T moves U under M. Each
//! statement sees only committed data, so W misses U and T reads M's old `x`. Two
//! transactions recording clicks of one user likewise each count without the other's.
//! Whatever orders them must never wait while the other side may be waiting for a row the
//! app locked (that is a deadlock the app would not have had without us), and must not make
//! writers of unrelated users wait for each other. Statements cannot meet both: they hold the
//! app's row locks and will take more. A transaction that is committing takes no more of
//! them.
//!
//! So these groups (`State::at_commit`: the readers of references, custom fields and
//! relations, and the groups naming them in member_of) are maintained when the transaction
//! commits or is prepared, from the transaction callback, by this module alone; statements
//! only record which users they touched, for which groups (`defer`), and, for a changed
//! column that others read through a reference, which users' referrers to find. At commit,
//! with no further lock of the app's to wait for:
//!
//! 1. under REPEATABLE READ and SERIALIZABLE, those groups' rows FOR SHARE (a group
//!    deactivated meanwhile becomes a serialization failure), as the statements do;
//! 2. the commit lock, shared (exclusive for a transaction with too many users to lock one
//!    by one, which then excludes every other commit-time step for its duration);
//! 3. one advisory lock per user, in one order (by hash): exclusive for every user the
//!    step evaluates (the recorded ones and the referrers of the changed ones, found as the
//!    step starts) and for the changed users themselves, shared for the users their
//!    references lead to. W holds M exclusively; T, evaluating U, holds M shared: whichever
//!    comes second waits for the first to commit and then, at READ COMMITTED, reads what it
//!    committed (W finds U among M's referrers, T reads M's new `x`). Two steps evaluating
//!    one user both hold it exclusively, so they run one after the other too;
//! 4. the referrers and references are searched again with a fresh snapshot, and users that
//!    appeared meanwhile locked as well, until nothing new appears;
//! 5. the groups are evaluated for those users, member_of depth by depth, with the
//!    statements' own machinery (`evaluate`), and counted for NOTIFY.
//!
//! Only these steps write these groups' rows (besides group definition changes, which hold
//! the maintenance lock exclusively and so run when no writer does), and only while holding
//! the locks above: a step never waits for a statement.
//!
//! Under REPEATABLE READ and SERIALIZABLE the snapshot cannot see what the step waited for:
//! a step that had to wait for a user's lock fails with a serialization failure (40001),
//! which the client retries. See docs/design/lock-protocol.md.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use smart_groups_core::compile::{qualified, quote_ident};
use smart_groups_core::eval::Datum;
use smart_groups_core::rename::lookup_key;

use super::advisory::{self, NAMESPACE};
use super::depths::{self, Own, Phase};
use super::direct::{self, Spec};
use super::small;
use super::state::{self, State};
use super::statements::{self, text_array};
use crate::errors::{raise, DbError};
use crate::guc_scope::{snapshot_isolation, with_settings, FIXED_SEARCH_PATH};

/// Users recorded by one transaction beyond this are not kept one by one: the step then
/// recomputes these groups whole (memory stays bounded whatever a statement changes). Lower
/// where maintenance_work_mem holds fewer (`record_limit`).
const RECORD_LIMIT: usize = 100_000;

/// What a recorded user and a recorded pair cost the backend until the step is done with them
/// (the record, the search's rows, the decisions, the statements' arguments), rounded up from
/// the benchmark's UPDATE of every user (docs/design/engine.md, "Memory of a large
/// statement").
const BYTES_PER_USER: usize = 2_000;
const BYTES_PER_PAIR: usize = 500;

/// What one transaction's record for the step may take: maintenance_work_mem, the memory
/// PostgreSQL gives maintenance of derived data (an index build, VACUUM's dead tuples),
/// which this is. Beyond it the groups are recomputed whole, set-based, each of whose
/// statements keeps within work_mem, so the backend's memory follows the settings, not the
/// size of the statement.
fn record_memory() -> usize {
    // SAFETY: reads a setting of this backend (in kB; at least 1 MB).
    let kb = unsafe { pg_sys::maintenance_work_mem };
    usize::try_from(kb).unwrap_or(1024).saturating_mul(1024)
}

/// Users one transaction records one by one at most (`defer`).
pub fn record_limit() -> usize {
    (record_memory() / BYTES_PER_USER).clamp(1, RECORD_LIMIT)
}

/// Pairs one transaction records one by one at most (`defer_pairs`).
pub fn pair_limit() -> usize {
    (record_memory() / BYTES_PER_PAIR).clamp(1, PAIR_LIMIT)
}

/// Users locked one by one at most; a step needing more takes the commit lock exclusively.
/// Each lock is an entry of the shared lock table (max_locks_per_transaction × connections).
const LOCK_LIMIT: usize = 128;

/// Advisory lock namespaces: (NAMESPACE, COMMIT_LOCK) is the commit lock, (USER_SPACE, hash)
/// a user's. The maintenance lock is (NAMESPACE, MAINTENANCE) (`advisory.rs`).
const COMMIT_LOCK: i32 = 3;
const USER_SPACE: i32 = 1936159859;

/// How many times the step searches again for users that appeared while it waited.
const SEARCHES: usize = 4;

/// What an item is about: its cause, and the groups that cause concerns (None: every
/// commit-time group). The groups naming those follow, as group_change.
type Item = (String, Option<BTreeSet<i64>>);

#[derive(Default)]
struct Work {
    /// Item → users to evaluate.
    items: BTreeMap<Item, BTreeSet<String>>,
    /// Users whose columns others may read through a reference.
    referents: BTreeSet<String>,
    /// The groups their referrers are evaluated for, or every group reading references.
    readers: BTreeSet<i64>,
    all_readers: bool,
    /// Pairs recorded one by one (`defer_pairs`): user → the groups to decide them in, each
    /// with the cause to log.
    pairs: BTreeMap<String, BTreeMap<i64, &'static str>>,
    recorded: usize,
    paired: usize,
    /// Too many users were recorded: recompute these groups whole (and those naming them),
    /// or every commit-time group.
    whole: Option<Whole>,
    /// Lookup rows that changed: their users are searched at commit (`defer_lookup`).
    lookups: Vec<LookupSearch>,
}

/// The users pointing to changed lookup rows, to search at commit: `sql` takes the rows' keys
/// as text (`$1`) and returns the users' keys; `groups` read the changed columns, `readers`
/// among them through a reference (their referrers are evaluated too).
pub struct LookupSearch {
    /// The lookup table, `schema.name` (`lookup_hash`).
    pub table: String,
    pub sql: String,
    pub keys: Vec<String>,
    pub groups: Vec<i64>,
    pub readers: Vec<i64>,
}

#[derive(Default)]
struct Whole {
    groups: BTreeSet<i64>,
    all: bool,
}

impl Whole {
    fn add(&mut self, groups: Option<&BTreeSet<i64>>) {
        match groups {
            Some(g) => self.groups.extend(g.iter().copied()),
            None => self.all = true,
        }
    }
}

impl Work {
    fn is_empty(&self) -> bool {
        self.whole.is_none()
            && self.items.is_empty()
            && self.referents.is_empty()
            && self.pairs.is_empty()
            && self.lookups.is_empty()
    }

    /// Recomputes `groups` whole at commit, and `readers` (`sets`): added to the groups
    /// recomputed whole already, or everything recorded so far becomes that.
    fn go_whole(
        &mut self,
        groups: Option<&BTreeSet<i64>>,
        readers: &Option<Option<BTreeSet<i64>>>,
    ) {
        if let Some(whole) = self.whole.as_mut() {
            whole.add(groups);
            if let Some(r) = readers {
                whole.add(r.as_ref());
            }
            return;
        }
        self.become_whole(groups, readers.as_ref().map(Option::as_ref));
    }

    /// What recomputing whole covers of what is recorded so far, plus `more`: every group an
    /// item, a pair or a referent concerns.
    fn become_whole(
        &mut self,
        more: Option<&BTreeSet<i64>>,
        readers_too: Option<Option<&BTreeSet<i64>>>,
    ) {
        let mut whole = Whole::default();
        for (_, g) in self.items.keys() {
            whole.add(g.as_ref());
        }
        for groups in self.pairs.values() {
            whole.groups.extend(groups.keys().copied());
        }
        if !self.referents.is_empty() || readers_too.is_some() {
            if self.all_readers || matches!(readers_too, Some(None)) {
                whole.all = true;
            }
            whole.groups.extend(self.readers.iter().copied());
            if let Some(Some(r)) = readers_too {
                whole.groups.extend(r.iter().copied());
            }
        }
        whole.add(more);
        // The changed lookup rows stay: the step searches their users before it recomputes
        // (`step`), and those users' groups are recomputed with the rest.
        let lookups = std::mem::take(&mut self.lookups);
        *self = Work {
            whole: Some(whole),
            lookups,
            ..Work::default()
        };
    }
}

/// Pairs a statement changed at most per transaction, recorded one by one; beyond it the
/// groups are recomputed whole. Lower where memory is (`pair_limit`).
const PAIR_LIMIT: usize = 1_000_000;

/// Records changed lookup rows whose users the commit-time step searches and decides. The
/// search waits for the commit lock held exclusively: a transaction moving a user to one of
/// those rows either committed before it (at READ COMMITTED the search finds the user) or
/// decides that user after this transaction commits (and reads the changed row), never in
/// between with the row as it was (`pg_test/isolation/specs/lookup_rename.spec`).
pub fn defer_lookup(search: LookupSearch) {
    if search.keys.is_empty() {
        return;
    }
    WORK.with(|w| w.borrow_mut().lookups.push(search));
}

/// Records (group, user) pairs to decide at commit, each logged with its cause: a large
/// statement's users whose own-row rules flipped (`users_update::defer_at_commit`), the users
/// crossing a group's relative-time boundary (`time_refresh`); the groups naming those follow
/// as for `defer`.
pub fn defer_pairs(pairs: Vec<small::Pair>) {
    if pairs.is_empty() {
        return;
    }
    WORK.with(|w| {
        let mut w = w.borrow_mut();
        let groups: BTreeSet<i64> = pairs.iter().map(|p| p.0).collect();
        if let Some(whole) = w.whole.as_mut() {
            whole.add(Some(&groups));
            return;
        }
        w.paired += pairs.len();
        if w.paired > pair_limit() {
            w.become_whole(Some(&groups), None);
            return;
        }
        for (g, k, cause, _) in pairs {
            let e = w.pairs.entry(k).or_default().entry(g).or_insert(cause);
            small::prevail(e, cause);
        }
    });
}

thread_local! {
    static WORK: RefCell<Work> = RefCell::new(Work::default());
}

/// Records that `groups` (None: every commit-time group), and with `referents` those reading
/// the changed users through a reference, are recomputed whole at commit: what `defer` does
/// past `record_limit`, for a statement that knows its users are more than that before it
/// lists them.
pub fn defer_whole(groups: Option<&[i64]>, referents: Referents<'_>) {
    let (groups, readers) = sets(groups, referents);
    WORK.with(|w| w.borrow_mut().go_whole(groups.as_ref(), &readers));
}

/// Records users whose membership of commit-time groups must be decided at commit: of
/// `groups` (None: all of them), logged with `cause`, and of the groups naming those.
/// `referents`: the users' data that groups read through references changed, so the users
/// referring to them are evaluated too, for those groups.
pub fn defer(keys: &[String], cause: &str, groups: Option<&[i64]>, referents: Referents<'_>) {
    if keys.is_empty() {
        return;
    }
    let (groups_set, readers) = sets(groups, referents);
    WORK.with(|w| {
        let mut w = w.borrow_mut();
        let over = w.whole.is_none() && {
            w.recorded += keys.len() * if readers.is_some() { 2 } else { 1 };
            w.recorded > record_limit()
        };
        if w.whole.is_some() || over {
            w.go_whole(groups_set.as_ref(), &readers);
            return;
        }
        if let Some(readers) = readers {
            w.referents.extend(keys.iter().cloned());
            match readers {
                Some(g) => w.readers.extend(g),
                None => w.all_readers = true,
            }
        }
        w.items
            .entry((cause.to_string(), groups_set))
            .or_default()
            .extend(keys.iter().cloned());
    });
}

/// `groups` as a set, and the groups whose referrers are evaluated: None for no referrers,
/// Some(None) for every group reading references.
fn sets(
    groups: Option<&[i64]>,
    referents: Referents<'_>,
) -> (Option<BTreeSet<i64>>, Option<Option<BTreeSet<i64>>>) {
    let readers = match referents {
        Referents::No => None,
        Referents::For(g) => Some(Some(g.iter().copied().collect())),
        Referents::ForAll => Some(None),
    };
    (groups.map(|g| g.iter().copied().collect()), readers)
}

/// Whether, and for which groups, the referrers of recorded users are evaluated.
#[derive(Clone, Copy)]
pub enum Referents<'a> {
    No,
    For(&'a [i64]),
    ForAll,
}

/// Forgets the transaction's work (it aborted, or was prepared or committed).
pub fn forget() {
    WORK.with(|w| *w.borrow_mut() = Work::default());
}

/// `_defer(keys, cause, groups, referents)`: `defer` for plpgsql callers (groups NULL: all).
#[pg_extern(volatile, parallel_unsafe, schema = "smart_groups_internal")]
fn _defer(
    keys: Option<Vec<Option<String>>>,
    cause: &str,
    groups: Option<Vec<Option<i64>>>,
    referents: default!(bool, false),
) {
    let keys: Vec<String> = keys.into_iter().flatten().flatten().collect();
    let groups: Option<Vec<i64>> = groups.map(|g| g.into_iter().flatten().collect());
    let referents = if referents {
        Referents::ForAll
    } else {
        Referents::No
    };
    defer(&keys, cause, groups.as_deref(), referents);
}

/// `_commit_time_groups()`: the active groups maintained at commit.
#[pg_extern(volatile, parallel_unsafe, schema = "smart_groups_internal")]
fn _commit_time_groups() -> Vec<i64> {
    match Spi::connect_mut(|client| state::with_state(client, |_, st| Ok(st.at_commit.clone()))) {
        Ok(ids) => ids.unwrap_or_default(),
        Err(e) => raise(&e),
    }
}

/// The commit-time step, from the transaction callback (`pending.rs`) before the transaction
/// commits or is prepared, and from `refresh_time_rules()` (`time_refresh.rs`), whose callers
/// read the membership in the same transaction (at the `now()` the boundaries were applied
/// for): it runs last there, after every lock that function takes, as it would at commit.
/// Returns how many joins and leaves it wrote.
pub fn run() -> i64 {
    let work = WORK.with(|w| std::mem::take(&mut *w.borrow_mut()));
    if work.is_empty() {
        return 0;
    }
    // At commit no portal runs, so no snapshot is active: SPI needs one to start from (each
    // of its statements takes its own at READ COMMITTED).
    // SAFETY: pushed and popped around the step; an error in between aborts the
    // transaction, whose cleanup pops what is left.
    unsafe { pg_sys::PushActiveSnapshot(pg_sys::GetTransactionSnapshot()) };
    let result = with_settings(&[FIXED_SEARCH_PATH], || {
        Spi::connect_mut(|client| {
            as_owner(client, |client| {
                state::with_state(client, |client, st| step(client, st, work))
            })
        })
    });
    unsafe { pg_sys::PopActiveSnapshot() };
    // Whatever the step itself recorded (the groups following a group it recomputed whole)
    // it has done already.
    forget();
    match result {
        Ok(n) => n.flatten().unwrap_or(0),
        Err(e) => raise(&e),
    }
}

/// Runs `f` as the extension's owner, as the triggers and API functions run (SECURITY
/// DEFINER): the transaction committing may be an app role's, with no right to our tables.
fn as_owner<R>(
    client: &mut SpiClient<'_>,
    f: impl FnOnce(&mut SpiClient<'_>) -> Result<R, DbError>,
) -> Result<Option<R>, DbError> {
    let owner = super::direct::extension_owner();
    // Dropped in this very transaction, after its writes: nothing is left to maintain.
    let Some(owner) = owner else {
        return Ok(None);
    };
    let mut user = pg_sys::InvalidOid;
    let mut context = 0;
    // SAFETY: the user id and security context are saved and restored around `f`; should
    // `f` raise an error, the transaction's abort restores them.
    unsafe {
        pg_sys::GetUserIdAndSecContext(&mut user, &mut context);
        pg_sys::SetUserIdAndSecContext(
            owner,
            context | pg_sys::SECURITY_LOCAL_USERID_CHANGE as i32,
        );
    }
    let out = f(client);
    unsafe { pg_sys::SetUserIdAndSecContext(user, context) };
    out.map(Some)
}

fn step(client: &mut SpiClient<'_>, st: &mut State, mut work: Work) -> Result<i64, DbError> {
    let groups = step_groups(st, &work);
    if groups.is_empty() {
        return Ok(0);
    }
    let snapshot = snapshot_isolation();
    if !work.lookups.is_empty() {
        lock_commit(true, snapshot)?;
        let mut changed_rows: BTreeSet<i32> = BTreeSet::new();
        for l in std::mem::take(&mut work.lookups) {
            pgrx::check_for_interrupts!();
            changed_rows.extend(l.keys.iter().map(|k| lookup_hash(&l.table, k)));
            let users = statements::query_one::<Vec<String>>(
                client,
                &l.sql,
                &[PgBuiltInOids::TEXTARRAYOID.oid()],
                &[l.keys.clone().into()],
            )?
            .unwrap_or_default();
            // Under snapshot isolation a user moved to one of the rows by a transaction that
            // committed after the snapshot is not found: that is a serialization failure.
            if snapshot {
                let mut now: Vec<String> = Vec::new();
                statements::run_latest(&l.sql, &[l.keys.into()], false, |col| {
                    // SAFETY: the statement's one column is text[].
                    now = unsafe { col(1).and_then(|d| Vec::<String>::from_datum(d, false)) }
                        .unwrap_or_default();
                })?;
                let ours: BTreeSet<&String> = users.iter().collect();
                if now.iter().collect::<BTreeSet<_>>() != ours {
                    return Err(DbError::SerializationFailure);
                }
            }
            if users.is_empty() {
                continue;
            }
            let item = (
                super::users_update::USER.to_string(),
                Some(l.groups.iter().copied().collect()),
            );
            if !l.readers.is_empty() {
                work.referents.extend(users.iter().cloned());
                work.readers.extend(l.readers);
            }
            work.items.entry(item).or_default().extend(users);
        }
        // The changed rows' marks: a step that decided users from these rows as its
        // snapshot showed them before this commit fails (`lookup_rows_unchanged`).
        bump_marks(client, &changed_rows)?;
    }
    if snapshot {
        super::small::lock_groups(client, &groups)?;
    }
    if let Some(mut whole) = work.whole {
        lock_commit(true, snapshot)?;
        // The users of changed lookup rows found above are recomputed with their groups
        // (and the groups reading them through a reference, for their referrers).
        for (_, groups) in work.items.keys() {
            whole.add(groups.as_ref());
        }
        whole.groups.extend(work.readers.iter().copied());
        whole.all |= work.all_readers;
        // The groups naming those recomputed follow them whole too (in depth order).
        let mut chosen = whole.groups;
        for &id in &groups {
            if whole.all || st.names(id).any(|n| chosen.contains(&n)) {
                chosen.insert(id);
            }
        }
        let ids: Vec<i64> = groups
            .iter()
            .copied()
            .filter(|id| chosen.contains(id))
            .collect();
        return recompute(client, &ids);
    }
    let reads = References::of(st, &concerned(st, &groups, &work));
    let users: BTreeSet<String> = work
        .items
        .values()
        .flatten()
        .chain(work.pairs.keys())
        .cloned()
        .collect();
    let mut found = search(client, st, &users, &work.referents, &reads)?;
    let whole = found.len() > LOCK_LIMIT;
    lock_commit(whole, snapshot)?;
    let mut held: BTreeMap<i32, bool> = BTreeMap::new();
    if !whole {
        lock_users(&found, &mut held, snapshot)?;
        // At READ COMMITTED each statement sees what the steps we waited for committed:
        // users they moved under ours are found now. With no changed referents and rules
        // reading one reference deep, the set cannot grow: the users' own references are
        // their own rows, which whoever moves them evaluates too.
        let may_grow = !work.referents.is_empty() || reads.depth > 1;
        for _ in 0..SEARCHES {
            if snapshot || !may_grow {
                break;
            }
            found = search(client, st, &users, &work.referents, &reads)?;
            if !lock_users(&found, &mut held, snapshot)? {
                break;
            }
        }
    } else if !snapshot {
        found = search(client, st, &users, &work.referents, &reads)?;
    }
    if snapshot && !reads.columns.is_empty() {
        same_as_committed_now(st, &users, &work.referents, &reads, &found)?;
    }
    // The marks this step bumps no other step writes meanwhile: it holds their users' locks
    // exclusively, or the commit lock so.
    let sole = whole
        || found
            .iter()
            .filter(|f| f.exclusive)
            .all(|f| held.get(&user_hash(&f.key)) == Some(&true));
    mark_users(client, &found, snapshot, sole)?;
    if snapshot {
        lookup_rows_unchanged(client, st, &groups, &users, &found)?;
    }
    let referrers: Vec<String> = found
        .iter()
        .filter(|k| k.referrer)
        .map(|k| k.key.clone())
        .collect();
    let mut items = work.items;
    if !referrers.is_empty() {
        let readers: BTreeSet<i64> = if work.all_readers {
            groups
                .iter()
                .copied()
                .filter(|id| st.group(*id).is_some_and(|g| g.reads_references()))
                .collect()
        } else {
            work.readers
        };
        items
            .entry((super::users_update::USER.to_string(), Some(readers)))
            .or_default()
            .extend(referrers);
    }
    evaluate(client, st, &groups, items, work.pairs)
}

/// The groups the step decides, in depth order: the active groups maintained at commit, and
/// those the recorded work names that a later statement of the transaction took off that list
/// (new rules reading no custom field, reference, relation or lookup): what was recorded for
/// them is still owed (a member_of follower's leave, recorded when the group it names was
/// refreshed, was lost when set_rules then made both plain groups).
fn step_groups(st: &State, work: &Work) -> Vec<i64> {
    let named: BTreeSet<i64> = work
        .items
        .keys()
        .filter_map(|(_, g)| g.as_ref())
        .flatten()
        .chain(work.pairs.values().flat_map(|m| m.keys()))
        .chain(work.readers.iter())
        .chain(work.whole.iter().flat_map(|w| w.groups.iter()))
        .copied()
        .collect();
    st.groups
        .iter()
        .map(|g| g.id)
        .filter(|id| st.is_at_commit(*id) || named.contains(id))
        .collect()
}

/// The commit-time groups the step may evaluate: those its items name (every one, for an
/// item naming none), the readers of references when referents changed, and, transitively,
/// the groups naming any of those (they follow a changed membership). Only their references
/// are searched and locked: a click concerns the groups reading clicks, and when none of
/// them reads `manager.x` there is no manager to lock and no chain to search.
fn concerned(st: &State, groups: &[i64], work: &Work) -> Vec<i64> {
    let everything = work.items.keys().any(|(_, g)| g.is_none())
        || (!work.referents.is_empty() && work.all_readers);
    if everything {
        return groups.to_vec();
    }
    let mut chosen: BTreeSet<i64> = work
        .items
        .keys()
        .filter_map(|(_, g)| g.as_ref())
        .flatten()
        .chain(work.pairs.values().flat_map(|m| m.keys()))
        .copied()
        .collect();
    if !work.referents.is_empty() {
        chosen.extend(work.readers.iter().copied());
    }
    // `groups` is in depth order: a group comes after every group it names.
    for &id in groups {
        if st.names(id).any(|n| chosen.contains(&n)) {
            chosen.insert(id);
        }
    }
    groups
        .iter()
        .copied()
        .filter(|id| chosen.contains(id))
        .collect()
}

/// What the commit-time groups read through references.
struct References {
    columns: Vec<String>,
    depth: i32,
}

impl References {
    fn of(st: &State, groups: &[i64]) -> References {
        let readers = groups.iter().filter_map(|id| st.group(*id));
        let mut columns = BTreeSet::new();
        let mut depth = 0;
        for g in readers {
            columns.extend(g.reference_columns.iter().cloned());
            depth = depth.max(g.reference_depth);
        }
        References {
            columns: columns.into_iter().collect(),
            depth,
        }
    }
}

/// A user the step locks: exclusively if it evaluates or changed them, shared if their row
/// is read through a reference; `referrer`: found as referring to a changed user.
struct Found {
    key: String,
    exclusive: bool,
    referrer: bool,
}

/// The users to lock, with a fresh snapshot at READ COMMITTED: `users` and `referents`
/// and the users referring to `referents` as far as the rules read (`referrer`; a user may
/// come twice, recorded and as a referrer), exclusively; the users that the references of
/// all those lead to, as far, shared. Keys as the key type prints them, however they were
/// recorded. Through the users table's indexes (`search_direct`), else one kept statement
/// per shape of the users table.
fn search(
    client: &mut SpiClient<'_>,
    st: &State,
    users: &BTreeSet<String>,
    referents: &BTreeSet<String>,
    reads: &References,
) -> Result<Vec<Found>, DbError> {
    if let Some(found) = search_direct(client, st, users, referents, reads)? {
        return Ok(found);
    }
    let users: Vec<String> = users.iter().cloned().collect();
    let referents: Vec<String> = referents.iter().cloned().collect();
    statements::run(
        client,
        &search_sql(st, reads),
        &[text_array(), text_array(), PgBuiltInOids::INT4OID.oid()],
        &[users.into(), referents.into(), reads.depth.into()],
        |rows| {
            let mut out = Vec::new();
            for row in rows {
                if let Some(key) = row.get::<String>(1)? {
                    out.push(Found {
                        key,
                        exclusive: row.get::<bool>(2)?.unwrap_or(true),
                        referrer: row.get::<bool>(3)?.unwrap_or(false),
                    });
                }
            }
            Ok(out)
        },
    )
}

/// `search` without a statement, through the indexes of the users table's key and
/// reference columns, level by level as the statement's recursion goes (`reach`). None
/// where an index cannot serve, or the key and reference columns differ in type: the
/// statement then runs.
fn search_direct(
    client: &mut SpiClient<'_>,
    st: &State,
    users: &BTreeSet<String>,
    referents: &BTreeSet<String>,
    reads: &References,
) -> Result<Option<Vec<Found>>, DbError> {
    let referents: Vec<String> = referents.iter().cloned().collect();
    let referents: BTreeSet<String> = st.printed_keys(client, &referents)?.into_iter().collect();
    let users: Vec<String> = users.iter().cloned().collect();
    let mut own: BTreeSet<String> = st.printed_keys(client, &users)?.into_iter().collect();
    own.extend(referents.iter().cloned());
    let found = |k: &String, exclusive, referrer| Found {
        key: k.clone(),
        exclusive,
        referrer,
    };
    if reads.columns.is_empty() {
        return Ok(Some(own.iter().map(|k| found(k, true, false)).collect()));
    }
    let table = &st.users_name;
    let key = st.key_column.as_str();
    let mut typed = vec![key];
    typed.extend(reads.columns.iter().map(String::as_str));
    if !direct::same_type(table, &typed) {
        return Ok(None);
    }
    let no_kind = |_: &str| None;
    // Down: the users whose reference columns lead to a referent, as many levels deep.
    let refs = reach(referents, reads.depth, |frontier| {
        let mut next = BTreeSet::new();
        for c in &reads.columns {
            let spec = Spec::new(table.clone(), c).column("k", key, true);
            next.extend(
                direct::read(&spec, frontier, &no_kind)?
                    .rows
                    .into_iter()
                    .map(|(k, _)| k),
            );
        }
        Some(next)
    });
    let Some(refs) = refs else {
        return Ok(None);
    };
    // Up: where the references of those users and of the referrers lead, as far.
    let leads_spec = reads.columns.iter().fold(
        Spec::new(table.clone(), key).column("k", key, true),
        |s, c| s.column(c, c, true),
    );
    let leads = reach(
        own.union(&refs).cloned().collect(),
        reads.depth,
        |frontier| {
            let mut next = BTreeSet::new();
            for (_, row) in direct::read(&leads_spec, frontier, &no_kind)?.rows {
                for value in row.into_values() {
                    if let Datum::Text(k) | Datum::Number(k) = value {
                        next.insert(k);
                    }
                }
            }
            Some(next)
        },
    );
    let Some(leads) = leads else {
        return Ok(None);
    };
    let mut out: Vec<Found> = own.iter().map(|k| found(k, true, false)).collect();
    out.extend(refs.iter().map(|k| found(k, true, true)));
    out.extend(
        leads
            .iter()
            .filter(|k| !own.contains(*k) && !refs.contains(*k))
            .map(|k| found(k, false, false)),
    );
    Ok(Some(out))
}

/// The users reached from `start` in 1 to `depth` steps of `next` (the users one step from
/// a frontier). A user reached twice is followed once, from the nearer level: what is
/// reached within `depth` is the same. None when `next` cannot tell.
fn reach(
    start: BTreeSet<String>,
    depth: i32,
    mut next: impl FnMut(&[String]) -> Option<BTreeSet<String>>,
) -> Option<BTreeSet<String>> {
    let mut frontier: Vec<String> = start.iter().cloned().collect();
    let mut seen = start;
    let mut reached = BTreeSet::new();
    for _ in 0..depth {
        if frontier.is_empty() {
            break;
        }
        let step = next(&frontier)?;
        reached.extend(step.iter().cloned());
        frontier = step
            .into_iter()
            .filter(|k| seen.insert(k.clone()))
            .collect();
    }
    Some(reached)
}

/// Under snapshot isolation the search follows references as the snapshot shows them. A
/// user moved under a changed referent by a transaction that committed after the snapshot
/// (its step evaluated the user with the referent's row as it was: this one's change was
/// not committed) is not among the referrers found, and would keep a membership decided
/// from the old row (isolation spec relation_snapshot). Once the users are locked, the
/// search is run again as committed now; another result is a serialization failure.
fn same_as_committed_now(
    st: &State,
    users: &BTreeSet<String>,
    referents: &BTreeSet<String>,
    reads: &References,
    found: &[Found],
) -> Result<(), DbError> {
    let users: Vec<String> = users.iter().cloned().collect();
    let referents: Vec<String> = referents.iter().cloned().collect();
    let mut now: BTreeSet<(String, bool, bool)> = BTreeSet::new();
    statements::run_latest(
        &search_sql(st, reads),
        &[users.into(), referents.into(), reads.depth.into()],
        false,
        |col| {
            // SAFETY: the statement's columns are text, boolean, boolean.
            unsafe {
                if let Some(key) = col(1).and_then(|d| String::from_datum(d, false)) {
                    now.insert((
                        key,
                        col(2)
                            .and_then(|d| bool::from_datum(d, false))
                            .unwrap_or(true),
                        col(3)
                            .and_then(|d| bool::from_datum(d, false))
                            .unwrap_or(false),
                    ));
                }
            }
        },
    )?;
    let ours: BTreeSet<(String, bool, bool)> = found
        .iter()
        .map(|f| (f.key.clone(), f.exclusive, f.referrer))
        .collect();
    if ours != now {
        return Err(DbError::SerializationFailure);
    }
    Ok(())
}

/// `_commit_keys(users, referents, depth)`: what the commit-time step would lock for these
/// users, with the reference columns the commit-time groups read, `depth` references deep.
#[pg_extern(volatile, parallel_unsafe, schema = "smart_groups_internal")]
fn _commit_keys(
    users: Vec<Option<String>>,
    referents: Vec<Option<String>>,
    depth: i32,
) -> TableIterator<
    'static,
    (
        name!(k, String),
        name!(exclusive, bool),
        name!(referrer, bool),
    ),
> {
    let users: BTreeSet<String> = users.into_iter().flatten().collect();
    let referents: BTreeSet<String> = referents.into_iter().flatten().collect();
    let found = Spi::connect_mut(|client| {
        state::with_state(client, |client, st| {
            let mut reads = References::of(st, &st.at_commit.clone());
            reads.depth = depth;
            search(client, st, &users, &referents, &reads)
        })
    });
    match found {
        Ok(found) => TableIterator::new(
            found
                .unwrap_or_default()
                .into_iter()
                .map(|f| (f.key, f.exclusive, f.referrer)),
        ),
        Err(e) => raise(&e),
    }
}

/// `$1` users, `$2` referents (text[]), `$3` how many references deep the rules read.
fn search_sql(st: &State, reads: &References) -> String {
    let kt = &st.key_type;
    let own = format!("SELECT DISTINCT x::{kt} AS k FROM unnest($1::text[] || $2::text[]) x");
    if reads.columns.is_empty() {
        return format!("SELECT o.k::text, true, false FROM ({own}) o");
    }
    let key = quote_ident(&st.key_column);
    let users = &st.users_table;
    let cols: Vec<String> = reads.columns.iter().map(|c| quote_ident(c)).collect();
    let refers: Vec<String> = cols.iter().map(|c| format!("u.{c} = d.k")).collect();
    let leads: Vec<String> = cols.iter().map(|c| format!("(u.{c})")).collect();
    // Each step is a lateral probe by the previous step's users (through the key and the
    // reference columns' indexes; OFFSET 0 keeps the planner from flattening it into a join
    // planned for the whole table, which the kept generic plan hashed: 17 ms at 20k users). A recursive term may name its CTE once, so the reference columns
    // are ORed one way and unpivoted the other.
    format!(
        "WITH RECURSIVE own AS ({own}), \
           down(k, d) AS (SELECT x::{kt}, 0 FROM unnest($2::text[]) x \
                          UNION SELECT r.k, d.d + 1 FROM down d CROSS JOIN LATERAL \
                                (SELECT u.{key} AS k FROM {users} u WHERE {refers} OFFSET 0) r WHERE d.d < $3), \
           refs AS (SELECT DISTINCT k FROM down WHERE d > 0), \
           up(k, d) AS (SELECT k, 0 FROM (SELECT k FROM own UNION SELECT k FROM refs) s \
                        UNION SELECT r.v, up.d + 1 FROM up CROSS JOIN LATERAL \
                              (SELECT v FROM {users} u, LATERAL (VALUES {leads}) l(v) \
                                WHERE u.{key} = up.k AND l.v IS NOT NULL OFFSET 0) r WHERE up.d < $3) \
         SELECT k::text, true, false FROM own \
         UNION ALL SELECT k::text, true, true FROM refs \
         UNION ALL SELECT DISTINCT up.k::text, false, false FROM up \
          WHERE up.d > 0 AND NOT EXISTS (SELECT FROM own WHERE own.k = up.k) \
            AND NOT EXISTS (SELECT FROM refs WHERE refs.k = up.k)",
        refers = refers.join(" OR "),
        leads = leads.join(", "),
    )
}

/// FNV-1a of the key's text: the same in every backend, so every step orders its locks alike.
/// The step mark of a lookup row: `table` (`schema.name`) and its key as text.
fn lookup_hash(table: &str, key: &str) -> i32 {
    user_hash(&format!("\u{1}lookup\u{1}{table}\u{1}{key}"))
}

/// Bumps the step marks `marks` (`mark_users`).
fn bump_marks(client: &mut SpiClient<'_>, marks: &BTreeSet<i32>) -> Result<(), DbError> {
    if marks.is_empty() {
        return Ok(());
    }
    statements::run(
        client,
        "INSERT INTO smart_groups_internal.step_marks AS m (h) \
         SELECT h FROM unnest($1::int4[]) h ORDER BY h \
         ON CONFLICT (h) DO UPDATE SET n = m.n + 1",
        &[PgBuiltInOids::INT4ARRAYOID.oid()],
        &[marks.iter().copied().collect::<Vec<i32>>().into()],
        |_| Ok(()),
    )
}

/// Under snapshot isolation, the lookup rows the evaluated users point to (for the groups
/// reading lookups) must not have changed since the snapshot: a rename committed after it
/// searched its users as committed then, before this step's users pointed there, and this
/// step would decide them from the row as it was (isolation spec lookup_rename). Another
/// mark than the snapshot's is a serialization failure.
fn lookup_rows_unchanged(
    client: &mut SpiClient<'_>,
    st: &mut State,
    groups: &[i64],
    users: &BTreeSet<String>,
    found: &[Found],
) -> Result<(), DbError> {
    let readers: Vec<i64> = groups
        .iter()
        .copied()
        .filter(|id| st.group(*id).is_some_and(|g| g.reads_lookups))
        .collect();
    let mut reads: BTreeSet<(Option<String>, String, String)> = BTreeSet::new();
    for id in readers {
        for l in st.lookup_reads(id)? {
            reads.insert((l.relation, l.fk, lookup_key(&l.table)));
        }
    }
    if reads.is_empty() {
        return Ok(());
    }
    let keys: Vec<String> = users
        .iter()
        .cloned()
        .chain(found.iter().map(|f| f.key.clone()))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if keys.is_empty() {
        return Ok(());
    }
    let catalog = st.catalog()?.clone();
    let mut marks: BTreeSet<i32> = BTreeSet::new();
    for (relation, fk, table) in reads {
        let (from, user) = match &relation {
            None => (
                qualified(&catalog.users.table),
                quote_ident(&catalog.users.key_column),
            ),
            Some(name) => match catalog.relation(name) {
                Some(r) => (qualified(&r.table), quote_ident(&r.user_column)),
                None => continue,
            },
        };
        let sql = format!(
            "SELECT array_agg(DISTINCT t.{}::text) FROM {from} t WHERE t.{user}::text = ANY ($1)",
            quote_ident(&fk)
        );
        let pointed = statements::query_one::<Vec<Option<String>>>(
            client,
            &sql,
            &[PgBuiltInOids::TEXTARRAYOID.oid()],
            &[keys.clone().into()],
        )?
        .unwrap_or_default();
        marks.extend(pointed.iter().flatten().map(|k| lookup_hash(&table, k)));
    }
    if marks.is_empty() {
        return Ok(());
    }
    marks_unchanged(client, marks.into_iter().collect())
}

/// A serialization failure unless the marks `hashes` are as this transaction's snapshot saw
/// them: no step that committed since bumped one (users' marks, lookup rows' marks).
fn marks_unchanged(client: &mut SpiClient<'_>, hashes: Vec<i32>) -> Result<(), DbError> {
    const SQL: &str = "SELECT count(*), coalesce(sum(n), 0)::bigint \
         FROM smart_groups_internal.step_marks WHERE h = ANY ($1)";
    statements::unchanged_since_snapshot(
        client,
        SQL,
        &[PgBuiltInOids::INT4ARRAYOID.oid()],
        &[hashes.into()],
    )
}

fn user_hash(key: &str) -> i32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as i32
}

/// Locks the users of `found` not yet in `held` (hash → exclusive), in hash order. Returns
/// whether any was new. A lock held shared that is now wanted exclusively stays shared: the
/// step never upgrades a lock (see docs/design/lock-protocol.md).
fn lock_users(
    found: &[Found],
    held: &mut BTreeMap<i32, bool>,
    snapshot: bool,
) -> Result<bool, DbError> {
    let mut wanted: BTreeMap<i32, bool> = BTreeMap::new();
    for f in found {
        let h = user_hash(&f.key);
        if !held.contains_key(&h) {
            let e = wanted.entry(h).or_insert(false);
            *e |= f.exclusive;
        }
    }
    if wanted.is_empty() {
        return Ok(false);
    }
    let order: Vec<(i32, bool)> = wanted.iter().map(|(h, e)| (*h, *e)).collect();
    held.extend(wanted);
    // In hash order. Under snapshot isolation each is tried, stopping at the first lock
    // another transaction holds: the wait below then holds only locks before it in that
    // order. Trying every lock and waiting for the first missed one held later ones too, and
    // two such steps deadlocked (40P01 in the load test at SERIALIZABLE).
    for (h, exclusive) in order {
        pgrx::check_for_interrupts!();
        if !advisory::lock(USER_SPACE, h, exclusive, !snapshot) {
            // A lock another transaction holds means under snapshot isolation that it may
            // have changed what this one evaluates, unseen by its snapshot: wait for it,
            // then fail with a serialization failure the client retries.
            advisory::lock(USER_SPACE, h, exclusive, true);
            return Err(DbError::SerializationFailure);
        }
    }
    Ok(true)
}

/// Leaves a trace of the step in the users it evaluates: the mark of each one's lock hash
/// (`smart_groups_internal.step_marks`), bumped by every step whatever its isolation level.
/// A user's lock orders two steps only while both transactions are open: a step under
/// REPEATABLE READ or SERIALIZABLE that begins after another step evaluating the same user
/// committed (after this transaction's snapshot) waits for nothing, and would decide the user
/// from data its snapshot does not show (a click, a custom field: isolation spec
/// relation_snapshot). Bumping a row another transaction bumped after the snapshot is what
/// PostgreSQL refuses there, with a serialization failure (40001) the client retries. The
/// users read only through references (locked shared) are not bumped, which would make
/// readers of one manager conflict; under snapshot isolation their marks are compared as
/// the snapshot shows them and as committed now. At READ COMMITTED, with every mark's lock
/// held exclusively (`sole`), the rows are bumped without a statement (`direct::bump_marks`).
fn mark_users(
    client: &mut SpiClient<'_>,
    found: &[Found],
    snapshot: bool,
    sole: bool,
) -> Result<(), DbError> {
    let mut evaluated: BTreeSet<i32> = BTreeSet::new();
    let mut read: BTreeSet<i32> = BTreeSet::new();
    for f in found {
        if f.exclusive {
            evaluated.insert(user_hash(&f.key));
        } else {
            read.insert(user_hash(&f.key));
        }
    }
    let direct = || !snapshot && sole && direct::bump_marks(&evaluated).is_some();
    if !evaluated.is_empty() && !direct() {
        bump_marks(client, &evaluated)?;
    }
    let read: Vec<i32> = read.difference(&evaluated).copied().collect();
    if snapshot && !read.is_empty() {
        marks_unchanged(client, read)?;
    }
    Ok(())
}

/// The commit lock. Under snapshot isolation, as for users' locks (`lock_users`): waiting
/// for it means failing with a serialization failure once it is ours.
fn lock_commit(exclusive: bool, snapshot: bool) -> Result<(), DbError> {
    if !advisory::lock(NAMESPACE, COMMIT_LOCK, exclusive, !snapshot) {
        advisory::lock(NAMESPACE, COMMIT_LOCK, exclusive, true);
        return Err(DbError::SerializationFailure);
    }
    Ok(())
}

/// Recomputes the groups whole, depth by depth (`_refresh`, which follows into the groups
/// naming each).
fn recompute(client: &mut SpiClient<'_>, groups: &[i64]) -> Result<i64, DbError> {
    let mut n = 0;
    for &g in groups {
        n += statements::query_one::<i64>(
            client,
            "SELECT r.joined + r.\"left\" FROM smart_groups_internal._refresh($1, 'user_change') r",
            &[PgBuiltInOids::INT8OID.oid()],
            &[g.into()],
        )?
        .unwrap_or(0);
    }
    Ok(n)
}

/// Evaluates each item's groups, and the groups naming them, for its users, in one pass
/// over member_of depths (`depths.rs`). The item's own groups (with none named, all of them:
/// users deleted) log its cause, the groups following them group_change.
fn evaluate(
    client: &mut SpiClient<'_>,
    st: &mut State,
    groups: &[i64],
    items: BTreeMap<Item, BTreeSet<String>>,
    pairs: BTreeMap<String, BTreeMap<i64, &'static str>>,
) -> Result<i64, DbError> {
    let group_change = super::users_update::GROUP;
    let mut n = 0;
    // Pairs first, with their causes: each is decided in its group only, and followed into
    // the groups naming it, in one pass.
    if !pairs.is_empty() {
        let seeds: Vec<small::Pair> = pairs
            .into_iter()
            .flat_map(|(k, gs)| {
                gs.into_iter()
                    .filter(|(g, _)| groups.contains(g))
                    .map(move |(g, cause)| (g, k.clone(), cause, None))
            })
            .collect();
        let changes = depths::run(client, st, Own::Nothing, seeds, Phase::Commit)?;
        n += changes.iter().map(|c| c.joined + c.left).sum::<i64>();
    }
    // group_change last: a user recorded both for a group's own data and as following
    // another group is logged with the first cause, as statements log it.
    let mut items: Vec<(Item, BTreeSet<String>)> = items.into_iter().collect();
    items.sort_by_key(|((cause, _), _)| cause == group_change);
    // Items of one cause go in one pass while it stays a few users' (`depths::few`): a
    // click recorded for the user and, through a reference, for their referrers loads one
    // neighbourhood instead of two. Deciding every group of the pass for every user of it
    // is exact; at READ COMMITTED only what moves is written. Under snapshot isolation every
    // decided pair is written, so items stay apart there.
    let merge = !snapshot_isolation();
    let mut passes: Vec<(String, BTreeSet<i64>, BTreeSet<String>)> = Vec::new();
    for ((cause, concerns), keys) in items {
        let own: BTreeSet<i64> = groups
            .iter()
            .copied()
            .filter(|id| concerns.as_ref().is_none_or(|set| set.contains(id)))
            .collect();
        if own.is_empty() {
            continue;
        }
        if let Some(last) = passes.last_mut().filter(|p| merge && p.0 == cause) {
            let g: BTreeSet<i64> = last.1.union(&own).copied().collect();
            let k: BTreeSet<String> = last.2.union(&keys).cloned().collect();
            if depths::few(k.len(), g.len(), false) {
                last.1 = g;
                last.2 = k;
                continue;
            }
        }
        passes.push((cause, own, keys));
    }
    for (cause, own, keys) in passes {
        let keys: Vec<String> = keys.into_iter().collect();
        let keyed = Own::Keys {
            groups: own,
            keys: &keys,
            cause: depths::cause(&cause),
            fresh: false,
        };
        let changes = depths::run(client, st, keyed, Vec::new(), Phase::Commit)?;
        n += changes.iter().map(|c| c.joined + c.left).sum::<i64>();
    }
    Ok(n)
}
