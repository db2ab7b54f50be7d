//! JSON form of a ruleset (SPEC section 3): reader (serde into typed enums, strict) and writer.
//! (in progress)
use crate::ast::Node;

/// Errors of the JSON reader. (in progress)
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("invalid ruleset JSON: {0}")]
    Syntax(String),
}

impl crate::report::Report for JsonError {
    fn sqlstate(&self) -> &'static str {
        "22P02"
    }
}

pub fn read_str(_input: &str) -> Result<Node, JsonError> {
    Err(JsonError::Syntax("not implemented".into()))
}

pub fn read_value(_value: &serde_json::Value) -> Result<Node, JsonError> {
    Err(JsonError::Syntax("not implemented".into()))
}

pub fn write(_node: &Node) -> serde_json::Value {
    serde_json::Value::Null
}
