//! `refresh_time_rules()`: relative-time rules change their answer as time passes. For each
//! active group with such rules, the users whose value crossed a boundary since the group's
//! previous time refresh are refreshed (cause `time`) through the maintenance engine
//! (`maintain::users`), with the groups naming it. The background worker calls this every
//! `smart_groups.time_refresh_interval`; installs without it call it from a scheduler.

use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;
use pgrx::spi::SpiClient;

use std::collections::BTreeSet;

use super::commit;
use super::depths::{self, Own, Phase};
use super::maintain;
use super::small::Pair;
use super::state::{self, State};
use super::statements::{self, int8_array};
use crate::errors::{raise, DbError};

/// What the first part of a run leaves to the rest: the joins and leaves written, the groups
/// looked at, how far their time_refreshed_at may move.
type Found = (i64, Vec<i64>, Option<TimestampWithTimeZone>);

/// The cause the time refresh logs.
const TIME: &str = "time";

/// Refreshes the users crossing a boundary in the groups maintained by statement, and records
/// the others' for the commit-time step (`commit.rs`).
fn run(client: &mut SpiClient<'_>, st: &mut State) -> Result<Found, DbError> {
    super::advisory::writer();
    let horizon = horizon(client)?;
    if horizon.is_none() {
        pgrx::pg_sys::panic::ErrorReport::new(
            PgSqlErrorCode::ERRCODE_WARNING,
            "refresh_time_rules() under REPEATABLE READ or SERIALIZABLE leaves the groups' time_refreshed_at where it was",
            "smart_groups",
        )
        .set_detail("Its snapshot cannot tell which transactions committed after it was taken.")
        .set_hint("Run it at READ COMMITTED, as the background worker does; until then each run looks from the same instant again.")
        .report(PgLogLevel::WARNING);
    }
    let groups: Vec<i64> = st
        .groups
        .iter()
        .filter(|g| g.relative_time)
        .map(|g| g.id)
        .collect();
    let since = previous_runs(client, &groups)?;
    let now = statements::query_one::<TimestampWithTimeZone>(client, "SELECT now()", &[], &[])?;
    // Every group's users first, and their rows locked as one set in key order, before any
    // group is refreshed: a refresh under snapshot isolation takes its group's row FOR SHARE,
    // and the documented order puts user rows before group rows.
    let mut searches: Vec<Search> = Vec::new();
    let mut wanted: Vec<(i64, usize, Vec<usize>)> = Vec::new();
    let mut done = Vec::new();
    for (id, previous) in since {
        pgrx::check_for_interrupts!();
        done.push(id);
        let parts = st.time_key_parts(id)?;
        if parts.is_empty() {
            continue;
        }
        let s = match searches.iter().position(|s| s.since == previous) {
            Some(s) => s,
            None => {
                searches.push(Search {
                    since: previous,
                    parts: Vec::new(),
                });
                searches.len() - 1
            }
        };
        let parts = parts.into_iter().map(|p| searches[s].index_of(p)).collect();
        wanted.push((id, s, parts));
    }
    let mut keys_of: Vec<Vec<Vec<String>>> = Vec::with_capacity(searches.len());
    for search in &searches {
        keys_of.push(search.run(client, now)?);
    }
    // Each user is decided in the groups whose boundary they crossed only, all groups in one
    // pass: groups reading the same value find the same users, and one pass loads each
    // user's neighbourhood once (`depths::run`).
    let mut pairs: Vec<Pair> = Vec::new();
    for (id, s, parts) in wanted {
        pgrx::check_for_interrupts!();
        let keys: BTreeSet<&String> = parts.iter().flat_map(|p| keys_of[s][*p].iter()).collect();
        pairs.extend(keys.into_iter().map(|k| (id, k.clone(), TIME, None)));
    }
    let (at_commit, now_pairs): (Vec<Pair>, Vec<Pair>) =
        pairs.into_iter().partition(|p| st.is_at_commit(p.0));
    // Groups maintained at commit take their own locks then (`commit.rs`).
    let to_lock: Vec<String> = now_pairs
        .iter()
        .map(|p| p.1.clone())
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    if !to_lock.is_empty() {
        maintain::lock_users(client, st, &to_lock)?;
    }
    commit::defer_pairs(at_commit);
    let mut changed = 0;
    if !now_pairs.is_empty() {
        let named: BTreeSet<i64> = now_pairs.iter().map(|p| p.0).collect();
        let changes = depths::run(client, st, Own::Nothing, now_pairs, Phase::Statement)?;
        changed = changes
            .iter()
            .filter(|c| named.contains(&c.group))
            .map(|c| c.joined + c.left)
            .sum();
    }
    Ok((changed, done, horizon))
}

