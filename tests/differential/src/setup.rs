//! A fresh database with the app schema, its users, and the groups under test.

use postgres::{Client, NoTls};
use smart_groups_core::catalog::{GroupKind, GroupStatus};

use crate::args::Args;
use crate::data_ops;
use crate::fail::{describe, Failure};
use crate::fixed::FIXED;
use crate::group_ops::{interesting_rules, keys_of, rules_arg};
use crate::model::{GroupModel, Model};
use crate::pools::Pools;
use crate::rng::Rng;
use crate::rules::RuleGen;
use crate::schema::{self, TENANTS};
use crate::snapshot::{tenant_users, Snapshot};
use crate::sqlval::quote_literal;
use crate::step::{self, State, Step};
use crate::user_ops;
use smart_groups_core::eval::Evaluator;
use smart_groups_core::text;

fn connect(args: &Args, dbname: &str) -> Result<Client, Failure> {
    let mut config = Client::configure();
    config
        .host(&args.host)
        .port(args.port)
        .user(&args.user)
        .dbname(dbname);
    Ok(config.connect(NoTls)?)
}

/// Drops and creates the test database, then connects to it with the session in UTC.
pub fn database(args: &Args) -> Result<Client, Failure> {
    let mut admin = connect(args, "postgres")?;
    // Two calls: a multi-statement string runs as one transaction, which DROP DATABASE refuses.
    admin.batch_execute(&format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        args.dbname
    ))?;
    admin.batch_execute(&format!("CREATE DATABASE {}", args.dbname))?;
    let mut client = connect(args, &args.dbname)?;
    client.batch_execute("SET TimeZone = 'UTC'")?;
    Ok(client)
}

/// Runs setup steps in one transaction; a refused step is a failure of the run's premise.
fn run_all(
    client: &mut Client,
    steps: Vec<Step>,
    state: &mut State,
    model: &mut Model,
) -> Result<(), Failure> {
    let mut tx = client.transaction()?;
    for s in steps {
        let removed = step::run(&mut tx, &s).map_err(|e| {
            Failure::Setup(format!("setup step {:?} failed: {}", s.desc, describe(&e)))
        })?;
        step::apply(state, model, s.effect, &removed);
    }
    tx.commit()?;
    Ok(())
}

/// `n` users in chunks, with custom-field and relation rows; returns their keys.
pub fn populate(
    client: &mut Client,
    rng: &mut Rng,
    pools: &Pools,
    state: &mut State,
    model: &mut Model,
    n: usize,
) -> Result<(), Failure> {
    let mut steps = Vec::new();
    let mut left = n;
    while left > 0 {
        let chunk = left.min(40);
        let copy_in = rng.chance(30);
        let s = user_ops::new_users(rng, pools, state, chunk, copy_in);
        step::apply(state, model, s.effect.clone(), &[]);
        let ids: Vec<i32> = match &s.effect {
            step::Effect::AddUsers(ids) => ids.clone(),
            _ => Vec::new(),
        };
        steps.push(s);
        let copy_custom = rng.chance(50);
        steps.extend(data_ops::custom_rows_for(rng, pools, &ids, copy_custom));
        steps.extend(data_ops::relation_rows_for(rng, pools, &ids));
        left -= chunk;
    }
    run_all(client, steps, state, model)
}

/// Group names: mostly plain, some with spaces, quotes, backslashes and non-ASCII, which the
/// text form must quote and member_of must find.
fn group_name(i: usize) -> String {
    match i % 23 {
        7 => format!("G{i:03} \"quoted\" \\ ü"),
        15 => format!("Sales {i} – Q1's"),
        _ => format!("g{i:03}"),
    }
}

/// The name of the `i`-th group, of `tenant`: one in four takes the name of an earlier
/// group of another tenant (names are unique per tenant only), unless `tenant` has it already.
fn colliding_name(rng: &mut Rng, model: &Model, i: usize, tenant: &str) -> String {
    let taken = |name: &str| model.index_of(name, tenant).is_some();
    if rng.chance(25) {
        let others: Vec<&str> = model
            .groups
            .iter()
            .filter(|g| !g.fixed && g.tenant != tenant && !taken(&g.name))
            .map(|g| g.name.as_str())
            .collect();
        if let Some(name) = rng.pick(&others) {
            return name.to_string();
        }
    }
    group_name(i)
}

