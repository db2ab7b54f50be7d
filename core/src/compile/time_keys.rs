//! Which users a relative-time rule may have changed its mind about between two instants.
//!
//! `v within last N unit` holds for now − N ≤ v ≤ now. Between a previous run at `$1` and now
//! (`$2`) a user's outcome can change only if v entered the window (v in ($1, $2]: a future
//! value became past) or left it (v in [$1 − N, $2 − N)). The query selects the keys of users
//! with such a value — an index range scan where the app indexed the column — so the time
//! refresh touches those users only. Dates compare as UTC dates with a day of slack on each
//! side; any superset of the users that changed is correct, since the refresh re-evaluates.

use super::quote::{qualified, quote_ident, quote_literal};
use super::time_lit;
use crate::ast::Op;
use crate::catalog::{Catalog, ColumnKind, FieldType};
use crate::checked::{FieldPath, Operand, Pred, Test, TimeUnit};

/// `SELECT key FROM … UNION …` over `$1` (previous run, timestamptz) and `$2` (now), or
/// `None` when the ruleset has no relative-time rule.
pub fn time_boundary_keys(pred: &Pred, catalog: &Catalog) -> Option<String> {
    let parts = time_boundary_key_parts(pred, catalog);
    (!parts.is_empty()).then(|| parts.join(" UNION "))
}

/// The queries `time_boundary_keys` unites, each once, in the order of the rules: one per
/// relative-time rule's value. Groups whose rules read the same value share the query, so a
/// refresh of many groups runs each distinct one once.
pub fn time_boundary_key_parts(pred: &Pred, catalog: &Catalog) -> Vec<String> {
    let mut parts = Vec::new();
    walk(pred, catalog, None, &mut parts);
    let mut seen = std::collections::HashSet::new();
    parts.retain(|p| seen.insert(p.clone()));
    parts
}

/// Where a value lives: the users row, or (inside `has … where`) a relation row.
#[derive(Clone, Copy)]
struct RelationScope<'a> {
    table: &'a crate::catalog::TableName,
    user_column: &'a str,
}

fn walk(pred: &Pred, catalog: &Catalog, rel: Option<RelationScope<'_>>, out: &mut Vec<String>) {
    match pred {
        Pred::All(items) | Pred::Any(items) => {
            items.iter().for_each(|p| walk(p, catalog, rel, out))
        }
        Pred::Not(inner) => walk(inner, catalog, rel, out),
        Pred::Has {
            relation,
            filter: Some(f),
            ..
        } => walk(
            f,
            catalog,
            Some(RelationScope {
                table: &relation.table,
                user_column: &relation.user_column,
            }),
            out,
        ),
        Pred::Test(t) if matches!(t.op, Op::WithinLast | Op::NotWithinLast) => {
            if let Operand::Interval { n, unit } = t.operand {
                if let Some(q) = keys_for(&t.field, n, unit, catalog, rel) {
                    out.push(q);
                }
            }
        }
        _ => {}
    }
}

/// The crossing condition on value expression `v` of the given shape, between the previous
/// run `$1` and now `$2`.
fn crossing(v: &str, shape: Shape, n: u32, unit: TimeUnit) -> String {
    crossing_between(v, shape, n, unit, "$1", "$2")
}

/// Whether the value `value` of a users column that `test` (a relative-time rule) reads may
/// have crossed one of its boundaries between `since` (SQL, timestamptz) and this instant:
/// then the stored membership may show either side. Up to the clock, not the transaction's
/// now(): a time refresh that began after this transaction and committed before this
/// statement may have applied a crossing later than now(), which the statement sees in the
/// stored membership while the old row, judged at now(), says otherwise. None for other rules.
pub fn crossed_since(test: &Test, value: &str, since: &str) -> Option<String> {
    if !matches!(test.op, Op::WithinLast | Op::NotWithinLast) {
        return None;
    }
    let (FieldPath::Column(c), Operand::Interval { n, unit }) = (&test.field, &test.operand) else {
        return None;
    };
    Some(crossing_between(
        value,
        column_shape(&c.kind)?,
        *n,
        *unit,
        since,
        "clock_timestamp()",
    ))
}

