//! Builds the core `Catalog` from the database: the tables part (`catalog_tables`), the groups,
//! and the mapping of Postgres column types to field types (docs/reference/rules.md, "Fields").

use std::collections::HashMap;

use pgrx::prelude::*;
use serde::Deserialize;
use smart_groups_core::catalog::{
    Catalog, Column, ColumnKind, CustomField, CustomFieldTable, FieldType, Group, GroupKind,
    GroupStatus, KeyType, Lookup, Reference, Relation, TableName, UsersTable,
};

use smart_groups_core::rename::reference_name;

use crate::catalog_tables::{ColumnDoc, LookupDoc};

use crate::errors::DbError;

/// The lookups of a table (with `references`, for the users table): named after the foreign
/// key column. A column of the same name is no clash (`course = "x"` reads the column,
/// `course.title` the lookup: a column is never dotted); a reference of the same name, or two
/// foreign keys of one column (onto two tables), would be ambiguous: those are left out.
fn lookups(docs: Vec<LookupDoc>, references: &[Reference]) -> Vec<Lookup> {
    let named = |name: &str| references.iter().any(|r| r.name == name);
    let all: Vec<Lookup> = docs
        .into_iter()
        .map(|l| Lookup {
            name: reference_name(&l.column),
            columns: l.columns.iter().filter_map(column_from_doc).collect(),
            column: l.column,
            table: TableName {
                schema: l.schema,
                name: l.table,
            },
            key_column: l.key_column,
        })
        .collect();
    all.iter()
        .filter(|l| !named(&l.name) && all.iter().filter(|m| m.name == l.name).count() == 1)
        .cloned()
        .collect()
}

#[derive(Deserialize)]
struct GroupDoc {
    name: String,
    kind: String,
    status: String,
    member_of: Vec<serde_json::Value>,
    #[serde(default)]
    tenant: Option<String>,
}

/// Maps a Postgres column type to its field type; `None` for types rules cannot use.
pub fn column_from_doc(doc: &ColumnDoc) -> Option<Column> {
    let t = &doc.of_type;
    let (ty, kind) = match (t.typtype.as_str(), t.ty.as_str()) {
        ("e", _) => (
            FieldType::Enum,
            ColumnKind::Enum(TableName {
                schema: t.type_schema.clone(),
                name: t.ty.clone(),
            }),
        ),
        (_, "text" | "varchar" | "bpchar" | "name") => (FieldType::Text, ColumnKind::Text),
        (_, "citext") => (FieldType::Text, ColumnKind::Citext),
        (_, "int2" | "int4" | "int8" | "numeric" | "float4" | "float8") => {
            (FieldType::Number, ColumnKind::Number)
        }
        (_, "date") => (FieldType::Date, ColumnKind::Date),
        (_, "timestamp") => (FieldType::Timestamp, ColumnKind::Timestamp),
        (_, "timestamptz") => (FieldType::Timestamp, ColumnKind::Timestamptz),
        (_, "bool") => (FieldType::Boolean, ColumnKind::Boolean),
        (_, "_text" | "_varchar") if matches!(t.elem.as_deref(), Some("text" | "varchar")) => {
            (FieldType::List, ColumnKind::TextArray)
        }
        _ => return None,
    };
    let allowed = (ty == FieldType::Enum).then(|| t.labels.clone().unwrap_or_default());
    Some(Column {
        name: doc.name.clone(),
        ty,
        kind,
        allowed,
    })
}

fn key_type(name: &str) -> Option<KeyType> {
    match name {
        "integer" => Some(KeyType::Integer),
        "bigint" => Some(KeyType::Bigint),
        "uuid" => Some(KeyType::Uuid),
        "text" => Some(KeyType::Text),
        _ => None,
    }
}

/// Loads the catalog. `Err(NotAttached)` when no users table is attached yet.
pub fn load() -> Result<Catalog, DbError> {
    let doc = crate::catalog_tables::read()?;
    let users = doc.users.ok_or(DbError::NotAttached)?;
    let columns: Vec<Column> = users.columns.iter().filter_map(column_from_doc).collect();
    let references: Vec<Reference> = users
        .references
        .iter()
        .map(|c| Reference {
            name: reference_name(c),
            column: c.clone(),
        })
        // A reference named like a column would make that name ambiguous; the column wins.
        .filter(|r| !columns.iter().any(|c| c.name == r.name))
        .collect();
    let user_lookups = lookups(users.lookups, &references);
    let key_type = key_type(&users.key_type)
        .ok_or_else(|| DbError::Spi(format!("bad key type {}", users.key_type)))?;
    Ok(Catalog {
        lookups: user_lookups,
        users: UsersTable {
            table: TableName {
                schema: users.schema,
                name: users.table,
            },
            key_column: users.key_column,
            key_type,
        },
        columns,
        custom_table: doc.custom_table.map(|t| CustomFieldTable {
            table: TableName {
                schema: t.schema,
                name: t.table,
            },
            user_column: t.user_column,
            key_column: t.key_column,
            value_column: t.value_column,
        }),
        custom_fields: doc
            .custom_fields
            .into_iter()
            .filter_map(|f| {
                Some(CustomField {
                    ty: FieldType::from_name(&f.ty)?,
                    key: f.key,
                    allowed: f.allowed,
                    tenant: f.tenant,
                })
            })
            .collect(),
        references,
        relations: doc
            .relations
            .into_iter()
            .map(|r| Relation {
                lookups: lookups(r.lookups, &[]),
                columns: r.columns.iter().filter_map(column_from_doc).collect(),
                name: r.name,
                table: TableName {
                    schema: r.schema,
                    name: r.table,
                },
                user_column: r.user_column,
            })
            .collect(),
        groups: load_groups()?,
        tenant_column: doc.tenant_column,
    })
}

