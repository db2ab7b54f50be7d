//! The errors and warnings of validation. Messages name the thing (quoted as written, so a
//! stray space or control character is visible); hints live in `hints.rs`.

use crate::ast::Op;
use crate::catalog::{FieldType, GroupStatus};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValidationError {
    #[error("ruleset is nested more than {max} levels deep")]
    TooDeep { max: usize },
    #[error("field {} follows more than {max} references", q(.field))]
    TooManyReferences { field: String, max: usize },
    #[error("unknown field {}{}", q(.name), suggest(.suggestion))]
    UnknownField {
        name: String,
        suggestion: Option<String>,
    },
    #[error("unknown field {}: there is no reference or lookup {}{}", q(.field), q(.reference), suggest(.suggestion))]
    UnknownReference {
        field: String,
        reference: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    #[error("unknown field {}: lookup {} has no column {}{}", q(.field), q(.lookup), q(.column), suggest(.suggestion))]
    UnknownLookupColumn {
        field: String,
        lookup: String,
        column: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    #[error("unknown relation {}{}", q(.name), suggest(.suggestion))]
    UnknownRelation {
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
    },
    #[error("unknown column {} of relation {}{}", q(.name), q(.relation), suggest(.suggestion))]
    UnknownColumn {
        relation: String,
        name: String,
        suggestion: Option<String>,
        known: Vec<String>,
        /// The name is a field of the users: the rule was probably meant to stand beside the
        /// `has`, not inside its `where` (in the text form, a `where` runs to the end of its
        /// parentheses).
        users_field: bool,
    },
    #[error("{what} is not allowed inside the where of has {}", q(.relation))]
    NotInWhere {
        what: &'static str,
        relation: String,
    },
    #[error("tenant {} is not a value of the tenant column {}", q(.tenant), q(.column))]
    TenantNotUsable { tenant: String, column: String },
    #[error("unknown group {}{}", q(.name), suggest(.suggestion))]
    UnknownGroup {
        name: String,
        suggestion: Option<String>,
    },
    #[error("group {} is {}; member_of can only name an active smart group or a static group", q(.name), status_word(.status))]
    GroupNotUsable { name: String, status: GroupStatus },
    #[error("member_of {} makes a cycle of groups: {}", q(.name), .cycle.join(" → "))]
    GroupCycle { name: String, cycle: Vec<String> },
    #[error("operator {} does not apply to {} field {}", q(.op.name()), .ty.name(), q(.field))]
    OperatorNotApplicable {
        field: String,
        ty: FieldType,
        op: Op,
    },
    #[error("{} field {} cannot be compared with {} field {}", .ty.name(), q(.field), .other_ty.name(), q(.other))]
    FieldsNotComparable {
        field: String,
        ty: FieldType,
        other: String,
        other_ty: FieldType,
    },
    #[error("operator {} cannot compare {} field {} with another field", q(.op.name()), .ty.name(), q(.field))]
    ComparisonNotApplicable {
        field: String,
        ty: FieldType,
        other_ty: FieldType,
        op: Op,
    },
    #[error("operator {} needs a value", q(.op.name()))]
    MissingValue { op: Op },
    #[error("operator {} takes no value", q(.op.name()))]
    UnexpectedValue { op: Op },
    #[error("value of {} field {} must be {expected}, found {found}", .ty.name(), q(.field))]
    WrongValueType {
        field: String,
        ty: FieldType,
        expected: &'static str,
        found: String,
    },
    #[error("{} is not one of {field}'s values: {}", q(.value), list(.allowed))]
    NotAllowed {
        field: String,
        value: String,
        allowed: Vec<String>,
        suggestion: Option<String>,
    },
    #[error("{} on field {} needs at least one value", q(.op.name()), q(.field))]
    EmptyList { field: String, op: Op },
    #[error("between on field {} needs a list of two bounds [low, high], found {found}", q(.field))]
    BetweenShape { field: String, found: String },
    #[error("between bounds of {} are reversed: {low} > {high}", q(.field))]
    BetweenReversed {
        field: String,
        low: String,
        high: String,
    },
    #[error("{} is not a valid {} for field {}", q(.value), if *.timestamp { "date or timestamp" } else { "date" }, q(.field))]
    BadDate {
        field: String,
        value: String,
        timestamp: bool,
    },
    #[error("{} is not a valid duration for field {}", q(.value), q(.field))]
    BadInterval { field: String, value: String },
    #[error("duration {} for field {} is longer than 10,000 years", q(.value), q(.field))]
    IntervalTooLong { field: String, value: String },
    #[error("number {} for field {} is out of range", clip(.value), q(.field))]
    NumberOutOfRange { field: String, value: String },
    #[error("number {} for field {} has more significant digits than a stored ruleset keeps", clip(.value), q(.field))]
    NumberTooPrecise { field: String, value: String },
    #[error("value for field {} contains a NUL character, which Postgres text cannot hold", q(.field))]
    NulCharacter { field: String },
    #[error("count {value} of has {} is out of range", q(.relation))]
    CountOutOfRange { relation: String, value: u64 },
    #[error("value {} {}; rules match exact text", q(.value), .issue.describe())]
    Whitespace { value: String, issue: SpaceIssue },
    /// Data-aware warning (appended by the database layer): no user has this value.
    #[error("no user has {} in field {}{}", q(.value), q(.field), suggest(.suggestion))]
    UnmatchedValue {
        field: String,
        value: String,
        suggestion: Option<String>,
    },
    /// Data-aware warning (appended by the database layer): stored custom-field texts that
    /// cannot be read as the field's type, and so count as empty.
    #[error("{count} stored value(s) of custom field {} cannot be read as {}; they count as empty", q(.field), .ty.name())]
    UnreadableValues {
        field: String,
        ty: FieldType,
        count: u64,
    },
}

/// Which whitespace in a text value looks like a typo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceIssue {
    Leading,
    Trailing,
    LeadingAndTrailing,
    DoubleSpace,
}

impl SpaceIssue {
    fn describe(self) -> &'static str {
        match self {
            SpaceIssue::Leading => "has leading whitespace",
            SpaceIssue::Trailing => "has trailing whitespace",
            SpaceIssue::LeadingAndTrailing => "has leading and trailing whitespace",
            SpaceIssue::DoubleSpace => "has two spaces in a row",
        }
    }
}

