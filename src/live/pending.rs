//! Per-transaction membership counts and the NOTIFY sent at commit.
//!
//! Counts accumulate in the transaction-local setting `smart_groups.pending`
//! (`{"<group id>": {"joined": n, "left": n}, ...}`): set LOCAL, it is rolled back with a
//! failed subtransaction, like the changes it counts, and `_member_count()` reads it. The
//! first change of a transaction queues a deferred trigger (`_queue_notify()`, in
//! sql/maintain.sql) that folds the counts into `member_counts` and sends the notification.
//!
//! In Rust because every maintaining statement and every commit pays for it: as plpgsql the
//! merge and the commit took ~0.3 ms of a one-user UPDATE's ~1.4 ms (the commit joined the
//! counts to every group row by a sequential scan).

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use serde::{Deserialize, Serialize};

use super::statements::{self, int8_array};
use super::TriggerResult;
use crate::errors::{raise, DbError};

const SETTING: &CStr = c"smart_groups.pending";

/// NOTIFY payloads are limited to 8000 bytes: very many groups go in several messages.
const PAYLOAD_LIMIT: usize = 7900;

#[derive(Serialize, Deserialize, Default, Clone, Copy)]
struct Counts {
    joined: i64,
    left: i64,
}

fn read() -> Result<BTreeMap<i64, Counts>, DbError> {
    // SAFETY: a plain GUC lookup; the returned string belongs to the GUC machinery and is
    // copied before anything else runs.
    let text = unsafe {
        let p = pg_sys::GetConfigOption(SETTING.as_ptr(), true, false);
        if p.is_null() {
            return Ok(BTreeMap::new());
        }
        CStr::from_ptr(p).to_string_lossy().into_owned()
    };
    if text.is_empty() {
        return Ok(BTreeMap::new());
    }
    let map: BTreeMap<String, Counts> =
        serde_json::from_str(&text).map_err(|e| DbError::Spi(format!("{SETTING:?}: {e}")))?;
    map.into_iter()
        .map(|(k, v)| {
            k.parse::<i64>()
                .map(|k| (k, v))
                .map_err(|e| DbError::Spi(format!("{SETTING:?}: {e}")))
        })
        .collect()
}

/// Sets the counts for the rest of the transaction (SET LOCAL).
fn write(pending: &BTreeMap<i64, Counts>) -> Result<(), DbError> {
    let text = if pending.is_empty() {
        String::new()
    } else {
        let map: BTreeMap<String, Counts> =
            pending.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        serde_json::to_string(&map).map_err(|e| DbError::Spi(e.to_string()))?
    };
    let value = CString::new(text).map_err(|e| DbError::Spi(e.to_string()))?;
    crate::guc_scope::set_local(SETTING, &value);
    Ok(())
}

/// Adds (group, joined, left) counts to the transaction's, queueing the commit-time
/// notification with the first of them.
pub fn note(client: &mut SpiClient<'_>, changes: &[(i64, i64, i64)]) -> Result<(), DbError> {
    let changes: Vec<&(i64, i64, i64)> = changes
        .iter()
        .filter(|(_, j, l)| *j != 0 || *l != 0)
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let mut pending = read()?;
    if pending.is_empty() {
        statements::execute(client, "SELECT smart_groups._queue_notify()")?;
    }
    for (g, j, l) in changes {
        let c = pending.entry(*g).or_default();
        c.joined += j;
        c.left += l;
    }
    write(&pending)
}

/// `_note_changes(group ids, joined, left)`: the same for plpgsql callers.
#[pg_extern(volatile, parallel_unsafe)]
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

/// The deferred trigger queued by `_queue_notify()`: at commit, the transaction's counts go
/// into `member_counts` (groups dropped meanwhile left out) and one NOTIFY smart_groups per
/// 7,900 bytes of `{"groups": [{"group_id", "group_name", "joined", "left"}, ...]}`, in
/// group order.
#[pg_trigger]
fn _send_notify<'a>(_trigger: &'a PgTrigger<'a>) -> TriggerResult<'a> {
    let result = Spi::connect_mut(|client| {
        let pending = read()?;
        write(&BTreeMap::new())?;
        statements::execute(client, "DELETE FROM pg_temp.smart_groups_notify_queue")?;
        if pending.is_empty() {
            return Ok(());
        }
        let (gs, ds): (Vec<i64>, Vec<i64>) = pending
            .iter()
            .filter(|(_, c)| c.joined != c.left)
            .map(|(g, c)| (*g, c.joined - c.left))
            .unzip();
        if !gs.is_empty() {
            statements::run(
                client,
                "INSERT INTO smart_groups.member_counts (group_id, delta) \
                 SELECT f.g, f.d FROM unnest($1::bigint[], $2::bigint[]) f(g, d) \
                 WHERE EXISTS (SELECT 1 FROM smart_groups.groups g WHERE g.id = f.g)",
                &[int8_array(), int8_array()],
                &[gs.into(), ds.into()],
                |_| Ok(()),
            )?;
        }
        let gs: Vec<i64> = pending.keys().copied().collect();
        let js: Vec<i64> = pending.values().map(|c| c.joined).collect();
        let ls: Vec<i64> = pending.values().map(|c| c.left).collect();
        // Each item as jsonb prints it, so the payload reads as before.
        let items = statements::run(
            client,
            "SELECT jsonb_build_object('group_id', f.g, \
                    'group_name', (SELECT g.name FROM smart_groups.groups g WHERE g.id = f.g), \
                    'joined', f.j, 'left', f.l)::text \
               FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) WITH ORDINALITY f(g, j, l, o) \
              ORDER BY f.o",
            &[int8_array(), int8_array(), int8_array()],
            &[gs.into(), js.into(), ls.into()],
            |rows| {
                let mut out = Vec::new();
                for row in rows {
                    if let Some(t) = row.get::<String>(1)? {
                        out.push(t);
                    }
                }
                Ok(out)
            },
        )?;
        for payload in payloads(&items) {
            statements::run(
                client,
                "SELECT pg_notify('smart_groups', $1)",
                &[PgBuiltInOids::TEXTOID.oid()],
                &[payload.into()],
                |_| Ok(()),
            )?;
        }
        Ok::<(), DbError>(())
    });
    if let Err(e) = result {
        raise(&e);
    }
    Ok(None)
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
