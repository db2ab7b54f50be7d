//! For the set-based statement of a large UPDATE: per changed user, which groups they join
//! and leave, computed in one pass over the transition tables `n` (new) and `o` (old).
//!
//! Three lateral subqueries, each computed once per row (`OFFSET 0` keeps them from being
//! flattened back into every expression that names their columns):
//! - `x`: every distinct rule on the row, on the new row and, if it reads a changed column,
//!   on the old row;
//! - `z`: per group, whether it has anything to decide (`go`) and its row part on both rows;
//! - `y`: every distinct rule on other rows (custom fields, `has`, `member of`, `manager.x`),
//!   only where some group needs it, so a subquery that fifty groups share runs once per
//!   row, and not at all for rows whose row parts decide.
//!
//! Each predicate is then a combination of columns, and the state before the UPDATE is the
//! old row part where it is known, else the stored membership: membership is exact before the
//! statement, so comparing the new value with it finds exactly the changes (inclusions and
//! exclusions are applied by the writes; an UPDATE of users does not change them). This is
//! what lets the statement run no subquery on the old row, and it is why no subquery is
//! hashed: per-row probes keep memory flat however many rows the related tables have (a
//! hashed subquery holds every matching row, one table per occurrence).

use std::collections::BTreeSet;

use smart_groups_core::compile::{quote_ident, RowAtom, RowTree};

/// One group of the statement: its id, row tree, and whether it re-evaluates every changed
/// user who changed a column it reads (`Flip::Always`) with those columns.
pub struct Input<'a> {
    pub id: i64,
    pub tree: &'a RowTree,
    pub always: Option<&'a BTreeSet<String>>,
}

pub struct SetCodes {
    /// ` CROSS JOIN LATERAL (…) x …`, after `FROM sg_new n JOIN sg_old o ON …`.
    pub laterals: String,
    /// Per group: `+id` when the user joins, `-id` when they leave, NULL otherwise.
    pub codes: Vec<String>,
}

pub fn build(
    key: &str,
    atoms: &[RowAtom],
    others: &[String],
    groups: &[Input<'_>],
    changed: &BTreeSet<String>,
) -> SetCodes {
    let mut x = Vec::new();
    for (i, atom) in atoms.iter().enumerate() {
        x.push(format!("{} AS a{i}", atom.new));
        if let Some(old) = &atom.old {
            x.push(format!("{old} AS o{i}"));
        }
    }
    let old = |i: usize| {
        if atoms[i].old.is_some() {
            format!("x.o{i}")
        } else {
            format!("x.a{i}")
        }
    };
    let mut z = Vec::new();
    let mut codes = Vec::new();
    let mut needed_by: Vec<Vec<usize>> = vec![Vec::new(); others.len()];
    for (g, input) in groups.iter().enumerate() {
        let rn = input.tree.sql(&|i| format!("x.a{i}"));
        let (go, ro) = match input.always {
            // Not the old row part: the old row's manager may have changed in the same
            // statement, so it no longer shows what membership was decided on.
            Some(columns) => (any_changed(columns, changed), "NULL::boolean".to_string()),
            None => {
                let flips: Vec<String> = input
                    .tree
                    .atoms()
                    .into_iter()
                    .filter(|&i| atoms[i].old.is_some())
                    .map(|i| format!("x.a{i} IS DISTINCT FROM x.o{i}"))
                    .collect();
                let ro = input.tree.sql(&old);
                let go = if flips.is_empty() {
                    "false".to_string()
                } else {
                    format!(
                        "({}) AND NOT coalesce({rn} = {ro}, false)",
                        flips.join(" OR ")
                    )
                };
                (go, ro)
            }
        };
        z.push(format!("{go} AS go{g}, {rn} AS rn{g}, {ro} AS ro{g}"));
        for j in input.tree.others() {
            needed_by[j].push(g);
        }
        let now = format!(
            "coalesce(z.rn{g}, {})",
            input
                .tree
                .full_sql(&|i| format!("x.a{i}"), &|j| format!("y.u{j}"))
        );
        let before = format!(
            "coalesce(z.ro{g}, EXISTS (SELECT 1 FROM smart_groups.members m \
               WHERE m.group_id = {} AND m.user_key = n.{key} OFFSET 0))",
            input.id
        );
        codes.push(format!(
            "CASE WHEN z.go{g} THEN CASE WHEN {now} THEN CASE WHEN {before} THEN NULL ELSE {id} END \
                                    ELSE CASE WHEN {before} THEN {neg} END END END",
            id = input.id,
            neg = -input.id,
        ));
    }
    let y: Vec<String> = others
        .iter()
        .zip(&needed_by)
        .enumerate()
        .filter(|(_, (_, by))| !by.is_empty())
        .map(|(j, (sql, by))| {
            let need: Vec<String> = by
                .iter()
                .map(|g| format!("(z.go{g} AND z.rn{g} IS NULL)"))
                .collect();
            format!("CASE WHEN {} THEN {sql} END AS u{j}", need.join(" OR "))
        })
        .collect();
    let mut laterals = String::new();
    for (alias, cols) in [("x", x), ("z", z), ("y", y)] {
        if !cols.is_empty() {
            laterals.push_str(&format!(
                " CROSS JOIN LATERAL (SELECT {} OFFSET 0) {alias}",
                cols.join(", ")
            ));
        }
    }
    SetCodes { laterals, codes }
}

/// `n.c::text IS DISTINCT FROM o.c::text OR …` over the changed columns among `columns`.
pub fn any_changed(columns: &BTreeSet<String>, changed: &BTreeSet<String>) -> String {
    let parts: Vec<String> = columns
        .iter()
        .filter(|c| changed.contains(*c))
        .map(|c| {
            let c = quote_ident(c);
            format!("n.{c}::text IS DISTINCT FROM o.{c}::text")
        })
        .collect();
    if parts.is_empty() {
        "false".into()
    } else {
        parts.join(" OR ")
    }
}
