//! Rule values: a string, number or boolean, or a flat array of those. Nothing nests, so
//! reading a value never recurses however deep the JSON is.

use serde_json::Value;

use super::error::JsonError;
use super::path;
use super::shape::kind;
use crate::ast;

/// The value of a condition, found at `at` (the path of the `"value"` key).
pub(crate) fn read(value: &Value, at: &str) -> Result<ast::Value, JsonError> {
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let item_path = path::index(at, i);
                scalar(item, &item_path).ok_or_else(|| JsonError::WrongType {
                    subject: "each element of \"value\"".to_string(),
                    path: item_path,
                    expected: "a string, number or boolean",
                    found: kind(item),
                })?
            })
            .collect::<Result<_, _>>()
            .map(ast::Value::List),
        other => scalar(other, at).ok_or_else(|| JsonError::WrongType {
            subject: "\"value\"".to_string(),
            path: at.to_string(),
            expected: "a string, number, boolean or array of those",
            found: kind(other),
        })?,
    }
}

/// `None` when the value is not a scalar at all; `Some(Err)` when it is an unreadable number.
fn scalar(value: &Value, at: &str) -> Option<Result<ast::Value, JsonError>> {
    match value {
        Value::String(s) => Some(Ok(ast::Value::String(s.clone()))),
        Value::Bool(b) => Some(Ok(ast::Value::Bool(*b))),
        Value::Number(n) => Some(number(n, at).map(ast::Value::Number)),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

/// serde_json prints numbers in JSON syntax (integers exactly), which is what `ast::Number`
/// keeps; the error only guards against a serde_json that printed something else.
pub(crate) fn number(n: &serde_json::Number, at: &str) -> Result<ast::Number, JsonError> {
    let text = n.to_string();
    ast::Number::parse(&text).ok_or(JsonError::BadNumber {
        text,
        path: at.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(text: &str) -> ast::Value {
        ast::Value::Number(
            ast::Number::parse(text).unwrap_or_else(|| panic!("bad test number {text}")),
        )
    }

    #[test]
    fn reads_scalars_and_flat_lists() {
        assert_eq!(
            read(&json!("x"), "value"),
            Ok(ast::Value::String("x".into()))
        );
        assert_eq!(read(&json!(false), "value"), Ok(ast::Value::Bool(false)));
        assert_eq!(
            read(&json!(18446744073709551615u64), "value"),
            Ok(num("18446744073709551615"))
        );
        assert_eq!(read(&json!(-7), "value"), Ok(num("-7")));
        assert_eq!(read(&json!(2.5), "value"), Ok(num("2.5")));
        assert_eq!(
            read(&json!([1, "a", true]), "value"),
            Ok(ast::Value::List(vec![
                num("1"),
                ast::Value::String("a".into()),
                ast::Value::Bool(true)
            ]))
        );
        assert_eq!(read(&json!([]), "value"), Ok(ast::Value::List(vec![])));
    }

    #[test]
    fn refuses_null_objects_and_nested_lists() {
        let e = read(&json!(null), "all[0].value");
        assert!(
            matches!(e, Err(JsonError::WrongType { ref path, found: "null", .. }) if path == "all[0].value")
        );
        let e = read(&json!({"a": 1}), "value");
        assert!(matches!(
            e,
            Err(JsonError::WrongType {
                found: "an object",
                ..
            })
        ));
        let e = read(&json!([1, [2]]), "value");
        assert!(
            matches!(e, Err(JsonError::WrongType { ref path, found: "an array", .. }) if path == "value[1]")
        );
        let e = read(&json!(["a", null]), "value");
        assert!(
            matches!(e, Err(JsonError::WrongType { ref path, found: "null", .. }) if path == "value[1]")
        );
    }
}
