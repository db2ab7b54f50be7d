//! `explain(name, key)`: why a user is or is not a member — every rule's outcome next to the
//! user's actual value, evaluated in one query, then the manual overrides and the result.

use pgrx::prelude::*;
use pgrx::JsonB;
use smart_groups_core::ast::Node;
use smart_groups_core::catalog::Catalog;
use smart_groups_core::checked::Pred;
use smart_groups_core::{compile, json, text, validate};

use crate::errors::OrRaise;
use crate::rules_api::catalog_for;

/// One explained node: where it is, its text, and SQL for its outcome and actual value.
struct Item {
    path: String,
    rule: String,
    result_sql: String,
    actual_sql: String,
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Walks the AST and its validated form together (validation keeps the shape), outermost
/// first. Rules inside `has … where` are about relation rows, so the `has` is explained as a
/// whole, with the number of matching rows as its actual value.
fn walk(node: &Node, pred: &Pred, path: String, catalog: &Catalog, out: &mut Vec<Item>) {
    let result_sql = compile::compile(pred, catalog);
    let actual_sql = match pred {
        Pred::Test(t) => compile::actual_value(&t.field, catalog, compile::USER_ALIAS),
        // Both values, an absent one shown as empty.
        Pred::Compare(c) => {
            let side = |f| compile::actual_value(f, catalog, compile::USER_ALIAS);
            format!(
                "(coalesce({}, 'empty') || ' vs ' || coalesce({}, 'empty'))",
                side(&c.left),
                side(&c.right)
            )
        }
        Pred::Has {
            relation, filter, ..
        } => format!(
            "({} || ' matching rows')",
            compile::has_count(relation, filter.as_deref(), catalog, compile::USER_ALIAS)
        ),
        Pred::MemberOf { .. } => {
            format!("CASE WHEN {result_sql} THEN 'member' ELSE 'not a member' END")
        }
        _ => "NULL::text".to_string(),
    };
    out.push(Item {
        path: path.clone(),
        rule: text::print(node),
        result_sql,
        actual_sql,
    });
    match (node, pred) {
        (Node::All(nodes), Pred::All(preds)) => {
            for (i, (n, p)) in nodes.iter().zip(preds).enumerate() {
                walk(n, p, child(&path, &format!("all[{i}]")), catalog, out);
            }
        }
        (Node::Any(nodes), Pred::Any(preds)) => {
            for (i, (n, p)) in nodes.iter().zip(preds).enumerate() {
                walk(n, p, child(&path, &format!("any[{i}]")), catalog, out);
            }
        }
        (Node::Not(n), Pred::Not(p)) => walk(n, p, child(&path, "not"), catalog, out),
        _ => {}
    }
}

/// (path, rule, actual, result): `explain`'s columns, named in its signature.
pub type Row = (String, String, Option<String>, bool);

#[allow(clippy::type_complexity)]
#[pg_extern(name = "_explain", schema = "smart_groups_internal")]
pub fn explain_in(
    name: crate::args::Text,
    key: crate::args::Text,
    tenant: default!(Option<crate::args::Text>, "NULL"),
) -> TableIterator<
    'static,
    (
        name!(path, String),
        name!(rule, String),
        name!(actual, Option<String>),
        name!(result, bool),
    ),
> {
    explain_rows(name, key, tenant, false)
}

/// `legacy`: called through release 0.1.0's declaration (`legacy::_explain`), whose helper
/// functions take no tenant.
pub fn explain_rows(
    name: crate::args::Text,
    key: crate::args::Text,
    tenant: Option<crate::args::Text>,
    legacy: bool,
) -> TableIterator<'static, Row> {
    let (name, key) = (name.get("the group name"), key.get("the user key"));
    let tenant = tenant.as_ref().map(|t| t.get("the tenant"));
    let catalog = catalog_for(tenant);
    // Both raise their own errors: unknown group (42704), unknown user (23503), a user of
    // another tenant included.
    let (group_sql, keys_sql) = if legacy {
        (
            "SELECT (g).id, (g).kind, (g).rules FROM (SELECT smart_groups_internal._group($1) AS g) s",
            "SELECT smart_groups_internal._user_keys(ARRAY[$1])",
        )
    } else {
        (
            "SELECT (g).id, (g).kind, (g).rules FROM (SELECT smart_groups_internal._group($1, $2) AS g) s",
            "SELECT smart_groups_internal._user_keys(ARRAY[$1], $2)",
        )
    };
    let (group_args, key_args) = if legacy {
        (vec![name.into()], vec![key.into()])
    } else {
        (
            vec![name.into(), tenant.into()],
            vec![key.into(), tenant.into()],
        )
    };
    let (gid, kind, rules) = Spi::get_three_with_args::<i64, String, JsonB>(group_sql, &group_args)
        .unwrap_or_else(|e| crate::errors::raise(&crate::errors::DbError::from(e)));
    let gid = gid.unwrap_or_default();
    Spi::run_with_args(keys_sql, &key_args)
        .unwrap_or_else(|e| crate::errors::raise(&crate::errors::DbError::from(e)));

