//! One batch: a transaction of random changes, then the check.

use std::collections::BTreeSet;

use postgres::Client;

use crate::check::{self, Tally};
use crate::data_ops;
use crate::fail::{describe, Failure};
use crate::group_ops;
use crate::model::Model;
use crate::pools::Pools;
use crate::rng::Rng;
use crate::rules::RuleGen;
use crate::snapshot::{self, Snapshot};
use crate::step::{self, State, Step};
use crate::user_ops;

pub struct Ctx<'a, 'p> {
    pub rng: &'a mut Rng,
    pub pools: &'a Pools,
    pub gen: &'a mut RuleGen<'p>,
    pub model: &'a mut Model,
    pub state: &'a mut State,
    pub rejected: &'a mut Vec<String>,
    /// The data as of the last check, to prefer rulesets that split the users.
    pub snap: &'a Snapshot,
}

fn next_step(cx: &mut Ctx) -> Option<Step> {
    let rng = &mut *cx.rng;
    match rng.below(100) {
        0..=27 => user_ops::user_change(rng, cx.pools, cx.state),
        28..=32 => {
            let n = 1 + rng.below(3);
            Some(user_ops::new_users(rng, cx.pools, cx.state, n, false))
        }
        33..=35 => {
            let n = 2 + rng.below(5);
            Some(user_ops::new_users(rng, cx.pools, cx.state, n, true))
        }
        36..=49 => data_ops::custom_change(rng, cx.pools, cx.state),
        50..=63 => data_ops::relation_change(rng, cx.pools, cx.state),
        64 => Some(data_ops::truncate(rng)),
        65..=73 => group_ops::set_rules(rng, cx.gen, cx.model, cx.rejected, cx.snap),
        74..=79 => group_ops::exclusion(rng, cx.model, cx.state),
        80..=85 => group_ops::inclusion(rng, cx.model, cx.state),
        86..=91 => group_ops::static_members(rng, cx.model, cx.state),
        92..=94 => group_ops::toggle(rng, cx.model),
        95..=97 => Some(data_ops::lookup_change(rng, cx.pools)),
        _ => user_ops::user_change(rng, cx.pools, cx.state),
    }
}

/// Users back after TRUNCATE: some with keys that existed before (their clicks, exclusions
/// and inclusions are still there), and new ones.
fn reseed(cx: &mut Ctx) -> Vec<Step> {
    let mut steps = vec![user_ops::truncate_users()];
    step::apply(cx.state, cx.model, step::Effect::ClearUsers, &[]);
    let next = cx.state.next_id;
    cx.state.next_id = 0;
    let old = user_ops::new_users(cx.rng, cx.pools, cx.state, 60, true);
    cx.state.next_id = next;
    let new = user_ops::new_users(cx.rng, cx.pools, cx.state, 60, true);
    for s in [old, new] {
        step::apply(cx.state, cx.model, s.effect.clone(), &[]);
        let ids = match &s.effect {
            step::Effect::AddUsers(ids) => ids.clone(),
            _ => Vec::new(),
        };
        steps.push(s);
        steps.extend(data_ops::custom_rows_for(cx.rng, cx.pools, &ids, true));
        steps.extend(data_ops::relation_rows_for(cx.rng, cx.pools, &ids));
    }
    steps
}

fn statement(action: &step::Action) -> String {
    match action {
        step::Action::Sql(sql) | step::Action::SqlReturningRemoved(sql) => sql.clone(),
        step::Action::Copy { statement, data } => format!("{statement}\n{data}\\."),
    }
}

