//! Random changes to custom-field rows and relation rows, by INSERT, UPDATE, DELETE, COPY and
//! TRUNCATE, and the SQL text they are sent as. Predicates that pick rows are deterministic
//! (no random()) so that a seed replays the same run.

use crate::pools::Pools;
use crate::rng::Rng;
use crate::rows::{Row, CUSTOM_KEYS};
use crate::sqlval::{copy_line, Sql};
use crate::step::{Action, Effect, State, Step};

pub fn insert(table: &str, rows: &[Row]) -> String {
    let columns: Vec<&str> = rows
        .first()
        .map_or(Vec::new(), |r| r.iter().map(|c| c.0).collect());
    let values: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "({})",
                r.iter().map(|c| c.1.sql()).collect::<Vec<_>>().join(", ")
            )
        })
        .collect();
    format!(
        "INSERT INTO {table} ({}) VALUES {}",
        columns.join(", "),
        values.join(", ")
    )
}

pub fn copy(table: &str, rows: &[Row]) -> Action {
    let columns: Vec<&str> = rows
        .first()
        .map_or(Vec::new(), |r| r.iter().map(|c| c.0).collect());
    let data: String = rows
        .iter()
        .map(|r| copy_line(&r.iter().map(|c| c.1.clone()).collect::<Vec<_>>()))
        .collect();
    Action::Copy {
        statement: format!("COPY {table} ({}) FROM STDIN", columns.join(", ")),
        data,
    }
}

