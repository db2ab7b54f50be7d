//! Compiler from a validated ruleset (`checked::Pred`) to one SQL boolean expression over a
//! row of the users table aliased `u`.
//!
//! Two-valued logic is the organising principle: every operator is either a *base* operator,
//! false when the user's value v is NULL, or the negation of one (`ast::Op::negation_of`),
//! emitted as `NOT (base)`. A base operator is emitted as `(v IS NOT NULL AND comparison)`
//! with a comparison that is never NULL for a non-NULL v, or as an `EXISTS`, so the whole
//! expression is never NULL and `NOT` is an exact complement.
//!
//! Input is trusted to be validated. A combination validation should have refused (an operand
//! of the wrong kind, a custom field without a custom-field table) compiles to a base
//! operator that is `false`, never to broken or unsafe SQL.

mod compare;
mod deps;
mod expr;
mod flip;
mod has;
mod list_ops;
mod number_ops;
mod ops;
mod paths;
mod quote;
mod row_tree;
mod text_ops;
mod time_keys;
mod time_lit;
mod time_ops;

pub use deps::{dependencies, Deps, LookupRead};
pub use flip::{flip_test, reads_via_reference, reference_flip_test, Flip};
pub use quote::{qualified, quote_ident, quote_literal};
pub use row_tree::{AtomTable, RowAtom, RowTree};
pub use time_keys::{crossed_since, time_boundary_key_parts, time_boundary_keys};

use crate::catalog::Catalog;
use crate::checked::{FieldPath, Pred, Test};

/// Alias of the users table in the predicate.
pub const USER_ALIAS: &str = "u";

/// The predicate over `u`, a row of `catalog.users.table`.
pub fn compile(pred: &Pred, catalog: &Catalog) -> String {
    let mut cx = Ctx::new(catalog);
    expr::pred(&mut cx, pred, &Scope::user(USER_ALIAS.to_string()))
}

/// The predicate over a users row aliased `alias` (a transition table's row, say). Aliases
/// this generates are of the form `f1`, `l1`, `m1`, `r1`, `sg1`: `alias` must not be one of those.
pub fn compile_as(pred: &Pred, catalog: &Catalog, alias: &str) -> String {
    let mut cx = Ctx::new(catalog);
    expr::pred(&mut cx, pred, &Scope::user(quote::alias(alias)))
}

/// One user-level rule over the users row aliased `alias` (for `explain`). Aliases this
/// generates are of the form `f1`, `l1`, `m1`, `r1`, `sg1`: `alias` must not be one of those.
pub fn compile_test(test: &Test, catalog: &Catalog, alias: &str) -> String {
    let mut cx = Ctx::new(catalog);
    expr::test(&mut cx, test, &Scope::user(quote::alias(alias)))
}

/// The user's actual value of `field` as text, NULL when absent (for `explain`). A custom
/// field gives its stored text even when it cannot be read as the field's type, so that
/// `explain` can show why such a value counts as empty.
pub fn actual_value(field: &FieldPath, catalog: &Catalog, alias: &str) -> String {
    let mut cx = Ctx::new(catalog);
    paths::actual(&mut cx, field, &quote::alias(alias))
}

/// The number of rows of `relation` that satisfy `filter` for the user aliased `alias`, as a
/// bigint expression (for `explain` of a `has` rule).
pub fn has_count(
    relation: &crate::catalog::Relation,
    filter: Option<&Pred>,
    catalog: &Catalog,
    alias: &str,
) -> String {
    let mut cx = Ctx::new(catalog);
    let rows = has::rows(&mut cx, relation, filter, &Scope::user(quote::alias(alias)));
    format!("(SELECT count(*) {rows})")
}

/// State threaded through one compilation: the catalog and the alias counters that keep every
/// subquery alias unique within the whole predicate (a clash would silently rebind an outer
/// reference to an inner table).
pub(crate) struct Ctx<'c> {
    catalog: &'c Catalog,
    custom: u32,
    user: u32,
    row: u32,
    member: u32,
    lookup: u32,
}

impl<'c> Ctx<'c> {
    fn new(catalog: &'c Catalog) -> Self {
        Ctx {
            catalog,
            custom: 0,
            user: 0,
            row: 0,
            member: 0,
            lookup: 0,
        }
    }

    fn next(counter: &mut u32, prefix: &str) -> String {
        *counter += 1;
        format!("{prefix}{counter}")
    }

    /// A custom-field row.
    fn custom_alias(&mut self) -> String {
        Self::next(&mut self.custom, "f")
    }

    /// A referenced user (`manager.…`).
    fn user_alias(&mut self) -> String {
        Self::next(&mut self.user, "m")
    }

    /// A relation row (`has …`).
    fn row_alias(&mut self) -> String {
        Self::next(&mut self.row, "r")
    }

    /// A lookup row (`department.…`).
    fn lookup_alias(&mut self) -> String {
        Self::next(&mut self.lookup, "l")
    }

    /// A `smart_groups.members` row.
    fn member_alias(&mut self) -> String {
        Self::next(&mut self.member, "sg")
    }
}

/// Which rows are in scope, by SQL alias (already quoted where needed).
#[derive(Debug, Clone)]
pub(crate) struct Scope {
    /// The user the rule is about.
    user: String,
    /// Inside `has … where`: the relation row whose columns the rule names.
    row: Option<String>,
}

impl Scope {
    fn user(alias: String) -> Self {
        Scope {
            user: alias,
            row: None,
        }
    }

    /// Where a `FieldPath::Column` is read: the relation row inside `has`, else the user.
    fn column_owner(&self) -> &str {
        self.row.as_deref().unwrap_or(&self.user)
    }
}
