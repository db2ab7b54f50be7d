//! Where a rule's value is read: a column of the row in scope, a custom-field row, or a field
//! of another user reached through a reference. Each gives a `Slot` that the operator
//! families compare; custom fields and references wrap the comparison in an `EXISTS`, so a
//! missing row behaves exactly like a NULL value.

use super::ops::{self, Kind, Slot};

use super::quote::{qualified, quote_ident, quote_literal};
use super::{Ctx, Scope};
use crate::ast::Op;
use crate::catalog::{Column, ColumnKind, CustomField, FieldType, Lookup};
use crate::checked::{FieldPath, Operand};

/// The base operator `op` (never a negated one) on `path`: false when the value is absent.
pub(super) fn base(
    cx: &mut Ctx<'_>,
    path: &FieldPath,
    op: Op,
    operand: &Operand,
    scope: &Scope,
) -> String {
    with_slot(cx, path, scope, &mut |_, slot| {
        ops::guarded(slot, op, operand)
    })
}

/// `compare` on the value of `path` for the rows in `scope`, wrapped so that a missing
/// custom-field row or referenced user makes the whole `false`: a custom field or a
/// reference puts `compare`'s condition inside an `EXISTS` over the row holding the value.
/// `compare` may read other fields itself (a field-to-field rule nests the second field's
/// read inside the first's); the aliases stay unique through `cx`.
pub(super) fn with_slot(
    cx: &mut Ctx<'_>,
    path: &FieldPath,
    scope: &Scope,
    compare: &mut dyn FnMut(&mut Ctx<'_>, &Slot) -> String,
) -> String {
    match path {
        FieldPath::Column(c) => compare(cx, &column_slot(scope.column_owner(), c)),
        FieldPath::Custom(f) => {
            let Some((rows, value)) = custom_rows(cx, f, &scope.user) else {
                return "false".to_string();
            };
            match custom_slot(&value, f) {
                Some(slot) => format!("EXISTS (SELECT 1 {rows} AND {})", compare(cx, &slot)),
                None => "false".to_string(),
            }
        }
        FieldPath::Reference { reference, inner } => {
            let (rows, m) = referenced_user(cx, &reference.column, &scope.user);
            let inner_sql = with_slot(cx, inner, &Scope::user(m), compare);
            format!("EXISTS (SELECT 1 {rows} AND {inner_sql})")
        }
        FieldPath::Lookup { lookup, column } => {
            let (rows, l) = lookup_row(cx, lookup, scope.column_owner());
            let slot = column_slot(&l, column);
            format!("EXISTS (SELECT 1 {rows} AND {})", compare(cx, &slot))
        }
    }
}

/// The value as text, NULL when absent: for `explain`.
pub(super) fn actual(cx: &mut Ctx<'_>, path: &FieldPath, user: &str) -> String {
    match path {
        FieldPath::Column(c) => format!("{user}.{}::text", quote_ident(&c.name)),
        FieldPath::Custom(f) => {
            match custom_rows(cx, f, user) {
                // min(): a well-formed table has one row per user and key; should it have
                // more, the answer is still one deterministic value.
                Some((rows, value)) => format!("(SELECT min({value}::text) {rows})"),
                None => "NULL::text".to_string(),
            }
        }
        FieldPath::Reference { reference, inner } => {
            let (rows, m) = referenced_user(cx, &reference.column, user);
            format!("(SELECT {} {rows})", actual(cx, inner, &m))
        }
        FieldPath::Lookup { lookup, column } => {
            let (rows, l) = lookup_row(cx, lookup, user);
            format!("(SELECT {l}.{}::text {rows})", quote_ident(&column.name))
        }
    }
}

fn column_slot(owner: &str, c: &Column) -> Slot {
    let col = format!("{owner}.{}", quote_ident(&c.name));
    let (kind, value) = match &c.kind {
        ColumnKind::Text => (Kind::Text, col.clone()),
        // citext compares case-insensitively, enums in label order: as text, `eq` is exact
        // and LIKE is case-sensitive, as docs/reference/rules.md, "Semantics", requires.
        ColumnKind::Citext | ColumnKind::Enum(_) => (Kind::Text, format!("{col}::text")),
        ColumnKind::Number => (Kind::Number, col.clone()),
        ColumnKind::Date => (Kind::Date, col.clone()),
        ColumnKind::Timestamp => (Kind::Timestamp, col.clone()),
        ColumnKind::Timestamptz => (Kind::Timestamptz, col.clone()),
        ColumnKind::Boolean => (Kind::Boolean, col.clone()),
        ColumnKind::TextArray => (Kind::List, col.clone()),
    };
    Slot {
        present: col,
        value,
        kind,
    }
}

/// `FROM <custom table> fN WHERE fN.<user> = <user>.<key> AND fN.<key column> = '<key>'` and
/// the value column `fN.<value>`, or `None` when no custom-field table is attached.
fn custom_rows(cx: &mut Ctx<'_>, f: &CustomField, user: &str) -> Option<(String, String)> {
    let t = cx.catalog.custom_table.as_ref()?;
    let key = quote_ident(&cx.catalog.users.key_column);
    let (table, user_col, key_col) = (
        qualified(&t.table),
        quote_ident(&t.user_column),
        quote_ident(&t.key_column),
    );
    let fa = cx.custom_alias();
    let rows = format!(
        "FROM {table} {fa} WHERE {fa}.{user_col} = {user}.{key} AND {fa}.{key_col} = {}",
        quote_literal(&f.key)
    );
    Some((rows, format!("{fa}.{}", quote_ident(&t.value_column))))
}

/// The typed read of a custom value. The `smart_groups.read_*` functions return NULL for text
/// they cannot read, which counts as empty (docs/reference/rules.md, "Reading custom-field values"). Text is cast to `text` in case the
/// app's value column is citext, whose comparisons would not be exact.
fn custom_slot(value: &str, field: &CustomField) -> Option<Slot> {
    let (kind, read) = match field.ty {
        FieldType::Text => (Kind::Text, format!("{value}::text")),
        // Text that is not one of the enum's values cannot be read as the enum: it is empty,
        // as an enum column could never hold it.
        FieldType::Enum => {
            let labels: Vec<String> = field
                .allowed
                .iter()
                .flatten()
                .map(|l| quote_literal(l))
                .collect();
            if labels.is_empty() {
                (Kind::Text, format!("{value}::text"))
            } else {
                (
                    Kind::Text,
                    format!(
                        "(CASE WHEN {value}::text IN ({}) THEN {value}::text END)",
                        labels.join(", ")
                    ),
                )
            }
        }
        FieldType::Number => (Kind::Number, format!("smart_groups.read_number({value})")),
        FieldType::Date => (Kind::Date, format!("smart_groups.read_date({value})")),
        FieldType::Timestamp => (
            Kind::Timestamptz,
            format!("smart_groups.read_timestamp({value})"),
        ),
        FieldType::Boolean => (Kind::Boolean, format!("smart_groups.read_boolean({value})")),
        // define_custom_field has no list type.
        FieldType::List => return None,
    };
    Some(Slot {
        present: read.clone(),
        value: read,
        kind,
    })
}

/// `FROM <lookup table> lN WHERE lN.<key> = <owner>.<fk column>`: the lookup row the owner
/// (a user, or a related row) points to.
fn lookup_row(cx: &mut Ctx<'_>, lookup: &Lookup, owner: &str) -> (String, String) {
    let l = cx.lookup_alias();
    let rows = format!(
        "FROM {} {l} WHERE {l}.{} = {owner}.{}",
        qualified(&lookup.table),
        quote_ident(&lookup.key_column),
        quote_ident(&lookup.column)
    );
    (rows, l)
}

/// `FROM <users> mN WHERE mN.<key> = <user>.<fk column>`: the user a reference points to.
fn referenced_user(cx: &mut Ctx<'_>, fk_column: &str, user: &str) -> (String, String) {
    let m = cx.user_alias();
    let users = &cx.catalog.users;
    let rows = format!(
        "FROM {} {m} WHERE {m}.{} = {user}.{}",
        qualified(&users.table),
        quote_ident(&users.key_column),
        quote_ident(fk_column)
    );
    (rows, m)
}
