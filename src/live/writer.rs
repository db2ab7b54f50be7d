//! The one writer of membership. Every path that changes stored membership (a statement's
//! trigger, the commit-time step, the API's refreshes, a group's full refresh, users deleted)
//! decides what it wants in its own way, and ends in the statement built here: it deletes the
//! leaving rows and inserts the joining ones (`member_rows`), logs each join and leave
//! (`membership_changes`, a row per group, direction and cause), adds the counts to
//! `member_counts`, and returns what changed per group. The transaction's notification
//! (`pending`) then learns the same counts. Nothing else writes these three tables for a
//! pair; what writes them otherwise ends a group's membership as a whole (archive, drop:
//! sql/groups.sql) or cleans up after it (`_collect_garbage`).
//!
//! Writing, logging and counting in the statement that decides keeps the log and the counts
//! exact inside the transaction, rolled back with a failed subtransaction like the rows.

use std::collections::HashMap;
use std::ffi::CStr;

use pgrx::datum::DatumWithOid;
use pgrx::pg_sys::PgOid;
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiTupleTable};

use super::state::State;
use super::statements;
use crate::errors::DbError;
use crate::guc_scope::{with_settings, GENERIC_PLANS, NO_JIT};

/// What one statement's writes changed in a group.
pub struct Change {
    pub group: i64,
    pub joined: i64,
    pub left: i64,
    /// The keys that joined or left, where the write was asked for them (groups that others
    /// name in member_of follow them).
    pub keys: Vec<String>,
}

/// A writing statement: the caller's CTEs, which decide, and the writes they lead to.
pub struct Write {
    /// CTEs (`name AS (…)`) the other parts read; data-modifying ones run too.
    pub with: Vec<String>,
    /// What follows `DELETE FROM smart_groups.member_rows m` (`USING …`, `WHERE …`): the rows
    /// that leave. None when nothing is stored for the pairs (new users, an empty group):
    /// then no joining pair can be stored either, and the insert skips `ON CONFLICT`'s probe
    /// of the key before each row.
    pub leave: Option<String>,
    /// The cause of a leave, an expression over `m` and the DELETE's other relations.
    pub leave_cause: String,
    /// Of the deleted rows, those that were memberships (logged and counted): a condition on
    /// `group_id`; None, all of them.
    pub leave_counts: Option<String>,
    /// A SELECT of the pairs that join: (group id, key) and, when `join_cause` is None, the
    /// cause as a third column. None when nothing joins.
    pub join: Option<String>,
    /// The cause of every join, when all have the same.
    pub join_cause: Option<String>,
    /// Whether rows go in by group and key: each index is then walked in order, which pays
    /// for many rows.
    pub ordered: bool,
    /// For which groups the keys that changed are returned: a condition on `group_id`.
    pub keys_of: String,
}

impl Write {
    /// The statement, returning (group, joined, left, keys) per group that changed.
    pub fn sql(&self) -> String {
        let mut ctes = self.with.clone();
        let mut changed = Vec::new();
        if let Some(leave) = &self.leave {
            ctes.push(format!(
                "sg_gone AS (DELETE FROM smart_groups.member_rows m {leave} \
                 RETURNING m.group_id, m.user_key, ({}) AS cause)",
                self.leave_cause
            ));
            let filter = self
                .leave_counts
                .as_ref()
                .map(|c| format!(" WHERE {c}"))
                .unwrap_or_default();
            changed.push(format!(
                "SELECT group_id, user_key, false AS joined, cause FROM sg_gone{filter}"
            ));
        }
        if let Some(join) = &self.join {
            let order = if self.ordered { " ORDER BY 1, 2" } else { "" };
            let conflict = if self.leave.is_some() {
                " ON CONFLICT DO NOTHING"
            } else {
                ""
            };
            match &self.join_cause {
                Some(cause) => {
                    ctes.push(format!(
                        "sg_added AS (INSERT INTO smart_groups.member_rows (group_id, user_key) \
                         SELECT j.gid, j.k FROM ({join}) j(gid, k){order}{conflict} \
                         RETURNING group_id, user_key)"
                    ));
                    changed.push(format!(
                        "SELECT group_id, user_key, true, ({cause}) FROM sg_added"
                    ));
                }
                None => {
                    // Each join's cause is found again by its pair. Not materialized: the
                    // callers' joins are a filter over a CTE of their own, and a copy of a
                    // large UPDATE's wanted pairs cost a tuplestore as large.
                    ctes.push(format!("sg_join AS NOT MATERIALIZED ({join})"));
                    ctes.push(format!(
                        "sg_added AS (INSERT INTO smart_groups.member_rows (group_id, user_key) \
                         SELECT j.gid, j.k FROM sg_join j(gid, k, cause){order}{conflict} \
                         RETURNING group_id, user_key)"
                    ));
                    changed.push(
                        "SELECT a.group_id, a.user_key, true, j.cause FROM sg_added a \
                         JOIN sg_join j(gid, k, cause) ON j.gid = a.group_id AND j.k = a.user_key"
                            .to_string(),
                    );
                }
            }
        }
        if changed.is_empty() {
            changed.push(
                "SELECT NULL::bigint, NULL::text, NULL::boolean, NULL::text WHERE false".into(),
            );
        }
        ctes.push(format!(
            "sg_changed (group_id, user_key, joined, cause) AS MATERIALIZED ({})",
            changed.join(" UNION ALL ")
        ));
        ctes.push(
            "sg_logged AS (INSERT INTO smart_groups.membership_changes (group_id, user_keys, change, cause) \
             SELECT c.group_id, array_agg(c.user_key), CASE WHEN c.joined THEN 'join' ELSE 'leave' END, c.cause \
               FROM sg_changed c GROUP BY c.group_id, c.joined, c.cause ORDER BY 1, 3, 4)"
                .to_string(),
        );
        ctes.push(format!(
            "sg_counted AS ({})",
            super::pending::count_changes("sg_changed")
        ));
        format!(
            "WITH {} SELECT c.group_id, count(*) FILTER (WHERE c.joined), count(*) FILTER (WHERE NOT c.joined), \
                    array_agg(c.user_key::text) FILTER (WHERE {}) \
               FROM sg_changed c GROUP BY c.group_id ORDER BY 1",
            ctes.join(", "),
            self.keys_of
        )
    }
}

