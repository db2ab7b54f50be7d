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

use super::state::State;
use super::statements;
use crate::errors::DbError;

/// The table a trigger fired on, from its arguments.
pub enum Table {
    Custom,
    Relation(String),
}

/// `relid`: the table the trigger fired on.
pub fn run(
    client: &mut SpiClient<'_>,
    st: &mut State,
    table: &Table,
    op: PgTriggerOperation,
    relid: u32,
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
    let (keys, fields) = changed_keys(client, relid, &user_column, key_column.as_deref(), op)?;
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
/// distinct field keys. The statement is kept per table (`relid` in its text): a plan made
/// over one table's transition rows does not fit another's.
fn changed_keys(
    client: &mut SpiClient<'_>,
    relid: u32,
    user_column: &str,
    key_column: Option<&str>,
    op: PgTriggerOperation,
) -> Result<(Vec<String>, Vec<String>), DbError> {
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
           FROM ({src}) t /* table {relid} */"
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
