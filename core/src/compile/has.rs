//! `has RELATION where W count C` and `member_of G`: both are subqueries about rows that name
//! the user by key.

use super::quote::{integer, qualified, quote_ident};
use super::{expr, Ctx, Scope};
use crate::ast::{CmpOp, Count};
use crate::catalog::Relation;
use crate::checked::Pred;

/// What `count(rows) <op> n` reduces to. The common counts become `EXISTS` / `NOT EXISTS`,
/// which stop at the first row instead of counting them all.
enum Shape {
    Exists,
    NotExists,
    Always,
    Never,
    Count,
}

fn shape(count: Count) -> Shape {
    match (count.op, count.value) {
        (CmpOp::Gte, 1) | (CmpOp::Gt, 0) | (CmpOp::Neq, 0) => Shape::Exists,
        (CmpOp::Eq, 0) | (CmpOp::Lt, 1) | (CmpOp::Lte, 0) => Shape::NotExists,
        (CmpOp::Gte, 0) => Shape::Always,
        (CmpOp::Lt, 0) => Shape::Never,
        _ => Shape::Count,
    }
}

/// `FROM relation rN WHERE rN.user = <user> [AND filter]`: the rows `has` counts.
pub(super) fn rows(
    cx: &mut Ctx<'_>,
    relation: &Relation,
    filter: Option<&Pred>,
    scope: &Scope,
) -> String {
    let r = cx.row_alias();
    let key = quote_ident(&cx.catalog.users.key_column);
    let mut rows = format!(
        "FROM {} {r} WHERE {r}.{} = {}.{key}",
        qualified(&relation.table),
        quote_ident(&relation.user_column),
        scope.user,
    );
    if let Some(f) = filter {
        // The filter names the relation row's columns; custom fields, references, member_of
        // and nested has inside it still concern the same user.
        let inner = Scope {
            user: scope.user.clone(),
            row: Some(r.clone()),
        };
        rows.push_str(" AND ");
        rows.push_str(&expr::pred(cx, f, &inner));
    }
    rows
}

pub(super) fn has(
    cx: &mut Ctx<'_>,
    relation: &Relation,
    filter: Option<&Pred>,
    count: Count,
    scope: &Scope,
) -> String {
    let rows = rows(cx, relation, filter, scope);
    match shape(count) {
        Shape::Exists => format!("EXISTS (SELECT 1 {rows})"),
        Shape::NotExists => format!("NOT EXISTS (SELECT 1 {rows})"),
        Shape::Always => "true".to_string(),
        Shape::Never => "false".to_string(),
        Shape::Count => format!(
            "((SELECT count(*) {rows}) {} {})",
            count.op.sql(),
            count.value
        ),
    }
}

pub(super) fn member_of(cx: &mut Ctx<'_>, group_id: i64, scope: &Scope) -> String {
    let m = cx.member_alias();
    format!(
        "EXISTS (SELECT 1 FROM smart_groups.members {m} WHERE {m}.group_id = {} AND {m}.user_key = {}.{})",
        integer(group_id),
        scope.user,
        quote_ident(&cx.catalog.users.key_column),
    )
}
