//! Builds the core `Catalog` from the database: one call of `smart_groups_internal._catalog()`, then
//! the mapping of Postgres column types to field types (docs/reference/rules.md, "Fields").

use pgrx::prelude::*;
use pgrx::JsonB;
use serde::Deserialize;
use smart_groups_core::catalog::{
    Catalog, Column, ColumnKind, CustomField, CustomFieldTable, FieldType, Group, GroupKind,
    GroupStatus, KeyType, Lookup, Reference, Relation, TableName, UsersTable,
};

use smart_groups_core::rename::reference_name;

use crate::errors::DbError;

#[derive(Deserialize)]
struct Doc {
    users: Option<UsersDoc>,
    custom_table: Option<CustomTableDoc>,
    custom_fields: Vec<CustomFieldDoc>,
    relations: Vec<RelationDoc>,
    groups: Vec<GroupDoc>,
    #[serde(default)]
    tenant_column: Option<String>,
}

#[derive(Deserialize)]
struct UsersDoc {
    schema: String,
    table: String,
    key_column: String,
    key_type: String,
    columns: Vec<ColumnDoc>,
    references: Vec<String>,
    #[serde(default)]
    lookups: Vec<LookupDoc>,
}

#[derive(Deserialize)]
struct LookupDoc {
    column: String,
    schema: String,
    table: String,
    key_column: String,
    columns: Vec<ColumnDoc>,
}

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
pub struct ColumnDoc {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub typtype: String,
    pub type_schema: String,
    pub elem: Option<String>,
    pub labels: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct CustomTableDoc {
    schema: String,
    table: String,
    user_column: String,
    key_column: String,
    value_column: String,
}

#[derive(Deserialize)]
struct CustomFieldDoc {
    key: String,
    #[serde(rename = "type")]
    ty: String,
    allowed: Option<Vec<String>>,
    #[serde(default)]
    tenant: Option<String>,
}

#[derive(Deserialize)]
struct RelationDoc {
    name: String,
    schema: String,
    table: String,
    user_column: String,
    columns: Vec<ColumnDoc>,
    #[serde(default)]
    lookups: Vec<LookupDoc>,
}

#[derive(Deserialize)]
struct GroupDoc {
    id: i64,
    name: String,
    kind: String,
    status: String,
    member_of: Vec<serde_json::Value>,
    #[serde(default)]
    tenant: Option<String>,
}

/// Maps a Postgres column type to its field type; `None` for types rules cannot use.
pub fn column_from_doc(doc: &ColumnDoc) -> Option<Column> {
    let (ty, kind) = match (doc.typtype.as_str(), doc.ty.as_str()) {
        ("e", _) => (
            FieldType::Enum,
            ColumnKind::Enum(TableName {
                schema: doc.type_schema.clone(),
                name: doc.ty.clone(),
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
        (_, "_text" | "_varchar") if matches!(doc.elem.as_deref(), Some("text" | "varchar")) => {
            (FieldType::List, ColumnKind::TextArray)
        }
        _ => return None,
    };
    let allowed = (ty == FieldType::Enum).then(|| doc.labels.clone().unwrap_or_default());
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
    let doc = Spi::get_one::<JsonB>("SELECT smart_groups_internal._catalog()")?
        .ok_or_else(|| DbError::Spi("smart_groups_internal._catalog() returned NULL".into()))?;
    let doc: Doc = serde_json::from_value(doc.0)
        .map_err(|e| DbError::Spi(format!("catalog document: {e}")))?;
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
        groups: doc
            .groups
            .into_iter()
            .map(|g| Group {
                id: g.id,
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
            })
            .collect(),
        tenant_column: doc.tenant_column,
    })
}

thread_local! {
    static CACHED: std::cell::RefCell<Option<(i64, Catalog)>> = const { std::cell::RefCell::new(None) };
}

/// `load()`, kept per backend until the attached tables, custom fields, relations or groups
/// change: each of those moves the catalog epoch (attach and define functions, DDL on attached
/// tables, and a statement trigger on smart_groups.groups). Compiling many groups' rules in a
/// row then reads the catalog once.
pub fn load_cached() -> Result<Catalog, DbError> {
    let epoch = Spi::get_one::<i64>("SELECT catalog_epoch FROM smart_groups.config")?.unwrap_or(-1);
    if let Some(hit) = CACHED.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(k, _)| *k == epoch)
            .map(|(_, cat)| cat.clone())
    }) {
        return Ok(hit);
    }
    let catalog = load()?;
    CACHED.with(|c| *c.borrow_mut() = Some((epoch, catalog.clone())));
    Ok(catalog)
}
