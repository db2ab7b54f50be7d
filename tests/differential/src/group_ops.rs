//! Random changes to groups: rules, exclusions, inclusions, static members, activation.

use smart_groups_core::ast::Node;
use smart_groups_core::catalog::{GroupKind, GroupStatus};
use smart_groups_core::checked::Pred;
use smart_groups_core::eval::{Dataset, Evaluator};
use smart_groups_core::{json, text};

use crate::snapshot::{tenant_users, Snapshot};
use chrono::{DateTime, Utc};

use crate::model::Model;
use crate::rng::Rng;
use crate::rules::RuleGen;
use crate::sqlval::quote_literal;
use crate::step::{Effect, State, Step};

const REASONS: &[&str] = &[
    "does_not_represent_criteria",
    "already_addressed",
    "data_quality",
    "other",
];

/// A valid ruleset for the group at `index` (named `name`, of `tenant`), with its checked form. The
/// generator aims at valid rulesets; the few it gets wrong are redrawn. `None` means every
/// attempt failed.
fn valid_rules(
    rng: &mut Rng,
    gen: &mut RuleGen,
    model: &Model,
    index: usize,
    name: &str,
    tenant: &str,
    rejected: &mut Vec<String>,
) -> Option<(Node, Pred)> {
    let targets = model.targets(index, tenant);
    for _ in 0..40 {
        let node = gen.ruleset(rng, &targets, tenant);
        match model.check(&node, name, tenant) {
            Ok(pred) => return Some((node, pred)),
            Err(e) => rejected.push(format!("{}: {e}", text::print(&node))),
        }
    }
    None
}

/// Like `valid_rules`, but prefers a ruleset that some users of the tenant match and others
/// do not (as the evaluator sees `data`): random conjunctions are mostly empty, and a group that is
/// always empty or always everyone tests little. Which candidate is kept depends only on the
/// data, so seeded runs stay reproducible.
#[allow(clippy::too_many_arguments)]
pub fn interesting_rules(
    rng: &mut Rng,
    gen: &mut RuleGen,
    model: &Model,
    index: usize,
    name: &str,
    tenant: &str,
    rejected: &mut Vec<String>,
    data: &Dataset,
    now: DateTime<Utc>,
) -> Option<(Node, Pred)> {
    let mut last = None;
    let users = tenant_users(data, tenant);
    for _ in 0..6 {
        let Some((node, pred)) = valid_rules(rng, gen, model, index, name, tenant, rejected) else {
            continue;
        };
        let matching = Evaluator::new(data, now).matching(&pred);
        let n = matching.intersection(&users).count();
        if n > 0 && n < users.len() {
            return Some((node, pred));
        }
        last = Some((node, pred));
    }
    last
}

/// The ruleset as a SQL argument: canonical JSON (jsonb) or the text form, both accepted.
pub fn rules_arg(rng: &mut Rng, node: &Node) -> String {
    if rng.chance(70) {
        format!("{}::jsonb", quote_literal(&json::write(node).to_string()))
    } else {
        format!("{}::text", quote_literal(&text::print(node)))
    }
}

pub fn set_rules(
    rng: &mut Rng,
    gen: &mut RuleGen,
    model: &Model,
    rejected: &mut Vec<String>,
    snap: &Snapshot,
) -> Option<Step> {
    // Hand-written groups keep their rules: each targets one edge case for the whole run.
    let smart: Vec<usize> = (0..model.groups.len())
        .filter(|i| {
            model
                .groups
                .get(*i)
                .is_some_and(|g| g.kind == GroupKind::Smart && !g.fixed)
        })
        .collect();
    let index = *rng.pick(&smart)?;
    let g = model.groups.get(index)?;
    let (name, tenant) = (g.name.clone(), g.tenant.clone());
    let now = snap.now.unwrap_or_default();
    let (node, pred) = interesting_rules(
        rng, gen, model, index, &name, &tenant, rejected, &snap.data, now,
    )?;
    let sql = format!(
        "SELECT smart_groups.set_rules({}, {}, tenant => {})",
        quote_literal(&name),
        rules_arg(rng, &node),
        quote_literal(&tenant)
    );
    Some(Step::sql(
        format!("set_rules {name} of {tenant}"),
        sql,
        Effect::SetRules(index, Box::new((node, pred))),
    ))
}

/// A group of `kind`: its id, its name (quoted) and its tenant.
fn pick_group<'m>(
    rng: &mut Rng,
    model: &'m Model,
    kind: GroupKind,
) -> Option<(i64, String, &'m str)> {
    let groups: Vec<_> = model.groups.iter().filter(|g| g.kind == kind).collect();
    rng.pick(&groups)
        .map(|g| (g.id, quote_literal(&g.name), g.tenant.as_str()))
}

/// A call of `smart_groups.<call>` for user `key` of `tenant`, made only if the user still
/// belongs to it (an UPDATE earlier in the batch may have moved them; the extension refuses
/// users of other tenants, rightly).
fn for_user_of(call: &str, key: i32, tenant: &str) -> String {
    format!(
        "SELECT smart_groups.{call} FROM app.users WHERE id = {key} AND org = {}",
        quote_literal(tenant)
    )
}

/// `keys` as an integer array of those of them who (still) belong to `tenant`.
pub fn keys_of(keys: &[String], tenant: &str) -> String {
    format!(
        "ARRAY(SELECT id FROM app.users WHERE id IN ({}) AND org = {} ORDER BY id)",
        keys.join(", "),
        quote_literal(tenant)
    )
}

