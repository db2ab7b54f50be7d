//! Following the app's column renames: the field names a ruleset uses, rewritten so that the
//! rules read the same columns under their new names (`department` → `dept`, and through a
//! renamed reference column `manager_id` → `boss_id`, `manager.name` → `boss.name`).
//!
//! Names are resolved the way `validate` resolves them (an exact user field first, then
//! `reference.rest`), against the catalog as it was before the renames; a name that did not
//! resolve then is left as written.

use std::collections::BTreeMap;

use crate::ast::{Has, Node};
use crate::catalog::{Catalog, Reference};
use crate::limits::MAX_DEPTH;

/// Column renames of the attached tables, old name → new name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames {
    /// Columns of the users table.
    pub users: BTreeMap<String, String>,
    /// Columns of each relation's table, by relation name.
    pub relations: BTreeMap<String, BTreeMap<String, String>>,
}

impl Renames {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.relations.values().all(BTreeMap::is_empty)
    }

    /// The catalog as it was before the renames, from the catalog after them.
    pub fn undo(&self, after: &Catalog) -> Catalog {
        let back_users: BTreeMap<&str, &str> = self
            .users
            .iter()
            .map(|(o, n)| (n.as_str(), o.as_str()))
            .collect();
        let mut before = after.clone();
        for c in &mut before.columns {
            if let Some(old) = back_users.get(c.name.as_str()) {
                c.name = (*old).to_string();
            }
        }
        for r in &mut before.references {
            if let Some(old) = back_users.get(r.column.as_str()) {
                r.column = (*old).to_string();
                r.name = reference_name(old);
            }
        }
        if let Some(old) = back_users.get(before.users.key_column.as_str()) {
            before.users.key_column = (*old).to_string();
        }
        for rel in &mut before.relations {
            let Some(map) = self.relations.get(&rel.name) else {
                continue;
            };
            let back: BTreeMap<&str, &str> =
                map.iter().map(|(o, n)| (n.as_str(), o.as_str())).collect();
            for c in &mut rel.columns {
                if let Some(old) = back.get(c.name.as_str()) {
                    c.name = (*old).to_string();
                }
            }
            if let Some(old) = back.get(rel.user_column.as_str()) {
                rel.user_column = (*old).to_string();
            }
        }
        before
    }
}

/// The reference name of a self-referencing foreign key column: `manager_id` → `manager`.
pub fn reference_name(column: &str) -> String {
    column
        .strip_suffix("_id")
        .filter(|s| !s.is_empty())
        .unwrap_or(column)
        .to_string()
}

/// `node`, written against `before`, with every field named as after `renames`.
pub fn rename_fields(node: &Node, before: &Catalog, renames: &Renames) -> Node {
    let user = |name: &str| rename_user_field(name, before, renames);
    walk(node, &user, renames)
}

fn walk(node: &Node, user: &dyn Fn(&str) -> String, renames: &Renames) -> Node {
    match node {
        Node::All(items) => Node::All(items.iter().map(|n| walk(n, user, renames)).collect()),
        Node::Any(items) => Node::Any(items.iter().map(|n| walk(n, user, renames)).collect()),
        Node::Not(inner) => Node::Not(Box::new(walk(inner, user, renames))),
        Node::Cond(c) => {
            let mut c = c.clone();
            c.field = user(&c.field);
            Node::Cond(c)
        }
        Node::Compare(c) => {
            let mut c = c.clone();
            c.field = user(&c.field);
            c.value_field = user(&c.value_field);
            Node::Compare(c)
        }
        Node::MemberOf(name) => Node::MemberOf(name.clone()),
        Node::Has(h) => {
            let columns = renames.relations.get(&h.relation);
            let column = |name: &str| {
                columns
                    .and_then(|m| m.get(name))
                    .cloned()
                    .unwrap_or_else(|| name.to_string())
            };
            Node::Has(Has {
                relation: h.relation.clone(),
                filter: h
                    .filter
                    .as_ref()
                    .map(|f| Box::new(walk(f, &column, renames))),
                count: h.count,
            })
        }
    }
}

/// A user-level field name (possibly through references) under the new names.
fn rename_user_field(name: &str, before: &Catalog, renames: &Renames) -> String {
    let mut through: Vec<&Reference> = Vec::new();
    let mut rest = name;
    let last = loop {
        if before.user_field(rest).is_some() {
            break rest;
        }
        let Some((head, tail)) = rest.split_once('.') else {
            return name.to_string();
        };
        let Some(reference) = before.reference(head) else {
            return name.to_string();
        };
        if through.len() == MAX_DEPTH {
            return name.to_string();
        }
        through.push(reference);
        rest = tail;
    };
    let mut parts: Vec<String> = through
        .iter()
        .map(|r| match renames.users.get(&r.column) {
            Some(new_column) => reference_name(new_column),
            None => r.name.clone(),
        })
        .collect();
    // A custom field keeps its key; a column takes its new name.
    let field = match before.columns.iter().find(|c| c.name == last) {
        Some(c) => renames
            .users
            .get(&c.name)
            .cloned()
            .unwrap_or_else(|| last.to_string()),
        None => last.to_string(),
    };
    parts.push(field);
    parts.join(".")
}