/// The boundary searches of the groups last refreshed at one instant: each distinct query
/// (`State::time_key_parts`) once, all in one statement.
struct Search {
    since: Option<TimestampWithTimeZone>,
    parts: Vec<String>,
}

impl Search {
    fn index_of(&mut self, part: String) -> usize {
        match self.parts.iter().position(|p| *p == part) {
            Some(i) => i,
            None => {
                self.parts.push(part);
                self.parts.len() - 1
            }
        }
    }

    /// The users each part finds between `since` and `now`, as text, in the parts' order.
    fn run(
        &self,
        client: &mut SpiClient<'_>,
        now: Option<TimestampWithTimeZone>,
    ) -> Result<Vec<Vec<String>>, DbError> {
        // A related row may have no user (a nullable user column): it concerns no one.
        let union = self
            .parts
            .iter()
            .enumerate()
            .map(|(i, q)| format!("SELECT {i} AS i, s.k::text AS k FROM ({q}) AS s(k)"))
            .collect::<Vec<_>>()
            .join(" UNION ALL ");
        let mut out = vec![Vec::new(); self.parts.len()];
        statements::run_once_with(
            client,
            &format!(
                "SELECT a.i, array_agg(DISTINCT a.k) FILTER (WHERE a.k IS NOT NULL) \
                   FROM ({union}) AS a GROUP BY a.i"
            ),
            &[self.since.into(), now.into()],
            &[crate::guc_scope::NO_PARALLEL],
            |rows| {
                for row in rows {
                    let Some(i) = row.get::<i32>(1)? else {
                        continue;
                    };
                    if let Some(slot) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                        *slot = row.get::<Vec<String>>(2)?.unwrap_or_default();
                    }
                }
                Ok(())
            },
        )?;
        Ok(out)
    }
}

/// After the commit-time groups: the groups' time_refreshed_at, then the kept counts'
/// compaction and the dropped groups' rows.
fn finish(
    client: &mut SpiClient<'_>,
    done: Vec<i64>,
    horizon: Option<TimestampWithTimeZone>,
) -> Result<(), DbError> {
    // The group rows last, after every user row (the documented lock order): a writer at
    // SERIALIZABLE holds its users' rows and then reads its groups' rows FOR SHARE. Without
    // waiting for them: a group whose row another transaction holds keeps its previous
    // time_refreshed_at, and its boundaries are applied again on the next run (no harm: the
    // users crossing them get the same answer).
    if let Some(horizon) = horizon {
        statements::run(
            client,
            "UPDATE smart_groups.groups SET time_refreshed_at = $2 \
              WHERE id IN (SELECT id FROM smart_groups.groups WHERE id = ANY ($1) \
                            ORDER BY id FOR UPDATE SKIP LOCKED)",
            &[int8_array(), PgBuiltInOids::TIMESTAMPTZOID.oid()],
            &[done.into(), horizon.into()],
            |_| Ok(()),
        )?;
    }
    statements::execute(
        client,
        "SELECT smart_groups_internal._compact_member_counts()",
    )?;
    statements::execute(
        client,
        "SELECT smart_groups_internal._collect_garbage(50000)",
    )?;
    Ok(())
}

