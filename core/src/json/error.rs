//! Errors of the JSON reader. Every variant carries where the problem is (a JSON path, or a
//! line and column when the text itself is malformed) so that `validate` and the SQL layer can
//! point at it.

use std::fmt;

use crate::ast::{CmpOp, Op};
use crate::limits::{MAX_DEPTH, MAX_RULESET_BYTES};
use crate::report::Report;

/// The kinds of object a ruleset is made of; used to say which keys belong together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    All,
    Any,
    Not,
    /// `{"field", "op", "value"}`.
    Condition,
    /// `{"field", "op", "value_field"}`.
    Comparison,
    MemberOf,
    Has,
    /// The `{"op", "value"}` object under `"count"`.
    Count,
}

impl Shape {
    /// Every shape a ruleset object may take, in grammar order (which also breaks ties when
    /// deciding what a malformed object was meant to be).
    pub const RULESETS: [Shape; 7] = [
        Shape::All,
        Shape::Any,
        Shape::Not,
        Shape::Condition,
        Shape::Comparison,
        Shape::MemberOf,
        Shape::Has,
    ];

    /// The key that makes an object this shape (`"op"` for a count object).
    pub fn key(self) -> &'static str {
        match self {
            Shape::All => "all",
            Shape::Any => "any",
            Shape::Not => "not",
            Shape::Condition => "field",
            Shape::Comparison => "value_field",
            Shape::MemberOf => "member_of",
            Shape::Has => "has",
            Shape::Count => "op",
        }
    }

    /// The keys an object of this shape may have, the defining key first.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Shape::All => &["all"],
            Shape::Any => &["any"],
            Shape::Not => &["not"],
            Shape::Condition => &["field", "op", "value"],
            Shape::Comparison => &["field", "op", "value_field"],
            Shape::MemberOf => &["member_of"],
            Shape::Has => &["has", "where", "count"],
            Shape::Count => &["op", "value"],
        }
    }

    pub fn example(self) -> &'static str {
        match self {
            Shape::All => r#"{"all": [ruleset, ...]}"#,
            Shape::Any => r#"{"any": [ruleset, ...]}"#,
            Shape::Not => r#"{"not": ruleset}"#,
            Shape::Condition => r#"{"field": "role", "op": "eq", "value": "manager"}"#,
            Shape::Comparison => {
                r#"{"field": "location", "op": "eq", "value_field": "manager.location"}"#
            }
            Shape::MemberOf => r#"{"member_of": "Sales"}"#,
            Shape::Has => {
                r#"{"has": "enrollments", "where": ruleset, "count": {"op": "gte", "value": 1}}"#
            }
            Shape::Count => r#"{"op": "gte", "value": 3}"#,
        }
    }
}

/// Where a problem is: a JSON path (`all[2].op`, "" for the root), or a position in the text
/// when the problem was found before there was a tree to walk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Path(String),
    Text { line: usize, column: usize },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Path(path) => f.write_str(&at(path)),
            Location::Text { line, column } => write!(f, "at line {line}, column {column}"),
        }
    }
}

/// "at all[0]", or "at the top level" for the root, whose path is empty.
pub(crate) fn at(path: &str) -> String {
    if path.is_empty() {
        "at the top level".to_string()
    } else {
        format!("at {path}")
    }
}

fn suggest(suggestion: &Option<&'static str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean \"{s}\"?)"))
        .unwrap_or_default()
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum JsonError {
    #[error("invalid ruleset JSON: {message} at line {line}, column {column}")]
    Syntax {
        message: String,
        line: usize,
        column: usize,
    },
    #[error("duplicate key \"{key}\" in ruleset JSON at line {line}, column {column}")]
    DuplicateKey {
        key: String,
        line: usize,
        column: usize,
    },
    #[error("ruleset is too large: {size} bytes, the limit is {MAX_RULESET_BYTES}")]
    TooLarge { size: usize },
    #[error("ruleset is nested too deeply {location}: the limit is {MAX_DEPTH} levels")]
    TooDeep { location: Location },
    #[error("unknown key \"{key}\" {}{}", at(path), suggest(suggestion))]
    UnknownKey {
        key: String,
        path: String,
        shape: Option<Shape>,
        suggestion: Option<&'static str>,
    },
    #[error("missing key \"{key}\" {}", at(path))]
    MissingKey {
        key: &'static str,
        path: String,
        shape: Shape,
    },
    #[error("key \"{key}\" cannot be combined with \"{}\" {}", shape.key(), at(path))]
    MixedShape {
        key: String,
        path: String,
        shape: Shape,
    },
    #[error("empty object {}: expected a ruleset", at(path))]
    EmptyObject { path: String },
    #[error("{op} takes no \"value\" {}", at(path))]
    UnexpectedValue { op: Op, path: String },
    #[error("{op} takes no \"value_field\" {}", at(path))]
    UnexpectedValueField { op: Op, path: String },
    #[error("{op} requires a \"value\" {}", at(path))]
    MissingValue { op: Op, path: String },
    #[error("expected an object {}, found {found}", at(path))]
    NotAnObject { path: String, found: &'static str },
    /// `subject` names the thing, e.g. `"value"` or `each element of "value"`.
    #[error("{subject} must be {expected} {}, found {found}", at(path))]
    WrongType {
        subject: String,
        path: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("unknown operator \"{name}\" {}{}", at(path), suggest(suggestion))]
    UnknownOperator {
        name: String,
        path: String,
        suggestion: Option<&'static str>,
    },
    #[error(
        "unknown count operator \"{name}\" {}{}",
        at(path),
        suggest(suggestion)
    )]
    UnknownCountOperator {
        name: String,
        path: String,
        suggestion: Option<&'static str>,
    },
    #[error(
        "count \"value\" must be a non-negative integer {}, found {found}",
        at(path)
    )]
    BadCount { path: String, found: String },
    #[error("number {text} cannot be read {}", at(path))]
    BadNumber { text: String, path: String },
}

