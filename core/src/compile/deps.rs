//! What a compiled group reads, so that the database layer knows which changes can affect its
//! membership (triggers) and which groups need refreshing as time passes.

use std::collections::BTreeSet;

use crate::ast::Op;
use crate::catalog::TableName;
use crate::checked::{FieldPath, Pred};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deps {
    /// Columns of the users table, read on the user or on a referenced user.
    pub columns: BTreeSet<String>,
    /// Custom-field keys.
    pub custom_keys: BTreeSet<String>,
    /// Reference names (`manager`).
    pub references: BTreeSet<String>,
    /// How many references the longest path follows (`manager.manager.name`: 2): a change to
    /// a user reaches the membership of users at most this many references away.
    pub reference_depth: usize,
    /// Relation names used by `has`.
    pub relations: BTreeSet<String>,
    /// Columns of lookup tables, and through which foreign key they are read.
    pub lookups: BTreeSet<LookupRead>,
    /// Group ids named by `member_of`.
    pub groups: BTreeSet<i64>,
    /// Whether the result changes with time alone (`within_last`, `not_within_last`).
    pub relative_time: bool,
}

/// A lookup table's column read through a foreign key: of the users table (`relation` None)
/// or of a relation's table. A change to that column of a lookup row moves the users whose
/// row (or related rows) reference it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LookupRead {
    pub relation: Option<String>,
    /// The foreign key column of the users table or the relation.
    pub fk: String,
    pub table: TableName,
    pub key_column: String,
    pub column: String,
}

pub fn dependencies(pred: &Pred) -> Deps {
    let mut deps = Deps::default();
    walk(pred, None, &mut deps);
    deps
}

/// `in_relation`: inside `has … where` of that relation, where a column belongs to the
/// relation's row.
fn walk(pred: &Pred, in_relation: Option<&str>, deps: &mut Deps) {
    match pred {
        Pred::All(items) | Pred::Any(items) => {
            items.iter().for_each(|p| walk(p, in_relation, deps));
        }
        Pred::Not(inner) => walk(inner, in_relation, deps),
        Pred::Test(t) => {
            field(&t.field, in_relation, deps);
            deps.reference_depth = deps.reference_depth.max(references_followed(&t.field));
            if matches!(t.op, Op::WithinLast | Op::NotWithinLast) {
                deps.relative_time = true;
            }
        }
        Pred::Compare(c) => {
            for side in c.fields() {
                field(side, in_relation, deps);
                deps.reference_depth = deps.reference_depth.max(references_followed(side));
            }
        }
        Pred::MemberOf { group_id, .. } => {
            deps.groups.insert(*group_id);
        }
        Pred::Has {
            relation, filter, ..
        } => {
            deps.relations.insert(relation.name.clone());
            if let Some(f) = filter {
                walk(f, Some(&relation.name), deps);
            }
        }
    }
}

fn references_followed(path: &FieldPath) -> usize {
    match path {
        FieldPath::Reference { inner, .. } => 1 + references_followed(inner),
        _ => 0,
    }
}

fn field(path: &FieldPath, in_relation: Option<&str>, deps: &mut Deps) {
    match path {
        FieldPath::Column(c) => {
            if in_relation.is_none() {
                deps.columns.insert(c.name.clone());
            }
        }
        FieldPath::Lookup { lookup, column } => {
            if in_relation.is_none() {
                deps.columns.insert(lookup.column.clone());
            }
            deps.lookups.insert(LookupRead {
                relation: in_relation.map(str::to_string),
                fk: lookup.column.clone(),
                table: lookup.table.clone(),
                key_column: lookup.key_column.clone(),
                column: column.name.clone(),
            });
        }
        FieldPath::Custom(f) => {
            deps.custom_keys.insert(f.key.clone());
        }
        // The referenced user's row is a users row too: a change to its column (or custom
        // field) changes the referring user's membership.
        FieldPath::Reference { reference, inner } => {
            deps.references.insert(reference.name.clone());
            deps.columns.insert(reference.column.clone());
            field(inner, None, deps);
        }
    }
}
