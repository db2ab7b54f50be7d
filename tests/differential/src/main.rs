//! Differential test of smart_groups: random rulesets over every operator and field kind, on
//! users with adversarial values, then random batches of changes; after every batch each
//! group's `smart_groups.members` must equal what the core evaluator (written from docs/reference/rules.md,
//! independently of the SQL compiler) computes from the same data.
//!
//! Output: one line per batch, a block per mismatch, and finally exactly one line
//! `differential: N passed, M failed`, where N counts group×check comparisons that matched and
//! M counts those that did not, plus changes the server refused, groups whose kind or status
//! differ from what the test did, checks where `verify()` reported problems, and failures of
//! `refresh_time_rules()`. The exit status is non-zero when M > 0.
//!
//! Each check runs `refresh_time_rules()` first (the cluster has no background worker), in
//! the same transaction as the read-back, so the evaluator's `now` is the server's. `verify()`
//! runs after setup, every `--verify-every` batches (default 5: it re-evaluates every group
//! and costs seconds) and after the last batch. `--no-specials` leaves out NaN, ±Infinity and
//! infinite dates; `--log-steps` prints every statement; `--sabotage` corrupts `members`
//! before the last check to show the harness notices.

mod args;
mod batch;
mod check;
mod data_ops;
mod fail;
mod fixed;
mod group_ops;
mod model;
mod pools;
mod rng;
mod rows;
mod rules;
mod schema;
mod setup;
mod snapshot;
mod sqlval;
mod step;
mod user_ops;

use std::process::ExitCode;
use std::time::Instant;

use chrono::{DateTime, Utc};

use crate::args::Args;
use crate::check::Tally;
use crate::fail::Failure;
use crate::model::Model;
use crate::pools::Pools;
use crate::rng::Rng;
use crate::rules::RuleGen;
use crate::step::State;

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut tally = Tally::default();
    if let Err(e) = run(&args, &mut tally) {
        println!("FATAL: {e}");
        tally.failed += 1;
    }
    println!(
        "differential: {} passed, {} failed",
        tally.passed, tally.failed
    );
    if tally.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Removes one stored membership and adds one that no rule gives, bypassing the extension:
/// the check that follows must report both (and verify() too).
fn sabotage(client: &mut postgres::Client) -> Result<(), Failure> {
    let removed = client.execute(
        "DELETE FROM smart_groups.member_rows WHERE (group_id, user_key) IN \
         (SELECT group_id, user_key FROM smart_groups.member_rows ORDER BY 1, 2 LIMIT 1)",
        &[],
    )?;
    let added = client.execute(
        "INSERT INTO smart_groups.member_rows (group_id, user_key) \
         SELECT g.id, u.id FROM smart_groups.groups g CROSS JOIN app.users u \
          WHERE g.status = 'active' AND u.org = g.tenant AND NOT EXISTS (SELECT 1 FROM smart_groups.members m \
                 WHERE m.group_id = g.id AND m.user_key = u.id) \
          ORDER BY g.id DESC, u.id LIMIT 1",
        &[],
    )?;
    println!("SABOTAGE: removed {removed} and added {added} rows of smart_groups.members");
    Ok(())
}

fn run(args: &Args, tally: &mut Tally) -> Result<(), Failure> {
    let started = Instant::now();
    let mut rng = Rng::new(args.seed);
    let mut client = setup::database(args)?;
    let mut model = Model {
        base: schema::catalog(),
        groups: Vec::new(),
    };
    setup::schema(&mut client, &model)?;
    let micros: i64 = client
        .query_one(
            "SELECT (extract(epoch FROM date_trunc('second', now())) * 1000000)::bigint",
            &[],
        )?
        .try_get(0)?;
    let base: DateTime<Utc> = DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| Failure::Setup("the server's clock is out of range".into()))?;
    let pools = Pools {
        base,
        specials: args.specials,
    };
    let mut state = State::default();
    let mut data_rng = rng.fork();
    setup::populate(
        &mut client,
        &mut data_rng,
        &pools,
        &mut state,
        &mut model,
        args.users,
    )?;

    let mut gen = RuleGen::new(&model.base, &pools);
    let mut rejected = Vec::new();
    let mut group_rng = rng.fork();
    let mut snap = snapshot::read(&mut client)?;
    setup::groups(
        &mut client,
        &mut group_rng,
        &mut gen,
        &mut model,
        &mut state,
        args.rulesets,
        &mut rejected,
        &mut tally.failed,
        &mut snap,
    )?;
    println!(
        "setup: {} users, {} groups ({} smart) in {:.1}s, seed {}",
        state.live.len(),
        model.groups.len(),
        model.groups.iter().filter(|g| g.rules.is_some()).count(),
        started.elapsed().as_secs_f64(),
        args.seed
    );
    let limit = if args.verbose { usize::MAX } else { 3 };
    let mut detailed = std::collections::BTreeSet::new();
    let mut snap = batch::check_round(
        &mut client,
        &mut model,
        "after setup",
        limit,
        tally,
        &mut detailed,
        true,
    )?;
    batch::sync(&mut state, &snap);

    let mut batch_rng = rng.fork();
    for b in 1..=args.batches {
        let t = Instant::now();
        let mut ctx = batch::Ctx {
            rng: &mut batch_rng,
            pools: &pools,
            gen: &mut gen,
            model: &mut model,
            state: &mut state,
            rejected: &mut rejected,
            snap: &snap,
        };
        let (steps, refused) = batch::run(&mut client, &mut ctx, b, args.batches, args.log_steps)?;
        tally.failed += refused;
        if args.sabotage && b == args.batches {
            sabotage(&mut client)?;
        }
        let before = *tally;
        let label = format!("batch {b}");
        let verify = b % args.verify_every == 0 || b == args.batches;
        snap = batch::check_round(
            &mut client,
            &mut model,
            &label,
            limit,
            tally,
            &mut detailed,
            verify,
        )?;
        batch::sync(&mut state, &snap);
        println!(
            "batch {b}/{}: {steps} steps ({refused} refused), {} users; groups {} matched, {} failed ({:.1}s)",
            args.batches,
            snap.data.users.len(),
            tally.passed - before.passed,
            tally.failed - before.failed,
            t.elapsed().as_secs_f64()
        );
    }
    let uncovered = gen.uncovered();
    println!(
        "coverage: {} (type, operator, source) combinations; uncovered (type, operator): {}",
        gen.covered.len(),
        if uncovered.is_empty() {
            "none".to_string()
        } else {
            uncovered.join(", ")
        }
    );
    println!(
        "rule candidates rejected by the validator: {} (first: {})",
        rejected.len(),
        rejected.first().map_or("-", |s| s.as_str())
    );
    println!("total time {:.1}s", started.elapsed().as_secs_f64());
    Ok(())
}
