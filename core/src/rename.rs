//! Following the app's column renames: the field names a ruleset uses, rewritten so that the
//! rules read the same columns under their new names (`department` → `dept`, and through a
//! renamed reference column `manager_id` → `boss_id`, `manager.name` → `boss.name`).
//!
//! Names are resolved the way `validate` resolves them (an exact user field first, then
//! `reference.rest`), against the catalog as it was before the renames; a name that did not
//! resolve then is left as written.

use std::collections::BTreeMap;

use crate::ast::{Has, Node};
use crate::catalog::{Catalog, Lookup, Reference, TableName};
use crate::limits::MAX_DEPTH;

/// Column renames of the attached tables, old name → new name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames {
    /// Columns of the users table.
    pub users: BTreeMap<String, String>,
    /// Columns of each relation's table, by relation name.
    pub relations: BTreeMap<String, BTreeMap<String, String>>,
    /// Columns of each lookup table, by `schema.table` (`lookup_key`).
    pub lookups: BTreeMap<String, BTreeMap<String, String>>,
}

/// How `Renames::lookups` names a lookup table.
pub fn lookup_key(table: &TableName) -> String {
    format!("{}.{}", table.schema, table.name)
}

/// `map` reversed: new name → old name.
fn reversed(map: &BTreeMap<String, String>) -> BTreeMap<&str, &str> {
    map.iter().map(|(o, n)| (n.as_str(), o.as_str())).collect()
}

impl Renames {
    /// A lookup as it was before the renames: its foreign key column (a column of the users
    /// table or relation, renamed by `owner`) and its table's columns.
    fn undo_lookup(&self, l: &mut Lookup, owner: &BTreeMap<&str, &str>) {
        if let Some(old) = owner.get(l.column.as_str()) {
            l.column = (*old).to_string();
            l.name = reference_name(old);
        }
        let Some(map) = self.lookups.get(&lookup_key(&l.table)) else {
            return;
        };
        let back = reversed(map);
        for c in &mut l.columns {
            if let Some(old) = back.get(c.name.as_str()) {
                c.name = (*old).to_string();
            }
        }
        if let Some(old) = back.get(l.key_column.as_str()) {
            l.key_column = (*old).to_string();
        }
    }

    /// A lookup's name and its column `column` (as before), under the new names.
    fn lookup_field(
        &self,
        l: &Lookup,
        owner: Option<&BTreeMap<String, String>>,
        column: &str,
    ) -> String {
        let name = match owner.and_then(|m| m.get(&l.column)) {
            Some(new_column) => reference_name(new_column),
            None => l.name.clone(),
        };
        let column = self
            .lookups
            .get(&lookup_key(&l.table))
            .and_then(|m| m.get(column))
            .map_or(column, String::as_str);
        format!("{name}.{column}")
    }
}

impl Renames {
    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
            && self.relations.values().all(BTreeMap::is_empty)
            && self.lookups.values().all(BTreeMap::is_empty)
    }

    /// The catalog as it was before the renames, from the catalog after them.
    pub fn undo(&self, after: &Catalog) -> Catalog {
        let back_users = reversed(&self.users);
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
        for l in &mut before.lookups {
            self.undo_lookup(l, &back_users);
        }
        for rel in &mut before.relations {
            let back = self
                .relations
                .get(&rel.name)
                .map(reversed)
                .unwrap_or_default();
            for c in &mut rel.columns {
                if let Some(old) = back.get(c.name.as_str()) {
                    c.name = (*old).to_string();
                }
            }
            if let Some(old) = back.get(rel.user_column.as_str()) {
                rel.user_column = (*old).to_string();
            }
            for l in &mut rel.lookups {
                self.undo_lookup(l, &back);
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
    walk(node, &user, before, renames)
}

fn walk(node: &Node, user: &dyn Fn(&str) -> String, before: &Catalog, renames: &Renames) -> Node {
    let each = |items: &[Node]| {
        items
            .iter()
            .map(|n| walk(n, user, before, renames))
            .collect()
    };
    match node {
        Node::All(items) => Node::All(each(items)),
        Node::Any(items) => Node::Any(each(items)),
        Node::Not(inner) => Node::Not(Box::new(walk(inner, user, before, renames))),
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
            let relation = before.relation(&h.relation);
            let column = |name: &str| {
                if let Some(new) = columns.and_then(|m| m.get(name)) {
                    return new.clone();
                }
                // `course.title`: the lookup of the relation's foreign key.
                let lookup = name.split_once('.').and_then(|(head, tail)| {
                    let l = relation?.lookup(head)?;
                    l.column(tail)?;
                    Some(renames.lookup_field(l, columns, tail))
                });
                lookup.unwrap_or_else(|| name.to_string())
            };
            Node::Has(Has {
                relation: h.relation.clone(),
                filter: h
                    .filter
                    .as_ref()
                    .map(|f| Box::new(walk(f, &column, before, renames))),
                count: h.count,
            })
        }
    }
}

/// The names of the references followed, under the new names.
fn renamed_references(through: &[&Reference], renames: &Renames) -> Vec<String> {
    through
        .iter()
        .map(|r| match renames.users.get(&r.column) {
            Some(new_column) => reference_name(new_column),
            None => r.name.clone(),
        })
        .collect()
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
        if let Some(lookup) = before.lookup(head).filter(|l| l.column(tail).is_some()) {
            let mut parts = renamed_references(&through, renames);
            parts.push(renames.lookup_field(lookup, Some(&renames.users), tail));
            return parts.join(".");
        }
        let Some(reference) = before.reference(head) else {
            return name.to_string();
        };
        if through.len() == MAX_DEPTH {
            return name.to_string();
        }
        through.push(reference);
        rest = tail;
    };
    let mut parts = renamed_references(&through, renames);
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
