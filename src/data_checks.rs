//! Data-aware warnings for `validate()`: values no user has (with a did-you-mean drawn from
//! the values users do have) and stored custom-field texts that cannot be read as their type.
//! They need the app's data, so they live here and not in the core validator.

use pgrx::prelude::*;
use smart_groups_core::ast::Op;
use smart_groups_core::catalog::{Catalog, FieldType, Relation};
use smart_groups_core::checked::{FieldPath, Operand, Pred, Test};
use smart_groups_core::compile::{self, qualified, quote_ident, quote_literal};
use smart_groups_core::report::did_you_mean;
use smart_groups_core::validate::{Problem, ValidationError};

/// How many rows are sampled for did-you-mean suggestions: enough to find the common values
/// of a column, cheap on a table of millions.
const SAMPLE_ROWS: usize = 50_000;
const MAX_CANDIDATES: usize = 2_000;

/// `tenant`: the tenant whose rules these are (docs/reference/tenants.md): only its users'
/// data is looked at, so that warnings and suggestions say nothing of other tenants' users.
pub fn warnings(pred: &Pred, catalog: &Catalog, tenant: Option<&str>) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut seen_custom = Vec::new();
    let scope = Scope {
        catalog,
        tenant: tenant.zip(catalog.tenant_column.as_deref()),
    };
    walk(pred, &scope, None, &mut out, &mut seen_custom);
    out
}

/// The catalog and, with tenants, the tenant column and the tenant whose users' data counts.
struct Scope<'a> {
    catalog: &'a Catalog,
    tenant: Option<(&'a str, &'a str)>,
}

impl Scope<'_> {
    /// The users row `u` is of the tenant; None without a tenant.
    fn of_tenant(&self) -> Option<String> {
        let (tenant, column) = self.tenant?;
        Some(format!(
            "u.{}::text = {}",
            quote_ident(column),
            quote_literal(tenant)
        ))
    }

    /// The users rows `u` for which `cond` holds and, with a tenant, of the tenant: `EXISTS`.
    fn some_user(&self, cond: &str) -> String {
        let mine = self
            .of_tenant()
            .map(|t| format!(" AND {t}"))
            .unwrap_or_default();
        format!(
            "EXISTS (SELECT 1 FROM {} u WHERE {cond}{mine})",
            qualified(&self.catalog.users.table)
        )
    }

    /// The user `user_sql` (a users key) is of the tenant; None without a tenant.
    fn user_of_tenant(&self, user_sql: &str) -> Option<String> {
        self.tenant?;
        let key = quote_ident(&self.catalog.users.key_column);
        Some(self.some_user(&format!("u.{key} = {user_sql}")))
    }
}

/// ` WHERE cond`, or nothing.
fn where_(cond: Option<String>) -> String {
    cond.map(|c| format!(" WHERE {c}")).unwrap_or_default()
}

fn walk(
    pred: &Pred,
    scope: &Scope,
    rel: Option<&Relation>,
    out: &mut Vec<Problem>,
    seen: &mut Vec<String>,
) {
    match pred {
        Pred::All(items) | Pred::Any(items) => {
            items.iter().for_each(|p| walk(p, scope, rel, out, seen))
        }
        Pred::Not(inner) => walk(inner, scope, rel, out, seen),
        Pred::Has {
            relation,
            filter: Some(f),
            ..
        } => walk(f, scope, Some(relation), out, seen),
        Pred::Test(t) => {
            unmatched(t, scope, rel, out);
            unreadable(&t.field, &t.path, scope, out, seen);
        }
        Pred::Compare(c) => {
            for field in c.fields() {
                unreadable(field, &c.path, scope, out, seen);
            }
        }
        _ => {}
    }
}

/// The values of `field` as text, from the rows that hold it: `(value expression, FROM …)`,
/// with a tenant the rows of its users only (a lookup's rows its users or their relation rows
/// point to).
fn source(field: &FieldPath, scope: &Scope, rel: Option<&Relation>) -> (String, String) {
    let catalog = scope.catalog;
    match (field, rel) {
        // The lookup table's own values: "did you mean" among departments' names.
        (FieldPath::Lookup { lookup, column }, _) => {
            let points = format!(
                "{} = l.{}",
                quote_ident(&lookup.column),
                quote_ident(&lookup.key_column)
            );
            let pointed = where_(match (scope.tenant, rel) {
                (None, _) => None,
                (Some(_), None) => Some(scope.some_user(&format!("u.{points}"))),
                (Some(_), Some(r)) => {
                    let user = format!("r.{}", quote_ident(&r.user_column));
                    scope.user_of_tenant(&user).map(|mine| {
                        format!(
                            "EXISTS (SELECT 1 FROM {} r WHERE r.{points} AND {mine})",
                            qualified(&r.table)
                        )
                    })
                }
            });
            (
                format!("l.{}::text", quote_ident(&column.name)),
                format!(
                    "FROM (SELECT l.* FROM {} l{pointed}) l",
                    qualified(&lookup.table)
                ),
            )
        }
        (FieldPath::Column(c), Some(r)) => {
            let mine = where_(scope.user_of_tenant(&format!("r.{}", quote_ident(&r.user_column))));
            (
                format!("r.{}::text", quote_ident(&c.name)),
                format!("FROM (SELECT r.* FROM {} r{mine}) r", qualified(&r.table)),
            )
        }
        _ => {
            let mine = where_(scope.of_tenant());
            (
                compile::actual_value(field, catalog, compile::USER_ALIAS),
                format!(
                    "FROM (SELECT u.* FROM {} u{mine}) {}",
                    qualified(&catalog.users.table),
                    compile::USER_ALIAS
                ),
            )
        }
    }
}