pub fn set_clause(row: &Row) -> String {
    row.iter()
        .map(|(c, v)| format!("{c} = {}", v.sql()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn custom_change(rng: &mut Rng, pools: &Pools, state: &mut State) -> Option<Step> {
    let live = state.live_vec();
    let user = *rng.pick(&live)?;
    let key = rng.pick(CUSTOM_KEYS).copied().unwrap_or("c_text");
    let k = crate::sqlval::quote_literal(key);
    Some(match rng.below(12) {
        0..=3 => {
            let n = 1 + rng.below(3);
            let rows: Vec<Row> = (0..n)
                .map(|_| {
                    let key = rng.pick(CUSTOM_KEYS).copied().unwrap_or("c_text");
                    vec![
                        ("user_id", Sql::Lit(user.to_string())),
                        ("field_key", Sql::lit(key)),
                        ("value", pools.custom_value(rng, key)),
                    ]
                })
                .collect();
            let copy_in = rng.chance(25);
            Step {
                desc: format!(
                    "{} {n} custom rows of user {user}",
                    if copy_in { "COPY" } else { "INSERT" }
                ),
                action: if copy_in {
                    copy("app.custom", &rows)
                } else {
                    Action::Sql(insert("app.custom", &rows))
                },
                effect: Effect::None,
            }
        }
        4..=7 => {
            let v = pools.custom_value(rng, key);
            let sql = format!(
                "UPDATE app.custom SET value = {} WHERE user_id = {user} AND field_key = {k}",
                v.sql()
            );
            Step::sql(
                format!("UPDATE custom {key} of user {user}"),
                sql,
                Effect::None,
            )
        }
        8..=9 => {
            let sql = format!("DELETE FROM app.custom WHERE user_id = {user} AND field_key = {k}");
            Step::sql(
                format!("DELETE custom {key} of user {user}"),
                sql,
                Effect::None,
            )
        }
        10 => {
            let to = *rng.pick(&live)?;
            let sql = format!(
                "UPDATE app.custom SET user_id = {to} WHERE user_id = {user} AND field_key = {k}"
            );
            Step::sql(
                format!("move custom {key} from {user} to {to}"),
                sql,
                Effect::None,
            )
        }
        _ => {
            let sql = format!("UPDATE app.custom SET field_key = {k} WHERE user_id = {user}");
            Step::sql(
                format!("rekey custom rows of {user} to {key}"),
                sql,
                Effect::None,
            )
        }
    })
}

pub fn relation_change(rng: &mut Rng, pools: &Pools, state: &mut State) -> Option<Step> {
    let live = state.live_vec();
    let user = *rng.pick(&live)?;
    let other = *rng.pick(&live)?;
    let clicks = rng.chance(50);
    Some(match (clicks, rng.below(10)) {
        (false, 0..=3) => {
            let n = 1 + rng.below(3);
            let copy_in = rng.chance(25);
            let rows: Vec<Row> = (0..n)
                .map(|_| pools.enrollment_row(rng, user, copy_in))
                .collect();
            let action = if copy_in {
                copy("app.enrollments", &rows)
            } else {
                Action::Sql(insert("app.enrollments", &rows))
            };
            Step {
                desc: format!("add {n} enrollments of {user}"),
                action,
                effect: Effect::None,
            }
        }
        (false, 4..=6) => {
            let who = if rng.chance(20) { other } else { user };
            let row = pools.enrollment_row(rng, who, false);
            let picked: Row = row.into_iter().filter(|_| rng.chance(60)).collect();
            if picked.is_empty() {
                return None;
            }
            let sql = format!(
                "UPDATE app.enrollments SET {} WHERE user_id = {user} AND id % 2 = {}",
                set_clause(&picked),
                rng.below(2)
            );
            Step::sql(format!("UPDATE enrollments of {user}"), sql, Effect::None)
        }
        (false, _) => {
            let sql = format!(
                "DELETE FROM app.enrollments WHERE user_id = {user} OR id % 29 = {}",
                rng.below(29)
            );
            Step::sql(
                format!("DELETE enrollments of {user} and some"),
                sql,
                Effect::None,
            )
        }
        (true, 0..=3) => {
            let n = 1 + rng.below(4);
            let copy_in = rng.chance(25);
            let rows: Vec<Row> = (0..n)
                .map(|_| {
                    // Some clicks belong to keys no user has (yet) or to nobody.
                    let who = match rng.below(10) {
                        0 => None,
                        1 => Some(state.next_id + 1 + rng.below(3) as i32),
                        _ => Some(user),
                    };
                    pools.click_row(rng, who, copy_in)
                })
                .collect();
            let action = if copy_in {
                copy("app.clicks", &rows)
            } else {
                Action::Sql(insert("app.clicks", &rows))
            };
            Step {
                desc: format!("add {n} clicks near {user}"),
                action,
                effect: Effect::None,
            }
        }
        (true, 4..=6) => {
            let row = pools.click_row(rng, Some(other), false);
            let picked: Row = row.into_iter().filter(|_| rng.chance(50)).collect();
            if picked.is_empty() {
                return None;
            }
            let sql = format!(
                "UPDATE app.clicks SET {} WHERE user_id = {user}",
                set_clause(&picked)
            );
            Step::sql(format!("UPDATE clicks of {user}"), sql, Effect::None)
        }
        (true, _) => {
            let n = rng.pick(crate::pools::INTS).copied().unwrap_or("0");
            let sql = format!("DELETE FROM app.clicks WHERE user_id = {user} OR n = {n}");
            Step::sql(
                format!("DELETE clicks of {user} or n = {n}"),
                sql,
                Effect::None,
            )
        }
    })
}

/// An UPDATE of a lookup table: one row, or every other one.
pub fn lookup_change(rng: &mut Rng, pools: &Pools) -> Step {
    let (table, row) = pools.lookup_set(rng);
    let keys = if table == "app.depts" { 6 } else { 5 };
    let (which, filter) = if rng.chance(70) {
        let k = 1 + rng.below(keys);
        (format!("row {k}"), format!("id = {k}"))
    } else {
        ("even rows".to_string(), "id % 2 = 0".to_string())
    };
    Step::sql(
        format!("UPDATE {table} ({which})"),
        format!("UPDATE {table} SET {} WHERE {filter}", set_clause(&row)),
        Effect::None,
    )
}

pub fn truncate(rng: &mut Rng) -> Step {
    let table = rng
        .pick(&["app.clicks", "app.enrollments", "app.custom"])
        .copied()
        .unwrap_or("app.clicks");
    Step::sql(
        format!("TRUNCATE {table}"),
        format!("TRUNCATE {table}"),
        Effect::None,
    )
}

/// Custom rows for `users`: most users get some fields, some get none at all.
pub fn custom_rows_for(rng: &mut Rng, pools: &Pools, users: &[i32], copy_in: bool) -> Option<Step> {
    let mut rows: Vec<Row> = Vec::new();
    for user in users {
        for key in CUSTOM_KEYS {
            // A few duplicate rows for one user and key: the app's table does not forbid them.
            let n = match rng.below(100) {
                0..=39 => 0,
                40..=96 => 1,
                _ => 2,
            };
            for _ in 0..n {
                rows.push(vec![
                    ("user_id", Sql::Lit(user.to_string())),
                    ("field_key", Sql::lit(*key)),
                    ("value", pools.custom_value(rng, key)),
                ]);
            }
        }
    }
    if rows.is_empty() {
        return None;
    }
    let action = if copy_in {
        copy("app.custom", &rows)
    } else {
        Action::Sql(insert("app.custom", &rows))
    };
    Some(Step {
        desc: format!("custom rows for {} users", users.len()),
        action,
        effect: Effect::None,
    })
}

/// Relation rows for `users`.
pub fn relation_rows_for(rng: &mut Rng, pools: &Pools, users: &[i32]) -> Option<Step> {
    let mut sql = Vec::new();
    let (mut enrollments, mut clicks) = (Vec::new(), Vec::new());
    for user in users {
        for _ in 0..rng.below(3) {
            enrollments.push(pools.enrollment_row(rng, *user, false));
        }
        for _ in 0..rng.below(4) {
            clicks.push(pools.click_row(rng, Some(*user), false));
        }
    }
    if !enrollments.is_empty() {
        sql.push(insert("app.enrollments", &enrollments));
    }
    if !clicks.is_empty() {
        sql.push(insert("app.clicks", &clicks));
    }
    (!sql.is_empty()).then(|| {
        Step::sql(
            format!("relation rows for {} users", users.len()),
            sql.join(";\n"),
            Effect::None,
        )
    })
}
