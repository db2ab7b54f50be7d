//! The tables part of the catalog: the users table's columns, references and lookups, the
//! custom-field table and fields, the relations and their lookups. The extension's own tables
//! (config, custom fields, relations) are read by statement; what Postgres knows of the app's
//! tables comes from the relation and system caches.
//!
//! A new backend read this part with nested SQL functions over pg_catalog until December 2026:
//! 9–12 ms of its first maintained write or first API call, most of it planning those
//! functions (docs/design/engine.md, "A new session's first write"). The caches are read as
//! the planner reads them, with the catalog snapshot, after taking in the invalidations other
//! sessions' committed DDL sent. The documents serialize as that SQL built them; a #[pg_test]
//! compares them with a query over pg_catalog written in the test.

use std::collections::HashMap;
use std::ffi::{c_char, CStr};

use pgrx::pg_sys;
use pgrx::prelude::*;
use serde::Serialize;

use crate::errors::DbError;

/// A column of a table as rules see its type: a domain is read as its base type.
#[derive(Serialize)]
pub struct ColumnDoc {
    pub name: String,
    #[serde(flatten)]
    pub of_type: ColumnType,
}

/// A column's type as rules read it (`Types::column`).
#[derive(Clone, Serialize)]
pub struct ColumnType {
    /// The (base) type's name.
    #[serde(rename = "type")]
    pub ty: String,
    /// The (base) type's `typtype`: `b`, `e`, …
    pub typtype: String,
    pub type_schema: String,
    /// The element type's name of an array type.
    pub elem: Option<String>,
    /// An enum's labels in their order.
    pub labels: Option<Vec<String>>,
}

/// A single-column foreign key of a table onto another table than the users table.
#[derive(Serialize)]
pub struct LookupDoc {
    pub column: String,
    pub schema: String,
    pub table: String,
    pub key_column: String,
    pub columns: Vec<ColumnDoc>,
}

#[derive(Serialize)]
pub struct UsersDoc {
    pub schema: String,
    pub table: String,
    pub key_column: String,
    pub key_type: String,
    pub columns: Vec<ColumnDoc>,
    /// The columns of single-column foreign keys of the users table onto itself.
    pub references: Vec<String>,
    pub lookups: Vec<LookupDoc>,
}

#[derive(Serialize)]
pub struct CustomTableDoc {
    pub schema: String,
    pub table: String,
    pub user_column: String,
    pub key_column: String,
    pub value_column: String,
}

#[derive(Serialize)]
pub struct CustomFieldDoc {
    pub key: String,
    #[serde(rename = "type")]
    pub ty: String,
    pub allowed: Option<Vec<String>>,
    pub tenant: Option<String>,
}

#[derive(Serialize)]
pub struct RelationDoc {
    pub name: String,
    pub schema: String,
    pub table: String,
    pub user_column: String,
    pub columns: Vec<ColumnDoc>,
    pub lookups: Vec<LookupDoc>,
}

#[derive(Serialize)]
pub struct TablesDoc {
    /// None when no users table is attached.
    pub users: Option<UsersDoc>,
    pub custom_table: Option<CustomTableDoc>,
    pub custom_fields: Vec<CustomFieldDoc>,
    pub relations: Vec<RelationDoc>,
    pub tenant_column: Option<String>,
}

struct Config {
    users_table: pg_sys::Oid,
    key_column: String,
    key_type: String,
    custom: Option<(pg_sys::Oid, String, String, String)>,
    tenant_column: Option<String>,
    /// The schema has tenants and lookups (0.2.0 on): a database still on the 0.1.0 schema
    /// has no triggers on lookup tables, so it is given no lookups.
    with_lookups: bool,
}

