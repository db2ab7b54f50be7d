//! Per-transaction membership counts and the NOTIFY sent at commit.
//!
//! Every writing statement (`writer.rs`) adds its (group, joined, left) counts to
//! `member_counts` itself, so the kept counts are exact inside the transaction too and roll
//! back with a failed subtransaction like the changes they count. The same counts are
//! remembered in this backend's memory, tagged with the subtransaction that made them; a
//! subtransaction abort forgets its own and its children's (their ids are larger), and the
//! transaction callback sends one `NOTIFY smart_groups` per 7,900 bytes just before commit.
//!
//! Nothing here touches a temporary object or a setting a user could change: a transaction
//! that is prepared (`PREPARE TRANSACTION`) works, and sends no notification, since Postgres
//! allows none in a prepared transaction.

use std::cell::RefCell;

use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting};
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use super::statements::{self, int8_array};
use crate::errors::{raise, DbError};

/// NOTIFY payloads are limited to 8000 bytes: very many groups go in several messages.
const PAYLOAD_LIMIT: usize = 7900;

/// Characters of a group's name a notification carries: names are limited to this length
/// when groups are created or renamed; older, longer names are cut here so that one group's
/// item always fits a payload.
pub const NAME_LIMIT: usize = 200;

struct Noted {
    subxact: pg_sys::SubTransactionId,
    group: i64,
    name: String,
    joined: i64,
    left: i64,
}

thread_local! {
    static NOTED: RefCell<Vec<Noted>> = const { RefCell::new(Vec::new()) };
}

/// `smart_groups.notify`: whether transactions that change membership send `NOTIFY
/// smart_groups`. Every notifying commit holds Postgres' one notification-queue lock from
/// queueing its messages to the end of its commit, so concurrent writers' commits go one at
/// a time; an install where nothing listens can turn it off (docs/design/lock-protocol.md).
pub static NOTIFY: GucSetting<bool> = GucSetting::<bool>::new(true);

