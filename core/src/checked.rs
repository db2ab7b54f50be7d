//! The validated ruleset: every name resolved through the catalog and every value typed.
//! `validate` produces it; `compile` (and the independent evaluator) consume it, so neither
//! has to re-check anything.

use chrono::{DateTime, NaiveDate, Utc};

use crate::ast::{Count, Number, Op};
use crate::catalog::{Column, CustomField, Lookup, Reference, Relation};

#[derive(Debug, Clone, PartialEq)]
pub enum Pred {
    All(Vec<Pred>),
    Any(Vec<Pred>),
    Not(Box<Pred>),
    Test(Test),
    Compare(Compare),
    MemberOf {
        group_id: i64,
        name: String,
    },
    Has {
        relation: Relation,
        filter: Option<Box<Pred>>,
        /// The default "at least one" is made explicit here (`gte 1`).
        count: Count,
    },
}

impl Pred {
    /// Whether some test compares text ignoring case (`Op::folds_case`), in a `has` filter
    /// too.
    pub fn folds_case(&self) -> bool {
        match self {
            Pred::All(ps) | Pred::Any(ps) => ps.iter().any(Pred::folds_case),
            Pred::Not(p) => p.folds_case(),
            Pred::Test(t) => t.op.folds_case(),
            Pred::Compare(c) => c.op.folds_case(),
            Pred::MemberOf { .. } => false,
            Pred::Has { filter, .. } => filter.as_ref().is_some_and(|f| f.folds_case()),
        }
    }
}

/// One `{"field", "op", "value"}` rule, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    /// JSON path of the rule in the ruleset (`all[1].any[0]`), for `explain`.
    pub path: String,
    pub field: FieldPath,
    /// The operator as written (negated operators such as `neq` are kept, not rewritten).
    pub op: Op,
    pub operand: Operand,
}

/// One `{"field", "op", "value_field"}` rule, resolved: both fields are read for the same row
/// and have comparable types (`validate::comparison_ops`).
#[derive(Debug, Clone, PartialEq)]
pub struct Compare {
    /// JSON path of the rule in the ruleset, for `explain`.
    pub path: String,
    pub left: FieldPath,
    /// The operator as written (`neq` is kept, not rewritten).
    pub op: Op,
    pub right: FieldPath,
}

impl Compare {
    /// Both fields, the one named first first.
    pub fn fields(&self) -> [&FieldPath; 2] {
        [&self.left, &self.right]
    }
}

/// Where a rule's value is read from, relative to the row in scope (a user, or a relation row
/// inside `has ... where`).
#[derive(Debug, Clone, PartialEq)]
pub enum FieldPath {
    Column(Column),
    Custom(CustomField),
    /// `manager.name`: follow the reference's column to another user, then read `inner` there.
    Reference {
        reference: Reference,
        inner: Box<FieldPath>,
    },
    /// `department.name`: follow the foreign key of the row in scope (the user, or the
    /// relation row inside `has … where`) to its lookup row, and read `column` there.
    Lookup {
        lookup: Lookup,
        column: Column,
    },
}

/// A date, or an exact instant (timestamps only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// A calendar date. On a timestamp field it means the whole UTC day.
    Day(NaiveDate),
    Instant(DateTime<Utc>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeUnit {
    Minutes,
    Hours,
    Days,
    Weeks,
    Months,
    Years,
}

impl TimeUnit {
    pub const ALL: [TimeUnit; 6] = [
        TimeUnit::Minutes,
        TimeUnit::Hours,
        TimeUnit::Days,
        TimeUnit::Weeks,
        TimeUnit::Months,
        TimeUnit::Years,
    ];

    /// The plural spelling, which is also Postgres' interval unit.
    pub fn plural(self) -> &'static str {
        match self {
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
            TimeUnit::Weeks => "weeks",
            TimeUnit::Months => "months",
            TimeUnit::Years => "years",
        }
    }

    /// Plural or singular, any case.
    pub fn parse(word: &str) -> Option<TimeUnit> {
        let w = word.to_ascii_lowercase();
        TimeUnit::ALL
            .into_iter()
            .find(|u| w == u.plural() || w == u.plural().trim_end_matches('s'))
    }
}

/// The typed value of a rule. Which variant goes with which field type and operator is
/// decided by `validate`.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// is_empty, is_not_empty
    None,
    Text(String),
    TextList(Vec<String>),
    Number(Number),
    NumberList(Vec<Number>),
    /// between, low ≤ high
    NumberRange(Number, Number),
    Bool(bool),
    Time(Moment),
    /// between, low ≤ high
    TimeRange(Moment, Moment),
    /// within_last / not_within_last: N ≥ 1
    Interval {
        n: u32,
        unit: TimeUnit,
    },
}
