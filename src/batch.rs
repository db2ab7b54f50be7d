//! Set-based decisions, written by the one writer (`live::writer`). `refresh`: one statement
//! brings the membership of many groups up to date for the users a statement changed,
//! instead of one statement per group: each user row is read once and every group's
//! predicate is evaluated against it. Its plans are kept per backend (`statements`), since a
//! busy table fires the same shape again and again. `refresh_full`: one group for every user
//! (create, activate, set_rules, recalculate).

use std::collections::BTreeSet;

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use pgrx::JsonB;

use crate::errors::{raise, DbError};
use crate::groups_api::predicate;
use crate::guc_scope::NO_JIT;
use crate::live::writer::{self, Change, Run, Write};
use crate::live::{statements, State};
use crate::rules_api::Owner;

/// Key sets larger than this are planned for their size each time rather than with a kept
/// plan (a plan good for one user is a poor one for a million).
const KEEP_PLAN_MAX_KEYS: usize = 10_000;

struct Users {
    key_column: String,
    key_type: String,
    table: String,
}

fn users(client: &mut SpiClient<'_>) -> Result<Users, pgrx::spi::Error> {
    let rows = client.select(
        "SELECT key_column::text, key_type, smart_groups_internal._qname(users_table) FROM smart_groups.config",
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

impl Users {
    fn of(st: &State) -> Users {
        Users {
            key_column: st.key_column.clone(),
            key_type: st.key_type.clone(),
            table: st.users_table.clone(),
        }
    }
}

fn quote_ident(s: &str) -> String {
    smart_groups_core::compile::quote_ident(s)
}

/// The statement for these groups (id, predicate), over `$1` keys (text[]), `$2` group ids
/// and `$3` the cause; the keys that changed are returned for the groups `$4`. `paired`:
/// only the pairs (`$1[i]`, `$5[i]`) are decided, each key in its own groups (`k.gids`):
/// a group's rules run only for the keys paired with it (CASE evaluates its branch only
/// when taken), and only those keys' rows of it are read and deleted.
fn statement(u: &Users, groups: &[(i64, String)], fresh: bool, paired: bool) -> String {
    let key = quote_ident(&u.key_column);
    let kt = &u.key_type;
    let values: Vec<String> = groups
        .iter()
        .map(|(id, pred)| {
            if paired {
                format!("({id}::bigint, CASE WHEN {id}::bigint = ANY (k.gids) THEN ({pred}) END)")
            } else {
                format!("({id}::bigint, ({pred}))")
            }
        })
        .collect();
    let keys = if paired {
        format!(
            "p AS MATERIALIZED (SELECT x::{kt} AS k, g AS gid FROM unnest($1::text[], $5::bigint[]) p(x, g)), \
             k AS MATERIALIZED (SELECT p.k, array_agg(DISTINCT p.gid) AS gids FROM p GROUP BY 1)"
        )
    } else {
        format!("k AS MATERIALIZED (SELECT DISTINCT x::{kt} AS k FROM unnest($1::text[]) x)")
    };
    // A paired key's rows only in its own groups.
    let mine = |col: &str| {
        if paired {
            format!(" AND {col} = ANY (k.gids)")
        } else {
            String::new()
        }
    };
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
    Write {
        with: vec![
            keys,
            format!(
                "t AS ({matching}SELECT i.group_id AS gid, i.user_key AS k FROM smart_groups.inclusions i JOIN k ON i.user_key = k.k \
                 WHERE i.group_id = ANY ($2){inc} AND EXISTS (SELECT 1 FROM {users} u WHERE u.{key} = i.user_key))",
                users = u.table,
                inc = mine("i.group_id"),
            ),
            "f AS (SELECT t.gid, t.k FROM t WHERE NOT EXISTS \
             (SELECT 1 FROM smart_groups.exclusions e WHERE e.group_id = t.gid AND e.user_key = t.k))"
                .to_string(),
        ],
        // New users are in no group yet: nothing to delete, and nothing to conflict with
        // (`t` is distinct), so the insert skips ON CONFLICT's probe of the key before each
        // row, half its cost. A member row left for a key that was no user can only come
        // from writing smart_groups.members by hand; it fails the insert (unique violation)
        // until recalculate() removes it, as verify() reports.
        // Paired, the rows are found pair by pair through the primary key: a few users'
        // pairs in a few of many groups must not read those groups' every row (a time
        // refresh at 1,000 groups hashed 750,000 of them to delete 2).
        leave: (!fresh).then(|| {
            let rows = if paired {
                "p WHERE m.group_id = p.gid AND m.user_key = p.k"
            } else {
                "k WHERE m.user_key = k.k"
            };
            format!(
                "USING {rows} AND m.group_id = ANY ($2) \
                 AND NOT EXISTS (SELECT 1 FROM f WHERE f.gid = m.group_id AND f.k = m.user_key)"
            )
        }),
        leave_cause: "$3".into(),
        leave_counts: None,
        join: Some("SELECT f.gid, f.k FROM f".into()),
        join_cause: Some("$3".into()),
        // Rows go in by group and key: each index is then walked in order.
        ordered: true,
        keys_of: "group_id = ANY ($4)".into(),
    }
    .sql()
}

/// The users a refresh decides: each key in every group asked for, or, `paired_with`, each
/// key in its own group only (`paired_with[i]` for `keys[i]`; a key comes once per group).
pub struct Keys<'a> {
    pub keys: &'a [String],
    pub paired_with: Option<&'a [i64]>,
}

/// Refreshes groups `gids` (all at the same member_of depth) for the users `keys`, logging
/// each join and leave with `cause`. `fresh`: the keys are users just inserted, in no group
/// yet. Returns what changed, with the keys for `with_dependants`. The
/// groups' predicates come compiled from the backend's state (`State::predicate`): compiling
/// forty rulesets on every INSERT of a user was most of its cost.
pub fn refresh(
    client: &mut SpiClient<'_>,
    st: &mut State,
    gids: &[i64],
    keys: Keys<'_>,
    cause: &str,
    fresh: bool,
    with_dependants: &BTreeSet<i64>,
) -> Result<Vec<Change>, DbError> {
    let Keys { keys, paired_with } = keys;
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
            "SELECT id, name, CASE WHEN kind = 'smart' THEN rules END, to_jsonb(g) ->> 'tenant' FROM smart_groups.groups g \
             WHERE id = ANY ($1) AND status = 'active' ORDER BY id{lock}"
        ),
        &[statements::int8_array()],
        &[gids.to_vec().into()],
        |rows| {
            let mut out: Vec<(i64, String, Option<JsonB>, Option<String>)> = Vec::new();
            for r in rows {
                out.push((
                    r.get::<i64>(1)?.unwrap_or_default(),
                    r.get::<String>(2)?.unwrap_or_default(),
                    r.get::<JsonB>(3)?,
                    r.get::<String>(4)?,
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
    for (id, name, rules, tenant) in groups {
        let Some(rules) = rules else {
            continue;
        };
        // A group the state does not know yet (changed in this very statement) is compiled
        // from its row.
        let pred = match st.predicate(id) {
            Ok(pred) => pred,
            Err(_) => predicate(
                &rules.0.to_string(),
                Owner::new(Some(&name), tenant.as_deref()),
            ),
        };
        predicates.push((id, pred));
    }
    let u = Users::of(st);
    let sql = statement(&u, &predicates, fresh, paired_with.is_some());
    let how = if keys.len() <= KEEP_PLAN_MAX_KEYS {
        Run::Kept
    } else {
        Run::Once(&[NO_JIT])
    };
    let mut types = vec![
        PgBuiltInOids::TEXTARRAYOID.oid(),
        PgBuiltInOids::INT8ARRAYOID.oid(),
        PgBuiltInOids::TEXTOID.oid(),
        PgBuiltInOids::INT8ARRAYOID.oid(),
    ];
    let dependants: Vec<i64> = with_dependants.iter().copied().collect();
    let mut args = vec![
        keys.to_vec().into(),
        active.into(),
        cause.into(),
        dependants.into(),
    ];
    if let Some(groups) = paired_with {
        types.push(PgBuiltInOids::INT8ARRAYOID.oid());
        args.push(groups.to_vec().into());
    }
    writer::run(client, st, &sql, &types, &args, how)
}

/// Brings the stored membership of active group `gid` to its target for every user, set-based
/// (create, activate, set_rules, recalculate), logging each join and leave with `cause`. A group
/// with no rows (created, activated) only gains members: nothing to delete or conflict with,
/// and the rows go in key order, so both indexes are walked in order. `with_keys`: the caller
/// follows the change into the groups naming this one, which need the keys that changed.
/// None when the group is not active.
pub fn refresh_full(
    client: &mut SpiClient<'_>,
    st: &State,
    gid: i64,
    cause: &str,
    with_keys: bool,
) -> Result<Option<Change>, DbError> {
    let u = Users::of(st);
    let found = statements::run(
        client,
        "SELECT name, kind, rules, EXISTS (SELECT 1 FROM smart_groups.member_rows WHERE group_id = g.id), to_jsonb(g) ->> 'tenant' \
           FROM smart_groups.groups g WHERE id = $1 AND status = 'active'",
        &[PgBuiltInOids::INT8OID.oid()],
        &[gid.into()],
        |rows| {
            let mut found = None;
            for r in rows {
                found = Some((
                    r.get::<String>(1)?.unwrap_or_default(),
                    r.get::<String>(2)?.unwrap_or_default(),
                    r.get::<JsonB>(3)?,
                    r.get::<bool>(4)?.unwrap_or(false),
                    r.get::<String>(5)?,
                ));
            }
            Ok(found)
        },
    )?;
    let Some((name, kind, rules, has_members, tenant)) = found else {
        return Ok(None);
    };
    let pred = match (kind.as_str(), rules) {
        ("smart", Some(r)) => {
            predicate(&r.0.to_string(), Owner::new(Some(&name), tenant.as_deref()))
        }
        _ => "false".to_string(),
    };
    let sql = Write {
        with: vec![format!("target AS ({})", target_sql(&u, &pred, "$1"))],
        leave: has_members.then(|| {
            "WHERE m.group_id = $1 AND NOT EXISTS (SELECT 1 FROM target t WHERE t.k = m.user_key)"
                .to_string()
        }),
        leave_cause: "$2".into(),
        leave_counts: None,
        join: Some("SELECT $1::bigint, t.k FROM target t".into()),
        join_cause: Some("$2".into()),
        ordered: !has_members,
        keys_of: if with_keys { "true" } else { "false" }.into(),
    }
    .sql();
    let changes = writer::run(
        client,
        st,
        &sql,
        &[],
        &[gid.into(), cause.into()],
        Run::Once(&[NO_JIT]),
    )?;
    crate::live::check_overrides(client, &[gid])?;
    Ok(Some(changes.into_iter().next().unwrap_or(Change {
        group: gid,
        joined: 0,
        left: 0,
        keys: Vec::new(),
    })))
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

/// `_target_sql(gid, name, rules, tenant)`: the SELECT of the users group `gid` (of `tenant`)
/// should contain, for verify() and preview_change(); `rules` NULL: a static group (its
/// inclusions only).
#[pg_extern(name = "_target_sql", stable, schema = "smart_groups_internal")]
pub fn target_sql_in(
    gid: i64,
    name: crate::args::Text,
    rules: Option<crate::args::RulesJson>,
    tenant: default!(Option<crate::args::Text>, "NULL"),
) -> String {
    let owner = Owner::new(
        Some(name.get("the group name")),
        tenant.as_ref().map(|t| t.get("the tenant")),
    );
    let pred = match rules {
        Some(r) => predicate(r.text(), owner),
        None => "false".to_string(),
    };
    match Spi::connect_mut(users) {
        Ok(u) => target_sql(&u, &pred, &gid.to_string()),
        Err(e) => raise(&DbError::from(e)),
    }
}
