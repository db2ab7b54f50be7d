//! Size of a `serde_json::Value` as compact JSON text, for the size limit of `read_value`.
//! Computed with an explicit stack rather than by serializing: a hostile value may be nested
//! far deeper than the call stack allows, and serde_json's serializer recurses without limit.

use serde_json::Value;

/// Bytes of `value` serialized compactly (as `serde_json::to_string` writes it).
pub(crate) fn serialized_len(value: &Value) -> usize {
    let mut total = 0usize;
    let mut stack = vec![value];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(match v {
            Value::Null => 4,
            Value::Bool(true) => 4,
            Value::Bool(false) => 5,
            Value::Number(n) => n.to_string().len(),
            Value::String(s) => string_len(s),
            Value::Array(items) => {
                stack.extend(items);
                2 + items.len().saturating_sub(1)
            }
            Value::Object(map) => {
                stack.extend(map.values());
                // Braces, commas between entries, and per entry the key and its colon.
                let keys: usize = map.keys().map(|k| string_len(k) + 1).sum();
                2 + map.len().saturating_sub(1) + keys
            }
        });
    }
    total
}

/// A JSON string's length with quotes and serde_json's escapes.
fn string_len(s: &str) -> usize {
    2 + s
        .bytes()
        .map(|b| match b {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 2,
            0..=0x1f => 6,
            _ => 1,
        })
        .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(v: Value) {
        let text = v.to_string();
        assert_eq!(serialized_len(&v), text.len(), "{text}");
    }

    #[test]
    fn matches_serde_json() {
        check(json!(null));
        check(json!([]));
        check(json!({}));
        check(
            json!({"all": [{"field": "a\"b\\c\n\t\u{1}\u{7f}é", "op": "eq", "value": [1, -2.5, true, false, null]}]}),
        );
        check(json!({"x": {"y": {"z": []}}, "w": 1e300, "v": 18446744073709551615u64}));
    }

    #[test]
    fn deep_values_do_not_overflow_the_stack() {
        let mut v = json!(1);
        for _ in 0..200_000 {
            v = Value::Array(vec![v]);
        }
        assert_eq!(serialized_len(&v), 1 + 2 * 200_000);
        // Dropping a value this deep recurses inside serde_json; unwind it by hand.
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }
}
