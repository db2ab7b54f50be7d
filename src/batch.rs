//! The set-based writers. `refresh`: one statement brings the membership of many
//! groups up to date for the users a statement changed, instead of one statement per group:
//! each user row is read once and every group's predicate is evaluated against it. Statements
//! are prepared once per backend and kept, since a busy table fires the same shape again and
//! again. `refresh_full`: one group for every user (create, activate, set_rules, recalculate).

use std::cell::RefCell;
use std::collections::HashMap;

use pgrx::prelude::*;
use pgrx::spi::{OwnedPreparedStatement, SpiClient};
use pgrx::JsonB;

use crate::errors::{raise, DbError};
use crate::groups_api::predicate;
use crate::guc_scope::{with_settings, NO_JIT};
use crate::live::{statements, State};

/// Key sets larger than this are planned for their size each time rather than with a kept
/// plan (a plan good for one user is a poor one for a million).
const KEEP_PLAN_MAX_KEYS: usize = 10_000;
const STATEMENT_CACHE_LIMIT: usize = 256;

thread_local! {
    static STATEMENTS: RefCell<HashMap<String, OwnedPreparedStatement>> = RefCell::new(HashMap::new());
}

struct Users {
    key_column: String,
    key_type: String,
    table: String,
}

fn users(client: &mut SpiClient<'_>) -> Result<Users, pgrx::spi::Error> {
    let rows = client.select(
        "SELECT key_column::text, key_type, smart_groups._qname(users_table) FROM smart_groups.config",
        Some(1),
        &[],
    )?;
    let mut u = Users {
        key_column: String::new(),
        key_type: String::new(),
        table: String::new(),
    };
    for row in rows {
        u.key_column = row.get::<String>(1)?.unwrap_or_default();
        u.key_type = row.get::<String>(2)?.unwrap_or_default();
        u.table = row.get::<String>(3)?.unwrap_or_default();
    }
    Ok(u)
}

fn quote_ident(s: &str) -> String {
    smart_groups_core::compile::quote_ident(s)
}

/// The statement for these groups (id, predicate), over `$1` keys (text[]), `$2` group ids
/// and `$3` the cause.
fn statement(u: &Users, groups: &[(i64, String)], fresh: bool) -> String {
    let key = quote_ident(&u.key_column);
    let kt = &u.key_type;
    let values: Vec<String> = groups
        .iter()
        .map(|(id, pred)| format!("({id}::bigint, ({pred}))"))
        .collect();
    let matching = if values.is_empty() {
        String::new()
    } else {
        format!(
            "SELECT g.gid, u.{key} AS k FROM {users} u JOIN k ON u.{key} = k.k \
             CROSS JOIN LATERAL (VALUES {v}) AS g(gid, ok) WHERE g.ok UNION ",
            users = u.table,
            v = values.join(", ")
        )
    };
    // New users are in no group yet: nothing to delete (and no partition to probe for them),
    // and nothing to conflict with (`t` is distinct), so the insert skips ON CONFLICT's probe
    // of the key before each row, half its cost. A member row left for a key that was no user
    // can only come from writing smart_groups.members by hand; it fails the insert
    // (unique violation) until recalculate() removes it, as verify() reports.
    let on_conflict = if fresh { "" } else { "ON CONFLICT DO NOTHING " };
    let gone = if fresh {
        format!("SELECT NULL::bigint AS group_id, NULL::{kt} AS user_key WHERE false")
    } else {
        "DELETE FROM smart_groups.member_rows m USING k WHERE m.user_key = k.k AND m.group_id = ANY ($2) \
         AND NOT EXISTS (SELECT 1 FROM f WHERE f.gid = m.group_id AND f.k = m.user_key) \
         RETURNING m.group_id, m.user_key"
            .to_string()
    };
    // Rows go in by group and key: each partition's index is then walked in order.
    format!(
        "WITH k AS MATERIALIZED (SELECT DISTINCT x::{kt} AS k FROM unnest($1::text[]) x), \
         t AS ({matching}SELECT i.group_id AS gid, i.user_key AS k FROM smart_groups.inclusions i JOIN k ON i.user_key = k.k \
               WHERE i.group_id = ANY ($2) AND EXISTS (SELECT 1 FROM {users} u WHERE u.{key} = i.user_key)), \
         f AS (SELECT t.gid, t.k FROM t WHERE NOT EXISTS \
               (SELECT 1 FROM smart_groups.exclusions e WHERE e.group_id = t.gid AND e.user_key = t.k)), \
         gone AS ({gone}), \
         added AS (INSERT INTO smart_groups.member_rows (group_id, user_key) SELECT gid, k FROM f ORDER BY gid, k \
                   {on_conflict}RETURNING group_id, user_key), \
         logged AS (INSERT INTO smart_groups.membership_changes (group_id, user_keys, change, cause) \
                    SELECT group_id, array_agg(user_key), 'leave', $3 FROM gone GROUP BY group_id \
                    UNION ALL SELECT group_id, array_agg(user_key), 'join', $3 FROM added GROUP BY group_id ORDER BY 1, 3 \
                    RETURNING group_id, change, cardinality(user_keys) AS n) \
         SELECT group_id, coalesce(sum(n) FILTER (WHERE change = 'join'), 0)::bigint, \
                coalesce(sum(n) FILTER (WHERE change = 'leave'), 0)::bigint \
         FROM logged GROUP BY group_id",
        users = u.table,
    )
}

