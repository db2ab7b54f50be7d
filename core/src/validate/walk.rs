//! The walk over a ruleset: one pass that resolves, types and collects every problem, in
//! document order.

use super::error::ValidationError;
use super::fields::{resolve_column, resolve_user, Resolved};
use super::operands::{type_operand, Target};
use super::operators::{applicable_ops, comparison_ops, comparison_ops_between};
use super::{groups, Options, Problem};
use crate::ast::{CmpOp, Comparison, Condition, Count, Has, Node};
use crate::catalog::{Catalog, Relation};
use crate::checked::{Compare, Pred, Test};

pub(super) struct Ctx<'a> {
    pub catalog: &'a Catalog,
    pub opts: &'a Options,
    pub problems: Vec<Problem>,
}

impl Ctx<'_> {
    pub fn report(&mut self, path: String, error: ValidationError) {
        self.problems.push(Problem::new(path, error));
    }
}

/// Whose fields a rule names: users, or the rows of a relation inside `has ... where`.
#[derive(Clone, Copy)]
pub(super) enum Scope<'a> {
    Users,
    Rows(&'a Relation),
}

/// `path.key`, or `key` at the root.
pub(super) fn key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(super) fn index(path: &str, i: usize) -> String {
    format!("{path}[{i}]")
}

/// Whether `ast::depth(node) > limit`, looking no deeper than `limit + 1` levels, so that a
/// hostile tree cannot exhaust the stack before it is refused.
pub(super) fn deeper_than(node: &Node, limit: usize) -> bool {
    let Some(below) = limit.checked_sub(1) else {
        return true;
    };
    match node {
        Node::All(items) | Node::Any(items) => items.iter().any(|n| deeper_than(n, below)),
        Node::Not(inner) => deeper_than(inner, below),
        Node::Has(Has {
            filter: Some(w), ..
        }) => deeper_than(w, below),
        Node::Cond(_) | Node::Compare(_) | Node::MemberOf(_) | Node::Has(_) => false,
    }
}

/// Validates `node` at `path`. `None` when it (or anything under it) has an error; the walk
/// still visits everything so that all problems are reported at once.
pub(super) fn walk(ctx: &mut Ctx, node: &Node, path: &str, scope: Scope) -> Option<Pred> {
    match node {
        Node::All(items) => items_of(ctx, items, &key(path, "all"), scope).map(Pred::All),
        Node::Any(items) => items_of(ctx, items, &key(path, "any"), scope).map(Pred::Any),
        Node::Not(inner) => {
            walk(ctx, inner, &key(path, "not"), scope).map(|p| Pred::Not(Box::new(p)))
        }
        Node::Cond(cond) => condition(ctx, cond, path, scope),
        Node::Compare(cmp) => comparison(ctx, cmp, path, scope),
        Node::MemberOf(name) => match scope {
            Scope::Users => groups::member_of(ctx, name, key(path, "member_of")),
            Scope::Rows(relation) => {
                not_in_where(ctx, "member_of", relation, key(path, "member_of"))
            }
        },
        Node::Has(has) => match scope {
            Scope::Users => has_rows(ctx, has, path),
            Scope::Rows(relation) => not_in_where(ctx, "has", relation, key(path, "has")),
        },
    }
}

fn items_of(ctx: &mut Ctx, items: &[Node], path: &str, scope: Scope) -> Option<Vec<Pred>> {
    let preds: Vec<Option<Pred>> = items
        .iter()
        .enumerate()
        .map(|(i, n)| walk(ctx, n, &index(path, i), scope))
        .collect();
    preds.into_iter().collect()
}

fn not_in_where(
    ctx: &mut Ctx,
    what: &'static str,
    relation: &Relation,
    path: String,
) -> Option<Pred> {
    ctx.report(
        path,
        ValidationError::NotInWhere {
            what,
            relation: relation.name.clone(),
        },
    );
    None
}

/// A field named in `scope`: a user-level field, or a column of the relation row inside
/// `has … where`.
fn resolve<'c>(
    ctx: &Ctx<'c>,
    name: &str,
    scope: Scope<'c>,
) -> Result<Resolved<'c>, ValidationError> {
    match scope {
        Scope::Users => resolve_user(ctx.catalog, name),
        Scope::Rows(relation) => resolve_column(relation, name).map_err(|e| match e {
            ValidationError::UnknownColumn {
                relation,
                name,
                suggestion,
                known,
                ..
            } => ValidationError::UnknownColumn {
                users_field: resolve_user(ctx.catalog, &name).is_ok(),
                relation,
                name,
                suggestion,
                known,
            },
            other => other,
        }),
    }
}

