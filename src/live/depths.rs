//! The one pass of maintenance over `member of` depths, which every path takes: a statement's
//! trigger, the commit-time step, the API's keyed refreshes.
//!
//! Groups are decided depth by depth, a group after every group it names, so that its
//! `member of` rules read their final membership. At each depth the pass decides the groups
//! of its own (`Own`: for some users, or a large UPDATE's) and the (group, user) pairs that
//! earlier depths handed on, writes the difference (`writer.rs`), and hands the users whose
//! membership changed in a group on to the groups naming it (`follow`). A statement leaves
//! the groups maintained at commit (`commit.rs`) to the commit, with those users recorded.
//!
//! How a depth is decided depends on its size, never on the path: a few users' groups in
//! Rust from their neighbourhood (`small.rs`), more set-based (`batch.rs`), and a large
//! UPDATE's own groups over its transition tables (`users_update.rs`).

use std::collections::{BTreeMap, BTreeSet};

use pgrx::spi::SpiClient;

use super::small::{self, Pair};
use super::state::State;
use super::users_update::{self, Large, GROUP};
use super::writer::Change;
use crate::errors::DbError;

/// Who runs the pass: a statement, which leaves the commit-time groups to the commit; or the
/// commit-time step, which decides them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Statement,
    Commit,
}

/// The groups a pass decides for users of its own, at their depths.
pub enum Own<'a> {
    /// Only the pairs handed to the pass.
    Nothing,
    /// `groups` for `keys`, logged with `cause`; `fresh`: the keys are users just inserted,
    /// in no group yet.
    Keys {
        groups: BTreeSet<i64>,
        keys: &'a [String],
        cause: &'static str,
        fresh: bool,
    },
    /// A large users UPDATE's groups, decided over its transition tables.
    Update(Large),
}

impl Own<'_> {
    fn groups(&self) -> Option<&BTreeSet<i64>> {
        match self {
            Own::Nothing => None,
            Own::Keys { groups, .. } => Some(groups),
            Own::Update(large) => Some(&large.own),
        }
    }
}

/// (group, user) pairs at most that a depth decides in Rust and writes through kept plans;
/// more go set-based. A COPY of a thousand new users in sixty groups is sixty thousand
/// pairs, where the set-based statement only writes those who join (S5: 1.2 s instead of
/// 0.27 s).
const SMALL_PAIRS: usize = 10_000;

/// Runs the pass: `own` and the pairs `seeds`, depth by depth. Returns every change.
pub fn run(
    client: &mut SpiClient<'_>,
    st: &mut State,
    own: Own<'_>,
    mut seeds: Vec<Pair>,
    phase: Phase,
) -> Result<Vec<Change>, DbError> {
    // The users' rows do not change while the pass writes memberships: each depth reuses
    // what an earlier one loaded of them.
    let _pass = super::neighbourhood::pass();
    let empty = BTreeSet::new();
    let mine = own.groups().unwrap_or(&empty).clone();
    let depth_of = |st: &State, id: i64| {
        st.group(id).map(|g| g.depth).or_else(|| {
            st.static_groups
                .iter()
                .find(|(g, _)| *g == id)
                .map(|(_, d)| *d)
        })
    };
    let mut depths: BTreeSet<i32> = st.groups.iter().map(|g| g.depth).collect();
    depths.extend(st.static_groups.iter().map(|(_, d)| *d));
    let mut all = Vec::new();
    for depth in depths {
        pgrx::check_for_interrupts!();
        let own_here: Vec<i64> = mine
            .iter()
            .copied()
            .filter(|id| depth_of(st, *id) == Some(depth))
            .collect();
        let (mut pairs, later): (Vec<Pair>, Vec<Pair>) = std::mem::take(&mut seeds)
            .into_iter()
            .partition(|p| depth_of(st, p.0) == Some(depth));
        seeds = later;
        if own_here.is_empty() && pairs.is_empty() {
            continue;
        }
        let mut ids: BTreeSet<i64> = own_here.iter().copied().collect();
        ids.extend(pairs.iter().map(|p| p.0));
        let ids: Vec<i64> = ids.into_iter().collect();
        if crate::guc_scope::snapshot_isolation() {
            small::lock_groups(client, &ids)?;
        }
        let with_dependants: BTreeSet<i64> = ids
            .iter()
            .copied()
            .filter(|id| !st.dependants(*id).is_empty())
            .collect();
        let mut changes = Vec::new();
        // Whether this depth decided set-based (with the overrides of the snapshot).
        let mut set_based = false;
        match &own {
            Own::Update(large) => {
                set_based = true;
                changes.extend(users_update::write_large(
                    client,
                    st,
                    large,
                    &ids,
                    &own_here,
                    &pairs,
                    &with_dependants,
                )?);
                pairs.clear();
            }
            Own::Keys {
                keys, cause, fresh, ..
            } if !own_here.is_empty() => {
                // Every key of the pass is decided in its own groups: a pair handed on for one
                // of them is among those.
                pairs.retain(|p| !own_here.contains(&p.0));
                if few(keys.len(), own_here.len(), *fresh) {
                    pairs.extend(small::decide_rows(client, st, &own_here, keys, cause)?);
                } else {
                    set_based = true;
                    changes.extend(crate::batch::refresh(
                        client,
                        st,
                        &own_here,
                        crate::batch::Keys {
                            keys,
                            paired_with: None,
                        },
                        cause,
                        *fresh,
                        &with_dependants,
                    )?);
                }
            }
            _ => {}
        }
        let (written, pairs_set_based) = write_pairs(client, st, pairs, &with_dependants)?;
        changes.extend(written);
        if set_based || pairs_set_based {
            small::check_overrides(client, &ids)?;
        }
        follow(st, &changes, &mut seeds, phase);
        all.extend(changes);
    }
    Ok(all)
}

