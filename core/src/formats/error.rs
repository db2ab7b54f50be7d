//! Errors of the format converters: where (a JSON path in the input, the empty path being its
//! top level) and what.

use crate::json::JsonError;
use crate::limits::MAX_DEPTH;
use crate::report::Report;

use super::MAX_INPUT_BYTES;

fn at(path: &str) -> String {
    crate::json::error::at(path)
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FormatError {
    #[error("invalid {format} JSON: {message}")]
    Syntax {
        format: &'static str,
        message: String,
    },
    #[error("{format} input of {size} bytes is larger than the limit of {MAX_INPUT_BYTES} bytes")]
    TooLarge { format: &'static str, size: usize },
    #[error("{format} input nests deeper than {MAX_DEPTH} levels {}", at(path))]
    TooDeep { format: &'static str, path: String },
    /// The input is not shaped as the format says.
    #[error("{subject} {}: expected {expected}, found {found}", at(path))]
    Invalid {
        subject: String,
        path: String,
        expected: &'static str,
        found: String,
    },
    /// A construct the target cannot express.
    #[error("{what} {} has no equivalent in {target}", at(path))]
    Unsupported {
        what: String,
        path: String,
        target: &'static str,
        hint: &'static str,
    },
    /// A value as the ruleset JSON reads it (numbers, nesting).
    #[error(transparent)]
    Value(#[from] JsonError),
}

impl FormatError {
    /// The JSON path the error points at, "" for the top level or when there is none.
    pub fn path(&self) -> &str {
        match self {
            FormatError::TooDeep { path, .. }
            | FormatError::Invalid { path, .. }
            | FormatError::Unsupported { path, .. } => path,
            FormatError::Syntax { .. } | FormatError::TooLarge { .. } | FormatError::Value(_) => "",
        }
    }
}

impl Report for FormatError {
    fn sqlstate(&self) -> &'static str {
        match self {
            FormatError::Syntax { .. } => "22P02",
            FormatError::TooLarge { .. } => "54000",
            FormatError::TooDeep { .. } => "54001",
            FormatError::Invalid { .. } => "22023",
            FormatError::Unsupported { .. } => "0A000",
            FormatError::Value(e) => e.sqlstate(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            FormatError::Unsupported { hint, .. } => Some(hint.to_string()),
            FormatError::TooDeep { .. } => Some(
                "Flatten nested groups, or move a part into its own group and use member of."
                    .into(),
            ),
            FormatError::Value(e) => e.hint(),
            _ => None,
        }
    }
}