/// Runs batch `b` in one transaction; returns (steps run, steps refused).
pub fn run(
    client: &mut Client,
    cx: &mut Ctx,
    b: usize,
    batches: usize,
    log_steps: bool,
) -> Result<(usize, usize), Failure> {
    let mut tx = client.transaction()?;
    // A third of the batches maintain every users UPDATE set-based, as statements of more
    // than `smart_groups.small_statement_rows` rows are; a third decide the rules on the
    // users' own rows with a query (`smart_groups.decide_in_rust` off); the rest in Rust,
    // from the changed rows. All three paths must agree with the evaluator.
    match cx.rng.below(3) {
        0 => {
            tx.batch_execute("SET LOCAL smart_groups.small_statement_rows = 0")?;
            if log_steps {
                println!("STEP [batch {b}] set-based maintenance of users UPDATEs");
            }
        }
        1 => {
            tx.batch_execute("SET LOCAL smart_groups.decide_in_rust = off")?;
            if log_steps {
                println!("STEP [batch {b}] own-row rules of users UPDATEs decided in SQL");
            }
        }
        _ => {}
    }
    let mut refused = 0;
    let mut steps = 0;
    let mut planned: Vec<Step> = if b == batches / 2 + 1 {
        reseed(cx)
    } else {
        Vec::new()
    };
    let total = planned.len() + 6 + cx.rng.below(9);
    let mut attempts = 0;
    while steps < total && attempts < 100 {
        attempts += 1;
        let next = if planned.is_empty() {
            next_step(cx)
        } else {
            Some(planned.remove(0))
        };
        let Some(s) = next else { continue };
        steps += 1;
        if log_steps {
            println!("STEP [batch {b}] {}: {}", s.desc, statement(&s.action));
        }
        match step::run(&mut tx, &s) {
            Ok(removed) => step::apply(cx.state, cx.model, s.effect, &removed),
            Err(e) => {
                refused += 1;
                let sql = statement(&s.action);
                println!(
                    "OP ERROR [batch {b}] {}: {}\n  statement: {sql}",
                    s.desc,
                    describe(&e)
                );
            }
        }
    }
    if let Err(e) = tx.commit() {
        refused += 1;
        println!("OP ERROR [batch {b}] COMMIT: {}", describe(&e));
    }
    Ok((steps, refused))
}

/// Applies relative-time boundaries, reads everything back at one instant, asks `verify()`,
/// and compares. Everything happens in one transaction, so the evaluator's `now` is the
/// `now()` the refresh and the read used.
pub fn check_round(
    client: &mut Client,
    model: &mut Model,
    label: &str,
    limit: usize,
    tally: &mut Tally,
    detailed: &mut BTreeSet<(i64, String)>,
    verify: bool,
) -> Result<Snapshot, Failure> {
    let mut tx = client.transaction()?;
    if let Err(e) = tx.batch_execute("SELECT smart_groups.refresh_time_rules()") {
        tally.failed += 1;
        println!("OP ERROR [{label}] refresh_time_rules(): {}", describe(&e));
        drop(tx);
        tx = client.transaction()?;
    }
    let mut snap = snapshot::read(&mut tx)?;
    // verify() re-evaluates every group (seconds with hundreds of groups), so it runs only on
    // the checks asked for; the comparison with the evaluator runs on every one.
    let verified = if verify {
        tx.query(
            "SELECT group_name, user_key::text, problem FROM smart_groups.verify() ORDER BY 1, 2",
            &[],
        )
    } else {
        Ok(Vec::new())
    };
    match verified {
        Ok(rows) if rows.is_empty() => {}
        Ok(rows) => {
            tally.failed += 1;
            println!(
                "VERIFY [{label}] smart_groups.verify() reports {} problems:",
                rows.len()
            );
            for r in rows.iter().take(10) {
                let (g, k, p): (String, Option<String>, String) =
                    (r.try_get(0)?, r.try_get(1)?, r.try_get(2)?);
                println!("  {g:?} user {k:?}: {p}");
            }
        }
        Err(e) => {
            tally.failed += 1;
            println!("OP ERROR [{label}] verify(): {}", describe(&e));
        }
    }
    // A failed verify() aborted the transaction; what was read before it still stands.
    let _ = tx.commit();

    let t = check::compare(model, &mut snap, label, limit, detailed);
    tally.passed += t.passed;
    tally.failed += t.failed;
    Ok(snap)
}

/// Takes the users, exclusions and inclusions as the server has them, so that the next
/// batch's steps name real rows even where the bookkeeping missed something.
pub fn sync(state: &mut State, snap: &Snapshot) {
    state.live = snap
        .data
        .users
        .iter()
        .filter_map(|u| u.key.parse().ok())
        .collect();
    state.tenant_of = snap
        .data
        .users
        .iter()
        .filter_map(|u| match u.values.get("org") {
            Some(smart_groups_core::eval::Datum::Text(t)) => Some((u.key.parse().ok()?, t.clone())),
            _ => None,
        })
        .collect();
    state.excluded = snap.exclusions.clone();
    state.included = snap.inclusions.clone();
    if let Some(max) = state.live.iter().max() {
        state.next_id = state.next_id.max(*max);
    }
}