pub type Counts = Vec<(i64, i64, i64)>;

fn run(
    client: &mut SpiClient<'_>,
    sql: &str,
    keep: bool,
    args: [pgrx::datum::DatumWithOid<'_>; 3],
) -> Result<Counts, pgrx::spi::Error> {
    let collect = |table: pgrx::spi::SpiTupleTable<'_>| -> Result<Counts, pgrx::spi::Error> {
        let mut out = Vec::new();
        for row in table {
            out.push((
                row.get::<i64>(1)?.unwrap_or_default(),
                row.get::<i64>(2)?.unwrap_or_default(),
                row.get::<i64>(3)?.unwrap_or_default(),
            ));
        }
        Ok(out)
    };
    if !keep {
        return collect(with_settings(&[NO_JIT], || {
            client.update(sql, None, &args)
        })?);
    }
    let cached = STATEMENTS.with(|c| c.borrow().contains_key(sql));
    if !cached {
        let stmt = client
            .prepare_mut(
                sql,
                &[
                    PgBuiltInOids::TEXTARRAYOID.oid(),
                    PgBuiltInOids::INT8ARRAYOID.oid(),
                    PgBuiltInOids::TEXTOID.oid(),
                ],
            )?
            .keep();
        STATEMENTS.with(|c| {
            let mut c = c.borrow_mut();
            if c.len() >= STATEMENT_CACHE_LIMIT {
                c.clear();
            }
            c.insert(sql.to_string(), stmt);
        });
    }
    STATEMENTS.with(|c| {
        let c = c.borrow();
        match c.get(sql) {
            Some(stmt) => collect(with_settings(&[NO_JIT], || {
                client.update(stmt, None, &args)
            })?),
            None => Ok(Vec::new()),
        }
    })
}

/// Refreshes groups `gids` (all at the same member_of depth) for the users `keys`, logging
/// each join and leave with `cause`. `fresh`: the keys are users just inserted, in no group
/// yet. Returns the groups whose membership changed, with how many joined and left. The
/// groups' predicates come compiled from the backend's state (`State::predicate`): compiling
/// forty rulesets on every INSERT of a user was most of its cost.
pub fn refresh(
    client: &mut SpiClient<'_>,
    st: &mut State,
    gids: &[i64],
    keys: Vec<String>,
    cause: &str,
    fresh: bool,
) -> Result<Counts, DbError> {
    // Active groups only; a static group has no predicate, only inclusions.
    // Under REPEATABLE READ and SERIALIZABLE the snapshot predates whatever lifecycle change
    // the maintenance lock made us wait for: FOR SHARE turns a group deactivated or dropped
    // meanwhile into a serialization failure the client retries, instead of writing members
    // into a group that no longer has them. (READ COMMITTED statements see the change.)
    let lock = if crate::guc_scope::snapshot_isolation() {
        " FOR SHARE"
    } else {
        ""
    };
    let groups = statements::run(
        client,
        &format!(
            "SELECT id, name, CASE WHEN kind = 'smart' THEN rules END FROM smart_groups.groups \
             WHERE id = ANY ($1) AND status = 'active' ORDER BY id{lock}"
        ),
        &[statements::int8_array()],
        &[gids.to_vec().into()],
        |rows| {
            let mut out: Vec<(i64, String, Option<JsonB>)> = Vec::new();
            for r in rows {
                out.push((
                    r.get::<i64>(1)?.unwrap_or_default(),
                    r.get::<String>(2)?.unwrap_or_default(),
                    r.get::<JsonB>(3)?,
                ));
            }
            Ok(out)
        },
    )?;
    if groups.is_empty() || keys.is_empty() {
        return Ok(Vec::new());
    }
    let active: Vec<i64> = groups.iter().map(|g| g.0).collect();
    let mut predicates: Vec<(i64, String)> = Vec::new();
    for (id, name, rules) in groups {
        let Some(rules) = rules else {
            continue;
        };
        // A group the state does not know yet (changed in this very statement) is compiled
        // from its row.
        let pred = match st.predicate(id) {
            Ok(pred) => pred,
            Err(_) => predicate(rules, Some(&name)),
        };
        predicates.push((id, pred));
    }
    let u = Users {
        key_column: st.key_column.clone(),
        key_type: st.key_type.clone(),
        table: st.users_table.clone(),
    };
    let sql = statement(&u, &predicates, fresh);
    let keep = keys.len() <= KEEP_PLAN_MAX_KEYS;
    Ok(run(
        client,
        &sql,
        keep,
        [keys.into(), active.into(), cause.into()],
    )?)
}

/// What a group's full refresh changed: how many joined and left, and (for groups that others
/// name in member_of) the keys that did.
pub struct Full {
    pub joined: i64,
    pub left: i64,
    pub keys: Vec<String>,
}

