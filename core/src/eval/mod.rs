//! An in-memory evaluator of checked rulesets, written from docs/reference/rules.md alone and
//! independent of the SQL compiler, so that the two can be tested against each other: for any
//! dataset, `matching` must equal what the compiled predicate selects in Postgres.
//!
//! Every rule is two-valued. A rule's value v is read for the row in scope (`read`); a NULL v
//! has no value at all, so positive operators are false on it and the operators defined as
//! negations (`neq`, `not_contains`, `not_in`, `is_empty`, `not_includes`,
//! `not_within_last`) are computed as `!positive`, true on NULL. `ops` and `time` decide
//! whether one value satisfies a positive operator.
//!
//! Should the app's tables hold several values for one field of one user (duplicate
//! custom-field rows), a positive operator holds when any of them satisfies it.

mod data;
mod ops;
mod read;
mod time;

pub use data::{CustomRow, Dataset, Datum, LookupRow, RelRow, UserRow};
pub use ops::Lower;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::ast::Op;
use crate::checked::{Compare, FieldPath, Operand, Pred, Test};
use read::{Row, Val};

/// Whether `user` matches `pred` in `data` at time `now`. Indexes `data` on every call; use
/// an `Evaluator` to evaluate many rules or users.
pub fn eval(pred: &Pred, user: &UserRow, data: &Dataset, now: DateTime<Utc>) -> bool {
    Evaluator::new(data, now).eval(pred, user)
}

/// Keys of the users of `data` that match `pred` at time `now`.
pub fn matching(pred: &Pred, data: &Dataset, now: DateTime<Utc>) -> BTreeSet<String> {
    Evaluator::new(data, now).matching(pred)
}

/// Whether `user`'s own row satisfies `test`, a rule on one of its columns, at time `now`:
/// what live maintenance decides from a changed row without asking Postgres. A rule on
/// anything else (a custom field, a reference) is not decided here and reads as false.
/// `lower` folds case for the case-insensitive operators (`Evaluator` uses Rust's
/// `to_lowercase`; live maintenance asks Postgres, whose ICU may know other characters).
pub fn row_test(test: &Test, user: &UserRow, now: DateTime<Utc>, lower: Lower<'_>) -> bool {
    let values: Vec<Val<'_>> = match &test.field {
        FieldPath::Column(column) => user
            .values
            .get(&column.name)
            .and_then(|datum| read::column_value(column.ty, datum))
            .into_iter()
            .collect(),
        _ => return false,
    };
    decide(test, &values, now, lower)
}

/// Whether the old row `user`'s value of `test`, a relative-time rule on one of its
/// columns, may have crossed one of the rule's boundaries between `from` (no later than the
/// groups' last time refresh) and `to` (now, by the clock): the stored membership may then
/// be on either side (`compile::RowAtom::crossed`). False for other rules and NULL values.
pub fn crossed_since(test: &Test, user: &UserRow, from: DateTime<Utc>, to: DateTime<Utc>) -> bool {
    let (FieldPath::Column(column), Operand::Interval { n, unit }) = (&test.field, &test.operand)
    else {
        return false;
    };
    if !matches!(test.op, Op::WithinLast | Op::NotWithinLast) {
        return false;
    }
    user.values
        .get(&column.name)
        .and_then(|datum| read::column_value(column.ty, datum))
        .is_some_and(|v| time::crossed(&v, *n, *unit, from, to))
}

/// A rule's value given every value v has (none: NULL). Negated operators are `!positive`.
fn decide(test: &Test, values: &[Val<'_>], now: DateTime<Utc>, lower: Lower<'_>) -> bool {
    two_valued(test.op, |op| {
        values
            .iter()
            .any(|v| ops::satisfies(op, &test.operand, v, now, lower))
    })
}

/// A rule's value from whether some value satisfies a positive operator (`any`): the
/// operators defined as negations are `!positive`.
fn two_valued(op: Op, any: impl Fn(Op) -> bool) -> bool {
    match op.negation_of() {
        Some(positive) => !any(positive),
        None => any(op),
    }
}

/// Case folding without Postgres: Rust's `to_lowercase`.
fn rust_lower(text: &str) -> String {
    text.to_lowercase()
}

type Nested<'d, T> = BTreeMap<&'d str, BTreeMap<&'d str, Vec<T>>>;

/// A dataset indexed for evaluation at one instant.
pub struct Evaluator<'d> {
    data: &'d Dataset,
    now: DateTime<Utc>,
    users: BTreeMap<&'d str, Vec<&'d UserRow>>,
    /// User key → field key → stored texts.
    custom: Nested<'d, Option<&'d str>>,
    /// Relation name → user key → rows.
    rows: Nested<'d, &'d RelRow>,
    /// Case folding for the case-insensitive operators; None: Rust's `to_lowercase`.
    lower: Option<Lower<'d>>,
    /// Memberships read instead of the dataset's (`with_members`).
    members: &'d BTreeMap<i64, BTreeSet<String>>,
}

