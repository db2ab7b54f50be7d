//! Maintenance of users whom every group may concern, and of keyed refreshes: new users
//! (INSERT and COPY), users gone (DELETE), keys that changed, and the API's refreshes of one
//! group for some users (inclusions, exclusions, time boundaries).
//!
//! The groups are refreshed for the users in the one pass over `member of` depths
//! (`depths.rs`), which also brings the groups naming a changed group up to date. Groups
//! maintained at commit (`commit.rs`) get the users recorded for then instead. Locks are
//! those of the protocol in docs/design/lock-protocol.md: the maintenance lock shared, and
//! the caller holds the users' rows (the trigger's own statement, or `lock_users`).

use std::collections::BTreeSet;

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use smart_groups_core::compile::quote_ident;

use super::commit::{self, Referents};
use super::depths::{self, Own, Phase};
use super::state::{self, State};
use super::statements::{self, int8_array, text_array};
use super::users_update::{GROUP, USER};
use super::writer::{self, Run, Write};
use crate::errors::{raise, DbError};

/// Which groups a change concerns.
pub enum Concerns {
    /// Every active group, static ones included: users new, gone or with a new key.
    Every,
    /// The active groups in the list (and, through member of, those naming them).
    Groups(Vec<i64>),
}

/// Refreshes the groups `concerns` names for `keys`, logging `cause`, and the groups naming
/// those whose membership changed (as group_change). `fresh`: the keys are users just
/// inserted, members of no group yet. Returns how many joined and left the groups named
/// (not their followers), for the API's keyed refreshes.
pub fn users(
    client: &mut SpiClient<'_>,
    st: &mut State,
    keys: &[String],
    concerns: Concerns,
    cause: &str,
    fresh: bool,
) -> Result<(i64, i64), DbError> {
    if keys.is_empty() {
        return Ok((0, 0));
    }
    super::advisory::writer();
    // The active groups concerned (static ones included): the state holds them as of this
    // statement (any change of a group moves the epoch).
    let wanted: Option<BTreeSet<i64>> = match &concerns {
        Concerns::Every => None,
        Concerns::Groups(ids) => Some(ids.iter().copied().collect()),
    };
    let (deferred, own): (Vec<i64>, Vec<i64>) = st
        .groups
        .iter()
        .map(|g| g.id)
        .chain(st.static_groups.iter().map(|(id, _)| *id))
        .filter(|id| wanted.as_ref().is_none_or(|w| w.contains(id)))
        .partition(|id| st.is_at_commit(*id));
    if !deferred.is_empty() {
        // Users with a new key: whoever refers to them reads what changed. New users have no
        // referrers yet, and a keyed refresh changes no user's data.
        let referents = if matches!(concerns, Concerns::Every) && !fresh {
            Referents::ForAll
        } else {
            Referents::No
        };
        commit::defer(keys, cause, Some(&deferred), referents);
    }
    if own.is_empty() {
        return Ok((0, 0));
    }
    let own: BTreeSet<i64> = own.into_iter().collect();
    let keyed = Own::Keys {
        groups: own.clone(),
        keys,
        cause: depths::cause(cause),
        fresh,
    };
    let changes = depths::run(client, st, keyed, Vec::new(), Phase::Statement)?;
    let mut totals = (0, 0);
    for c in changes.iter().filter(|c| own.contains(&c.group)) {
        totals.0 += c.joined;
        totals.1 += c.left;
    }
    Ok(totals)
}

/// Row locks on the users, in key order, so that two writers about one user run one after
/// the other (sql/maintain.sql, step 2 of the lock order): manual overrides and the time
/// refresh, for the groups statements maintain.
pub fn lock_users(client: &mut SpiClient<'_>, st: &State, keys: &[String]) -> Result<(), DbError> {
    let key = quote_ident(&st.key_column);
    statements::run(
        client,
        &format!(
            "SELECT 1 FROM {users} u WHERE u.{key} IN (SELECT unnest($1::{kt}[])) \
             ORDER BY u.{key} FOR NO KEY UPDATE",
            users = st.users_table,
            kt = st.key_type
        ),
        &[text_array()],
        &[keys.to_vec().into()],
        |_| Ok(()),
    )
}

/// `_lock_users(keys)`: `lock_users` for the API's manual overrides.
#[pg_extern(volatile, parallel_unsafe, schema = "smart_groups_internal")]
fn _lock_users(keys: Vec<Option<String>>) {
    let keys: Vec<String> = keys.into_iter().flatten().collect();
    let result = Spi::connect_mut(|client| {
        state::with_state(client, |client, st| lock_users(client, st, &keys))
    });
    if let Err(e) = result {
        raise(&e);
    }
}

