//! Reading a ruleset given either as JSON or in the text form, as every SQL function that
//! takes a ruleset as `text` does.

use crate::ast::Node;
use crate::json::{self, JsonError};
use crate::report::Report;
use crate::text::{self, ParseError};

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Json(#[from] JsonError),
    #[error(transparent)]
    Text(#[from] ParseError),
}

/// JSON when the input starts with `{` (after whitespace): no text-form ruleset can, since
/// text rules start with a field name, a keyword or `(`.
pub fn read_rules(input: &str) -> Result<Node, ReadError> {
    if input.trim_start().starts_with('{') {
        Ok(json::read_str(input)?)
    } else {
        Ok(text::parse(input)?)
    }
}

impl Report for ReadError {
    fn sqlstate(&self) -> &'static str {
        match self {
            ReadError::Json(e) => e.sqlstate(),
            ReadError::Text(e) => e.sqlstate(),
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            ReadError::Json(e) => e.detail(),
            ReadError::Text(e) => e.detail(),
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ReadError::Json(e) => e.hint(),
            ReadError::Text(e) => e.hint(),
        }
    }
}
