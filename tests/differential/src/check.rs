//! The comparison after each batch: expected membership of every group, computed by the core
//! evaluator from the snapshot (groups named by member_of get the evaluator's own expected
//! membership, never the database's), against `smart_groups.members`.

use std::collections::{BTreeMap, BTreeSet};

use smart_groups_core::catalog::{GroupKind, GroupStatus};
use smart_groups_core::eval::{Datum, Evaluator};

use crate::model::Model;
use crate::schema::TENANTS;
use crate::snapshot::{tenant_users, Snapshot};

#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
}

/// Levels of the member_of graph: a group's level is one more than the highest level of the
/// groups it names, so each level only reads memberships computed before it.
fn levels(model: &Model) -> Vec<Vec<usize>> {
    let mut level: Vec<usize> = Vec::with_capacity(model.groups.len());
    for g in &model.groups {
        let l = g
            .named()
            .iter()
            .filter_map(|n| model.index_of(n, &g.tenant))
            .filter_map(|i| level.get(i).map(|l| l + 1))
            .max()
            .unwrap_or(0);
        level.push(l);
    }
    let mut out: Vec<Vec<usize>> = Vec::new();
    for (i, l) in level.iter().enumerate() {
        if out.len() <= *l {
            out.resize(l + 1, Vec::new());
        }
        if let Some(bucket) = out.get_mut(*l) {
            bucket.push(i);
        }
    }
    out
}

fn status_name(s: GroupStatus) -> &'static str {
    match s {
        GroupStatus::Active => "active",
        GroupStatus::Inactive => "inactive",
        GroupStatus::Archived => "archived",
    }
}

/// Expected members of every group, by id. A group holds only users of its tenant: the
/// rules were checked without the tenant's condition (`Model::check`), so the test applies
/// it here, from the `org` values it read back, to rule matches and inclusions alike.
pub fn expected(model: &Model, snap: &mut Snapshot) -> BTreeMap<i64, BTreeSet<String>> {
    let tenants: BTreeMap<&str, BTreeSet<String>> = TENANTS
        .iter()
        .map(|t| (*t, tenant_users(&snap.data, t)))
        .collect();
    let now = snap.now.unwrap_or_default();
    let empty = BTreeSet::new();
    let mut out = BTreeMap::new();
    for level in levels(model) {
        let mut computed = Vec::new();
        {
            let eval = Evaluator::new(&snap.data, now);
            for i in level {
                let Some(g) = model.groups.get(i) else {
                    continue;
                };
                let users = tenants.get(g.tenant.as_str()).unwrap_or(&empty);
                let included = snap.inclusions.get(&g.id).unwrap_or(&empty);
                let excluded = snap.exclusions.get(&g.id).unwrap_or(&empty);
                let mut set: BTreeSet<String> = match (g.status, g.kind, &g.rules) {
                    (GroupStatus::Active, GroupKind::Smart, Some((_, pred))) => eval.matching(pred),
                    _ => BTreeSet::new(),
                };
                if g.status == GroupStatus::Active {
                    set.extend(included.iter().cloned());
                    set.retain(|k| !excluded.contains(k) && users.contains(k));
                }
                computed.push((g.id, set));
            }
        }
        for (id, set) in computed {
            snap.data.members.insert(id, set.clone());
            out.insert(id, set);
        }
    }
    out
}