/// Reads the tables part of the catalog.
pub fn read() -> Result<TablesDoc, DbError> {
    let (config, custom_fields, relations) = Spi::connect(|client| {
        let mut config = None;
        // The newer columns through to_jsonb: the library may run on the 0.1.0 schema until
        // ALTER EXTENSION UPDATE.
        for row in client.select(
            "SELECT c.users_table::oid, c.key_column::text, c.key_type, c.custom_table::oid, \
                    c.custom_user_column::text, c.custom_key_column::text, \
                    c.custom_value_column::text, to_jsonb(c) ->> 'tenant_column', \
                    to_jsonb(c) ? 'tenant_column' \
               FROM smart_groups.config c",
            Some(1),
            &[],
        )? {
            let custom = match row.get::<pg_sys::Oid>(4)? {
                Some(oid) => Some((
                    oid,
                    row.get::<String>(5)?.unwrap_or_default(),
                    row.get::<String>(6)?.unwrap_or_default(),
                    row.get::<String>(7)?.unwrap_or_default(),
                )),
                None => None,
            };
            config = Some(Config {
                users_table: row.get::<pg_sys::Oid>(1)?.unwrap_or(pg_sys::InvalidOid),
                key_column: row.get::<String>(2)?.unwrap_or_default(),
                key_type: row.get::<String>(3)?.unwrap_or_default(),
                custom,
                tenant_column: row.get::<String>(8)?,
                with_lookups: row.get::<bool>(9)?.unwrap_or(false),
            });
        }
        let mut fields = Vec::new();
        for row in client.select(
            "SELECT f.key, f.type, f.allowed, to_jsonb(f) ->> 'tenant' AS tenant \
               FROM smart_groups.custom_fields f ORDER BY f.key, tenant",
            None,
            &[],
        )? {
            fields.push(CustomFieldDoc {
                key: row.get::<String>(1)?.unwrap_or_default(),
                ty: row.get::<String>(2)?.unwrap_or_default(),
                allowed: row.get::<Vec<String>>(3)?,
                tenant: row.get::<String>(4)?,
            });
        }
        let mut relations = Vec::new();
        for row in client.select(
            "SELECT r.name, r.table_name::oid, r.user_column::text \
               FROM smart_groups.relations r ORDER BY r.name",
            None,
            &[],
        )? {
            relations.push((
                row.get::<String>(1)?.unwrap_or_default(),
                row.get::<pg_sys::Oid>(2)?.unwrap_or(pg_sys::InvalidOid),
                row.get::<String>(3)?.unwrap_or_default(),
            ));
        }
        Ok::<_, DbError>((config, fields, relations))
    })?;
    // Taking a lock would do it too: what DDL other sessions committed is seen from here on.
    // SAFETY: no argument; processes the invalidation queue as any lock acquisition does.
    unsafe { pg_sys::AcceptInvalidationMessages() };
    let mut types = Types::default();
    let Some(config) = config else {
        return Ok(TablesDoc {
            users: None,
            custom_table: None,
            custom_fields,
            relations: Vec::new(),
            tenant_column: None,
        });
    };
    let users_table = config.users_table;
    let lookups_of = |rel, keys: &[ForeignKey], types: &mut Types| {
        if config.with_lookups {
            lookups(rel, keys, users_table, types)
        } else {
            Vec::new()
        }
    };
    let users = match (rel_name(users_table), columns(users_table, &mut types)) {
        (Some((schema, table)), Some(cols)) => {
            let keys = foreign_keys(users_table);
            let mut refs: Vec<(i16, String)> = keys
                .iter()
                .filter(|k| k.confrelid == users_table)
                .filter_map(|k| Some((k.key, attname(users_table, k.key)?)))
                .collect();
            refs.sort_by_key(|(num, _)| *num);
            Some(UsersDoc {
                schema,
                table,
                key_column: config.key_column.clone(),
                key_type: config.key_type.clone(),
                columns: cols,
                references: refs.into_iter().map(|(_, name)| name).collect(),
                lookups: lookups_of(users_table, &keys, &mut types),
            })
        }
        _ => None,
    };
    let custom_table = config.custom.as_ref().and_then(|(oid, user, key, value)| {
        let (schema, table) = rel_name(*oid)?;
        Some(CustomTableDoc {
            schema,
            table,
            user_column: user.clone(),
            key_column: key.clone(),
            value_column: value.clone(),
        })
    });
    let mut docs = Vec::new();
    for (name, oid, user_column) in relations {
        check_for_interrupts!();
        let (Some((schema, table)), Some(cols)) = (rel_name(oid), columns(oid, &mut types)) else {
            continue;
        };
        docs.push(RelationDoc {
            name,
            schema,
            table,
            user_column,
            columns: cols,
            lookups: lookups_of(oid, &foreign_keys(oid), &mut types),
        });
    }
    Ok(TablesDoc {
        users,
        custom_table,
        custom_fields,
        relations: docs,
        tenant_column: config.tenant_column.clone(),
    })
}