pub fn exclusion(rng: &mut Rng, model: &Model, state: &State) -> Option<Step> {
    let kind = if rng.chance(85) {
        GroupKind::Smart
    } else {
        GroupKind::Static
    };
    let (gid, n, tenant) = pick_group(rng, model, kind)?;
    let t = quote_literal(tenant);
    let name = format!("{n} of {tenant}");
    let excluded: Vec<String> = state
        .excluded
        .get(&gid)
        .map_or(Vec::new(), |s| s.iter().cloned().collect());
    if rng.chance(35) {
        if let Some(key) = rng.pick(&excluded) {
            // A key moved away by an UPDATE of the key still has its exclusion row, and may be
            // unexcluded; a deleted user's rows went with them (`step::apply`). So may a user
            // who moved to another tenant since.
            let sql = format!("SELECT smart_groups.unexclude({n}, {key}::integer, tenant => {t})");
            return Some(Step::sql(
                format!("unexclude {key} from {name}"),
                sql,
                Effect::Exclude(gid, key.clone(), false),
            ));
        }
    }
    let key = *rng.pick(&state.live_in(tenant))?;
    let reason = rng.pick(REASONS).copied().unwrap_or("other");
    let note = if reason == "other" || rng.chance(30) {
        quote_literal("checked by hand")
    } else {
        "NULL".into()
    };
    let call = format!(
        "exclude({n}, {key}::integer, {}, {note}, tenant => {t})",
        quote_literal(reason)
    );
    let sql = for_user_of(&call, key, tenant);
    Some(Step::sql(
        format!("exclude {key} from {name}"),
        sql,
        Effect::Exclude(gid, key.to_string(), true),
    ))
}

pub fn inclusion(rng: &mut Rng, model: &Model, state: &State) -> Option<Step> {
    let (gid, n, tenant) = pick_group(rng, model, GroupKind::Smart)?;
    let t = quote_literal(tenant);
    let name = format!("{n} of {tenant}");
    let included: Vec<String> = state
        .included
        .get(&gid)
        .map_or(Vec::new(), |s| s.iter().cloned().collect());
    if rng.chance(35) {
        let key = match rng.pick(&included) {
            Some(k) => k.clone(),
            // Unincluding a user who was never included changes nothing, and must not fail.
            None => rng.pick(&state.live_in(tenant))?.to_string(),
        };
        let sql = format!("SELECT smart_groups.uninclude({n}, {key}::integer, tenant => {t})");
        return Some(Step::sql(
            format!("uninclude {key} from {name}"),
            sql,
            Effect::Include(gid, vec![key], false),
        ));
    }
    let key = *rng.pick(&state.live_in(tenant))?;
    let sql = for_user_of(
        &format!("include({n}, {key}::integer, tenant => {t})"),
        key,
        tenant,
    );
    Some(Step::sql(
        format!("include {key} in {name}"),
        sql,
        Effect::Include(gid, vec![key.to_string()], true),
    ))
}

pub fn static_members(rng: &mut Rng, model: &Model, state: &State) -> Option<Step> {
    let (gid, n, tenant) = pick_group(rng, model, GroupKind::Static)?;
    let t = quote_literal(tenant);
    let name = format!("{n} of {tenant}");
    let live = state.live_in(tenant);
    if rng.chance(35) {
        let current: Vec<String> = state
            .included
            .get(&gid)
            .map_or(Vec::new(), |s| s.iter().cloned().collect());
        let keys: Vec<String> = (0..1 + rng.below(3))
            .filter_map(|_| rng.pick(&current).cloned())
            .collect();
        if keys.is_empty() {
            return None;
        }
        let sql = format!(
            "SELECT smart_groups.remove_members({n}, ARRAY[{}]::integer[], tenant => {t})",
            keys.join(", ")
        );
        return Some(Step::sql(
            format!("remove_members {name} {keys:?}"),
            sql,
            Effect::Include(gid, keys, false),
        ));
    }
    let keys: Vec<String> = (0..1 + rng.below(5))
        .filter_map(|_| rng.pick(&live).map(|k| k.to_string()))
        .collect();
    if keys.is_empty() {
        return None;
    }
    let sql = format!(
        "SELECT smart_groups.add_members({n}, {}, tenant => {t})",
        keys_of(&keys, tenant)
    );
    Some(Step::sql(
        format!("add_members {name} {keys:?}"),
        sql,
        Effect::Include(gid, keys, true),
    ))
}

/// Deactivates an active group or activates an inactive one, among groups no rule names
/// (the extension refuses to deactivate those, rightly).
pub fn toggle(rng: &mut Rng, model: &Model) -> Option<Step> {
    let free: Vec<usize> = (0..model.groups.len())
        .filter(|i| {
            model
                .groups
                .get(*i)
                .is_some_and(|g| !model.is_named(&g.name, &g.tenant))
        })
        .collect();
    let index = *rng.pick(&free)?;
    let g = model.groups.get(index)?;
    let n = quote_literal(&g.name);
    let t = quote_literal(&g.tenant);
    Some(match g.status {
        GroupStatus::Active => Step::sql(
            format!("deactivate {} of {}", g.name, g.tenant),
            format!("SELECT smart_groups.deactivate_group({n}, tenant => {t})"),
            Effect::SetStatus(index, GroupStatus::Inactive),
        ),
        _ => Step::sql(
            format!("activate {} of {}", g.name, g.tenant),
            format!("SELECT smart_groups.activate_group({n}, tenant => {t})"),
            Effect::SetStatus(index, GroupStatus::Active),
        ),
    })
}