fn group_from_doc(id: i64, g: GroupDoc) -> Group {
    Group {
        id,
        kind: if g.kind == "static" {
            GroupKind::Static
        } else {
            GroupKind::Smart
        },
        status: match g.status.as_str() {
            "active" => GroupStatus::Active,
            "inactive" => GroupStatus::Inactive,
            _ => GroupStatus::Archived,
        },
        name: g.name,
        member_of: g
            .member_of
            .into_iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        tenant: g.tenant,
    }
}

/// Every group (any kind and status), by id, with `TENANT` its tenant. $1: the row versions
/// this backend has read (`GROUP_ROWS`, the state's versions: `state::ROW_VERSION`), whose
/// rows are not read again: at a thousand groups, the names that each group's rules name in
/// `member of` took 7 of the 12 ms of reading them all.
const GROUPS_SQL: &str = "\
SELECT g.id, VERSION, \
       CASE WHEN k.v IS NULL THEN jsonb_build_object( \
           'name', g.name, 'kind', g.kind, 'status', g.status, 'tenant', TENANT, \
           'member_of', CASE WHEN g.kind = 'smart' THEN coalesce(( \
               SELECT jsonb_agg(DISTINCT m.value) \
                 FROM jsonb_path_query(g.rules, 'lax $.**.member_of') AS m(value)), \
               '[]'::jsonb) ELSE '[]'::jsonb END)::text END \
  FROM smart_groups.groups g LEFT JOIN unnest($1::text[]) AS k(v) ON k.v = VERSION \
 ORDER BY g.id";

thread_local! {
    static GROUP_ROWS: crate::live::state::ByVersion<Group> =
        std::cell::RefCell::new(HashMap::new());
}

/// The groups, reading only the rows this backend has not read in their current version.
fn load_groups() -> Result<Vec<Group>, DbError> {
    use crate::live::state;
    let sql = GROUPS_SQL
        .replace("TENANT", state::groups_tenant())
        .replace("VERSION", state::ROW_VERSION);
    state::read_by_version(&GROUP_ROWS, |known| {
        Spi::connect(|client| {
            let mut listed = Vec::new();
            for row in client.select(&sql, None, &[known.into()])? {
                let id = row.get::<i64>(1)?.unwrap_or_default();
                let v = row.get::<String>(2)?.unwrap_or_default();
                let group = match row.get::<String>(3)? {
                    Some(text) => {
                        let doc: GroupDoc = serde_json::from_str(&text)
                            .map_err(|e| DbError::Spi(format!("catalog group {id}: {e}")))?;
                        Some(group_from_doc(id, doc))
                    }
                    None => None,
                };
                listed.push((id, v, group));
            }
            Ok(listed)
        })
    })
}

/// The catalog kept per backend, with the epochs it was read at.
struct Cached {
    epoch: i64,
    /// `config.tables_epoch`; None on a database whose schema predates it (the library is
    /// replaced before ALTER EXTENSION UPDATE): then nothing is kept across epochs.
    tables_epoch: Option<i64>,
    catalog: Catalog,
}

thread_local! {
    static CACHED: std::cell::RefCell<Option<Cached>> = const { std::cell::RefCell::new(None) };
}

/// `load()`, kept per backend until the attached tables, custom fields, relations or groups
/// change: each of those moves the catalog epoch (attach and define functions, DDL on attached
/// tables, and a statement trigger on smart_groups.groups). Compiling many groups' rules in a
/// row then reads the catalog once. A change of groups alone leaves `tables_epoch` where it
/// was: then only the groups are read again. Reading the tables' part from the system
/// catalogs was 7 of the 8 ms of a load, and creating a group loads twice (its rules are
/// checked before its row exists and compiled after).
pub fn load_cached() -> Result<Catalog, DbError> {
    let mut epoch = -1;
    let mut tables_epoch = None;
    Spi::connect(|client| -> Result<(), DbError> {
        for row in client.select(
            "SELECT c.catalog_epoch, (to_jsonb(c) ->> 'tables_epoch')::bigint FROM smart_groups.config c",
            Some(1),
            &[],
        )? {
            epoch = row.get::<i64>(1)?.unwrap_or(-1);
            tables_epoch = row.get::<i64>(2)?;
        }
        Ok(())
    })?;
    let kept = CACHED.with(|c| {
        let c = c.borrow();
        let cached = c.as_ref()?;
        if cached.epoch == epoch {
            Some((true, cached.catalog.clone()))
        } else if cached.tables_epoch.is_some() && cached.tables_epoch == tables_epoch {
            Some((false, cached.catalog.clone()))
        } else {
            None
        }
    });
    let catalog = match kept {
        Some((true, catalog)) => return Ok(catalog),
        Some((false, mut catalog)) => {
            catalog.groups = load_groups()?;
            catalog
        }
        None => load()?,
    };
    CACHED.with(|c| {
        *c.borrow_mut() = Some(Cached {
            epoch,
            tables_epoch,
            catalog: catalog.clone(),
        })
    });
    Ok(catalog)
}