/// Compares every group; prints each mismatch, in full the first `limit` times per batch
/// for rules not shown in full before (`shown` remembers them across batches, so a known
/// discrepancy does not flood the output).
pub fn compare(
    model: &Model,
    snap: &mut Snapshot,
    label: &str,
    limit: usize,
    detailed: &mut BTreeSet<(i64, String)>,
) -> Tally {
    let mut tally = Tally::default();
    let db_groups: BTreeMap<i64, _> = snap.groups.iter().map(|g| (g.id, g.clone())).collect();
    for g in &model.groups {
        let kind = if g.kind == GroupKind::Smart {
            "smart"
        } else {
            "static"
        };
        match db_groups.get(&g.id) {
            Some(d)
                if d.name == g.name
                    && d.tenant.as_deref() == Some(g.tenant.as_str())
                    && d.kind == kind
                    && d.status == status_name(g.status) => {}
            other => {
                tally.failed += 1;
                println!(
                    "MISMATCH [{label}] group {} \"{}\": the test expects a {kind} {} group of {}, smart_groups.groups has {:?}",
                    g.id, g.name, status_name(g.status), g.tenant, other
                );
            }
        }
    }
    let expected = expected(model, snap);
    let empty = BTreeSet::new();
    let mut shown = 0;
    for g in &model.groups {
        let want = expected.get(&g.id).unwrap_or(&empty);
        let have = snap.members.get(&g.id).unwrap_or(&empty);
        if want == have {
            tally.passed += 1;
            continue;
        }
        tally.failed += 1;
        let missing: Vec<&String> = want.difference(have).collect();
        let unexpected: Vec<&String> = have.difference(want).collect();
        println!(
            "MISMATCH [{label}] group {} \"{}\" of {} ({}, {}): {} missing from members {:?}, {} unexpected {:?}",
            g.id,
            g.name,
            g.tenant,
            if g.kind == GroupKind::Smart { "smart" } else { "static" },
            status_name(g.status),
            missing.len(),
            first(&missing, 12),
            unexpected.len(),
            first(&unexpected, 12),
        );
        let rules = g.rules_text();
        println!("  rules: {rules}");
        // `limit == usize::MAX` is --verbose: everything in full, repeats included.
        let fresh = detailed.insert((g.id, rules));
        if shown >= limit || (!fresh && limit != usize::MAX) {
            continue;
        }
        shown += 1;
        for key in missing.iter().chain(unexpected.iter()).take(3) {
            println!("  user {key}: {}", describe_user(snap, key));
            let tag = |m: &BTreeMap<i64, BTreeSet<String>>| {
                m.get(&g.id).is_some_and(|s| s.contains(*key))
            };
            if tag(&snap.inclusions) || tag(&snap.exclusions) {
                println!(
                    "    included: {}, excluded: {}",
                    tag(&snap.inclusions),
                    tag(&snap.exclusions)
                );
            }
        }
    }
    tally
}

fn first<'a>(keys: &[&'a String], n: usize) -> Vec<&'a str> {
    keys.iter().take(n).map(|k| k.as_str()).collect()
}

fn datum(d: &Datum) -> String {
    match d {
        Datum::Null => "NULL".into(),
        Datum::Text(s) => format!("{s:?}"),
        Datum::Number(n) => n.clone(),
        Datum::Float(f) => f.to_string(),
        Datum::Date(d) => d.to_string(),
        Datum::Timestamp(t) => t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string(),
        Datum::Bool(b) => b.to_string(),
        Datum::List(items) => format!("{items:?}"),
    }
}

fn row(values: &BTreeMap<String, Datum>) -> String {
    values
        .iter()
        .map(|(k, v)| format!("{k}={}", datum(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything a rule could read about a user: the row, custom rows, relation rows and the
/// manager's row.
pub fn describe_user(snap: &Snapshot, key: &str) -> String {
    let data = &snap.data;
    let Some(user) = data.users.iter().find(|u| u.key == key) else {
        return "(no such user)".into();
    };
    let mut out = row(&user.values);
    let custom: Vec<String> = data
        .custom
        .iter()
        .filter(|c| c.user_key == key)
        .map(|c| format!("{}={:?}", c.field_key, c.value))
        .collect();
    out.push_str(&format!("\n    custom: [{}]", custom.join(", ")));
    for (name, rows) in &data.relations {
        let mine: Vec<String> = rows
            .iter()
            .filter(|r| r.user_key == key)
            .map(|r| format!("{{{}}}", row(&r.values)))
            .collect();
        out.push_str(&format!("\n    {name}: [{}]", mine.join(", ")));
    }
    if let Some(Datum::Number(m)) = user.values.get("manager_id") {
        if let Some(manager) = data.users.iter().find(|u| &u.key == m) {
            out.push_str(&format!("\n    manager {m}: {}", row(&manager.values)));
            let custom: Vec<String> = data
                .custom
                .iter()
                .filter(|c| &c.user_key == m)
                .map(|c| format!("{}={:?}", c.field_key, c.value))
                .collect();
            out.push_str(&format!("\n    manager custom: [{}]", custom.join(", ")));
        }
    }
    out
}