fn condition(ctx: &mut Ctx, cond: &Condition, path: &str, scope: Scope) -> Option<Pred> {
    let Resolved {
        path: field,
        ty,
        allowed,
    } = match resolve(ctx, &cond.field, scope) {
        Ok(r) => r,
        Err(e) => {
            ctx.report(key(path, "field"), e);
            return None;
        }
    };
    if !applicable_ops(ty).contains(&cond.op) {
        let error = ValidationError::OperatorNotApplicable {
            field: cond.field.clone(),
            ty,
            op: cond.op,
        };
        ctx.report(key(path, "op"), error);
        return None;
    }
    let target = Target {
        name: &cond.field,
        ty,
        allowed,
    };
    let operand = type_operand(
        ctx,
        &target,
        cond.op,
        cond.value.as_ref(),
        &key(path, "value"),
    )?;
    Some(Pred::Test(Test {
        path: path.to_string(),
        field,
        op: cond.op,
        operand,
    }))
}

/// Both fields are resolved (and reported) before the operator is judged, which needs
/// both types.
fn comparison(ctx: &mut Ctx, cmp: &Comparison, path: &str, scope: Scope) -> Option<Pred> {
    let left = resolve(ctx, &cmp.field, scope)
        .map_err(|e| ctx.report(key(path, "field"), e))
        .ok();
    let right = resolve(ctx, &cmp.value_field, scope)
        .map_err(|e| ctx.report(key(path, "value_field"), e))
        .ok();
    let (left, right) = (left?, right?);
    let ops = comparison_ops_between(left.ty, right.ty);
    if ops.is_empty() && !comparison_ops(left.ty).is_empty() && !comparison_ops(right.ty).is_empty()
    {
        let error = ValidationError::FieldsNotComparable {
            field: cmp.field.clone(),
            ty: left.ty,
            other: cmp.value_field.clone(),
            other_ty: right.ty,
        };
        ctx.report(key(path, "value_field"), error);
        return None;
    }
    if !ops.contains(&cmp.op) {
        // A list field on either side compares with nothing: that side is named.
        let (field, ty, other_ty) = if comparison_ops(left.ty).is_empty() || right.ty == left.ty {
            (&cmp.field, left.ty, right.ty)
        } else if comparison_ops(right.ty).is_empty() {
            (&cmp.value_field, right.ty, left.ty)
        } else {
            (&cmp.field, left.ty, right.ty)
        };
        let error = ValidationError::ComparisonNotApplicable {
            field: field.clone(),
            ty,
            other_ty,
            op: cmp.op,
        };
        ctx.report(key(path, "op"), error);
        return None;
    }
    Some(Pred::Compare(Compare {
        path: path.to_string(),
        left: left.path,
        op: cmp.op,
        right: right.path,
    }))
}

/// The count as written, or the spec's default "at least one".
const AT_LEAST_ONE: Count = Count {
    op: CmpOp::Gte,
    value: 1,
};

/// Reports in the order the keys are written: `has`, `where`, `count`.
fn has_rows(ctx: &mut Ctx, has: &Has, path: &str) -> Option<Pred> {
    let relation = ctx.catalog.relation(&has.relation);
    if relation.is_none() {
        let known = ctx.catalog.relations.iter().map(|r| r.name.as_str());
        let error = ValidationError::UnknownRelation {
            name: has.relation.clone(),
            suggestion: crate::report::did_you_mean(&has.relation, known.clone())
                .map(str::to_string),
            known: known.map(str::to_string).collect(),
        };
        ctx.report(key(path, "has"), error);
    }
    // Without the relation its columns are unknown, so the where cannot be checked.
    let filter = match (relation, &has.filter) {
        (Some(r), Some(w)) => Some(walk(ctx, w, &key(path, "where"), Scope::Rows(r)).map(Box::new)),
        _ => None,
    };
    let count = has.count.unwrap_or(AT_LEAST_ONE);
    // Counts become bigint literals; beyond i64 they would not even parse in Postgres.
    if i64::try_from(count.value).is_err() {
        let error = ValidationError::CountOutOfRange {
            relation: has.relation.clone(),
            value: count.value,
        };
        ctx.report(key(&key(path, "count"), "value"), error);
        return None;
    }
    let filter = match filter {
        Some(checked) => Some(checked?),
        None => None,
    };
    Some(Pred::Has {
        relation: relation?.clone(),
        filter,
        count,
    })
}