/// Brings the stored membership of active group `gid` to its target for every user, set-based
/// (create, activate, set_rules, recalculate), logging each join and leave with `cause`. A group
/// with no rows (created, activated) only gains members: nothing to delete or conflict with,
/// and the rows go in key order, so both indexes are walked in order. `with_keys`: the caller
/// follows the change into the groups naming this one, which need the keys that changed.
pub fn refresh_full(
    client: &mut SpiClient<'_>,
    gid: i64,
    cause: &str,
    with_keys: bool,
) -> Result<Option<Full>, pgrx::spi::Error> {
    let u = users(client)?;
    let rows = client.select(
        "SELECT name, kind, rules, EXISTS (SELECT 1 FROM smart_groups.member_rows WHERE group_id = g.id) \
           FROM smart_groups.groups g WHERE id = $1 AND status = 'active'",
        Some(1),
        &[gid.into()],
    )?;
    let mut found = None;
    for r in rows {
        found = Some((
            r.get::<String>(1)?.unwrap_or_default(),
            r.get::<String>(2)?.unwrap_or_default(),
            r.get::<JsonB>(3)?,
            r.get::<bool>(4)?.unwrap_or(false),
        ));
    }
    let Some((name, kind, rules, has_members)) = found else {
        return Ok(None);
    };
    let pred = match (kind.as_str(), rules) {
        ("smart", Some(r)) => predicate(r, Some(&name)),
        _ => "false".to_string(),
    };
    let target = target_sql(&u, &pred, "$1");
    let keys = if with_keys {
        "(SELECT array_agg(c.user_key::text) FROM (SELECT user_key FROM added UNION ALL SELECT user_key FROM gone) c)"
    } else {
        "NULL::text[]"
    };
    let gone = if has_members {
        "DELETE FROM smart_groups.member_rows m WHERE m.group_id = $1 \
           AND NOT EXISTS (SELECT 1 FROM target t WHERE t.k = m.user_key) RETURNING m.user_key"
            .to_string()
    } else {
        format!("SELECT NULL::{} AS user_key WHERE false", u.key_type)
    };
    let (order, on_conflict) = if has_members {
        ("", " ON CONFLICT DO NOTHING")
    } else {
        (" ORDER BY t.k", "")
    };
    let sql = format!(
        "WITH target AS ({target}), gone AS ({gone}), \
         added AS (INSERT INTO smart_groups.member_rows (group_id, user_key) \
                   SELECT $1, t.k FROM target t{order}{on_conflict} RETURNING user_key), \
         logged AS (INSERT INTO smart_groups.membership_changes (group_id, user_keys, change, cause) \
                    SELECT $1, array_agg(user_key), 'leave', $2 FROM gone HAVING count(*) > 0 \
                    UNION ALL \
                    SELECT $1, array_agg(user_key), 'join', $2 FROM added HAVING count(*) > 0) \
         SELECT (SELECT count(*) FROM added), (SELECT count(*) FROM gone), {keys}"
    );
    let out = with_settings(&[NO_JIT], || {
        client.update(&sql, None, &[gid.into(), cause.into()])
    })?;
    let mut full = Full {
        joined: 0,
        left: 0,
        keys: Vec::new(),
    };
    for r in out {
        full.joined = r.get::<i64>(1)?.unwrap_or(0);
        full.left = r.get::<i64>(2)?.unwrap_or(0);
        full.keys = r.get::<Vec<String>>(3)?.unwrap_or_default();
    }
    Ok(Some(full))
}

/// SELECT of the users (column `k`) a group should contain: (matching `pred` ∪ included) −
/// excluded, the group's id given by `gid` (SQL).
fn target_sql(u: &Users, pred: &str, gid: &str) -> String {
    let key = quote_ident(&u.key_column);
    // UNION ALL: the users key is unique, and an included user the rules already select is
    // left out of the second branch, so no key comes twice and nothing needs deduplicating
    // (a hash of every member, which spilled to disk for a group of a million).
    format!(
        "SELECT t.k FROM (SELECT u.{key} AS k FROM {users} u WHERE ({pred}) \
          UNION ALL SELECT u.{key} FROM smart_groups.inclusions i JOIN {users} u ON u.{key} = i.user_key \
          WHERE i.group_id = {gid} AND ({pred}) IS NOT TRUE) t \
         WHERE NOT EXISTS (SELECT 1 FROM smart_groups.exclusions e WHERE e.group_id = {gid} AND e.user_key = t.k)",
        users = u.table
    )
}

/// `_target_sql(gid, name, rules)`: the SELECT of the users group `gid` should contain, for
/// verify() and preview_change(); `rules` NULL: a static group (its inclusions only).
#[pg_extern(stable)]
fn _target_sql(gid: i64, name: &str, rules: Option<JsonB>) -> String {
    let pred = match rules {
        Some(r) => predicate(r, Some(name)),
        None => "false".to_string(),
    };
    match Spi::connect_mut(users) {
        Ok(u) => target_sql(&u, &pred, &gid.to_string()),
        Err(e) => raise(&DbError::from(e)),
    }
}
