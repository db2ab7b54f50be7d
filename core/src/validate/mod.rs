//! Validation: an `ast::Node` checked against a `Catalog` becomes a `checked::Pred`, with
//! every name resolved and every value typed. All problems are collected, each with the JSON
//! path of what it is about (conventions in COMMON.md), so a user fixes a ruleset in one go.
//!
//! Layout: `walk` visits the tree; `fields` resolves names; `operators` says which operators
//! apply to which type; `operands` types values; `groups` checks `member_of`; `warnings`
//! flags valid but suspicious values; `error` and `report` define what problems say.

mod error;
mod fields;
mod groups;
mod operands;
mod operators;
mod report;
mod walk;
mod warnings;

pub use error::{SpaceIssue, ValidationError};
pub use operators::{applicable_ops, comparison_ops, comparison_ops_between};
pub use report::{Form, InForm};

use crate::ast::{Condition, Node, Number, Op, Value};
use crate::catalog::{Catalog, FieldType};
use crate::checked::Pred;
use crate::limits::MAX_DEPTH;

#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The group whose rules these are, if any: `member_of` must not lead back to it.
    pub group: Option<String>,
    /// The tenant of the group (or preview) these rules are for: with a tenant column, the
    /// rules match only that tenant's users (`validate` adds the condition, docs/reference/tenants.md).
    pub tenant: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Severity {
    /// The ruleset cannot be used.
    Error,
    /// The ruleset is valid but probably not what was meant (SQLSTATE class 01).
    Warning,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub severity: Severity,
    /// JSON path of the offending item (`all[2].value[1]`); "" is the root.
    pub path: String,
    pub error: ValidationError,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Validation {
    /// Some exactly when no problem has `Severity::Error`.
    pub pred: Option<Pred>,
    /// In document order.
    pub problems: Vec<Problem>,
}

impl Validation {
    /// The checked ruleset, or the first error.
    // The error is returned once per ruleset, not in a hot loop; boxing it would only make
    // every caller's match clumsier.
    #[allow(clippy::result_large_err)]
    pub fn into_result(self) -> Result<Pred, Problem> {
        let Validation { pred, problems } = self;
        match (
            pred,
            problems.into_iter().find(|p| p.severity == Severity::Error),
        ) {
            (Some(pred), None) => Ok(pred),
            (_, Some(error)) => Err(error),
            // Unreachable through `validate`; kept total for hand-built values.
            (None, None) => Err(Problem::new(
                "",
                ValidationError::TooDeep { max: MAX_DEPTH },
            )),
        }
    }

    /// Appends a problem found by a later stage (e.g. a data-aware warning from the database
    /// layer), keeping the invariant that an error leaves no predicate.
    pub fn push(&mut self, problem: Problem) {
        if problem.severity == Severity::Error {
            self.pred = None;
        }
        self.problems.push(problem);
    }

    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }
}

/// Validates `node` against `catalog`. Too-deep input is refused before anything recurses
/// over it.
pub fn validate(node: &Node, catalog: &Catalog, opts: &Options) -> Validation {
    if walk::deeper_than(node, MAX_DEPTH) {
        let problem = Problem::new("", ValidationError::TooDeep { max: MAX_DEPTH });
        return Validation {
            pred: None,
            problems: vec![problem],
        };
    }
    let mut ctx = walk::Ctx {
        catalog,
        opts,
        problems: Vec::new(),
    };
    let pred = walk::walk(&mut ctx, node, "", walk::Scope::Users);
    let pred = match (&opts.tenant, &catalog.tenant_column) {
        (Some(tenant), Some(column)) => {
            let only = tenant_condition(&mut ctx, column, tenant);
            pred.zip(only).map(|(p, only)| Pred::All(vec![only, p]))
        }
        _ => pred,
    };
    let has_errors = ctx.problems.iter().any(|p| p.severity == Severity::Error);
    Validation {
        pred: pred.filter(|_| !has_errors),
        problems: ctx.problems,
    }
}

/// `tenant_column = tenant`, checked like a rule of the ruleset at path `tenant` (where
/// `explain` shows it).
fn tenant_condition(ctx: &mut walk::Ctx, column: &str, tenant: &str) -> Option<Pred> {
    let Some(cond) = tenant_rule(ctx.catalog, column, tenant) else {
        ctx.report(
            "tenant".into(),
            ValidationError::TenantNotUsable {
                tenant: tenant.to_string(),
                column: column.to_string(),
            },
        );
        return None;
    };
    walk::walk(ctx, &cond, "tenant", walk::Scope::Users)
}

/// The rule a group of `tenant` gets beside its own (docs/reference/tenants.md):
/// `tenant_column = tenant`, the tenant kept as text, or as a number for a number column.
/// None when the column is neither, or the tenant no number.
pub fn tenant_rule(catalog: &Catalog, column: &str, tenant: &str) -> Option<Node> {
    let ty = catalog.columns.iter().find(|c| c.name == column)?.ty;
    let value = match ty {
        FieldType::Text => Value::String(tenant.to_string()),
        FieldType::Number => Value::Number(Number::parse(tenant)?),
        _ => return None,
    };
    Some(Node::Cond(Condition {
        field: column.to_string(),
        op: Op::Eq,
        value: Some(value),
    }))
}

/// The type of a user-level field as rules name it (`location`, a custom field,
/// `manager.name`), or None when the catalog has no such field. The importers of other
/// formats (`formats`) choose between operators that only the field's type tells apart.
pub fn field_type(catalog: &Catalog, name: &str) -> Option<FieldType> {
    fields::resolve_user(catalog, name).ok().map(|r| r.ty)
}
