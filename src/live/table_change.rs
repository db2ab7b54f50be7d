//! AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on the custom-field table, on every
//! relation, and on every lookup table: what an app with an activity table pays on each event
//! it records, and what renaming a department costs.
//!
//! The groups reading what a statement changed (the custom fields it wrote, or the relation)
//! are maintained at commit (`commit.rs`): two transactions recording events of the same
//! users must not wait for each other's row locks, so a statement only records its users,
//! for those groups. The commit-time step decides them (`depths.rs`).

use std::collections::{BTreeMap, BTreeSet};

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use smart_groups_core::catalog::TableName;
use smart_groups_core::compile::{self, quote_ident};
use smart_groups_core::rename::lookup_key;

use super::row_read;
use super::state::State;
use super::statements;
use crate::errors::DbError;

/// The table a trigger fired on, from its arguments.
pub enum Table {
    Custom,
    Relation(String),
    /// A lookup table (`catalog::Lookup`), known by the relation the trigger fired on.
    Lookup,
}

/// `data`: the trigger call's, on the table it fired on.
pub fn run(
    client: &mut SpiClient<'_>,
    st: &mut State,
    table: &Table,
    op: PgTriggerOperation,
    data: &pg_sys::TriggerData,
) -> Result<(), DbError> {
    if matches!(table, Table::Lookup) {
        return lookup_changed(client, st, op, data);
    }
    let catalog = st.catalog()?;
    let (user_column, key_column) = match table {
        Table::Custom => match &catalog.custom_table {
            Some(t) => (t.user_column.clone(), Some(t.key_column.clone())),
            None => return Ok(()),
        },
        Table::Relation(name) => match catalog.relation(name) {
            Some(r) => (r.user_column.clone(), None),
            None => return Ok(()),
        },
        Table::Lookup => return Ok(()),
    };
    let reads = |g: &super::state::Group| match table {
        Table::Custom => !g.custom.is_empty(),
        Table::Relation(name) => g.relations.contains(name),
        Table::Lookup => false,
    };
    if !st.groups.iter().any(|g| reads(g)) {
        return Ok(());
    }
    let (keys, fields) = changed_keys(client, data, &user_column, key_column.as_deref(), op)?;
    if keys.is_empty() {
        return Ok(());
    }
    // The maintenance lock (sql/maintain.sql; the custom-field table's BEFORE STATEMENT
    // trigger took it already, relations have none), held until the commit-time step is done.
    super::advisory::writer();
    let reads = |g: &super::state::Group| match table {
        Table::Custom => fields.iter().any(|f| g.custom.contains(f)),
        Table::Relation(name) => g.relations.contains(name),
        Table::Lookup => false,
    };
    let mut groups = Vec::new();
    let mut readers = Vec::new();
    for g in st.groups.iter().filter(|g| reads(g)) {
        groups.push(g.id);
        // Custom fields read through a reference (manager.level): the users' referrers too.
        if matches!(table, Table::Custom) && g.reads_references() {
            readers.push(g.id);
        }
    }
    if groups.is_empty() {
        return Ok(());
    }
    let referents = if readers.is_empty() {
        super::commit::Referents::No
    } else {
        super::commit::Referents::For(&readers)
    };
    super::commit::defer(&keys, super::users_update::USER, Some(&groups), referents);
    Ok(())
}

/// Who points to a lookup table: (the relation, or None for the users table; its foreign key
/// column; the lookup table's key column). Each has the columns its groups read, and them.
type Owner = (Option<String>, String, String);

