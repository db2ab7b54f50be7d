//! Helpers shared by the JSON error tests.

use smart_groups_core::json::{read_str, read_value, JsonError};
use smart_groups_core::report::Report;

/// The error of reading `text`, which must fail, also checking that reading the same
/// document as a value fails the same way (when the text is valid JSON).
pub fn fail(text: &str) -> JsonError {
    let e = match read_str(text) {
        Ok(node) => panic!("{text} read as {node:?}"),
        Err(e) => e,
    };
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
        if !matches!(e, JsonError::DuplicateKey { .. }) {
            assert_eq!(read_value(&value).err().as_ref(), Some(&e), "{text}");
        }
    }
    e
}

/// SQLSTATE, message and path of reading `text`.
pub fn check(text: &str, sqlstate: &str, message: &str, path: Option<&str>) -> JsonError {
    let e = fail(text);
    assert_eq!(
        (e.sqlstate(), e.to_string().as_str(), e.path()),
        (sqlstate, message, path),
        "{text}"
    );
    e
}
