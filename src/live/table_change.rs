//! AFTER INSERT / UPDATE / DELETE FOR EACH STATEMENT on the custom-field table and on every
//! relation: what an app with an activity table pays on each event it records.
//!
//! A statement of a few rows decides every group that reads what it changed (the custom
//! fields it wrote, or the relation) for its users in one query over the groups' distinct
//! rules (`small::apply_by_depth`), then writes, logs and counts in one more; larger
//! statements are maintained set-based by `_maintain`. Groups maintained at commit
//! (`commit.rs`) only get the statement's users recorded.

use std::collections::BTreeSet;

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use smart_groups_core::compile::quote_ident;

use super::small;
use super::state::State;
use super::statements::{self, text_array};
use crate::errors::DbError;

/// The table a trigger fired on, from its arguments.
pub enum Table {
    Custom,
    Relation(String),
}

/// `relid`: the table the trigger fired on; `rows`: how many rows the statement changed.
pub fn run(
    client: &mut SpiClient<'_>,
    st: &mut State,
    table: &Table,
    op: PgTriggerOperation,
    relid: u32,
    rows: i64,
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
    let (keys, fields) = changed_keys(client, relid, &user_column, key_column.as_deref(), op)?;
    if keys.is_empty() {
        return Ok(());
    }
    let reads = |g: &super::state::Group| match table {
        Table::Custom => fields.iter().any(|f| g.custom.contains(f)),
        Table::Relation(name) => g.relations.contains(name),
    };
    // The lock protocol of sql/maintain.sql: the maintenance lock (the custom-field table's
    // BEFORE STATEMENT trigger took it already; relations have none), then the users' rows.
    statements::execute(client, "SELECT pg_advisory_xact_lock_shared(1936159858, 0)")?;
    // Groups maintained at commit get the users recorded (`commit.rs`); when one of them
    // reads custom fields through a reference (manager.level), the users' referrers too.
    let mut at_commit = Vec::new();
    let mut readers = Vec::new();
    for g in st
        .groups
        .iter()
        .filter(|g| st.is_at_commit(g.id) && reads(g))
    {
        at_commit.push(g.id);
        if matches!(table, Table::Custom) && g.reads_references() {
            readers.push(g.id);
        }
    }
    if !at_commit.is_empty() {
        let referents = if readers.is_empty() {
            super::commit::Referents::No
        } else {
            super::commit::Referents::For(&readers)
        };
        super::commit::defer(
            &keys,
            super::users_update::USER,
            Some(&at_commit),
            referents,
        );
    }
    let affected: BTreeSet<i64> = st
        .groups
        .iter()
        .filter(|g| reads(g) && !st.is_at_commit(g.id))
        .map(|g| g.id)
        .collect();
    if affected.is_empty() {
        return Ok(());
    }
    if rows > i64::from(super::SMALL_STATEMENT_ROWS.get()) {
        return set_based(client, table, keys, fields);
    }
    let key = quote_ident(&st.key_column);
    statements::run(
        client,
        &format!(
            "SELECT 1 FROM {} u WHERE u.{key} = ANY ($1::text[]::{}[]) ORDER BY u.{key} FOR NO KEY UPDATE",
            st.users_table, st.key_type
        ),
        &[text_array()],
        &[keys.clone().into()],
        |_| Ok(()),
    )?;
    let changes = small::apply_by_depth(
        client,
        st,
        Vec::new(),
        &affected,
        &keys,
        small::Phase::Statement,
    )?;
    super::pending::remember(&small::noted(st, &changes));
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

/// The set-based path (sql/maintain.sql).
fn set_based(
    client: &mut SpiClient<'_>,
    table: &Table,
    keys: Vec<String>,
    fields: Vec<String>,
) -> Result<(), DbError> {
    match table {
        Table::Custom => statements::run(
            client,
            "SELECT smart_groups._maintain($1, '{}', $2, NULL, 'user_change', true)",
            &[text_array(), text_array()],
            &[keys.into(), fields.into()],
            |_| Ok(()),
        ),
        Table::Relation(name) => statements::run(
            client,
            "SELECT smart_groups._maintain($1, '{}', '{}', $2, 'user_change', true)",
            &[text_array(), PgBuiltInOids::TEXTOID.oid()],
            &[keys.into(), name.clone().into()],
            |_| Ok(()),
        ),
    }
}
