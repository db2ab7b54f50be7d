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
//!
//! The rules on other rows are kept too, each distinct one once (`AtomTable::others`), so
//! that a set-based statement can run each subquery once per row for all the groups that
//! need it and combine the whole predicate from the answers (`full_sql`).

use std::collections::{BTreeSet, HashMap};

use super::{expr, quote, Ctx, Scope};
use crate::catalog::Catalog;
use crate::checked::{FieldPath, Pred, Test};

/// One distinct own-row rule: SQL over the new row `n` and, when it reads a changed column,
/// over the old row `o`; for a relative-time rule on a changed column, with a lower bound of
/// the groups' time refreshes given (`AtomTable::since`), whether the old value may have
/// crossed a boundary since (`crossed`): the stored membership may then be on either side,
/// whatever the old row says now.
#[derive(Debug, Clone, PartialEq)]
pub struct RowAtom {
    /// The rule itself, for deciding it in Rust from a row at hand (`eval::row_test`).
    pub test: Test,
    pub new: String,
    pub old: Option<String>,
    pub crossed: Option<String>,
}

/// The distinct rules of a set of predicates: on the row (`atoms`), and on other rows
/// (`others`, SQL over the new row `n`).
pub struct AtomTable<'c> {
    catalog: &'c Catalog,
    changed: &'c BTreeSet<String>,
    index: HashMap<String, usize>,
    pub atoms: Vec<RowAtom>,
    other_index: HashMap<String, usize>,
    pub others: Vec<String>,
    since: Option<String>,
}

impl<'c> AtomTable<'c> {
    pub fn new(catalog: &'c Catalog, changed: &'c BTreeSet<String>) -> Self {
        AtomTable {
            catalog,
            changed,
            index: HashMap::new(),
            atoms: Vec::new(),
            other_index: HashMap::new(),
            others: Vec::new(),
            since: None,
        }
    }

    /// SQL (timestamptz) no later than any active group's last time refresh: relative-time
    /// rules on changed columns then say whether the old value crossed a boundary since
    /// (`RowAtom::crossed`).
    pub fn since(mut self, sql: &str) -> Self {
        self.since = Some(sql.to_string());
        self
    }

    /// A rule reading another row, compiled on its own: its text is the same in every
    /// predicate that has it, whatever surrounds it, which is what makes it shareable.
    fn add_other(&mut self, pred: &Pred) -> usize {
        let mut cx = Ctx::new(self.catalog);
        let sql = expr::pred(&mut cx, pred, &Scope::user(quote::alias("n")));
        if let Some(&i) = self.other_index.get(&sql) {
            return i;
        }
        self.others.push(sql.clone());
        self.other_index.insert(sql, self.others.len() - 1);
        self.others.len() - 1
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
        let changed = self.changed.contains(column);
        let old = changed.then(|| compile("o"));
        let crossed = match (&self.since, changed) {
            (Some(since), true) => {
                let value = format!("{}.{}", quote::alias("o"), quote::quote_ident(column));
                super::time_keys::crossed_since(test, &value, since)
            }
            _ => None,
        };
        self.atoms.push(RowAtom {
            test: test.clone(),
            new: new.clone(),
            old,
            crossed,
        });
        self.index.insert(new, self.atoms.len() - 1);
        self.atoms.len() - 1
    }
}

/// A predicate's row part as a tree over `AtomTable` entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowTree {
    Const(bool),
    Atom(usize),
    /// A rule reading something other than the row (`AtomTable::others`): unknown to the
    /// row part.
    Other(usize),
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
                _ => RowTree::Other(table.add_other(pred)),
            },
            // Not decided from the row's rule atoms, even on two columns of the row: the
            // flip tests re-evaluate every changed user such a rule reads
            // (`flip::walk`).
            Pred::Compare(_) | Pred::MemberOf { .. } | Pred::Has { .. } => {
                RowTree::Other(table.add_other(pred))
            }
        }
    }

    /// The value in Kleene's logic, `None` for unknown, given each atom's value.
    pub fn eval(&self, value: &dyn Fn(usize) -> bool) -> Option<bool> {
        match self {
            RowTree::Const(b) => Some(*b),
            RowTree::Atom(i) => Some(value(*i)),
            RowTree::Other(_) => None,
            RowTree::Not(inner) => inner.eval(value).map(|b| !b),
            RowTree::All(items) => Self::connective(items, false, value),
            RowTree::Any(items) => Self::connective(items, true, value),
        }
    }

    /// The value when the rules on other rows are known too (`other`): compiled rules are
    /// never NULL, so this is two-valued.
    pub fn eval_full(&self, atom: &dyn Fn(usize) -> bool, other: &dyn Fn(usize) -> bool) -> bool {
        match self {
            RowTree::Const(b) => *b,
            RowTree::Atom(i) => atom(*i),
            RowTree::Other(i) => other(*i),
            RowTree::Not(inner) => !inner.eval_full(atom, other),
            RowTree::All(items) => items.iter().all(|t| t.eval_full(atom, other)),
            RowTree::Any(items) => items.iter().any(|t| t.eval_full(atom, other)),
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
        self.full_sql(atom, &|_| "NULL::boolean".to_string())
    }

    /// The atoms of the tree (each once).
    pub fn atoms(&self) -> BTreeSet<usize> {
        self.leaves(&|t| match t {
            RowTree::Atom(i) => Some(*i),
            _ => None,
        })
    }

    /// The atoms of the tree that read a changed column (those with an old-row form in
    /// `atoms`): its row part can differ between the old and the new row only through them.
    pub fn changed_atoms(&self, atoms: &[RowAtom]) -> Vec<usize> {
        self.atoms()
            .into_iter()
            .filter(|&i| atoms[i].old.is_some())
            .collect()
    }

    /// The rules on other rows in the tree (each once).
    pub fn others(&self) -> BTreeSet<usize> {
        self.leaves(&|t| match t {
            RowTree::Other(i) => Some(*i),
            _ => None,
        })
    }

    fn leaves(&self, pick: &dyn Fn(&RowTree) -> Option<usize>) -> BTreeSet<usize> {
        fn walk(t: &RowTree, pick: &dyn Fn(&RowTree) -> Option<usize>, out: &mut BTreeSet<usize>) {
            match t {
                RowTree::All(items) | RowTree::Any(items) => {
                    items.iter().for_each(|i| walk(i, pick, out))
                }
                RowTree::Not(inner) => walk(inner, pick, out),
                leaf => out.extend(pick(leaf)),
            }
        }
        let mut out = BTreeSet::new();
        walk(self, pick, &mut out);
        out
    }

    /// The whole predicate as SQL (two-valued: every rule is given), each own-row rule by
    /// `atom` and each rule on other rows by `other`.
    pub fn full_sql(
        &self,
        atom: &dyn Fn(usize) -> String,
        other: &dyn Fn(usize) -> String,
    ) -> String {
        let join = |items: &[RowTree], sep: &str| {
            let parts: Vec<String> = items.iter().map(|i| i.full_sql(atom, other)).collect();
            format!("({})", parts.join(sep))
        };
        match self {
            RowTree::Const(b) => b.to_string(),
            RowTree::Atom(i) => atom(*i),
            RowTree::Other(i) => other(*i),
            RowTree::Not(inner) => format!("(NOT {})", inner.full_sql(atom, other)),
            RowTree::All(items) => join(items, " AND "),
            RowTree::Any(items) => join(items, " OR "),
        }
    }
}