/// How far the groups' time_refreshed_at may move: not beyond the start of the oldest
/// transaction still open here. A value such a transaction writes was decided at its own
/// now(), and a boundary that value crosses after that is invisible to this run until it
/// commits; the next run looks from there again. Read before any boundary is looked for: a
/// transaction that commits in between is then either listed here or, at READ COMMITTED, seen
/// by the statements that follow. Under REPEATABLE READ or SERIALIZABLE the snapshot predates
/// this list, so a transaction committed in between is neither: such a run applies the
/// boundaries it sees and leaves time_refreshed_at where it was (None).
fn horizon(client: &mut SpiClient<'_>) -> Result<Option<TimestampWithTimeZone>, DbError> {
    if crate::guc_scope::snapshot_isolation() {
        return Ok(None);
    }
    // The activity list is read once per transaction and kept: read it afresh.
    statements::execute(client, "SELECT pg_stat_clear_snapshot()")?;
    statements::query_one::<TimestampWithTimeZone>(
        client,
        "SELECT least(now(), (SELECT min(a.xact_start) FROM pg_stat_activity a \
                               WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()))",
        &[],
        &[],
    )
}

/// Each group's previous time refresh, in the order of `ids` (depth, then id).
fn previous_runs(
    client: &mut SpiClient<'_>,
    ids: &[i64],
) -> Result<Vec<(i64, Option<TimestampWithTimeZone>)>, DbError> {
    let found = statements::run(
        client,
        "SELECT id, time_refreshed_at FROM smart_groups.groups WHERE id = ANY ($1) AND status = 'active'",
        &[int8_array()],
        &[ids.to_vec().into()],
        |rows| {
            let mut out = std::collections::HashMap::new();
            for row in rows {
                if let Some(id) = row.get::<i64>(1)? {
                    out.insert(id, row.get::<TimestampWithTimeZone>(2)?);
                }
            }
            Ok(out)
        },
    )?;
    Ok(ids
        .iter()
        .filter_map(|id| found.get(id).map(|t| (*id, *t)))
        .collect())
}

/// `_refresh_time_rules()`: `refresh_time_rules()`'s body.
#[pg_extern(volatile, parallel_unsafe, schema = "smart_groups_internal")]
fn _refresh_time_rules() -> i64 {
    let result = Spi::connect_mut(|client| -> Result<i64, DbError> {
        let Some((changed, done, horizon)) = state::with_state(client, run)? else {
            return Ok(0);
        };
        // Groups maintained at commit too, before the caller reads them, and before any group
        // row is locked: the step waits for other steps' user locks, and those steps may be
        // waiting for group rows. Outside `with_state`, whose state the step uses in turn:
        // inside, it found none and loaded its own (a third of a run at a thousand groups).
        let changed = changed + super::commit::run();
        finish(client, done, horizon)?;
        Ok(changed)
    });
    match result {
        Ok(n) => n,
        Err(e) => raise(&e),
    }
}

/// `_time_keys_sql(gid)`: the query the time refresh runs for active group `gid` (the users
/// whose values may have crossed one of its relative-time boundaries between `$1` and `$2`),
/// or NULL for a group without such rules or not active. The benchmark counts due users with
/// it (`bench/lib/scen_groups.py`, S7).
#[pg_extern(
    volatile,
    parallel_unsafe,
    schema = "smart_groups_internal",
    name = "_time_keys_sql"
)]
fn _time_keys_sql_of(gid: i64) -> Option<String> {
    let result = Spi::connect_mut(|client| {
        state::with_state(client, |_, st| match st.group(gid) {
            Some(_) => st.time_keys_sql(gid),
            None => Ok(None),
        })
    });
    match result {
        Ok(q) => q.flatten(),
        Err(e) => raise(&e),
    }
}