/// How a writing statement runs.
pub enum Run<'a> {
    /// A plan kept per backend, planned for its parameters (the plan cache chooses).
    Kept,
    /// Planned for this run only, with these settings.
    Once(&'a [(&'a CStr, &'a CStr)]),
    /// A generic plan kept per backend, for writes of a few users' pairs. Under REPEATABLE
    /// READ and SERIALIZABLE it runs as the foreign-key checks do (`statements::run_latest`),
    /// so a `member of` follower a READ COMMITTED transaction committed after the snapshot
    /// is found, and changing it is a serialization failure (isolation spec
    /// follower_snapshot). The set-based statements do not: run so, their reads of every
    /// user filled the predicate lock table of SERIALIZABLE transactions in the load test
    /// ("out of shared memory").
    Latest,
}

/// Runs the writing statement `sql` (from `Write::sql`) and adds what changed to the
/// transaction's notification.
pub fn run(
    client: &mut SpiClient<'_>,
    st: &State,
    sql: &str,
    types: &[PgOid],
    args: &[DatumWithOid<'_>],
    how: Run<'_>,
) -> Result<Vec<Change>, DbError> {
    let changes = match how {
        Run::Latest if crate::guc_scope::snapshot_isolation() => {
            let mut out = Vec::new();
            with_settings(&[GENERIC_PLANS, NO_JIT], || {
                statements::run_latest(sql, args, true, |col| {
                    // SAFETY: the columns are the statement's own, of these types.
                    unsafe {
                        out.push(change(
                            col(1).and_then(|d| i64::from_datum(d, false)),
                            col(2).and_then(|d| i64::from_datum(d, false)),
                            col(3).and_then(|d| i64::from_datum(d, false)),
                            col(4).and_then(|d| Vec::<String>::from_datum(d, false)),
                        ));
                    }
                })
            })?;
            out
        }
        Run::Latest => statements::run_kept(client, sql, types, args, true, decode)?,
        Run::Kept => statements::run_kept(client, sql, types, args, false, decode)?,
        Run::Once(settings) => statements::run_once_exactly(client, sql, args, settings, decode)?,
    };
    let changes: Vec<Change> = changes.into_iter().flatten().collect();
    notify(client, st, &changes)?;
    Ok(changes)
}

/// Writes a few pairs without a statement (`direct::write_pairs`) and adds what changed to
/// the transaction's notification; None when the statement must run instead.
pub fn write_directly(
    client: &mut SpiClient<'_>,
    st: &State,
    joins: &[super::direct::PairWrite],
    leaves: &[super::direct::PairWrite],
    keys_of: &std::collections::BTreeSet<i64>,
) -> Result<Option<Vec<Change>>, DbError> {
    let Some(changes) = super::direct::write_pairs(joins, leaves, keys_of) else {
        return Ok(None);
    };
    notify(client, st, &changes)?;
    Ok(Some(changes))
}

/// The statement's rows, one per group (`Write::sql`).
fn decode(rows: SpiTupleTable<'_>) -> Result<Vec<Option<Change>>, DbError> {
    let mut out = Vec::new();
    for row in rows {
        out.push(change(
            row.get::<i64>(1)?,
            row.get::<i64>(2)?,
            row.get::<i64>(3)?,
            row.get::<Vec<String>>(4)?,
        ));
    }
    Ok(out)
}

fn change(
    group: Option<i64>,
    joined: Option<i64>,
    left: Option<i64>,
    keys: Option<Vec<String>>,
) -> Option<Change> {
    Some(Change {
        group: group?,
        joined: joined.unwrap_or(0),
        left: left.unwrap_or(0),
        keys: keys.unwrap_or_default(),
    })
}

/// The notification's share of `changes`: the groups' names from the state, and for a group
/// it does not know yet (created in this very statement) from its row.
fn notify(client: &mut SpiClient<'_>, st: &State, changes: &[Change]) -> Result<(), DbError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut names: HashMap<i64, String> = HashMap::new();
    let mut unknown = Vec::new();
    for c in changes {
        match st.group(c.group) {
            Some(g) => {
                names.insert(c.group, g.name.clone());
            }
            None => unknown.push(c.group),
        }
    }
    if !unknown.is_empty() {
        statements::run(
            client,
            "SELECT id, name FROM smart_groups.groups WHERE id = ANY ($1)",
            &[statements::int8_array()],
            &[unknown.into()],
            |rows| {
                for row in rows {
                    if let (Some(g), Some(n)) = (row.get::<i64>(1)?, row.get::<String>(2)?) {
                        names.insert(g, n);
                    }
                }
                Ok(())
            },
        )?;
    }
    let noted: Vec<(i64, i64, i64, String)> = changes
        .iter()
        .map(|c| {
            let name = names.get(&c.group).cloned().unwrap_or_default();
            (c.group, c.joined, c.left, name)
        })
        .collect();
    super::pending::remember(&noted);
    Ok(())
}