/// Longest user text echoed in a message; longer values are cut, since a message is read by a
/// person and the path already says where the value is.
const ECHO_CHARS: usize = 80;

/// A user-written string in double quotes, escaped as Rust's Debug does (so `"`, `\`, control
/// characters and NUL show up as escapes rather than breaking the message).
pub(crate) fn q(s: &str) -> String {
    match s.char_indices().nth(ECHO_CHARS) {
        Some((cut, _)) => format!("{:?}", format!("{}…", s.get(..cut).unwrap_or(s))),
        None => format!("{s:?}"),
    }
}

/// A number as written, cut like `q` but unquoted.
fn clip(s: &str) -> String {
    match s.char_indices().nth(ECHO_CHARS) {
        Some((cut, _)) => format!("{}…", s.get(..cut).unwrap_or(s)),
        None => s.to_string(),
    }
}

pub(crate) fn suggest(suggestion: &Option<String>) -> String {
    suggestion
        .as_deref()
        .map(|s| format!(" (did you mean {}?)", q(s)))
        .unwrap_or_default()
}

/// Longest list of names written out in full; enum types and catalogs can be large.
const LISTED: usize = 20;

/// Names separated by commas, unquoted (they come from the catalog, not the user).
pub(crate) fn list(names: &[String]) -> String {
    let mut out = names
        .iter()
        .take(LISTED)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LISTED {
        out.push_str(&format!(", … ({} more)", names.len() - LISTED));
    }
    out
}

fn status_word(status: &GroupStatus) -> &'static str {
    match status {
        GroupStatus::Active => "active",
        GroupStatus::Inactive => "inactive",
        GroupStatus::Archived => "archived",
    }
}

/// How a value of the wrong kind is described in `WrongValueType` and `BetweenShape`.
pub(crate) fn describe_value(value: &crate::ast::Value) -> String {
    use crate::ast::Value;
    match value {
        Value::String(s) => format!("the string {}", q(s)),
        Value::Number(n) => format!("the number {}", clip(n.as_str())),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::List(items) if items.is_empty() => "an empty list".to_string(),
        Value::List(items) if items.len() == 1 => "a list of 1 value".to_string(),
        Value::List(items) => format!("a list of {} values", items.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_escapes_and_cuts() {
        assert_eq!(q("Sales"), "\"Sales\"");
        assert_eq!(q("a\"b\0"), "\"a\\\"b\\0\"");
        let long = "x".repeat(200);
        assert_eq!(q(&long), format!("\"{}…\"", "x".repeat(80)));
        assert_eq!(q(&"é".repeat(81)).chars().count(), 83);
    }

    #[test]
    fn long_lists_are_cut() {
        let names: Vec<String> = (0..25).map(|i| format!("v{i}")).collect();
        assert!(list(&names).ends_with("v19, … (5 more)"));
        assert_eq!(list(&names[..2]), "v0, v1");
    }
}