/// Users at most whose pairs a depth decides in Rust (`smart_groups.small_statement_rows`
/// lowers it): the bound the INSERT path had before the one pass, which first took
/// `small_statement_rows` (1,000) and so sent a COPY of 1,000 new users' `member of` depths
/// through the kept-plan path. Beyond it one set-based statement per depth writes only who
/// joins.
const FEW_USERS: usize = 100;

/// Whether a depth's own groups are decided in Rust: a few users' pairs, and under snapshot
/// isolation not new users'. There the kept-plan path writes every pair (`small::wanted`),
/// and a new user's hundreds of "not a member" pairs, which the set-based refresh of a new
/// user never writes, made SERIALIZABLE writers conflict ten times as often in the load test.
pub fn few(keys: usize, groups: usize, fresh: bool) -> bool {
    keys <= FEW_USERS.min(super::SMALL_STATEMENT_ROWS.get().max(0) as usize)
        && keys.saturating_mul(groups) <= SMALL_PAIRS
        && !(fresh && crate::guc_scope::snapshot_isolation())
}

/// Writes `pairs`: through kept plans when they are few (as `few` counts a depth's own
/// groups), else set-based, a statement per cause over their groups and users. Says whether
/// it went set-based.
fn write_pairs(
    client: &mut SpiClient<'_>,
    st: &mut State,
    pairs: Vec<Pair>,
    with_dependants: &BTreeSet<i64>,
) -> Result<(Vec<Change>, bool), DbError> {
    if pairs.is_empty() {
        return Ok((Vec::new(), false));
    }
    let keys: BTreeSet<&str> = pairs.iter().map(|p| p.1.as_str()).collect();
    if few(keys.len(), 1, false) && pairs.len() <= SMALL_PAIRS {
        return Ok((small::apply(client, st, &pairs, with_dependants)?, false));
    }
    // Each cause's pairs in one statement that decides those pairs only (`batch::refresh`,
    // paired): the groups of a `member of` follower or a large statement's flipped users
    // are rarely every group for every user.
    let mut by_cause: BTreeMap<&'static str, BTreeSet<(i64, String)>> = BTreeMap::new();
    for (g, k, cause, _) in pairs {
        by_cause.entry(cause).or_default().insert((g, k));
    }
    // group_change last: a pair with both causes is logged as the user's change, as the
    // kept-plan path logs it.
    let mut order: Vec<_> = by_cause.into_iter().collect();
    order.sort_by_key(|(cause, _)| *cause == GROUP);
    let mut out = Vec::new();
    for (cause, pairs) in order {
        let groups: Vec<i64> = pairs
            .iter()
            .map(|(g, _)| *g)
            .collect::<BTreeSet<i64>>()
            .into_iter()
            .collect();
        let (paired_with, keys): (Vec<i64>, Vec<String>) = pairs.into_iter().unzip();
        out.extend(crate::batch::refresh(
            client,
            st,
            &groups,
            crate::batch::Keys {
                keys: &keys,
                paired_with: Some(&paired_with),
            },
            cause,
            false,
            with_dependants,
        )?);
    }
    Ok((out, true))
}

/// The groups naming a changed group re-evaluate the users whose membership changed there,
/// at their own depth. In a statement, groups maintained at commit get the users recorded for
/// then (`commit.rs`).
fn follow(st: &State, changes: &[Change], seeds: &mut Vec<Pair>, phase: Phase) {
    for c in changes {
        for &g in st.dependants(c.group) {
            if phase == Phase::Statement && st.is_at_commit(g) {
                super::commit::defer(&c.keys, GROUP, Some(&[g]), super::commit::Referents::No);
                continue;
            }
            seeds.extend(c.keys.iter().map(|k| (g, k.clone(), GROUP, None)));
        }
    }
}

/// A cause the log accepts, for a name given as text (the API's refreshes pass theirs).
pub fn cause(name: &str) -> &'static str {
    [
        users_update::USER,
        GROUP,
        "time",
        "exclusion",
        "inclusion",
        "rules_change",
        "recalculate",
    ]
    .into_iter()
    .find(|c| *c == name)
    .unwrap_or(users_update::USER)
}