impl std::fmt::Debug for Evaluator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Evaluator")
            .field("now", &self.now)
            .field("users", &self.users.len())
            .finish_non_exhaustive()
    }
}

impl<'d> Evaluator<'d> {
    pub fn new(data: &'d Dataset, now: DateTime<Utc>) -> Self {
        let mut users: BTreeMap<&str, Vec<&UserRow>> = BTreeMap::new();
        for user in &data.users {
            users.entry(user.key.as_str()).or_default().push(user);
        }
        let mut custom: Nested<Option<&str>> = BTreeMap::new();
        for row in &data.custom {
            custom
                .entry(row.user_key.as_str())
                .or_default()
                .entry(row.field_key.as_str())
                .or_default()
                .push(row.value.as_deref());
        }
        let mut rows: Nested<&RelRow> = BTreeMap::new();
        for (relation, relation_rows) in &data.relations {
            let by_user = rows.entry(relation.as_str()).or_default();
            for row in relation_rows {
                by_user.entry(row.user_key.as_str()).or_default().push(row);
            }
        }
        Evaluator {
            data,
            now,
            users,
            custom,
            rows,
            lower: None,
            members: &data.members,
        }
    }

    /// Reads memberships (`member of`) from `members` instead of the dataset: a caller that
    /// decides several sets of groups over one loaded neighbourhood adds the memberships each
    /// needs without copying the rest.
    pub fn with_members(mut self, members: &'d BTreeMap<i64, BTreeSet<String>>) -> Self {
        self.members = members;
        self
    }

    /// Folds case with `lower` (as `row_test` takes it) instead of Rust's `to_lowercase`.
    pub fn with_lower(mut self, lower: Lower<'d>) -> Self {
        self.lower = Some(lower);
        self
    }

    pub fn eval(&self, pred: &Pred, user: &'d UserRow) -> bool {
        self.holds(pred, Row::User(user))
    }

    pub fn matching(&self, pred: &Pred) -> BTreeSet<String> {
        self.data
            .users
            .iter()
            .filter(|user| self.eval(pred, user))
            .map(|user| user.key.clone())
            .collect()
    }

    fn holds(&self, pred: &Pred, row: Row<'d>) -> bool {
        match pred {
            Pred::All(items) => items.iter().all(|p| self.holds(p, row)),
            Pred::Any(items) => items.iter().any(|p| self.holds(p, row)),
            Pred::Not(inner) => !self.holds(inner, row),
            Pred::Test(test) => self.test(test, row),
            Pred::Compare(c) => self.compare(c, row),
            Pred::MemberOf { group_id, .. } => match row {
                Row::User(user) => self
                    .members
                    .get(group_id)
                    .is_some_and(|members| members.contains(&user.key)),
                // Validation keeps member_of out of `has ... where`.
                Row::Rel(_) => false,
            },
            Pred::Has {
                relation,
                filter,
                count,
            } => match row {
                Row::User(user) => {
                    let rows = self.rows_of(&relation.name, &user.key);
                    let n = rows
                        .iter()
                        .filter(|r| filter.as_ref().is_none_or(|w| self.holds(w, Row::Rel(r))))
                        .count();
                    count
                        .op
                        .holds(u64::try_from(n).unwrap_or(u64::MAX), count.value)
                }
                // Validation keeps has out of `has ... where`.
                Row::Rel(_) => false,
            },
        }
    }

    fn test(&self, test: &Test, row: Row<'d>) -> bool {
        let values = self.values(&test.field, row);
        decide(test, &values, self.now, self.lower.unwrap_or(&rust_lower))
    }

    /// Any value of one side against any of the other (duplicate custom-field rows give
    /// several); the negated operators are `!positive`, true when either side is NULL.
    fn compare(&self, c: &Compare, row: Row<'d>) -> bool {
        let (left, right) = (self.values(&c.left, row), self.values(&c.right, row));
        let lower = self.lower.unwrap_or(&rust_lower);
        two_valued(c.op, |op| {
            left.iter()
                .any(|a| right.iter().any(|b| ops::compare(op, a, b, lower)))
        })
    }

    fn custom_texts(&self, user_key: &str, field_key: &str) -> &[Option<&'d str>] {
        self.custom
            .get(user_key)
            .and_then(|fields| fields.get(field_key))
            .map_or(&[], Vec::as_slice)
    }

    fn users_with_key(&self, key: &str) -> &[&'d UserRow] {
        self.users.get(key).map_or(&[], Vec::as_slice)
    }

    fn rows_of(&self, relation: &str, user_key: &str) -> &[&'d RelRow] {
        self.rows
            .get(relation)
            .and_then(|users| users.get(user_key))
            .map_or(&[], Vec::as_slice)
    }
}