fn unmatched(t: &Test, scope: &Scope, rel: Option<&Relation>, out: &mut Vec<Problem>) {
    if !matches!(t.op, Op::Eq | Op::Neq | Op::In | Op::NotIn) {
        return;
    }
    let values: Vec<(String, &str)> = match &t.operand {
        Operand::Text(v) => vec![(child(&t.path, "value"), v.as_str())],
        Operand::TextList(vs) => vs
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{}[{i}]", child(&t.path, "value")), v.as_str()))
            .collect(),
        _ => return,
    };
    let (expr, from) = source(&t.field, scope, rel);
    let mut candidates: Option<Vec<String>> = None;
    for (path, value) in values {
        let exists = Spi::get_one_with_args::<bool>(
            &format!("SELECT EXISTS (SELECT 1 {from} WHERE ({expr}) = $1)"),
            &[value.into()],
        )
        .ok()
        .flatten()
        .unwrap_or(true);
        if exists {
            continue;
        }
        let cands = candidates.get_or_insert_with(|| sample(&expr, &from));
        let suggestion = did_you_mean(value, cands.iter().map(String::as_str)).map(str::to_string);
        out.push(Problem::new(
            path,
            ValidationError::UnmatchedValue {
                field: field_name(&t.field),
                value: value.to_string(),
                suggestion,
            },
        ));
    }
}

fn sample(expr: &str, from: &str) -> Vec<String> {
    let sql = format!(
        "SELECT DISTINCT v FROM (SELECT ({expr}) AS v {from} LIMIT {SAMPLE_ROWS}) s \
         WHERE v IS NOT NULL LIMIT {MAX_CANDIDATES}"
    );
    Spi::connect(|client| {
        client
            .select(&sql, None, &[])
            .map(|rows| {
                rows.filter_map(|r| r.get::<crate::args::Text>(1).ok().flatten()?.into_ok())
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// Stored texts of a typed custom field that cannot be read (reported once per field).
fn unreadable(
    field: &FieldPath,
    path: &str,
    scope: &Scope,
    out: &mut Vec<Problem>,
    seen: &mut Vec<String>,
) {
    let catalog = scope.catalog;
    let f = match field {
        FieldPath::Custom(f) => f,
        FieldPath::Reference { inner, .. } => return unreadable(inner, path, scope, out, seen),
        FieldPath::Column(_) | FieldPath::Lookup { .. } => return,
    };
    let Some(table) = catalog.custom_table.as_ref() else {
        return;
    };
    if seen.contains(&f.key) {
        return;
    }
    seen.push(f.key.clone());
    let value = format!("f.{}", quote_ident(&table.value_column));
    let readable = match f.ty {
        FieldType::Number => format!("smart_groups.read_number({value}) IS NOT NULL"),
        FieldType::Date => format!("smart_groups.read_date({value}) IS NOT NULL"),
        FieldType::Timestamp => format!("smart_groups.read_timestamp({value}) IS NOT NULL"),
        FieldType::Boolean => format!("smart_groups.read_boolean({value}) IS NOT NULL"),
        FieldType::Enum => {
            let labels: Vec<String> = f
                .allowed
                .iter()
                .flatten()
                .map(|l| quote_literal(l))
                .collect();
            if labels.is_empty() {
                return;
            }
            format!("{value}::text IN ({})", labels.join(", "))
        }
        FieldType::Text | FieldType::List => return,
    };
    let sql = format!(
        "SELECT count(*) FROM {} f WHERE f.{} = {} AND {value} IS NOT NULL AND {value}::text <> '' AND NOT ({readable}){}",
        qualified(&table.table),
        quote_ident(&table.key_column),
        quote_literal(&f.key),
        scope
            .user_of_tenant(&format!("f.{}", quote_ident(&table.user_column)))
            .map(|mine| format!(" AND {mine}"))
            .unwrap_or_default(),
    );
    let count = Spi::get_one::<i64>(&sql).ok().flatten().unwrap_or(0);
    if count > 0 {
        out.push(Problem::new(
            child(path, "field"),
            ValidationError::UnreadableValues {
                field: f.key.clone(),
                ty: f.ty,
                count: count as u64,
            },
        ));
    }
}

fn field_name(field: &FieldPath) -> String {
    match field {
        FieldPath::Column(c) => c.name.clone(),
        FieldPath::Custom(f) => f.key.clone(),
        FieldPath::Reference { reference, inner } => {
            format!("{}.{}", reference.name, field_name(inner))
        }
        FieldPath::Lookup { lookup, column } => format!("{}.{}", lookup.name, column.name),
    }
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}