/// A statement on a lookup table: the users whose row (or whose related rows) point to a
/// lookup row whose read columns changed, or that was inserted or deleted (a deferred foreign
/// key may point to it before it exists), for the groups reading those columns. The users are
/// found through the foreign key column, which an index on it makes a probe per row.
fn lookup_changed(
    client: &mut SpiClient<'_>,
    st: &mut State,
    op: PgTriggerOperation,
    data: &pg_sys::TriggerData,
) -> Result<(), DbError> {
    // SAFETY: the relation the trigger fired on, alive while the trigger runs.
    let rel = unsafe { pgrx::PgRelation::from_pg(data.tg_relation) };
    let table = TableName {
        schema: rel.namespace().to_string(),
        name: rel.name().to_string(),
    };
    let relid = rel.oid().to_u32();
    let mut owners: BTreeMap<Owner, (BTreeSet<String>, Vec<i64>)> = BTreeMap::new();
    let mut readers: BTreeSet<i64> = BTreeSet::new();
    let lookup_readers: Vec<(i64, bool)> = st
        .groups
        .iter()
        .filter(|g| g.reads_lookups)
        .map(|g| (g.id, g.reads_references()))
        .collect();
    for (id, references) in lookup_readers {
        for l in st
            .lookup_reads(id)?
            .into_iter()
            .filter(|l| l.table == table)
        {
            let entry = owners
                .entry((l.relation.clone(), l.fk.clone(), l.key_column.clone()))
                .or_default();
            entry.0.insert(l.column.clone());
            if !entry.1.contains(&id) {
                entry.1.push(id);
            }
            if references {
                readers.insert(id);
            }
        }
    }
    if owners.is_empty() {
        return Ok(());
    }
    super::advisory::writer();
    let catalog = st.catalog()?.clone();
    for ((relation, fk, key_column), (columns, groups)) in owners {
        pgrx::check_for_interrupts!();
        let k = quote_ident(&key_column);
        let changed = match op {
            PgTriggerOperation::Insert => format!("SELECT n.{k} FROM sg_new n"),
            PgTriggerOperation::Delete => format!("SELECT o.{k} FROM sg_old o"),
            _ => {
                let differs: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        let c = quote_ident(c);
                        format!("o.{c}::text IS DISTINCT FROM n.{c}::text")
                    })
                    .collect();
                format!(
                    "SELECT o.{k} FROM sg_old o LEFT JOIN sg_new n ON n.{k} = o.{k}                       WHERE n.{k} IS NULL OR {}                      UNION SELECT n.{k} FROM sg_new n LEFT JOIN sg_old o ON o.{k} = n.{k}                       WHERE o.{k} IS NULL",
                    differs.join(" OR ")
                )
            }
        };
        let (from, user) = match &relation {
            None => (
                compile::qualified(&catalog.users.table),
                quote_ident(&catalog.users.key_column),
            ),
            Some(name) => match catalog.relation(name) {
                Some(r) => (compile::qualified(&r.table), quote_ident(&r.user_column)),
                None => continue,
            },
        };
        // The changed rows' keys, as text, with the type to read them back as.
        let sql = format!(
            "SELECT array_agg(DISTINCT c.k::text), min(format_type(pg_typeof(c.k), NULL)) \
               FROM ({changed}) AS c(k) WHERE c.k IS NOT NULL /* lookup table {relid} */"
        );
        let (keys, ty) = statements::run(client, &sql, &[], &[], |rows| {
            let mut out = (Vec::new(), None);
            for row in rows {
                out = (
                    row.get::<Vec<String>>(1)?.unwrap_or_default(),
                    row.get::<String>(2)?,
                );
            }
            Ok(out)
        })?;
        let Some(ty) = ty else {
            continue;
        };
        // At commit, with a snapshot that sees what committed meanwhile (`commit::defer_lookup`).
        let search = format!(
            "SELECT array_agg(DISTINCT t.{user}::text) FILTER (WHERE t.{user} IS NOT NULL) \
               FROM {from} t WHERE t.{} IN (SELECT x::{ty} FROM unnest($1::text[]) x)",
            quote_ident(&fk)
        );
        let mine: Vec<i64> = if relation.is_some() {
            Vec::new()
        } else {
            groups
                .iter()
                .copied()
                .filter(|g| readers.contains(g))
                .collect()
        };
        super::commit::defer_lookup(super::commit::LookupSearch {
            table: lookup_key(&table),
            sql: search,
            keys,
            groups,
            readers: mine,
        });
    }
    Ok(())
}

/// The distinct users keys of the changed rows, and for the custom-field table their
/// distinct field keys: read from the transition tables in Rust where their types allow
/// (`row_read::transition_texts`), else by a statement kept per table (the relation's oid in
/// its text: a plan made over one table's transition rows does not fit another's).
fn changed_keys(
    client: &mut SpiClient<'_>,
    data: &pg_sys::TriggerData,
    user_column: &str,
    key_column: Option<&str>,
    op: PgTriggerOperation,
) -> Result<(Vec<String>, Vec<String>), DbError> {
    let (new, old) = (data.tg_newtable, data.tg_oldtable);
    let stores = match op {
        PgTriggerOperation::Insert => vec![new],
        PgTriggerOperation::Delete => vec![old],
        _ => vec![new, old],
    };
    // SAFETY: the relation the trigger fired on and its transition tables, alive while the
    // trigger runs.
    let relid = unsafe { (*data.tg_relation).rd_id };
    let attnum = |name: &str| -> Option<usize> {
        // SAFETY: as above.
        usize::try_from(unsafe { super::direct::attnum_of(data.tg_relation, name) }?).ok()
    };
    let mut columns = Vec::new();
    columns.extend(attnum(user_column));
    if let Some(k) = key_column {
        columns.extend(attnum(k));
    }
    if columns.len() == 1 + usize::from(key_column.is_some()) {
        // SAFETY: as above; the rows are the relation's.
        let texts =
            unsafe { row_read::transition_texts(&stores, (*data.tg_relation).rd_att, &columns) };
        if let Some(mut texts) = texts {
            let fields = if key_column.is_some() {
                texts.pop().unwrap_or_default()
            } else {
                Default::default()
            };
            let keys = texts.pop().unwrap_or_default();
            return Ok((keys.into_iter().collect(), fields.into_iter().collect()));
        }
    }
    let src = match op {
        PgTriggerOperation::Insert => "SELECT * FROM sg_new",
        PgTriggerOperation::Delete => "SELECT * FROM sg_old",
        _ => "SELECT * FROM sg_new UNION ALL SELECT * FROM sg_old",
    };
    let u = quote_ident(user_column);
    let fields = match key_column {
        Some(k) => format!("array_agg(DISTINCT t.{}::text)", quote_ident(k)),
        None => "NULL::text[]".to_string(),
    };
    let sql = format!(
        "SELECT array_agg(DISTINCT t.{u}::text) FILTER (WHERE t.{u} IS NOT NULL), {fields} \
           FROM ({src}) t /* table {} */",
        relid.to_u32()
    );
    statements::run(client, &sql, &[], &[], |rows| {
        let mut keys = Vec::new();
        let mut fields = Vec::new();
        for row in rows {
            keys = row.get::<Vec<String>>(1)?.unwrap_or_default();
            fields = row
                .get::<Vec<Option<String>>>(2)?
                .unwrap_or_default()
                .into_iter()
                .flatten()
                .collect();
        }
        Ok((keys, fields))
    })
}