/// The keys of a transition table's rows (`sg_new` or `sg_old`), as text.
fn transition_keys(
    client: &mut SpiClient<'_>,
    st: &State,
    table: &str,
) -> Result<Vec<String>, DbError> {
    let key = quote_ident(&st.key_column);
    statements::query_one::<Vec<String>>(
        client,
        &format!("SELECT array_agg({key}::text) FROM {table}"),
        &[],
        &[],
    )
    .map(Option::unwrap_or_default)
}

/// AFTER INSERT FOR EACH STATEMENT on the users table: the new users join the groups whose
/// rules they satisfy. Nothing inserted (an `INSERT … ON CONFLICT DO UPDATE` that only
/// updated, which the UPDATE trigger maintained): nothing to do.
pub fn inserted(client: &mut SpiClient<'_>, st: &mut State) -> Result<(), DbError> {
    let keys = transition_keys(client, st, "sg_new")?;
    users(client, st, &keys, Concerns::Every, USER, true).map(|_| ())
}

/// AFTER DELETE FOR EACH STATEMENT on the users table. Users that are gone are in no group:
/// their rows go without evaluating any rule, logged and counted per active group (rows of
/// inactive groups are garbage anyway), and their manual overrides with them. Whoever referred
/// to them is maintained by the UPDATE or DELETE that the foreign key's action makes; rows of
/// groups maintained at commit go then, since until this transaction commits other
/// transactions may still evaluate these users there.
pub fn deleted(client: &mut SpiClient<'_>, st: &mut State) -> Result<(), DbError> {
    super::advisory::writer();
    let keys = transition_keys(client, st, "sg_old")?;
    if keys.is_empty() {
        return Ok(());
    }
    if !st.at_commit.is_empty() {
        commit::defer(&keys, USER, None, Referents::No);
    }
    let kt = &st.key_type;
    // Rows of groups that are not active are garbage (`_collect_garbage`): deleted with the
    // user, neither logged nor counted.
    let sql = Write {
        with: vec![
            format!("overrides AS (DELETE FROM smart_groups.inclusions WHERE user_key IN (SELECT unnest($1::{kt}[])) RETURNING 1)"),
            format!("exclusions AS (DELETE FROM smart_groups.exclusions WHERE user_key IN (SELECT unnest($1::{kt}[])) RETURNING 1)"),
        ],
        leave: Some(format!(
            "WHERE m.user_key IN (SELECT unnest($1::{kt}[])) AND m.group_id <> ALL ($2)"
        )),
        leave_cause: format!("'{USER}'"),
        leave_counts: Some(
            "EXISTS (SELECT 1 FROM smart_groups.groups g WHERE g.id = group_id AND g.status = 'active')"
                .into(),
        ),
        join: None,
        join_cause: None,
        ordered: false,
        keys_of: "false".into(),
    }
    .sql();
    // A few users' rows, as the kept-plan path writes them: under snapshot isolation a
    // membership committed after the snapshot is deleted too.
    writer::run(
        client,
        st,
        &sql,
        &[text_array(), int8_array()],
        &[keys.into(), st.at_commit.clone().into()],
        Run::Latest,
    )?;
    Ok(())
}

/// The users whose key a users UPDATE changed: the old keys leave every group, the new ones
/// are evaluated as users of their own.
pub fn moved(client: &mut SpiClient<'_>, st: &mut State) -> Result<(), DbError> {
    let key = quote_ident(&st.key_column);
    let keys = statements::query_one::<Vec<String>>(
        client,
        &format!(
            "SELECT array_agg(k) FROM \
               ((SELECT {key}::text AS k FROM sg_old EXCEPT SELECT {key}::text FROM sg_new) \
                UNION (SELECT {key}::text FROM sg_new EXCEPT SELECT {key}::text FROM sg_old)) s"
        ),
        &[],
        &[],
    )?
    .unwrap_or_default();
    // Keys no user has any more lose their overrides, as a deleted user does: a user given a
    // freed key later (of another tenant, maybe) must not inherit them.
    statements::run(
        client,
        &format!(
            "WITH gone AS (SELECT k::{kt} AS k FROM unnest($1::text[]) k \
                            WHERE NOT EXISTS (SELECT 1 FROM {users} u WHERE u.{key} = k::{kt})), \
                  i AS (DELETE FROM smart_groups.inclusions x USING gone WHERE x.user_key = gone.k RETURNING 1), \
                  e AS (DELETE FROM smart_groups.exclusions x USING gone WHERE x.user_key = gone.k RETURNING 1) \
             SELECT (SELECT count(*) FROM i) + (SELECT count(*) FROM e)",
            kt = st.key_type,
            users = st.users_table,
        ),
        &[text_array()],
        &[keys.clone().into()],
        |_| Ok(()),
    )?;
    users(client, st, &keys, Concerns::Every, USER, false).map(|_| ())
}