impl JsonError {
    /// The JSON path of the problem, when there is one (not for malformed text or size).
    pub fn path(&self) -> Option<&str> {
        match self {
            JsonError::Syntax { .. }
            | JsonError::DuplicateKey { .. }
            | JsonError::TooLarge { .. } => None,
            JsonError::TooDeep {
                location: Location::Path(path),
            } => Some(path),
            JsonError::TooDeep {
                location: Location::Text { .. },
            } => None,
            JsonError::UnknownKey { path, .. }
            | JsonError::MissingKey { path, .. }
            | JsonError::MixedShape { path, .. }
            | JsonError::EmptyObject { path }
            | JsonError::UnexpectedValue { path, .. }
            | JsonError::UnexpectedValueField { path, .. }
            | JsonError::MissingValue { path, .. }
            | JsonError::NotAnObject { path, .. }
            | JsonError::WrongType { path, .. }
            | JsonError::UnknownOperator { path, .. }
            | JsonError::UnknownCountOperator { path, .. }
            | JsonError::BadCount { path, .. }
            | JsonError::BadNumber { path, .. } => Some(path),
        }
    }
}

fn ruleset_shapes() -> String {
    Shape::RULESETS
        .iter()
        .map(|s| s.example())
        .collect::<Vec<_>>()
        .join(", ")
}

impl Report for JsonError {
    fn sqlstate(&self) -> &'static str {
        match self {
            JsonError::Syntax { .. } | JsonError::BadNumber { .. } => "22P02",
            JsonError::DuplicateKey { .. }
            | JsonError::UnknownKey { .. }
            | JsonError::MissingKey { .. }
            | JsonError::MixedShape { .. }
            | JsonError::EmptyObject { .. }
            | JsonError::UnexpectedValue { .. }
            | JsonError::UnexpectedValueField { .. }
            | JsonError::MissingValue { .. } => "42601",
            JsonError::NotAnObject { .. } | JsonError::WrongType { .. } => "42804",
            JsonError::UnknownOperator { .. } | JsonError::UnknownCountOperator { .. } => "42883",
            JsonError::BadCount { .. } => "22023",
            JsonError::TooLarge { .. } => "54000",
            JsonError::TooDeep { .. } => "54001",
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            JsonError::Syntax { .. } => {
                "A ruleset is a JSON object, e.g. {\"field\": \"role\", \"op\": \"eq\", \"value\": \"manager\"}."
                    .to_string()
            }
            JsonError::DuplicateKey { .. } => "Each key may appear only once in an object.".to_string(),
            JsonError::TooLarge { .. } => {
                "Split the ruleset into smaller groups and combine them with member_of.".to_string()
            }
            JsonError::TooDeep { .. } => "Flatten nested groups (an \"all\" inside an \"all\" can be merged), \
                 or move a part into its own group and use member_of."
                .to_string(),
            JsonError::UnknownKey { shape: Some(shape), .. } => {
                format!("Keys allowed here: {}.", shape.keys().join(", "))
            }
            JsonError::UnknownKey { shape: None, .. } | JsonError::EmptyObject { .. } => {
                format!("A ruleset is one of: {}.", ruleset_shapes())
            }
            JsonError::MissingKey { shape, .. } => format!("Write it as {}.", shape.example()),
            JsonError::MixedShape { .. } => {
                "An object is exactly one rule or group; put several inside {\"all\": [...]} or {\"any\": [...]}."
                    .to_string()
            }
            JsonError::UnexpectedValue { op, .. } => {
                format!("Remove \"value\": {op} tests the field alone.")
            }
            JsonError::UnexpectedValueField { op, .. } => {
                format!("Remove \"value_field\": {op} tests the field alone.")
            }
            JsonError::MissingValue { op, .. } => {
                format!("Write it as {{\"field\": ..., \"op\": \"{op}\", \"value\": ...}}.")
            }
            JsonError::NotAnObject { .. } => format!("A ruleset is one of: {}.", ruleset_shapes()),
            JsonError::WrongType { found: "null", .. } => {
                "JSON null is not a value; to test for a missing value use the is_empty operator.".to_string()
            }
            JsonError::WrongType { .. } => return None,
            JsonError::UnknownOperator { .. } => {
                let names: Vec<&str> = Op::ALL.iter().map(|op| op.name()).collect();
                format!("Operators are: {}.", names.join(", "))
            }
            JsonError::UnknownCountOperator { .. } => {
                let names: Vec<&str> = CmpOp::ALL.iter().map(|op| op.name()).collect();
                format!("Count operators are: {}.", names.join(", "))
            }
            JsonError::BadCount { .. } => "count \"value\" is a number of rows, e.g. 3.".to_string(),
            JsonError::BadNumber { .. } => "Write numbers as plain JSON numbers, e.g. 42 or 3.5.".to_string(),
        })
    }

    fn detail(&self) -> Option<String> {
        match self {
            JsonError::TooLarge { .. } => {
                Some(format!("Rulesets may have at most {MAX_RULESET_BYTES} bytes of JSON."))
            }
            JsonError::TooDeep { .. } => Some(format!(
                "Each \"all\", \"any\", \"not\" and \"has\" with \"where\" adds a level; at most {MAX_DEPTH} are allowed."
            )),
            _ => None,
        }
    }
}
