//! `smart_groups.fields`: every field a rule may name, typed from the real tables: columns,
//! custom fields, fields through references and lookups, and relation columns.

use pgrx::prelude::*;
use smart_groups_core::catalog::{Catalog, Column};

use crate::catalog_load;
use crate::errors::DbError;

type FieldRow = (
    name!(name, String),
    name!(type, String),
    name!(source, String),
    name!(relation, Option<String>),
    name!(column_name, Option<String>),
    name!(allowed, Option<Vec<String>>),
);

fn column_row(name: String, c: &Column, source: &str, relation: Option<String>) -> FieldRow {
    (
        name,
        c.ty.name().into(),
        source.into(),
        relation,
        Some(c.name.clone()),
        c.allowed.clone(),
    )
}

fn rows(catalog: &Catalog) -> Vec<FieldRow> {
    let mut out = Vec::new();
    let user_fields = |prefix: &str, source: &str, out: &mut Vec<FieldRow>| {
        for c in &catalog.columns {
            out.push(column_row(format!("{prefix}{}", c.name), c, source, None));
        }
        for f in &catalog.custom_fields {
            out.push((
                format!("{prefix}{}", f.key),
                f.ty.name().into(),
                if source == "column" {
                    "custom".into()
                } else {
                    source.into()
                },
                None,
                None,
                f.allowed.clone(),
            ));
        }
        for l in &catalog.lookups {
            for c in &l.columns {
                let name = format!("{prefix}{}.{}", l.name, c.name);
                let source = if source == "column" { "lookup" } else { source };
                out.push(column_row(name, c, source, None));
            }
        }
    };
    user_fields("", "column", &mut out);
    for r in &catalog.references {
        user_fields(&format!("{}.", r.name), "reference", &mut out);
    }
    for rel in &catalog.relations {
        for c in &rel.columns {
            out.push(column_row(
                c.name.clone(),
                c,
                "relation",
                Some(rel.name.clone()),
            ));
        }
        for l in &rel.lookups {
            for c in &l.columns {
                let name = format!("{}.{}", l.name, c.name);
                out.push(column_row(name, c, "lookup", Some(rel.name.clone())));
            }
        }
    }
    out
}

// The column names pgrx gives the SQL function come from `name!` in this signature: a type
// alias would lose them.
#[allow(clippy::type_complexity)]
#[pg_extern(stable, schema = "smart_groups_internal")]
pub fn _field_list() -> TableIterator<
    'static,
    (
        name!(name, String),
        name!(type, String),
        name!(source, String),
        name!(relation, Option<String>),
        name!(column_name, Option<String>),
        name!(allowed, Option<Vec<String>>),
    ),
> {
    // Before attach_users the catalog is simply empty. With a session tenant, the fields its
    // groups' rules may name (docs/reference/tenants.md); without, every tenant's, unless the
    // tenant policies are on: then the fields of every tenant only.
    let rows = match catalog_load::load() {
        Ok(mut catalog) => {
            match crate::rules_api::session_tenant() {
                Some(t) => catalog.keep_tenant(Some(&t)),
                None if tenant_policies_on() => catalog.keep_tenant(None),
                None => {}
            }
            rows(&catalog)
        }
        Err(DbError::NotAttached) => Vec::new(),
        Err(e) => crate::errors::raise(&e),
    };
    TableIterator::new(rows)
}

/// Whether the tenant policies are enabled (`set_tenant_security`), read from the catalog so
/// that a database still on release 0.1.0 answers too.
fn tenant_policies_on() -> bool {
    Spi::get_one::<bool>(
        "SELECT relrowsecurity FROM pg_class WHERE oid = 'smart_groups.groups'::regclass",
    )
    .ok()
    .flatten()
    .unwrap_or(false)
}
