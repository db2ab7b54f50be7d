//! JSON form of a ruleset (docs/reference/rules.md), the stored and canonical one. The reader is strict
//! (unknown and missing keys, wrong types and mixed shapes are errors naming their JSON path)
//! and enforces the size and depth limits before anything can grow unboundedly.

pub(crate) mod error;
mod parse;
pub(crate) mod path;
mod read;
pub(crate) mod shape;
pub(crate) mod size;
pub(crate) mod value;
pub(crate) mod write;

pub use error::{JsonError, Location, Shape};
pub use write::write;

use crate::ast::Node;
use crate::limits::MAX_RULESET_BYTES;

/// Reads a ruleset from JSON text.
pub fn read_str(input: &str) -> Result<Node, JsonError> {
    if input.len() > MAX_RULESET_BYTES {
        return Err(JsonError::TooLarge { size: input.len() });
    }
    read::ruleset(&parse::parse(input)?, "", 1)
}

/// Reads a ruleset from an already parsed JSON value (e.g. a jsonb), whose size is that of
/// its compact serialization.
pub fn read_value(value: &serde_json::Value) -> Result<Node, JsonError> {
    let size = size::serialized_len(value);
    if size > MAX_RULESET_BYTES {
        return Err(JsonError::TooLarge { size });
    }
    read::ruleset(value, "", 1)
}