fn crossing_between(v: &str, shape: Shape, n: u32, unit: TimeUnit, from: &str, to: &str) -> String {
    let iv = time_lit::interval(n, unit);
    let (a, b) = (format!("({from})"), format!("({to})"));
    match shape {
        // In UTC, as the rules compute the window (see time_ops).
        Shape::Timestamptz => format!(
            "(({v} > {a} AND {v} <= {b}) OR ({v} >= (({a} AT TIME ZONE 'UTC') - {iv}) AT TIME ZONE 'UTC' AND \
             {v} < (({b} AT TIME ZONE 'UTC') - {iv}) AT TIME ZONE 'UTC'))"
        ),
        Shape::Timestamp => format!(
            "(({v} > ({a} AT TIME ZONE 'UTC') AND {v} <= ({b} AT TIME ZONE 'UTC')) OR \
             ({v} >= ({a} AT TIME ZONE 'UTC') - {iv} AND {v} < ({b} AT TIME ZONE 'UTC') - {iv}))"
        ),
        Shape::Date => format!(
            "(({v} >= ({a} AT TIME ZONE 'UTC')::date AND {v} <= ({b} AT TIME ZONE 'UTC')::date + 1) OR \
             ({v} >= (({a} AT TIME ZONE 'UTC')::date - {iv})::date - 1 AND \
              {v} <= (({b} AT TIME ZONE 'UTC')::date - {iv})::date + 1))"
        ),
    }
}

#[derive(Clone, Copy)]
enum Shape {
    Timestamptz,
    Timestamp,
    Date,
}

fn column_shape(kind: &ColumnKind) -> Option<Shape> {
    match kind {
        ColumnKind::Timestamptz => Some(Shape::Timestamptz),
        ColumnKind::Timestamp => Some(Shape::Timestamp),
        ColumnKind::Date => Some(Shape::Date),
        _ => None,
    }
}

fn keys_for(
    field: &FieldPath,
    n: u32,
    unit: TimeUnit,
    catalog: &Catalog,
    rel: Option<RelationScope<'_>>,
) -> Option<String> {
    let users = qualified(&catalog.users.table);
    let key = quote_ident(&catalog.users.key_column);
    match (field, rel) {
        (FieldPath::Column(c), Some(r)) => {
            let v = format!("r.{}", quote_ident(&c.name));
            Some(format!(
                "SELECT r.{} FROM {} r WHERE {}",
                quote_ident(r.user_column),
                qualified(r.table),
                crossing(&v, column_shape(&c.kind)?, n, unit)
            ))
        }
        (FieldPath::Column(c), None) => {
            let v = format!("u.{}", quote_ident(&c.name));
            Some(format!(
                "SELECT u.{key} FROM {users} u WHERE {}",
                crossing(&v, column_shape(&c.kind)?, n, unit)
            ))
        }
        (FieldPath::Custom(f), _) => {
            let t = catalog.custom_table.as_ref()?;
            let (read, shape) = match f.ty {
                FieldType::Date => ("smart_groups.read_date", Shape::Date),
                FieldType::Timestamp => ("smart_groups.read_timestamp", Shape::Timestamptz),
                _ => return None,
            };
            let v = format!("{read}(f.{})", quote_ident(&t.value_column));
            Some(format!(
                "SELECT f.{} FROM {} f WHERE f.{} = {} AND {}",
                quote_ident(&t.user_column),
                qualified(&t.table),
                quote_ident(&t.key_column),
                quote_literal(&f.key),
                crossing(&v, shape, n, unit)
            ))
        }
        // A lookup row's value crossing changes the users (or related rows) pointing to it.
        (FieldPath::Lookup { lookup, column }, rel) => {
            let v = format!("l.{}", quote_ident(&column.name));
            let crossing = crossing(&v, column_shape(&column.kind)?, n, unit);
            let join = |owner: &str| {
                format!(
                    "JOIN {} l ON l.{} = {owner}.{}",
                    qualified(&lookup.table),
                    quote_ident(&lookup.key_column),
                    quote_ident(&lookup.column)
                )
            };
            Some(match rel {
                Some(r) => format!(
                    "SELECT r.{} FROM {} r {} WHERE {crossing}",
                    quote_ident(r.user_column),
                    qualified(r.table),
                    join("r")
                ),
                None => format!(
                    "SELECT u.{key} FROM {users} u {} WHERE {crossing}",
                    join("u")
                ),
            })
        }
        // A referenced user's value crossing changes the users that point to it.
        (FieldPath::Reference { reference, inner }, _) => {
            let targets = keys_for(inner, n, unit, catalog, None)?;
            Some(format!(
                "SELECT u.{key} FROM {users} u WHERE u.{} IN ({targets})",
                quote_ident(&reference.column)
            ))
        }
    }
}
