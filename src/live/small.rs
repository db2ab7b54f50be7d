//! The kept-plan path for statements of a few rows: a one-user UPDATE pays for this module.
//!
//! Every (group, user) pair to re-evaluate is decided first, then only real changes are
//! written. Each step is a small statement whose text depends on one group at most, so every
//! plan is made once per backend and executor start-up stays cheap:
//!
//! 1. a pair whose row part (`compile::row_part`) is known on the new row needs no
//!    evaluation; the others run their group's predicate, one statement per group;
//! 2. one statement applies inclusions and exclusions to all pairs;
//! 3. one statement (`writer.rs`) writes every join and leave of the depth, logs them and
//!    adds their counts (what it returns is what changed: a pair already as wanted writes
//!    nothing). With every group's membership in one table this is one plan whichever groups
//!    a statement touches.

use std::collections::{BTreeMap, BTreeSet};

use pgrx::spi::{SpiClient, SpiTupleTable};
use pgrx::FromDatum;
use smart_groups_core::compile::quote_ident;

use super::direct;
use super::state::State;
use super::statements::{self, bool_array, int8_array, text_array};
pub use super::writer::Change;
use super::writer::{self, Run, Write};
use crate::errors::DbError;

/// A (group, user key, cause) to re-evaluate, with the predicate's value when the user's row
/// alone decides it.
pub type Pair = (i64, String, &'static str, Option<bool>);

/// Under REPEATABLE READ and SERIALIZABLE: a group deactivated or dropped after our snapshot
/// becomes a serialization failure instead of members written into a group without them.
pub fn lock_groups(client: &mut SpiClient<'_>, ids: &[i64]) -> Result<(), DbError> {
    statements::run(
        client,
        "SELECT 1 FROM smart_groups.groups WHERE id = ANY ($1) AND status = 'active' ORDER BY id FOR SHARE",
        &[int8_array()],
        &[ids.to_vec().into()],
        |_| Ok(()),
    )
}

/// Under REPEATABLE READ and SERIALIZABLE, after a set-based statement decided `ids` for some
/// users: that statement read the exclusions and inclusions of its snapshot (one statement
/// has one snapshot), where the kept-plan path reads those committed now (`wanted`). An
/// override of one of these groups added or removed by a transaction that committed after
/// the snapshot may contradict what the statement wrote, or left alone: that is a
/// serialization failure (the client retries, and sees it), not a membership that disagrees
/// with the override (isolation spec override_snapshot_large). The overrides are compared
/// as a whole, per group set, under both snapshots: no user list to keep, and an override
/// of another user of the same groups, committed in that window, costs a retry.
pub fn check_overrides(client: &mut SpiClient<'_>, ids: &[i64]) -> Result<(), DbError> {
    if ids.is_empty() || !crate::guc_scope::snapshot_isolation() {
        return Ok(());
    }
    const SQL: &str = "SELECT count(*), coalesce(sum(hashtext(o.tag || o.group_id::text || ':' || o.user_key)), 0)::bigint \
         FROM (SELECT 'e' AS tag, group_id, user_key::text FROM smart_groups.exclusions WHERE group_id = ANY ($1) \
               UNION ALL SELECT 'i', group_id, user_key::text FROM smart_groups.inclusions WHERE group_id = ANY ($1)) o";
    statements::unchanged_since_snapshot(client, SQL, &[int8_array()], &[ids.to_vec().into()])
}

/// Every group of `ids` decided for `keys`: in Rust from the users' neighbourhood
/// (`neighbourhood`), and those it leaves with one query per row plan covering them
/// (`State::row_plans`). A key that is no user (deleted in this transaction) is in no group.
/// A static group has no rules: its pairs are left to its inclusions (`wanted`).
pub fn decide_rows(
    client: &mut SpiClient<'_>,
    st: &mut State,
    ids: &[i64],
    keys: &[String],
    cause: &'static str,
) -> Result<Vec<Pair>, DbError> {
    let (mut out, ids) = super::neighbourhood::decide(client, st, ids, keys, cause)?;
    let (ids, fixed): (Vec<i64>, Vec<i64>) =
        ids.into_iter().partition(|id| st.group(*id).is_some());
    for g in fixed {
        out.extend(keys.iter().map(|k| (g, k.clone(), cause, Some(false))));
    }
    if ids.is_empty() {
        return Ok(out);
    }
    for (plan, positions) in st.row_plans(&ids)? {
        let (atom_mask, other_mask) = plan.masks(&positions);
        statements::run(
            client,
            &plan.sql,
            &[text_array(), bool_array(), bool_array()],
            &[keys.to_vec().into(), atom_mask.into(), other_mask.into()],
            |rows| {
                for row in rows {
                    let Some(k) = row.get::<String>(1)? else {
                        continue;
                    };
                    let atoms: Vec<Option<bool>> = row.get(2)?.unwrap_or_default();
                    let others: Vec<Option<bool>> = row.get(3)?.unwrap_or_default();
                    let gone = row.get::<bool>(4)?.unwrap_or(false);
                    // Compiled rules are never NULL; a missing value reads as false either way.
                    let a = |i: usize| atoms.get(i).copied().flatten().unwrap_or(false);
                    let o = |i: usize| others.get(i).copied().flatten().unwrap_or(false);
                    for &p in &positions {
                        let Some((g, tree)) = plan.trees.get(p) else {
                            continue;
                        };
                        let want = !gone && tree.eval_full(&a, &o);
                        out.push((*g, k.clone(), cause, Some(want)));
                    }
                }
                Ok(())
            },
        )?;
    }
    Ok(out)
}

/// The cause a pair named twice is logged with: the user's own change over any other.
pub fn prevail(kept: &mut &'static str, cause: &'static str) {
    if cause == super::users_update::USER {
        *kept = cause;
    }
}

/// Decides and writes `pairs` (all of one member_of depth). `USER` causes win over `GROUP`
/// for a pair named twice, and a known value over an unknown one.
pub fn apply(
    client: &mut SpiClient<'_>,
    st: &mut State,
    pairs: &[Pair],
    with_dependants: &BTreeSet<i64>,
) -> Result<Vec<Change>, DbError> {
    let mut unique: BTreeMap<(i64, String), (&'static str, Option<bool>)> = BTreeMap::new();
    for (g, k, cause, known) in pairs {
        let e = unique.entry((*g, k.clone())).or_insert((cause, *known));
        prevail(&mut e.0, cause);
        if e.1.is_none() {
            e.1 = *known;
        }
    }
    // 1. the predicate, for pairs the row does not decide
    let mut unknown: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for ((g, k), (_, known)) in &unique {
        if known.is_none() {
            unknown.entry(*g).or_default().push(k.clone());
        }
    }
    let mut matched: BTreeSet<(i64, String)> = BTreeSet::new();
    if !unknown.is_empty() {
        // In Rust from the users' neighbourhood first; per group in SQL what it leaves.
        let ids: Vec<i64> = unknown.keys().copied().collect();
        let keys: Vec<String> = unknown
            .values()
            .flatten()
            .cloned()
            .collect::<BTreeSet<String>>()
            .into_iter()
            .collect();
        let printed: BTreeMap<String, String> = keys
            .iter()
            .cloned()
            .zip(st.printed_keys(client, &keys)?)
            .collect();
        let (decided, left) = super::neighbourhood::decide(client, st, &ids, &keys, "")?;
        let yes: BTreeSet<(i64, String)> = decided
            .into_iter()
            .filter(|p| p.3 == Some(true))
            .map(|p| (p.0, p.1))
            .collect();
        for (g, keys) in unknown {
            if left.contains(&g) {
                for k in matching(client, st, g, keys)? {
                    matched.insert((g, k));
                }
                continue;
            }
            for k in keys {
                let p = printed.get(&k).cloned().unwrap_or_else(|| k.clone());
                if yes.contains(&(g, p)) {
                    matched.insert((g, k));
                }
            }
        }
    }
    // 2. overrides
    let (mut gs, mut ks, mut ws) = (Vec::new(), Vec::new(), Vec::new());
    for ((g, k), (_, known)) in &unique {
        gs.push(*g);
        ks.push(k.clone());
        ws.push(known.unwrap_or_else(|| matched.contains(&(*g, k.clone()))));
    }
    let wants = wanted(client, st, gs, ks, ws)?;
    // 3. writes, log and counts
    let mut writes = Writes::default();
    for (g, k, want) in wants {
        let cause = unique
            .get(&(g, k.clone()))
            .map(|e| e.0)
            .unwrap_or(super::users_update::USER);
        writes.push(g, k, want, cause);
    }
    write(client, st, writes, with_dependants)
}

/// Of `keys`, those that satisfy group `g`'s predicate now.
fn matching(
    client: &mut SpiClient<'_>,
    st: &mut State,
    g: i64,
    keys: Vec<String>,
) -> Result<Vec<String>, DbError> {
    let pred = st.predicate(g)?;
    let key = quote_ident(&st.key_column);
    // Each key's row first, then its rules: the lateral subquery (kept apart by OFFSET 0) is
    // planned for the one row its key selects, so every rule on other tables is a probe by
    // that user. As `EXISTS` the planner was free to start from the rules, and a generic plan
    // did, from the rows of a custom-field value it underestimated: 2,700 users scanned for
    // one key's answer, 22 ms instead of 0.08 ms.
    let sql = format!(
        "SELECT f.k FROM unnest($1::text[]) f(k) CROSS JOIN LATERAL \
           (SELECT FROM {} u WHERE u.{key} = f.k::{} AND ({pred}) OFFSET 0) s",
        st.users_table, st.key_type
    );
    statements::run(client, &sql, &[text_array()], &[keys.into()], first_column)
}

/// Membership wanted for each pair: the rules' answer `w`, or an inclusion of an existing
/// user, unless excluded. At READ COMMITTED only the pairs whose stored membership differs
/// are kept: most changes of a user's data move none of their memberships, and a write
/// statement that finds nothing to write still costs more than a read of what is stored.
/// What the read finds stored is then what the write would have found, since every other
/// writer of these pairs waits for the locks this transaction holds
/// (docs/design/lock-protocol.md). Under snapshot isolation every pair is kept and stored
/// memberships are not read (their rows would be more for SSI to track): the snapshot may be
/// older than what is stored, and the crosschecked write finds out.
fn wanted(
    client: &mut SpiClient<'_>,
    st: &State,
    gs: Vec<i64>,
    ks: Vec<String>,
    ws: Vec<bool>,
) -> Result<Vec<(i64, String, bool)>, DbError> {
    let only_changes = !crate::guc_scope::snapshot_isolation();
    // Compared as the key type prints them; written as given (the write reads them as keys).
    let printed = st.printed_keys(client, &ks)?;
    let asked: BTreeSet<i64> = gs.iter().copied().collect();
    let keys: Vec<String> = printed
        .iter()
        .cloned()
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    let direct = if only_changes {
        let pairs: Vec<(i64, String)> = gs
            .iter()
            .copied()
            .zip(printed.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        stored_directly(st, &keys, &asked, &pairs)
    } else {
        None
    };
    let ([members, included, excluded], existing) = match direct {
        Some(found) => found,
        None => stored_by_statement(client, st, keys, &asked, only_changes)?,
    };
    let mut out = Vec::new();
    for (((g, k), p), w) in gs.into_iter().zip(ks).zip(printed).zip(ws) {
        let pair = (g, p);
        let want = (w || (included.contains(&pair) && existing.contains(&pair.1)))
            && !excluded.contains(&pair);
        if !only_changes || want != members.contains(&pair) {
            out.push((g, k, want));
        }
    }
    Ok(out)
}

/// What `wanted` reads, by one statement: the memberships (when `only_changes`), inclusions
/// and exclusions of the users `keys` (printed) in the groups `asked`, and which of them are
/// users.
fn stored_by_statement(
    client: &mut SpiClient<'_>,
    st: &State,
    keys: Vec<String>,
    asked: &BTreeSet<i64>,
    only_changes: bool,
) -> Result<Stored, DbError> {
    let kt = &st.key_type;
    let key = quote_ident(&st.key_column);
    let users = &st.users_table;
    let groups: Vec<i64> = asked.iter().copied().collect();
    // 0: a membership (when $2), 1: an inclusion, 2: an exclusion, 3: an existing user. By
    // user: one probe of each user index. A user is in some two hundred groups at a
    // thousand, and reading them all to keep a few was half of a one-user UPDATE's cost:
    // when the pairs' groups (`$3`) are few, memberships are probed by (user, group) instead.
    let members = if probe_groups(groups.len(), keys.len(), st.members_per_user) {
        " AND m.group_id = ANY ($3)"
    } else {
        ""
    };
    // One row per user and kind, its groups in an array: a user's two hundred memberships
    // as rows cost a text key and a tuple each (0.36 ms for the nine users of a manager's
    // custom-field upsert, S10), as one array a fraction of that.
    let sql = format!(
        "SELECT 0, m.user_key::text, array_agg(m.group_id) FROM smart_groups.member_rows m \
          WHERE $2 AND m.user_key = ANY ($1::{kt}[]){members} GROUP BY m.user_key \
         UNION ALL SELECT 1, i.user_key::text, array_agg(i.group_id) FROM smart_groups.inclusions i \
          WHERE i.user_key = ANY ($1::{kt}[]) GROUP BY i.user_key \
         UNION ALL SELECT 2, e.user_key::text, array_agg(e.group_id) FROM smart_groups.exclusions e \
          WHERE e.user_key = ANY ($1::{kt}[]) GROUP BY e.user_key \
         UNION ALL SELECT 3, u.{key}::text, NULL FROM {users} u WHERE u.{key} = ANY ($1::{kt}[])"
    );
    let mut stored: [BTreeSet<(i64, String)>; 3] = Default::default();
    let mut existing: BTreeSet<String> = BTreeSet::new();
    let mut take = |what: i32, k: Option<String>, gs: Option<Vec<Option<i64>>>| {
        let Some(k) = k else {
            return;
        };
        match usize::try_from(what).ok().and_then(|w| stored.get_mut(w)) {
            Some(set) => {
                // Read whole, a user's memberships are mostly of other groups.
                for g in gs.into_iter().flatten().flatten() {
                    if asked.contains(&g) {
                        set.insert((g, k.clone()));
                    }
                }
            }
            None => {
                existing.insert(k);
            }
        }
    };
    let types = [
        text_array(),
        pgrx::pg_sys::PgBuiltInOids::BOOLOID.oid(),
        int8_array(),
    ];
    let args = [keys.into(), only_changes.into(), groups.into()];
    if only_changes {
        statements::run(client, &sql, &types, &args, |rows| {
            for row in rows {
                take(
                    row.get::<i32>(1)?.unwrap_or(-1),
                    row.get::<String>(2)?,
                    row.get::<Vec<Option<i64>>>(3)?,
                );
            }
            Ok(())
        })?;
    } else {
        // Under snapshot isolation the overrides and users are read as committed now, as the
        // foreign-key checks read referenced rows: an exclusion or inclusion committed after
        // the snapshot holds (isolation spec override_snapshot).
        statements::run_latest(&sql, &args, false, |col| {
            // SAFETY: the columns are the statement's own, of these types.
            unsafe {
                take(
                    col(1).and_then(|d| i32::from_datum(d, false)).unwrap_or(-1),
                    col(2).and_then(|d| String::from_datum(d, false)),
                    col(3).and_then(|d| Vec::<Option<i64>>::from_datum(d, false)),
                );
            }
        })?;
    }
    Ok((stored, existing))
}

/// Stored memberships read through the user index without a statement (`direct`) cost
/// about 0.45 µs each when each was checked for visibility, a probe by (group, user) about
/// 1 µs (in tenths of a microsecond; measured on the 20k bench, ~220 memberships per user).
/// The entries of groups not asked for are now passed over on the index alone
/// (`direct::ids_in`): at 0.15 µs a click INSERT's ~100 pairs take a whole read, S9 at 1,000
/// groups 0.67–0.86 ms against 0.68–1.02 ms in alternating runs, S1 and S10 level or better
/// (docs/design/write-floor.md). Whole reads go up to `DIRECT_MEMBERSHIPS` for the users at
/// hand (a manager's 150 reports in 200 groups each are better probed by group in one
/// statement).
const DIRECT_READ_COST: f64 = 1.5;
const DIRECT_PROBE_COST: f64 = 10.0;
const DIRECT_MEMBERSHIPS: f64 = 5000.0;

fn per_user(per_user: Option<f64>) -> f64 {
    per_user.filter(|m| m.is_finite()).unwrap_or(200.0)
}

/// Which of `pairs` (groups `asked`, users `keys`) are stored memberships, through the
/// indexes (`direct`): probed pair by pair, or the users' memberships read whole, whichever
/// costs less. None when neither can be read so.
pub fn stored_memberships(
    st: &State,
    keys: &[String],
    asked: &BTreeSet<i64>,
    pairs: &[(i64, String)],
) -> Option<BTreeSet<(i64, String)>> {
    let table = direct::ours("member_rows");
    let whole = (keys.len() as f64) * per_user(st.members_per_user);
    let mut stored = BTreeSet::new();
    if (pairs.len() as f64) * DIRECT_PROBE_COST <= whole * DIRECT_READ_COST {
        for at in direct::pairs(&table, "group_id", "user_key", pairs)? {
            stored.extend(pairs.get(at).cloned());
        }
    } else if whole <= DIRECT_MEMBERSHIPS {
        for (k, g) in direct::ids_in(&table, "user_key", "group_id", keys, &|g| {
            asked.contains(&g)
        })? {
            if let Some(k) = keys.get(k) {
                stored.insert((g, k.clone()));
            }
        }
    } else {
        return None;
    }
    Some(stored)
}

/// Stored memberships, inclusions and exclusions as (group, printed key), and the keys that
/// are users.
type Stored = ([BTreeSet<(i64, String)>; 3], BTreeSet<String>);

/// What `wanted` reads, through the indexes (`direct`): the stored memberships of `pairs`,
/// the inclusions and exclusions of the users `keys` in the groups `asked`, and which of
/// them are users. None when one of them cannot be read so (the statement then runs).
fn stored_directly(
    st: &State,
    keys: &[String],
    asked: &BTreeSet<i64>,
    pairs: &[(i64, String)],
) -> Option<Stored> {
    let mut stored: [BTreeSet<(i64, String)>; 3] = Default::default();
    stored[0] = stored_memberships(st, keys, asked, pairs)?;
    for (at, table) in [(1, "inclusions"), (2, "exclusions")] {
        for (k, g) in direct::ids(&direct::ours(table), "user_key", "group_id", keys)? {
            if let (true, Some(k)) = (asked.contains(&g), keys.get(k)) {
                stored[at].insert((g, k.clone()));
            }
        }
    }
    let existing = direct::present(&st.users_name, &st.key_column, keys)?
        .into_iter()
        .filter_map(|k| keys.get(k).cloned())
        .collect();
    Some((stored, existing))
}

/// Postgres 15 probes an index once per combination of two `= ANY` arrays. Measured on the
/// 20k bench (1,000 groups, ~210 memberships per user): a (user, group) probe costs ~2.5 µs,
/// reading a membership ~0.6 µs (143 probes 0.37–0.46 ms, 1,000 probes 1.9 ms, reading all
/// 216 of a user's 0.12–0.15 ms). In tenths of a microsecond:
const PROBE_COST: f64 = 25.0;
const READ_COST: f64 = 6.0;
/// Probes at most, when the memberships per user are not known.
const PROBES: usize = 48;

/// Whether stored memberships of `keys` users in `groups` groups are read by (user, group)
/// rather than whole, given `per_user` memberships per user. Per user, whatever the number of
/// users: the manager's 150 reports in three groups named by `member of` are 450 probes, not
/// 30,000 memberships read (S13).
pub fn probe_groups(groups: usize, keys: usize, per_user: Option<f64>) -> bool {
    match per_user {
        Some(m) if m.is_finite() => (groups as f64) * PROBE_COST <= m * READ_COST,
        _ => groups.saturating_mul(keys) <= PROBES,
    }
}

/// The (group, key, cause) pairs to join and to leave.
#[derive(Default)]
struct Writes {
    join: (Vec<i64>, Vec<String>, Vec<String>),
    leave: (Vec<i64>, Vec<String>, Vec<String>),
}

impl Writes {
    fn push(&mut self, g: i64, k: String, join: bool, cause: &str) {
        let side = if join {
            &mut self.join
        } else {
            &mut self.leave
        };
        side.0.push(g);
        side.1.push(k);
        side.2.push(cause.to_string());
    }
}

/// Writes every join and leave in one statement (`writer.rs`); a pair already as wanted
/// writes nothing. The keys that changed are returned for `with_dependants`.
fn write(
    client: &mut SpiClient<'_>,
    st: &State,
    w: Writes,
    with_dependants: &BTreeSet<i64>,
) -> Result<Vec<Change>, DbError> {
    if w.join.0.is_empty() && w.leave.0.is_empty() {
        return Ok(Vec::new());
    }
    // At READ COMMITTED the pairs were read with the snapshot the write starts from, under
    // the lock that orders their writers: written without a statement when the tables allow.
    if !crate::guc_scope::snapshot_isolation() {
        let side = |(gs, ks, cs): &(Vec<i64>, Vec<String>, Vec<String>)| -> Vec<direct::PairWrite> {
            gs.iter()
                .zip(ks)
                .zip(cs)
                .map(|((g, k), c)| (*g, k.clone(), c.clone()))
                .collect()
        };
        if let Some(changes) =
            writer::write_directly(client, st, &side(&w.join), &side(&w.leave), with_dependants)?
        {
            return Ok(changes);
        }
    }
    let kt = &st.key_type;
    let sql = Write {
        with: vec![
            format!("j AS (SELECT f.g, f.k::{kt} AS k, f.c FROM unnest($1::bigint[], $2::text[], $3::text[]) f(g, k, c))"),
            format!("l AS (SELECT f.g, f.k::{kt} AS k, f.c FROM unnest($4::bigint[], $5::text[], $6::text[]) f(g, k, c))"),
        ],
        leave: Some("USING l WHERE m.group_id = l.g AND m.user_key = l.k".into()),
        leave_cause: "l.c".into(),
        leave_counts: None,
        join: Some("SELECT j.g, j.k, j.c FROM j".into()),
        join_cause: None,
        ordered: true,
        keys_of: "group_id = ANY ($7)".into(),
    }
    .sql();
    let types = [
        int8_array(),
        text_array(),
        text_array(),
        int8_array(),
        text_array(),
        text_array(),
        int8_array(),
    ];
    let Writes { join, leave } = w;
    let dependants: Vec<i64> = with_dependants.iter().copied().collect();
    let args = [
        join.0.into(),
        join.1.into(),
        join.2.into(),
        leave.0.into(),
        leave.1.into(),
        leave.2.into(),
        dependants.into(),
    ];
    writer::run(client, st, &sql, &types, &args, Run::Latest)
}

/// The non-NULL texts of the first column.
fn first_column(rows: SpiTupleTable<'_>) -> Result<Vec<String>, DbError> {
    let mut out = Vec::new();
    for row in rows {
        if let Some(k) = row.get::<String>(1)? {
            out.push(k);
        }
    }
    Ok(out)
}
