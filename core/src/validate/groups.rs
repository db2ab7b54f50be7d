//! `member_of`: the named group must exist, have members to speak of, and not lead back to the
//! group being defined.

use std::collections::{HashMap, HashSet, VecDeque};

use super::error::ValidationError;
use super::walk::Ctx;
use crate::catalog::{Catalog, Group, GroupKind, GroupStatus};
use crate::checked::Pred;
use crate::report::did_you_mean;

pub(super) fn member_of(ctx: &mut Ctx, name: &str, path: String) -> Option<Pred> {
    let catalog = ctx.catalog;
    let Some(group) = catalog.group(name) else {
        let suggestion = did_you_mean(name, catalog.groups.iter().map(|g| g.name.as_str()));
        let error = ValidationError::UnknownGroup {
            name: name.to_string(),
            suggestion: suggestion.map(str::to_string),
        };
        ctx.report(path, error);
        return None;
    };
    let mut ok = true;
    if !usable(group) {
        let error = ValidationError::GroupNotUsable {
            name: group.name.clone(),
            status: group.status,
        };
        ctx.report(path.clone(), error);
        ok = false;
    }
    if let Some(own) = ctx.opts.group.as_deref() {
        if let Some(cycle) = find_cycle(catalog, own, &group.name) {
            ctx.report(
                path,
                ValidationError::GroupCycle {
                    name: group.name.clone(),
                    cycle,
                },
            );
            ok = false;
        }
    }
    ok.then(|| Pred::MemberOf {
        group_id: group.id,
        name: group.name.clone(),
    })
}

/// Inactive and archived smart groups have no members, so naming one is a mistake. Static
/// groups hold whoever was added, unless archived (archived groups are hidden).
fn usable(group: &Group) -> bool {
    match (group.kind, group.status) {
        (_, GroupStatus::Archived) => false,
        (GroupKind::Static, _) => true,
        (GroupKind::Smart, status) => status == GroupStatus::Active,
    }
}

/// The shortest chain `own → named → … → own` along the catalog's `member_of` edges, if
/// `named` leads back to `own`. The catalog's own edges of `own` are ignored: its rules are
/// the ones being replaced. Breadth-first with a visited set, so cycles that already exist
/// among other groups cannot make it loop.
fn find_cycle(catalog: &Catalog, own: &str, named: &str) -> Option<Vec<String>> {
    if named == own {
        return Some(vec![own.to_string(), own.to_string()]);
    }
    let by_name: HashMap<&str, &Group> = catalog
        .groups
        .iter()
        .map(|g| (g.name.as_str(), g))
        .collect();
    let mut came_from: HashMap<&str, &str> = HashMap::new();
    let mut seen: HashSet<&str> = HashSet::from([named]);
    let mut queue: VecDeque<&str> = VecDeque::from([named]);
    while let Some(current) = queue.pop_front() {
        let Some(group) = by_name.get(current) else {
            continue;
        };
        for next in &group.member_of {
            if next == own {
                let mut chain = vec![current];
                let mut at = current;
                while let Some(prev) = came_from.get(at) {
                    chain.push(prev);
                    at = prev;
                }
                let names = chain.into_iter().rev().map(str::to_string);
                return Some(
                    std::iter::once(own.to_string())
                        .chain(names)
                        .chain([own.to_string()])
                        .collect(),
                );
            }
            if seen.insert(next.as_str()) {
                came_from.insert(next.as_str(), current);
                queue.push_back(next.as_str());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{KeyType, TableName, UsersTable};

    fn catalog(edges: &[(&str, &[&str])]) -> Catalog {
        let groups = edges
            .iter()
            .enumerate()
            .map(|(i, (name, to))| Group {
                id: i as i64 + 1,
                name: name.to_string(),
                kind: GroupKind::Smart,
                status: GroupStatus::Active,
                member_of: to.iter().map(|s| s.to_string()).collect(),
                tenant: None,
            })
            .collect();
        Catalog {
            users: UsersTable {
                table: TableName {
                    schema: "public".into(),
                    name: "users".into(),
                },
                key_column: "id".into(),
                key_type: KeyType::Integer,
            },
            columns: vec![],
            custom_table: None,
            custom_fields: vec![],
            references: vec![],
            lookups: Vec::new(),
            relations: vec![],
            groups,
            tenant_column: None,
        }
    }

    #[test]
    fn finds_the_shortest_way_back() {
        let c = catalog(&[
            ("A", &["B"]),
            ("B", &["C", "D"]),
            ("C", &["X"]),
            ("D", &["A"]),
            ("X", &["X"]),
        ]);
        assert_eq!(
            find_cycle(&c, "A", "B"),
            Some(vec!["A".into(), "B".into(), "D".into(), "A".into()])
        );
        assert_eq!(find_cycle(&c, "A", "A"), Some(vec!["A".into(), "A".into()]));
        assert_eq!(find_cycle(&c, "A", "C"), None);
        assert_eq!(find_cycle(&c, "New", "B"), None);
    }
}
