//! JSON text to `serde_json::Value`, stricter than `serde_json::from_str`: a key repeated in
//! one object is refused, because serde_json would silently keep the last one and the user
//! would get a ruleset different from the one they read.

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use super::error::{JsonError, Location};

pub(crate) fn parse(input: &str) -> Result<Value, JsonError> {
    serde_json::from_str::<Strict>(input)
        .map(|s| s.0)
        .map_err(map_error)
}

fn map_error(e: serde_json::Error) -> JsonError {
    let (line, column) = (e.line(), e.column());
    let text = e.to_string();
    // serde_json appends the position to every message; it is reported in fields of our own.
    let suffix = format!(" at line {line} column {column}");
    let message = text.strip_suffix(&suffix).unwrap_or(&text).to_string();
    match e.classify() {
        // The only data errors a `Strict` parse raises are our own duplicate keys, whose
        // message is the key as a JSON string.
        serde_json::error::Category::Data => {
            let key = serde_json::from_str::<String>(&message).unwrap_or(message);
            JsonError::DuplicateKey { key, line, column }
        }
        // serde_json stops at 128 nested arrays/objects; no valid ruleset comes near that
        // (32 levels at most 2 JSON levels each), so this is a ruleset nested too deeply.
        _ if message == "recursion limit exceeded" => JsonError::TooDeep {
            location: Location::Text { line, column },
        },
        _ => JsonError::Syntax {
            message,
            line,
            column,
        },
    }
}

struct Strict(Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(Value::Number(n.into()))
    }

    fn visit_f64<E: serde::de::Error>(self, n: f64) -> Result<Value, E> {
        // serde_json refuses out-of-range literals itself, so this only guards the invariant.
        Number::from_f64(n)
            .map(Value::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_string()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                let quoted = Value::String(key).to_string();
                return Err(A::Error::custom(quoted));
            }
            let Strict(value) = access.next_value()?;
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_plain_json() {
        let v = parse(r#"{"a": [1, -2, 2.5, "x", true, null]}"#);
        assert_eq!(
            v,
            Ok(serde_json::json!({"a": [1, -2, 2.5, "x", true, null]}))
        );
    }

    #[test]
    fn refuses_duplicate_keys_with_position() {
        let e = parse("{\"a\": 1,\n \"a\\\"b\": 2, \"a\\\"b\": 3}");
        assert!(
            matches!(&e, Err(JsonError::DuplicateKey { key, line: 2, .. }) if key == "a\"b"),
            "{e:?}"
        );
    }

    #[test]
    fn keeps_serde_position_out_of_the_message() {
        let e = parse("{\"a\": nul}");
        assert_eq!(
            e,
            Err(JsonError::Syntax {
                message: "expected ident".into(),
                line: 1,
                column: 10
            })
        );
    }

    #[test]
    fn recursion_limit_is_too_deep() {
        let e = parse(&"[".repeat(200));
        assert!(
            matches!(
                e,
                Err(JsonError::TooDeep {
                    location: Location::Text { line: 1, .. }
                })
            ),
            "{e:?}"
        );
    }
}
