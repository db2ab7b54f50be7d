//! Random changes to the users table: values, managers, keys, inserts (INSERT and COPY),
//! deletes and TRUNCATE. Predicates that pick rows are deterministic (no random()) so that a
//! seed replays the same run.

use crate::data_ops::{copy, insert, set_clause};
use crate::pools::Pools;
use crate::rng::Rng;
use crate::rows::{Row, USER_COLUMNS};
use crate::sqlval::Sql;
use crate::step::{Action, Effect, State, Step};

/// New users with fresh keys; `copy` sends them with COPY instead of INSERT.
pub fn new_users(rng: &mut Rng, pools: &Pools, state: &mut State, n: usize, copy_in: bool) -> Step {
    let managers = state.live_vec();
    let mut rows = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..n {
        let id = state.fresh_id();
        ids.push(id);
        let mut row: Row = vec![("id", Sql::Lit(id.to_string()))];
        row.extend(pools.user_row(rng, &managers, copy_in));
        if let Some((_, Sql::Lit(t))) = row.iter().find(|(c, _)| *c == "org") {
            state.tenant_of.insert(id, t.clone());
        }
        rows.push(row);
    }
    let (desc, action) = if copy_in {
        (format!("COPY {n} users"), copy("app.users", &rows))
    } else {
        (
            format!("INSERT {n} users"),
            Action::Sql(insert("app.users", &rows)),
        )
    };
    Step {
        desc,
        action,
        effect: Effect::AddUsers(ids),
    }
}

/// A deterministic predicate selecting a few users.
fn some_users(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!("id % 13 = {}", rng.below(13)),
        1 => format!(
            "age = {}",
            rng.pick(crate::pools::INTS).copied().unwrap_or("0")
        ),
        2 => "name IS NULL OR name = ''".into(),
        _ => format!("manager_id % 7 = {}", rng.below(7)),
    }
}

pub fn user_change(rng: &mut Rng, pools: &Pools, state: &mut State) -> Option<Step> {
    let live = state.live_vec();
    let user = *rng.pick(&live)?;
    Some(match rng.below(20) {
        0..=9 => {
            let n = 1 + rng.below(4);
            let mut row: Row = Vec::new();
            for _ in 0..n {
                if let Some(c) = rng.pick(USER_COLUMNS).copied() {
                    row.push((c, pools.user_value(rng, c, &live, false)));
                }
            }
            let (set, tenant) = dedup_set(&row);
            let sql = format!("UPDATE app.users SET {set} WHERE id = {user}");
            let effect = tenant.map_or(Effect::None, |t| Effect::SetTenant(vec![user], t));
            Step::sql(format!("UPDATE user {user}"), sql, effect)
        }
        10..=11 => {
            let column = rng.pick(USER_COLUMNS).copied().unwrap_or("name");
            let value = pools.user_value(rng, column, &live, false);
            let filter = some_users(rng);
            let sql = format!(
                "UPDATE app.users SET {column} = {} WHERE {filter}",
                value.sql()
            );
            Step::sql(format!("UPDATE users WHERE {filter}"), sql, Effect::None)
        }
        12..=14 => {
            let manager = match rng.pick(&live) {
                Some(m) if rng.chance(85) => m.to_string(),
                _ => "NULL".into(),
            };
            let sql = format!("UPDATE app.users SET manager_id = {manager} WHERE id = {user}");
            Step::sql(
                format!("user {user} gets manager {manager}"),
                sql,
                Effect::None,
            )
        }
        15..=16 => {
            let to = state.fresh_id();
            let sql = format!("UPDATE app.users SET id = {to} WHERE id = {user}");
            Step::sql(
                format!("move key {user} -> {to}"),
                sql,
                Effect::MoveKey(user, to),
            )
        }
        _ => {
            // Mostly one user: broad deletes would empty the table long before the last batch.
            let filter = if rng.chance(80) {
                format!("id = {user}")
            } else {
                format!("id % 41 = {}", rng.below(41))
            };
            Step {
                desc: format!("DELETE users WHERE {filter}"),
                action: Action::SqlReturningRemoved(format!(
                    "DELETE FROM app.users WHERE {filter} RETURNING id"
                )),
                effect: Effect::None,
            }
        }
    })
}

/// `SET a = x, a = y` is an error; keep the last value of each column. Also returns the
/// tenant the user moves to, if `org` is set.
fn dedup_set(row: &Row) -> (String, Option<String>) {
    let mut seen: Vec<&str> = Vec::new();
    let mut kept: Row = Vec::new();
    for (c, v) in row.iter().rev() {
        if !seen.contains(c) {
            seen.push(c);
            kept.push((c, v.clone()));
        }
    }
    let tenant = kept.iter().find_map(|(c, v)| match v {
        Sql::Lit(t) if *c == "org" => Some(t.clone()),
        _ => None,
    });
    (set_clause(&kept), tenant)
}

/// TRUNCATE of the users table (CASCADE empties custom rows and enrollments too; clicks
/// stay, and now belong to nobody until a user with their key comes back).
pub fn truncate_users() -> Step {
    Step::sql(
        "TRUNCATE users CASCADE",
        "TRUNCATE app.users CASCADE".into(),
        Effect::ClearUsers,
    )
}