fn owned(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: a NUL-terminated string returned by the lsyscache functions (palloc'd).
    Some(unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
}

/// (schema, name) of a relation; None when there is no such relation.
fn rel_name(rel: pg_sys::Oid) -> Option<(String, String)> {
    // SAFETY: lsyscache lookups by oid; they return NULL or InvalidOid when it does not exist.
    unsafe {
        let name = owned(pg_sys::get_rel_name(rel))?;
        let schema = owned(pg_sys::get_namespace_name(pg_sys::get_rel_namespace(rel)))?;
        Some((schema, name))
    }
}

fn attname(rel: pg_sys::Oid, num: i16) -> Option<String> {
    // SAFETY: missing_ok: NULL when there is no such column.
    owned(unsafe { pg_sys::get_attname(rel, num, true) })
}

/// What a relation's column list needs of a type.
#[derive(Clone)]
struct TypeRow {
    name: String,
    typtype: c_char,
    category: c_char,
    namespace: pg_sys::Oid,
    base: pg_sys::Oid,
    elem: pg_sys::Oid,
}

/// Types and enum labels read in this load, by oid.
#[derive(Default)]
struct Types {
    rows: HashMap<pg_sys::Oid, Option<TypeRow>>,
    columns: HashMap<pg_sys::Oid, ColumnType>,
}

impl Types {
    fn row(&mut self, oid: pg_sys::Oid) -> Option<TypeRow> {
        self.rows
            .entry(oid)
            .or_insert_with(|| type_row(oid))
            .clone()
    }

    /// The type rules read a column of type `oid` as: a domain's base type (one level, as
    /// its values are compared).
    fn column(&mut self, oid: pg_sys::Oid) -> Option<ColumnType> {
        if let Some(known) = self.columns.get(&oid) {
            return Some(known.clone());
        }
        let t = self.row(oid)?;
        let base_oid = if t.typtype as u8 == b'd' { t.base } else { oid };
        let base = self.row(base_oid)?;
        // SAFETY: a namespace lookup by oid; NULL when it does not exist.
        let schema = owned(unsafe { pg_sys::get_namespace_name(base.namespace) })?;
        let elem = if base.category as u8 == b'A' && base.elem != pg_sys::InvalidOid {
            self.row(base.elem).map(|e| e.name)
        } else {
            None
        };
        let labels = (base.typtype as u8 == b'e').then(|| enum_labels(base_oid));
        let typtype = char::from(base.typtype as u8).to_string();
        let out = ColumnType {
            ty: base.name,
            typtype,
            type_schema: schema,
            elem,
            labels,
        };
        self.columns.insert(oid, out.clone());
        Some(out)
    }
}

fn type_row(oid: pg_sys::Oid) -> Option<TypeRow> {
    // SAFETY: a syscache lookup by oid; the tuple is read before it is released.
    unsafe {
        let tuple = pg_sys::SearchSysCache1(
            pg_sys::SysCacheIdentifier::TYPEOID as i32,
            pg_sys::Datum::from(u32::from(oid)),
        );
        if tuple.is_null() {
            return None;
        }
        let t = &*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_type>(tuple);
        let row = TypeRow {
            name: pgrx::name_data_to_str(&t.typname).to_string(),
            typtype: t.typtype,
            category: t.typcategory,
            namespace: t.typnamespace,
            base: t.typbasetype,
            elem: t.typelem,
        };
        pg_sys::ReleaseSysCache(tuple);
        Some(row)
    }
}

/// An enum's labels in their sort order.
fn enum_labels(typid: pg_sys::Oid) -> Vec<String> {
    let mut labels: Vec<(f32, String)> = Vec::new();
    // SAFETY: an oid datum for pg_enum's enumtypid; each tuple is read during its call.
    unsafe {
        crate::live::direct::catalog_rows(
            pg_sys::EnumRelationId,
            pg_sys::EnumTypIdSortOrderIndexId,
            pg_sys::Anum_pg_enum_enumtypid,
            pg_sys::F_OIDEQ,
            pg_sys::Datum::from(u32::from(typid)),
            &mut |tuple| {
                let e = &*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_enum>(tuple);
                labels.push((
                    e.enumsortorder,
                    pgrx::name_data_to_str(&e.enumlabel).to_string(),
                ));
                true
            },
        );
    }
    labels.sort_by(|a, b| a.0.total_cmp(&b.0));
    labels.into_iter().map(|(_, l)| l).collect()
}

/// The columns of a relation in their order (dropped ones left out); None when there is no
/// such relation.
fn columns(rel: pg_sys::Oid, types: &mut Types) -> Option<Vec<ColumnDoc>> {
    // The names and types are copied out before any type is looked up: a syscache miss
    // takes in invalidations, which may rebuild the relation's entry.
    let mut attrs: Vec<(String, pg_sys::Oid)> = Vec::new();
    // SAFETY: the relcache entry is pinned from RelationIdGetRelation to RelationClose and
    // nothing in between takes in invalidations.
    unsafe {
        let r = pg_sys::RelationIdGetRelation(rel);
        if r.is_null() {
            return None;
        }
        let desc = (*r).rd_att;
        let natts = usize::try_from((*desc).natts).unwrap_or(0);
        for a in (*desc).attrs.as_slice(natts) {
            if a.attisdropped || a.attnum <= 0 {
                continue;
            }
            attrs.push((pgrx::name_data_to_str(&a.attname).to_string(), a.atttypid));
        }
        pg_sys::RelationClose(r);
    }
    let mut out = Vec::with_capacity(attrs.len());
    for (name, typid) in attrs {
        if let Some(of_type) = types.column(typid) {
            out.push(ColumnDoc { name, of_type });
        }
    }
    Some(out)
}

/// A single-column foreign key of a relation.
struct ForeignKey {
    constraint: pg_sys::Oid,
    confrelid: pg_sys::Oid,
    key: i16,
    referenced: i16,
}

fn foreign_keys(rel: pg_sys::Oid) -> Vec<ForeignKey> {
    let mut out = Vec::new();
    // SAFETY: the relcache entry is pinned while its foreign-key list (owned by the relcache)
    // is copied out.
    unsafe {
        let r = pg_sys::RelationIdGetRelation(rel);
        if r.is_null() {
            return out;
        }
        let list = pg_sys::RelationGetFKeyList(r);
        for i in 0..pg_sys::list_length(list) {
            let k = &*(pg_sys::list_nth(list, i) as *const pg_sys::ForeignKeyCacheInfo);
            if k.nkeys == 1 {
                out.push(ForeignKey {
                    constraint: k.conoid,
                    confrelid: k.confrelid,
                    key: k.conkey[0],
                    referenced: k.confkey[0],
                });
            }
        }
        pg_sys::RelationClose(r);
    }
    out
}

/// The lookups of `rel`: its single-column foreign keys onto tables other than the users
/// table, by column and constraint name.
fn lookups(
    rel: pg_sys::Oid,
    keys: &[ForeignKey],
    users_table: pg_sys::Oid,
    types: &mut Types,
) -> Vec<LookupDoc> {
    let mut keyed = Vec::new();
    for k in keys {
        if k.confrelid == users_table {
            continue;
        }
        // SAFETY: a constraint's name by oid; NULL when it does not exist.
        let name = owned(unsafe { pg_sys::get_constraint_name(k.constraint) }).unwrap_or_default();
        let (Some(column), Some(key_column), Some((schema, table)), Some(columns)) = (
            attname(rel, k.key),
            attname(k.confrelid, k.referenced),
            rel_name(k.confrelid),
            columns(k.confrelid, types),
        ) else {
            continue;
        };
        keyed.push((
            (k.key, name),
            LookupDoc {
                column,
                schema,
                table,
                key_column,
                columns,
            },
        ));
    }
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, l)| l).collect()
}
