//! The part of many predicates that the users' own rows decide, after an UPDATE.
//!
//! Every rule that reads something other than the row (custom fields, referenced users,
//! `has`, `member of`) is "unknown"; the rest is known. In Kleene's three-valued logic, where
//! a predicate's row part is known it is the predicate's value, whatever the unknown rules
//! turn out to be. So a user whose row part is the same known value on the old and the new
//! row kept their membership (`department = "Sales" and has enrollments` with a department
//! other than Sales before and after), and one whose row part went from one known value to
//! the other changed it, without running a single subquery.
//!
//! Every distinct rule on the row is compiled once (`AtomTable`), a query computes them all
//! for the new rows (and those reading a changed column for the old rows too), and each
//! group's `RowTree` combines the answers, in Rust (`eval`) or in SQL (`sql`, whose AND / OR
//! / NOT are Kleene's). A hundred groups sharing `level >= 4` evaluate it once.

use std::collections::{BTreeSet, HashMap};

use super::{expr, quote, Ctx, Scope};
use crate::catalog::Catalog;
use crate::checked::{FieldPath, Pred, Test};

/// One distinct own-row rule: SQL over the new row `n` and, when it reads a changed column,
/// over the old row `o`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowAtom {
    pub new: String,
    pub old: Option<String>,
}

/// The distinct own-row rules of a set of predicates.
pub struct AtomTable<'c> {
    catalog: &'c Catalog,
    changed: &'c BTreeSet<String>,
    index: HashMap<String, usize>,
    pub atoms: Vec<RowAtom>,
}

impl<'c> AtomTable<'c> {
    pub fn new(catalog: &'c Catalog, changed: &'c BTreeSet<String>) -> Self {
        AtomTable {
            catalog,
            changed,
            index: HashMap::new(),
            atoms: Vec::new(),
        }
    }

    fn add(&mut self, test: &Test, column: &str) -> usize {
        let compile = |alias: &str| {
            let mut cx = Ctx::new(self.catalog);
            expr::test(&mut cx, test, &Scope::user(quote::alias(alias)))
        };
        let new = compile("n");
        if let Some(&i) = self.index.get(&new) {
            return i;
        }
        let old = self.changed.contains(column).then(|| compile("o"));
        self.atoms.push(RowAtom {
            new: new.clone(),
            old,
        });
        self.index.insert(new, self.atoms.len() - 1);
        self.atoms.len() - 1
    }
}

/// Whether a predicate's row part can be anything but unknown: it has a rule on the row, or
/// an empty connective.
pub fn has_row_part(pred: &Pred) -> bool {
    match pred {
        Pred::All(items) | Pred::Any(items) => items.is_empty() || items.iter().any(has_row_part),
        Pred::Not(inner) => has_row_part(inner),
        Pred::Test(t) => matches!(t.field, FieldPath::Column(_)),
        Pred::MemberOf { .. } | Pred::Has { .. } => false,
    }
}

/// A predicate's row part as a tree over `AtomTable` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowTree {
    Const(bool),
    Atom(usize),
    /// A rule reading something other than the row.
    Unknown,
    All(Vec<RowTree>),
    Any(Vec<RowTree>),
    Not(Box<RowTree>),
}

impl RowTree {
    pub fn build(pred: &Pred, table: &mut AtomTable<'_>) -> RowTree {
        match pred {
            Pred::All(items) if items.is_empty() => RowTree::Const(true),
            Pred::Any(items) if items.is_empty() => RowTree::Const(false),
            Pred::All(items) => RowTree::All(items.iter().map(|p| Self::build(p, table)).collect()),
            Pred::Any(items) => RowTree::Any(items.iter().map(|p| Self::build(p, table)).collect()),
            Pred::Not(inner) => RowTree::Not(Box::new(Self::build(inner, table))),
            Pred::Test(t) => match &t.field {
                FieldPath::Column(c) => RowTree::Atom(table.add(t, &c.name)),
                _ => RowTree::Unknown,
            },
            Pred::MemberOf { .. } | Pred::Has { .. } => RowTree::Unknown,
        }
    }

    /// The value in Kleene's logic, `None` for unknown, given each atom's value.
    pub fn eval(&self, value: &dyn Fn(usize) -> bool) -> Option<bool> {
        match self {
            RowTree::Const(b) => Some(*b),
            RowTree::Atom(i) => Some(value(*i)),
            RowTree::Unknown => None,
            RowTree::Not(inner) => inner.eval(value).map(|b| !b),
            RowTree::All(items) => Self::connective(items, false, value),
            RowTree::Any(items) => Self::connective(items, true, value),
        }
    }

    /// AND (`decisive` false) or OR (`decisive` true): one decisive operand decides; else an
    /// unknown one leaves the result unknown; else it is the other value.
    fn connective(
        items: &[RowTree],
        decisive: bool,
        value: &dyn Fn(usize) -> bool,
    ) -> Option<bool> {
        let mut out = Some(!decisive);
        for i in items {
            match i.eval(value) {
                Some(b) if b == decisive => return Some(decisive),
                None => out = None,
                Some(_) => {}
            }
        }
        out
    }

    /// The value as SQL in three-valued logic (SQL's AND / OR / NOT are Kleene's), each atom
    /// given by `atom` (a column of a subquery that computed them once, say).
    pub fn sql(&self, atom: &dyn Fn(usize) -> String) -> String {
        let join = |items: &[RowTree], sep: &str| {
            let parts: Vec<String> = items.iter().map(|i| i.sql(atom)).collect();
            format!("({})", parts.join(sep))
        };
        match self {
            RowTree::Const(b) => b.to_string(),
            RowTree::Atom(i) => atom(*i),
            RowTree::Unknown => "NULL::boolean".to_string(),
            RowTree::Not(inner) => format!("(NOT {})", inner.sql(atom)),
            RowTree::All(items) => join(items, " AND "),
            RowTree::Any(items) => join(items, " OR "),
        }
    }

    /// The atoms of the tree (each once).
    pub fn atoms(&self) -> BTreeSet<usize> {
        fn walk(t: &RowTree, out: &mut BTreeSet<usize>) {
            match t {
                RowTree::Atom(i) => {
                    out.insert(*i);
                }
                RowTree::All(items) | RowTree::Any(items) => {
                    items.iter().for_each(|i| walk(i, out))
                }
                RowTree::Not(inner) => walk(inner, out),
                RowTree::Const(_) | RowTree::Unknown => {}
            }
        }
        let mut out = BTreeSet::new();
        walk(self, &mut out);
        out
    }
}
