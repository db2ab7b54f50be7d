//! AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on the custom-field table and on every
//! relation: what an app with an activity table pays on each event it records.
//!
//! The groups reading what a statement changed (the custom fields it wrote, or the relation)
//! are maintained at commit (`commit.rs`): two transactions recording events of the same
//! users must not wait for each other's row locks, so a statement only records its users,
//! for those groups. The commit-time step decides them (`depths.rs`).

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use smart_groups_core::compile::quote_ident;

use super::row_read;
use super::state::State;
use super::statements;
use crate::errors::DbError;

/// The table a trigger fired on, from its arguments.
pub enum Table {
    Custom,
    Relation(String),
}

/// `data`: the trigger call's, on the table it fired on.
pub fn run(
    client: &mut SpiClient<'_>,
    st: &mut State,
    table: &Table,
    op: PgTriggerOperation,
    data: &pg_sys::TriggerData,
) -> Result<(), DbError> {
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
    };
    let reads = |g: &super::state::Group| match table {
        Table::Custom => !g.custom.is_empty(),
        Table::Relation(name) => g.relations.contains(name),
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