    let mut items = Vec::new();
    if let (Some("smart"), Some(rules)) = (kind.as_deref(), rules) {
        let node = json::read_value(&rules.0).or_raise();
        // The rules as written (their names resolved in the tenant: `catalog` is scoped),
        // then the tenant's condition the group adds to them.
        let opts = validate::Options {
            group: Some(name.to_string()),
            tenant: None,
        };
        let pred = match validate::validate(&node, &catalog, &opts).into_result() {
            Ok(pred) => pred,
            Err(problem) => crate::errors::raise(&problem),
        };
        walk(&node, &pred, String::new(), &catalog, &mut items);
        if let (Some(t), Some(column)) = (tenant, &catalog.tenant_column) {
            if let Some(node) = validate::tenant_rule(&catalog, column, t) {
                let checked = validate::validate(&node, &catalog, &validate::Options::default());
                if let Some(pred) = checked.pred {
                    walk(&node, &pred, "(tenant)".into(), &catalog, &mut items);
                }
            }
        }
    }
    let key_col = compile::quote_ident(&catalog.users.key_column);
    let key_type = catalog.users.key_type.sql();
    let users = compile::qualified(&catalog.users.table);
    let mut select: Vec<String> = items
        .iter()
        .map(|i| format!("({}), ({})::text", i.result_sql, i.actual_sql))
        .collect();
    for table in ["inclusions", "exclusions"] {
        select.push(format!(
            "EXISTS (SELECT 1 FROM smart_groups.{table} o WHERE o.group_id = {gid} AND o.user_key = u.{key_col})"
        ));
    }
    select.push(format!(
        "EXISTS (SELECT 1 FROM smart_groups.members o WHERE o.group_id = {gid} AND o.user_key = u.{key_col})"
    ));
    select.push(format!(
        "(SELECT 'since ' || o.since::text FROM smart_groups.members o WHERE o.group_id = {gid} AND o.user_key = u.{key_col})"
    ));
    let sql = format!(
        "SELECT {} FROM {users} u WHERE u.{key_col} = $1::{key_type}",
        select.join(", ")
    );

    let rows: Vec<Row> = Spi::connect(|client| -> Result<Vec<Row>, pgrx::spi::Error> {
        let table = client.select(&sql, Some(1), &[key.into()])?.first();
        let mut rows = Vec::with_capacity(items.len() + 3);
        for (i, item) in items.iter().enumerate() {
            let result = table.get::<bool>(2 * i + 1)?.unwrap_or(false);
            let actual = table
                .get::<crate::args::Text>(2 * i + 2)?
                .map(crate::args::Text::into_lossy);
            rows.push((item.path.clone(), item.rule.clone(), actual, result));
        }
        let base = 2 * items.len();
        let included = table.get::<bool>(base + 1)?.unwrap_or(false);
        let excluded = table.get::<bool>(base + 2)?.unwrap_or(false);
        let member = table.get::<bool>(base + 3)?.unwrap_or(false);
        let since = table.get::<String>(base + 4)?;
        rows.push((
            "(included)".into(),
            "included by hand".into(),
            None,
            included,
        ));
        rows.push((
            "(excluded)".into(),
            "excluded by hand".into(),
            None,
            excluded,
        ));
        rows.push((
            "(member)".into(),
            format!("member of \"{name}\""),
            since,
            member,
        ));
        Ok(rows)
    })
    .unwrap_or_else(|e| crate::errors::raise(&crate::errors::DbError::from(e)));
    TableIterator::new(rows)
}
