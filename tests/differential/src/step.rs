//! One change the test makes, how it is sent, and what it does to the test's own bookkeeping
//! once the server has accepted it.

use std::collections::{BTreeMap, BTreeSet};

use postgres::Transaction;
use smart_groups_core::ast::Node;
use smart_groups_core::catalog::GroupStatus;
use smart_groups_core::checked::Pred;

use crate::model::Model;

#[derive(Debug, Clone)]
pub enum Action {
    Sql(String),
    /// A statement whose result rows are the users keys it removed (`RETURNING id`).
    SqlReturningRemoved(String),
    Copy {
        statement: String,
        data: String,
    },
}

#[derive(Debug, Clone)]
pub enum Effect {
    None,
    AddUsers(Vec<i32>),
    MoveKey(i32, i32),
    /// Users moved to a tenant.
    SetTenant(Vec<i32>, String),
    ClearUsers,
    // Boxed: a checked ruleset is far larger than every other variant.
    SetRules(usize, Box<(Node, Pred)>),
    SetStatus(usize, GroupStatus),
    Exclude(i64, String, bool),
    Include(i64, Vec<String>, bool),
}

#[derive(Debug, Clone)]
pub struct Step {
    pub desc: String,
    pub action: Action,
    pub effect: Effect,
}

impl Step {
    pub fn sql(desc: impl Into<String>, sql: String, effect: Effect) -> Step {
        Step {
            desc: desc.into(),
            action: Action::Sql(sql),
            effect,
        }
    }
}

/// What the generator must know between steps: which users exist (so that exclude, include
/// and add_members name real users), and each group's exclusions and inclusions (so that
/// unexclude names excluded users).
#[derive(Debug, Clone, Default)]
pub struct State {
    pub live: BTreeSet<i32>,
    /// Each user's tenant as far as the test knows (exact after each check; within a batch an
    /// UPDATE of several users' `org` is not followed, so calls for a user check it again).
    pub tenant_of: BTreeMap<i32, String>,
    pub next_id: i32,
    pub excluded: BTreeMap<i64, BTreeSet<String>>,
    pub included: BTreeMap<i64, BTreeSet<String>>,
}

impl State {
    pub fn live_vec(&self) -> Vec<i32> {
        self.live.iter().copied().collect()
    }

    /// The live users of `tenant`.
    pub fn live_in(&self, tenant: &str) -> Vec<i32> {
        self.live
            .iter()
            .copied()
            .filter(|k| self.tenant_of.get(k).is_some_and(|t| t == tenant))
            .collect()
    }

    pub fn fresh_id(&mut self) -> i32 {
        self.next_id += 1;
        self.next_id
    }
}

/// Runs `step` inside a savepoint: a refused step leaves the batch's other changes in place.
pub fn run(tx: &mut Transaction<'_>, step: &Step) -> Result<Vec<i32>, postgres::Error> {
    let mut sp = tx.savepoint("step")?;
    let mut removed = Vec::new();
    match &step.action {
        Action::Sql(sql) => {
            sp.batch_execute(sql)?;
        }
        Action::SqlReturningRemoved(sql) => {
            for row in sp.query(sql.as_str(), &[])? {
                removed.push(row.try_get(0)?);
            }
        }
        Action::Copy { statement, data } => {
            use std::io::Write;
            let mut writer = sp.copy_in(statement.as_str())?;
            // An I/O error here is the connection failing; finish() then reports it.
            let _ = writer.write_all(data.as_bytes());
            writer.finish()?;
        }
    }
    sp.commit()?;
    Ok(removed)
}

/// Applies an accepted step to the bookkeeping.
pub fn apply(state: &mut State, model: &mut Model, effect: Effect, removed: &[i32]) {
    // A deleted user's exclusions and inclusions go with them (`src/live/maintain.rs`,
    // `deleted`; TRUNCATE clears them all).
    for id in removed {
        state.live.remove(id);
        let key = id.to_string();
        for set in state
            .excluded
            .values_mut()
            .chain(state.included.values_mut())
        {
            set.remove(&key);
        }
    }
    match effect {
        Effect::None => {}
        Effect::AddUsers(ids) => state.live.extend(ids),
        Effect::MoveKey(from, to) => {
            if state.live.remove(&from) {
                state.live.insert(to);
            }
            if let Some(t) = state.tenant_of.remove(&from) {
                state.tenant_of.insert(to, t);
            }
        }
        Effect::SetTenant(ids, tenant) => {
            for id in ids {
                state.tenant_of.insert(id, tenant.clone());
            }
        }
        Effect::ClearUsers => {
            state.live.clear();
            state.tenant_of.clear();
            state.excluded.clear();
            state.included.clear();
        }
        Effect::SetRules(index, rules) => {
            if let Some(g) = model.groups.get_mut(index) {
                g.rules = Some(*rules);
            }
        }
        Effect::SetStatus(index, status) => {
            if let Some(g) = model.groups.get_mut(index) {
                g.status = status;
            }
        }
        Effect::Exclude(gid, key, add) => {
            let set = state.excluded.entry(gid).or_default();
            if add {
                set.insert(key);
            } else {
                set.remove(&key);
            }
        }
        Effect::Include(gid, keys, add) => {
            let set = state.included.entry(gid).or_default();
            for key in keys {
                if add {
                    set.insert(key);
                } else {
                    set.remove(&key);
                }
            }
        }
    }
}