/// One group to create: fixed rules, random rules, or a static group.
enum Plan {
    Fixed(&'static str),
    Random,
    Static,
}

/// Creates the hand-written groups, then `count` smart groups with random valid rules and a
/// few static groups (every 30th group), each in its own transaction as an app would. A group
/// the server refuses is reported and left out of the model. `snap` is the data the rules are
/// chosen against; the new groups' memberships are added to it as the evaluator sees them.
#[allow(clippy::too_many_arguments)]
pub fn groups(
    client: &mut Client,
    rng: &mut Rng,
    gen: &mut RuleGen,
    model: &mut Model,
    state: &mut State,
    count: usize,
    rejected: &mut Vec<String>,
    errors: &mut usize,
    snap: &mut Snapshot,
) -> Result<(), Failure> {
    let now = snap.now.unwrap_or_default();
    let mut plans: Vec<Plan> = FIXED.iter().map(|t| Plan::Fixed(t)).collect();
    let (mut random, mut k) = (0, 0);
    while random < count {
        if k % 30 == 3 {
            plans.push(Plan::Static);
        } else {
            plans.push(Plan::Random);
            random += 1;
        }
        k += 1;
    }
    for (i, plan) in plans.into_iter().enumerate() {
        let tenant = rng.pick(&TENANTS).copied().unwrap_or("t1").to_string();
        let name = match plan {
            Plan::Fixed(_) => format!("fixed{i:02}"),
            _ => colliding_name(rng, model, i, &tenant),
        };
        let index = model.groups.len();
        let rules = match plan {
            Plan::Static => None,
            Plan::Random => interesting_rules(
                rng, gen, model, index, &name, &tenant, rejected, &snap.data, now,
            ),
            Plan::Fixed(t) => {
                let checked = text::parse(t)
                    .map_err(|e| format!("{e:?}"))
                    .and_then(|node| model.check(&node, &name, &tenant).map(|pred| (node, pred)));
                match checked {
                    Ok(r) => Some(r),
                    Err(e) => {
                        *errors += 1;
                        println!("TEST BUG: fixed ruleset {t:?} does not validate: {e}");
                        continue;
                    }
                }
            }
        };
        // Some smart groups start inactive; static groups are always created active.
        let active = !matches!(plan, Plan::Random) || !rng.chance(8);
        let t = quote_literal(&tenant);
        let sql = match &rules {
            None => format!(
                "SELECT smart_groups.create_static_group({}, tenant => {t})",
                quote_literal(&name)
            ),
            Some((node, _)) => format!(
                "SELECT smart_groups.create_group({}, {}, active => {active}, tenant => {t})",
                quote_literal(&name),
                rules_arg(rng, node)
            ),
        };
        let id: i64 = match client.query_one(sql.as_str(), &[]) {
            Ok(row) => row.try_get(0)?,
            Err(e) => {
                *errors += 1;
                println!(
                    "OP ERROR [setup] creating group \"{name}\" of {tenant}: {}\n  statement: {sql}",
                    describe(&e)
                );
                continue;
            }
        };
        let kind = if rules.is_some() {
            GroupKind::Smart
        } else {
            GroupKind::Static
        };
        let status = if active {
            GroupStatus::Active
        } else {
            GroupStatus::Inactive
        };
        let members = match (&rules, active) {
            (Some((_, pred)), true) => {
                let users = tenant_users(&snap.data, &tenant);
                let matching = Evaluator::new(&snap.data, now).matching(pred);
                matching.intersection(&users).cloned().collect()
            }
            _ => Default::default(),
        };
        snap.data.members.insert(id, members);
        let fixed = matches!(plan, Plan::Fixed(_));
        model.groups.push(GroupModel {
            id,
            tenant: tenant.clone(),
            name: name.clone(),
            kind,
            status,
            rules,
            fixed,
        });
        if kind == GroupKind::Static {
            let live = state.live_in(&tenant);
            let keys: Vec<String> = (0..8)
                .filter_map(|_| rng.pick(&live).map(|k| k.to_string()))
                .collect();
            if keys.is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT smart_groups.add_members({}, {}, tenant => {t})",
                quote_literal(&name),
                keys_of(&keys, &tenant)
            );
            client.batch_execute(&sql)?;
            snap.data.members.insert(id, keys.iter().cloned().collect());
            step::apply(state, model, step::Effect::Include(id, keys, true), &[]);
        }
    }
    Ok(())
}

pub fn schema(client: &mut Client, model: &Model) -> Result<(), Failure> {
    schema::create(client)?;
    schema::check_fields(client, &model.base)
}