/// The users a users UPDATE moved to another tenant (docs/reference/tenants.md): their
/// inclusions (static groups' memberships too) and exclusions in other tenants' groups go,
/// and those users are evaluated for every group, so that no group keeps a user of another
/// tenant. Rules need nothing more: every tenant group reads the tenant column, and the
/// UPDATE's own maintenance follows.
pub fn tenant_moved(client: &mut SpiClient<'_>, st: &mut State) -> Result<(), DbError> {
    let Some(tenant) = st.tenant_column.as_deref() else {
        return Ok(());
    };
    super::advisory::writer();
    let (key, tenant) = (quote_ident(&st.key_column), quote_ident(tenant));
    let kt = &st.key_type;
    let moved = statements::run(
        client,
        &format!(
            "SELECT n.{key}::text, n.{tenant}::text FROM sg_new n JOIN sg_old o ON o.{key} = n.{key} \
              WHERE o.{tenant}::text IS DISTINCT FROM n.{tenant}::text"
        ),
        &[],
        &[],
        |rows| {
            let mut out: Vec<(String, Option<String>)> = Vec::new();
            for r in rows {
                out.push((r.get::<String>(1)?.unwrap_or_default(), r.get::<String>(2)?));
            }
            Ok(out)
        },
    )?;
    if moved.is_empty() {
        return Ok(());
    }
    let (keys, tenants): (Vec<String>, Vec<Option<String>>) = moved.into_iter().unzip();
    let m = format!("m AS (SELECT k::{kt} AS k, t FROM unnest($1::text[], $2::text[]) AS m(k, t))");
    // An override `x` of a moved user `m` in a group `g` of another tenant.
    const ELSEWHERE: &str =
        "x.user_key = m.k AND g.id = x.group_id AND g.tenant IS DISTINCT FROM m.t";
    let gone = statements::query_one::<Vec<String>>(
        client,
        &format!(
            "WITH {m}, \
                  i AS (DELETE FROM smart_groups.inclusions x USING m, smart_groups.groups g \
                         WHERE {ELSEWHERE} RETURNING x.user_key), \
                  e AS (DELETE FROM smart_groups.exclusions x USING m, smart_groups.groups g \
                         WHERE {ELSEWHERE} RETURNING x.user_key) \
             SELECT array_agg(DISTINCT k) FROM (SELECT user_key::text AS k FROM i UNION ALL SELECT user_key::text FROM e) s"
        ),
        &[text_array(), text_array()],
        &[keys.clone().into(), tenants.clone().into()],
    )?
    .unwrap_or_default();
    // Under snapshot isolation an override committed after this transaction's snapshot (an
    // include that our UPDATE of the user waited for) is not deleted above: as committed now,
    // none may be left.
    if crate::guc_scope::snapshot_isolation() {
        let mut left = false;
        statements::run_latest(
            &format!(
                "WITH {m} SELECT EXISTS (SELECT 1 FROM smart_groups.inclusions x, m, smart_groups.groups g WHERE {ELSEWHERE}) \
                 OR EXISTS (SELECT 1 FROM smart_groups.exclusions x, m, smart_groups.groups g WHERE {ELSEWHERE})"
            ),
            &[keys.into(), tenants.into()],
            false,
            |col| {
                // SAFETY: the statement's one column is boolean.
                left = unsafe { col(1).and_then(|d| bool::from_datum(d, false)) }.unwrap_or(false);
            },
        )?;
        if left {
            return Err(DbError::SerializationFailure);
        }
    }
    users(client, st, &gone, Concerns::Every, USER, false).map(|_| ())
}

/// `_refresh_group(gid, cause, keys)`: the API's refresh of one group, and of the groups
/// naming it (as group_change), for every user (`batch::refresh_full`: create, activate,
/// set_rules, recalculate) or for `keys` (an inclusion, an exclusion, a time boundary; the
/// caller holds the users' rows, and a group maintained at commit gets them recorded for then).
#[pg_extern(volatile, parallel_unsafe, schema = "smart_groups_internal")]
fn _refresh_group(
    gid: i64,
    cause: &str,
    keys: Option<Vec<Option<String>>>,
) -> TableIterator<'static, (name!(joined, i64), name!(left, i64))> {
    let result = Spi::connect_mut(|client| {
        state::with_state(client, |client, st| match &keys {
            Some(keys) => {
                let keys: Vec<String> = keys.iter().flatten().cloned().collect();
                users(client, st, &keys, Concerns::Groups(vec![gid]), cause, false)
            }
            None => {
                let dependants = st.dependants(gid).to_vec();
                let Some(full) =
                    crate::batch::refresh_full(client, st, gid, cause, !dependants.is_empty())?
                else {
                    return Ok((0, 0));
                };
                if !full.keys.is_empty() {
                    users(
                        client,
                        st,
                        &full.keys,
                        Concerns::Groups(dependants),
                        GROUP,
                        false,
                    )?;
                }
                Ok((full.joined, full.left))
            }
        })
    });
    match result {
        Ok(totals) => TableIterator::new(std::iter::once(totals.unwrap_or((0, 0)))),
        Err(e) => raise(&e),
    }
}