pub fn init() {
    GucRegistry::define_bool_guc(
        c"smart_groups.notify",
        c"Whether transactions that change membership send NOTIFY smart_groups.",
        c"Each notifying commit takes PostgreSQL's notification-queue lock until it ends, which orders concurrent commits; turn it off where nothing listens.",
        &NOTIFY,
        GucContext::Suset,
        GucFlags::default(),
    );
    // SAFETY: registering process-lifetime callbacks with plain function pointers, once per
    // backend when the library is loaded.
    unsafe {
        pg_sys::RegisterXactCallback(Some(on_xact), std::ptr::null_mut());
        pg_sys::RegisterSubXactCallback(Some(on_subxact), std::ptr::null_mut());
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn on_xact(event: pg_sys::XactEvent::Type, _arg: *mut std::ffi::c_void) {
    if event == pg_sys::XactEvent::XACT_EVENT_PRE_COMMIT {
        // The commit-time groups first: their changes are in the notification too.
        super::commit::run();
        let noted = NOTED.with(|n| std::mem::take(&mut *n.borrow_mut()));
        if !noted.is_empty() && NOTIFY.get() {
            send(noted);
        }
    } else if event == pg_sys::XactEvent::XACT_EVENT_PRE_PREPARE {
        super::commit::run();
        NOTED.with(|n| n.borrow_mut().clear());
    } else if event != pg_sys::XactEvent::XACT_EVENT_PARALLEL_PRE_COMMIT {
        super::commit::forget();
        NOTED.with(|n| n.borrow_mut().clear());
        if event == pg_sys::XactEvent::XACT_EVENT_ABORT {
            super::state::forget_time_since();
        }
    }
}

#[pg_guard]
unsafe extern "C-unwind" fn on_subxact(
    event: pg_sys::SubXactEvent::Type,
    my_subid: pg_sys::SubTransactionId,
    _parent: pg_sys::SubTransactionId,
    _arg: *mut std::ffi::c_void,
) {
    if event == pg_sys::SubXactEvent::SUBXACT_EVENT_ABORT_SUB {
        NOTED.with(|n| n.borrow_mut().retain(|x| x.subxact < my_subid));
        super::state::forget_time_since();
    }
}

/// Queues the transaction's notifications, one item per group in order of first change.
fn send(noted: Vec<Noted>) {
    let mut order: Vec<i64> = Vec::new();
    let mut sums: std::collections::HashMap<i64, (String, i64, i64)> = Default::default();
    for n in noted {
        let e = sums.entry(n.group).or_insert_with(|| {
            order.push(n.group);
            (String::new(), 0, 0)
        });
        e.0 = n.name;
        e.1 += n.joined;
        e.2 += n.left;
    }
    order.sort_unstable();
    let items: Vec<String> = order
        .iter()
        .filter_map(|g| sums.get(g).map(|(name, j, l)| item(*g, name, *j, *l)))
        .collect();
    for payload in payloads(&items) {
        let (Some(channel), Some(payload)) = ("smart_groups".into_datum(), payload.into_datum())
        else {
            continue;
        };
        // SAFETY: pg_notify(text, text) called as SQL calls it, with two non-NULL texts; it
        // copies both into the transaction's pending notifications.
        unsafe {
            pg_sys::DirectFunctionCall2Coll(
                Some(pg_notify_fmgr),
                pg_sys::InvalidOid,
                channel,
                payload,
            );
        }
    }
}

unsafe extern "C-unwind" {
    /// Postgres' own SQL-callable `pg_notify(text, text)`, called through fmgr.
    #[link_name = "pg_notify"]
    fn pg_notify_fmgr(fcinfo: pg_sys::FunctionCallInfo) -> pg_sys::Datum;
}

/// One group's item, as jsonb prints `jsonb_build_object('group_id', …, 'group_name', …,
/// 'joined', …, 'left', …)`: keys by length, `": "` and `", "` separators.
pub(crate) fn item(group: i64, name: &str, joined: i64, left: i64) -> String {
    let name: String = name.chars().take(NAME_LIMIT).collect();
    let name = serde_json::to_string(&name).unwrap_or_else(|_| "\"\"".into());
    format!(
        "{{\"left\": {left}, \"joined\": {joined}, \"group_id\": {group}, \"group_name\": {name}}}"
    )
}

/// The statement that adds to the kept counts, from `src`'s (group_id, delta) rows: the one
/// writer of `member_counts` besides its compaction.
fn add_counts(src: &str) -> String {
    format!(
        "INSERT INTO smart_groups.member_counts (group_id, delta) \
         SELECT s.group_id, s.delta FROM ({src}) s WHERE s.delta <> 0"
    )
}

/// The writer's (`writer.rs`) share of the counts: from the rows of `changed`
/// (group_id, joined).
pub fn count_changes(changed: &str) -> String {
    add_counts(&format!(
        "SELECT group_id, sum(CASE WHEN joined THEN 1 ELSE -1 END)::bigint AS delta \
           FROM {changed} GROUP BY group_id"
    ))
}

/// Adds (group, joined, left) counts to `member_counts` and to the transaction's
/// notification: for changes of a whole group's membership (`_clear`), which no pair write
/// counted.
pub fn note(client: &mut SpiClient<'_>, changes: &[(i64, i64, i64)]) -> Result<(), DbError> {
    let changes: Vec<&(i64, i64, i64)> = changes
        .iter()
        .filter(|(_, j, l)| *j != 0 || *l != 0)
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let gs: Vec<i64> = changes.iter().map(|c| c.0).collect();
    let ds: Vec<i64> = changes.iter().map(|c| c.1 - c.2).collect();
    let names = statements::run(
        client,
        &format!(
            "WITH f AS (SELECT * FROM unnest($1::bigint[], $2::bigint[]) f(g, d)), \
                  ins AS ({}) \
             SELECT f.g, g.name FROM f JOIN smart_groups.groups g ON g.id = f.g",
            add_counts("SELECT f.g AS group_id, f.d AS delta FROM f")
        ),
        &[int8_array(), int8_array()],
        &[gs.into(), ds.into()],
        |rows| {
            let mut out = std::collections::HashMap::new();
            for row in rows {
                if let (Some(g), Some(n)) = (row.get::<i64>(1)?, row.get::<String>(2)?) {
                    out.insert(g, n);
                }
            }
            Ok(out)
        },
    )?;
    let noted: Vec<(i64, i64, i64, String)> = changes
        .iter()
        .map(|(g, j, l)| (*g, *j, *l, names.get(g).cloned().unwrap_or_default()))
        .collect();
    remember(&noted);
    Ok(())
}

/// Adds (group, joined, left, name) to the transaction's notification only: for callers whose
/// statement already appended the counts to member_counts.
pub fn remember(changes: &[(i64, i64, i64, String)]) {
    // SAFETY: reads the current subtransaction's id.
    let subxact = unsafe { pg_sys::GetCurrentSubTransactionId() };
    NOTED.with(|n| {
        let mut n = n.borrow_mut();
        for (g, j, l, name) in changes.iter().filter(|(_, j, l, _)| *j != 0 || *l != 0) {
            n.push(Noted {
                subxact,
                group: *g,
                name: name.clone(),
                joined: *j,
                left: *l,
            });
        }
    });
}

/// `_note_changes(group ids, joined, left)`: the same for plpgsql callers.
#[pg_extern(volatile, parallel_unsafe, schema = "smart_groups_internal")]
fn _note_changes(gids: Vec<Option<i64>>, joined: Vec<Option<i64>>, left: Vec<Option<i64>>) {
    let changes: Vec<(i64, i64, i64)> = gids
        .iter()
        .enumerate()
        .filter_map(|(i, g)| {
            let n = |v: &Vec<Option<i64>>| v.get(i).copied().flatten().unwrap_or(0);
            g.map(|g| (g, n(&joined), n(&left)))
        })
        .collect();
    if let Err(e) = Spi::connect_mut(|client| note(client, &changes)) {
        raise(&e);
    }
}

/// `{"groups": [item, ...]}` as jsonb text, split so that no payload exceeds the limit
/// (an item too large on its own still goes, alone).
pub(crate) fn payloads(items: &[String]) -> Vec<String> {
    const HEAD: &str = "{\"groups\": [";
    const TAIL: &str = "]}";
    let mut out = Vec::new();
    let mut chunk: Vec<&str> = Vec::new();
    let mut len = HEAD.len() + TAIL.len();
    let close = |chunk: &[&str]| format!("{HEAD}{}{TAIL}", chunk.join(", "));
    for item in items {
        // ", " before every item but a payload's first.
        if !chunk.is_empty() && len + 2 + item.len() > PAYLOAD_LIMIT {
            out.push(close(&chunk));
            chunk.clear();
            len = HEAD.len() + TAIL.len();
        }
        len += if chunk.is_empty() { 0 } else { 2 } + item.len();
        chunk.push(item);
    }
    if !chunk.is_empty() {
        out.push(close(&chunk));
    }
    out
}
