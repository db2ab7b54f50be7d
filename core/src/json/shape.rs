//! Deciding which shape an object has, and refusing keys that do not belong to it. Unknown
//! keys are reported before missing ones, so that a misspelt key is named as the problem
//! rather than the key it was meant to be.

use serde_json::{Map, Value};

use super::error::{JsonError, Shape};
use crate::report::did_you_mean;

/// The JSON type of a value, as error messages name it.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Every key any ruleset object may have.
const RULESET_KEYS: [&str; 11] = [
    "all",
    "any",
    "not",
    "field",
    "op",
    "value",
    "value_field",
    "member_of",
    "has",
    "where",
    "count",
];

/// The ruleset shape `obj` is meant to be: the one that owns most of its keys (ties go to the
/// earlier shape in the grammar). Unknown keys and keys of another shape are errors.
pub(crate) fn classify(obj: &Map<String, Value>, path: &str) -> Result<Shape, JsonError> {
    let owned = |shape: Shape| {
        shape
            .keys()
            .iter()
            .filter(|k| obj.contains_key(**k))
            .count()
    };
    let mut best = None;
    for shape in Shape::RULESETS {
        let score = owned(shape);
        if score > 0 && best.is_none_or(|(_, s)| score > s) {
            best = Some((shape, score));
        }
    }
    let Some((shape, _)) = best else {
        let Some(key) = sorted_keys(obj).into_iter().next() else {
            return Err(JsonError::EmptyObject {
                path: path.to_string(),
            });
        };
        let suggestion = did_you_mean(key, RULESET_KEYS);
        return Err(JsonError::UnknownKey {
            key: key.to_string(),
            path: path.to_string(),
            shape: None,
            suggestion,
        });
    };
    check_keys(obj, path, shape)?;
    let mixed = sorted_keys(obj)
        .into_iter()
        .find(|k| !shape.keys().contains(k));
    if let Some(key) = mixed {
        return Err(JsonError::MixedShape {
            key: key.to_string(),
            path: path.to_string(),
            shape,
        });
    }
    Ok(shape)
}

/// Refuses keys that no ruleset object (or, for `Shape::Count`, no count object) may have.
pub(crate) fn check_keys(
    obj: &Map<String, Value>,
    path: &str,
    shape: Shape,
) -> Result<(), JsonError> {
    let known: &[&str] = if shape == Shape::Count {
        shape.keys()
    } else {
        &RULESET_KEYS
    };
    match sorted_keys(obj).into_iter().find(|k| !known.contains(k)) {
        Some(key) => Err(JsonError::UnknownKey {
            key: key.to_string(),
            path: path.to_string(),
            shape: Some(shape),
            suggestion: did_you_mean(key, shape.keys().iter().copied()),
        }),
        None => Ok(()),
    }
}

/// Keys in a fixed order whatever map serde_json was built with (`preserve_order` or not),
/// so that the same input always reports the same problem.
fn sorted_keys(obj: &Map<String, Value>) -> Vec<&str> {
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    keys
}

/// The value under a key the shape requires.
pub(crate) fn required<'a>(
    obj: &'a Map<String, Value>,
    key: &'static str,
    path: &str,
    shape: Shape,
) -> Result<&'a Value, JsonError> {
    obj.get(key).ok_or_else(|| JsonError::MissingKey {
        key,
        path: path.to_string(),
        shape,
    })
}

/// The string under a key the shape requires.
pub(crate) fn required_str<'a>(
    obj: &'a Map<String, Value>,
    key: &'static str,
    path: &str,
    shape: Shape,
) -> Result<&'a str, JsonError> {
    match required(obj, key, path, shape)? {
        Value::String(s) => Ok(s),
        other => Err(JsonError::WrongType {
            subject: format!("\"{key}\""),
            path: super::path::key(path, key),
            expected: "a string",
            found: kind(other),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn classify_json(v: Value) -> Result<Shape, JsonError> {
        match v {
            Value::Object(obj) => classify(&obj, "p"),
            _ => unreachable!("tests pass objects"),
        }
    }

    #[test]
    fn picks_the_shape_owning_most_keys() {
        assert_eq!(
            classify_json(json!({"op": "eq", "value": 1})),
            Ok(Shape::Condition)
        );
        assert_eq!(classify_json(json!({"where": {}})), Ok(Shape::Has));
        let e = classify_json(json!({"all": [], "field": "a", "op": "eq"}));
        assert!(
            matches!(e, Err(JsonError::MixedShape { ref key, shape: Shape::Condition, .. }) if key == "all")
        );
    }

    #[test]
    fn ties_go_to_the_earlier_shape() {
        let e = classify_json(json!({"any": [], "all": []}));
        assert!(
            matches!(e, Err(JsonError::MixedShape { ref key, shape: Shape::All, .. }) if key == "any")
        );
    }

    #[test]
    fn unknown_keys_come_first() {
        let e = classify_json(json!({"feild": "a", "op": "eq", "value": 1, "all": []}));
        assert!(
            matches!(e, Err(JsonError::UnknownKey { ref key, suggestion: Some("field"), .. }) if key == "feild")
        );
        let e = classify_json(json!({"zzz": 1}));
        assert!(matches!(
            e,
            Err(JsonError::UnknownKey {
                shape: None,
                suggestion: None,
                ..
            })
        ));
        assert!(matches!(
            classify_json(json!({})),
            Err(JsonError::EmptyObject { .. })
        ));
    }
}
