//! For the set-based statement of a large UPDATE: per changed user, which groups they join
//! and leave, computed in one pass over the transition tables `n` (new) and `o` (old).
//!
//! Per row, in order:
//! - `x` (a lateral subquery): every distinct rule on the row, on the new row and, if it
//!   reads a changed column, on the old row;
//! - `z` (a lateral subquery): per group, whether it has anything to decide (`go`) and its
//!   row part on both rows;
//! - `u0, u1, …`: every distinct rule on other rows (custom fields, `has`, `member of`,
//!   `manager.x`), only where some group needs it, so a subquery that fifty groups share runs
//!   once for all of them, and not at all for rows whose row parts decide;
//! - the codes, each group's predicate on both rows combined from those columns.
//!
//! (`OFFSET 0` keeps each level from being flattened back into every expression that names
//! its columns, which would run the same rule once per mention.)
//!
//! A rule on other rows has the same value for the old row as for the new one: the statement
//! changed neither the related tables nor other groups at this depth (what it did change is
//! re-evaluated anyway: the users whose groups named in `member of` changed, and those
//! referring to a changed user, come as pairs of their own). The exception is a changed
//! reference column (`Flip::Always`): the old row's manager may have changed, so for those
//! groups the state before is read from the stored membership, which is exact before the
//! statement.

use std::collections::BTreeSet;

use smart_groups_core::compile::{quote_ident, RowAtom, RowTree};

/// No later than the last time refresh of any active group with relative-time rules: a
/// relative-time rule's old value that crossed a boundary since may not be applied yet, so
/// the stored membership, not the old row, tells where the user was (`RowAtom::crossed`).
/// Groups with none have no time boundary to apply.
pub const SINCE: &str = "(SELECT min(g.time_refreshed_at) FROM smart_groups.groups g \
                          WHERE g.status = 'active' AND (g.deps ->> 'relative_time')::boolean)";

/// One group of the statement: its id, row tree, and whether it re-evaluates every changed
/// user who changed a column it reads (`Flip::Always`) with those columns.
pub struct Input<'a> {
    pub id: i64,
    pub tree: &'a RowTree,
    pub always: Option<&'a BTreeSet<String>>,
}

/// `SELECT k, gids`: per changed user (key `k`), the groups they join (`+id`) and leave
/// (`-id`); users with nothing to do have an empty array.
pub fn build(
    key: &str,
    atoms: &[RowAtom],
    others: &[String],
    groups: &[Input<'_>],
    changed: &BTreeSet<String>,
) -> String {
    let mut x = Vec::new();
    for (i, atom) in atoms.iter().enumerate() {
        x.push(format!("{} AS a{i}", atom.new));
        if let Some(old) = &atom.old {
            x.push(format!("{old} AS o{i}"));
        }
        if let Some(crossed) = &atom.crossed {
            x.push(format!("coalesce({crossed}, false) AS c{i}"));
        }
    }
    // Rule i on the new row and on the old row, as columns of `x` or of the subquery `r`
    // that carries them up.
    let new = |i: usize| format!("r.a{i}");
    let old_in = |alias: &str, i: usize| match atoms[i].old {
        Some(_) => format!("{alias}.o{i}"),
        None => format!("{alias}.a{i}"),
    };
    let old = |i: usize| old_in("r", i);
    let other = |j: usize| format!("r.u{j}");
    let mut z = Vec::new();
    let mut codes = Vec::new();
    let mut needed_by: Vec<Vec<String>> = vec![Vec::new(); others.len()];
    for (g, input) in groups.iter().enumerate() {
        let rn = input.tree.sql(&|i| format!("x.a{i}"));
        let (go, ro, before, need) = match input.always {
            // Not the old row: its manager may have changed in the same statement, so it no
            // longer shows what membership was decided on. The stored membership does.
            Some(columns) => (
                any_changed(columns, changed),
                "NULL::boolean".to_string(),
                format!(
                    "EXISTS (SELECT 1 FROM smart_groups.member_rows m \
                       WHERE m.group_id = {} AND m.user_key = r.k OFFSET 0)",
                    input.id
                ),
                format!("(z.go{g} AND z.rn{g} IS NULL)"),
            ),
            None => {
                let changed_atoms = input.tree.changed_atoms(atoms);
                let flips: Vec<String> = changed_atoms
                    .iter()
                    .map(|i| format!("x.a{i} IS DISTINCT FROM x.o{i}"))
                    .collect();
                // Users whose old value of a relative-time rule crossed a boundary since the
                // time refresh: the stored membership tells where they were.
                let crossed: Vec<String> = changed_atoms
                    .iter()
                    .filter(|&&i| atoms[i].crossed.is_some())
                    .map(|i| format!("x.c{i}"))
                    .collect();
                let ro = input.tree.sql(&|i| old_in("x", i));
                let mut go = if flips.is_empty() {
                    "false".to_string()
                } else {
                    format!(
                        "({}) AND NOT coalesce({rn} = {ro}, false)",
                        flips.join(" OR ")
                    )
                };
                let mut ro = ro;
                let mut before = input.tree.full_sql(&old, &other);
                if !crossed.is_empty() {
                    let unsure = crossed.join(" OR ");
                    go = format!("({unsure}) OR ({go})");
                    ro = format!("CASE WHEN {unsure} THEN NULL ELSE {ro} END");
                    z.push(format!("{unsure} AS un{g}"));
                    before = format!(
                        "CASE WHEN r.un{g} THEN EXISTS (SELECT 1 FROM smart_groups.member_rows m \
                           WHERE m.group_id = {} AND m.user_key = r.k OFFSET 0) ELSE {before} END",
                        input.id
                    );
                }
                (
                    go,
                    ro,
                    before,
                    format!("(z.go{g} AND (z.rn{g} IS NULL OR z.ro{g} IS NULL))"),
                )
            }
        };
        z.push(format!("{go} AS go{g}, {rn} AS rn{g}, {ro} AS ro{g}"));
        for j in input.tree.others() {
            needed_by[j].push(need.clone());
        }
        let now = format!("coalesce(r.rn{g}, {})", input.tree.full_sql(&new, &other));
        let before = format!("coalesce(r.ro{g}, {before})");
        codes.push(format!(
            "CASE WHEN r.go{g} THEN CASE WHEN {now} THEN CASE WHEN {before} THEN NULL ELSE {id} END \
                                    ELSE CASE WHEN {before} THEN {neg} END END END",
            id = input.id,
            neg = -input.id,
        ));
    }
    // The rules on other rows are columns of the join's own projection, not of a lateral
    // subquery: there the planner sees that they run once per changed row and hashes the
    // subqueries where that is cheaper (one pass over a related table instead of a probe per
    // row), within hash_mem each; in a lateral it would plan them for one row.
    let mut cols = vec![
        format!("n.{key} AS k"),
        "x.*".to_string(),
        "z.*".to_string(),
    ];
    for (j, (sql, need)) in others.iter().zip(&needed_by).enumerate() {
        if !need.is_empty() {
            cols.push(format!(
                "CASE WHEN {} THEN {sql} END AS u{j}",
                need.join(" OR ")
            ));
        }
    }
    let mut laterals = String::new();
    for (alias, items) in [("x", x), ("z", z)] {
        let items = if items.is_empty() {
            vec![format!("1 AS {alias}_none")]
        } else {
            items
        };
        laterals.push_str(&format!(
            " CROSS JOIN LATERAL (SELECT {} OFFSET 0) {alias}",
            items.join(", ")
        ));
    }
    format!(
        "SELECT r.k, array_remove(ARRAY[{}]::bigint[], NULL) AS gids FROM \
           (SELECT {} FROM sg_new n JOIN sg_old o ON o.{key} = n.{key}{laterals} OFFSET 0) r OFFSET 0",
        codes.join(", "),
        cols.join(", ")
    )
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
