//! Property tests: random ASTs survive write → read; random JSON values and strings never
//! make the reader panic, and every error points at a place that exists in the input.

use proptest::prelude::*;
use serde_json::{Map, Value as Json};
use smart_groups_core::ast::{CmpOp, Condition, Count, Has, Node, Number, Op, Value};
use smart_groups_core::json::{read_str, read_value, write, JsonError};
use smart_groups_core::report::Report;

// ---------- random ASTs ----------

/// Floats serde_json's default parser (used on JSON text) reads exactly once printed: at most
/// 15 digits in all (ryu adds a ".0" to whole numbers) times a power of ten within ±22. Others may come back one unit in the last
/// place off unless serde_json's `float_roundtrip` feature is on, so they are checked through
/// `read_value`, and through text only when that feature is on.
fn short_float() -> impl Strategy<Value = f64> {
    (-999_999_999_999i64..999_999_999_999, -22i32..=2)
        .prop_map(|(m, e)| format!("{m}e{e}").parse::<f64>().unwrap_or(0.0))
}

/// Whether serde_json parses floats exactly (the `float_roundtrip` feature).
fn serde_floats_exact() -> bool {
    "3.4553611e-16"
        .parse::<serde_json::Number>()
        .ok()
        .and_then(|n| n.as_f64())
        == Some(3.4553611e-16)
}

/// Numbers as serde_json prints them, so that the first round trip is already exact.
fn canonical_number(float: impl Strategy<Value = f64>) -> impl Strategy<Value = Number> {
    prop_oneof![
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        float
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(|n| n.to_string()),
    ]
    .prop_filter_map("JSON number", |t| Number::parse(&t))
}

fn scalar(exact_text: bool) -> impl Strategy<Value = Value> {
    let float = if exact_text {
        short_float().boxed()
    } else {
        any::<f64>().boxed()
    };
    prop_oneof![
        ".{0,12}".prop_map(Value::String),
        canonical_number(float).prop_map(Value::Number),
        any::<bool>().prop_map(Value::Bool),
    ]
}

fn condition(exact_text: bool) -> impl Strategy<Value = Node> {
    let value = prop_oneof![
        scalar(exact_text),
        prop::collection::vec(scalar(exact_text), 0..4).prop_map(Value::List)
    ];
    (".{0,10}", prop::sample::select(Op::ALL), value).prop_map(|(field, op, value)| {
        let value = op.takes_value().then_some(value);
        Node::Cond(Condition { field, op, value })
    })
}

fn count() -> impl Strategy<Value = Option<Count>> {
    prop::option::of(
        (prop::sample::select(CmpOp::ALL.to_vec()), any::<u64>())
            .prop_map(|(op, value)| Count { op, value }),
    )
}

fn leaf(exact_text: bool) -> impl Strategy<Value = Node> {
    prop_oneof![
        4 => condition(exact_text),
        1 => ".{0,10}".prop_map(Node::MemberOf),
        1 => (".{0,10}", count()).prop_map(|(relation, count)| Node::Has(Has { relation, filter: None, count })),
    ]
}

/// Random rulesets; with `exact_text`, only with numbers that JSON text carries exactly.
fn ruleset(exact_text: bool) -> impl Strategy<Value = Node> {
    leaf(exact_text).prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Node::All),
            prop::collection::vec(inner.clone(), 0..5).prop_map(Node::Any),
            inner.clone().prop_map(|n| Node::Not(Box::new(n))),
            (".{0,10}", inner, count()).prop_map(|(relation, w, count)| {
                Node::Has(Has {
                    relation,
                    filter: Some(Box::new(w)),
                    count,
                })
            }),
        ]
    })
}

/// Any text `ast::Number` accepts, including forms serde_json rewrites (1.50, 1E5, -0, 1e999).
fn any_number_text() -> impl Strategy<Value = Number> {
    "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?"
        .prop_filter_map("JSON number", |t| Number::parse(&t))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn asts_round_trip_through_values(node in ruleset(false)) {
        let json = write(&node);
        prop_assert_eq!(read_value(&json), Ok(node.clone()));
        prop_assert_eq!(write(&node), json);
    }

    #[test]
    fn asts_round_trip_through_text(node in ruleset(true)) {
        let json = write(&node);
        prop_assert_eq!(read_str(&json.to_string()), Ok(node.clone()));
        prop_assert_eq!(read_str(&serde_json::to_string_pretty(&json).unwrap_or_default()), Ok(node));
    }

    #[test]
    fn any_float_round_trips_through_text_with_float_roundtrip(node in ruleset(false)) {
        if serde_floats_exact() {
            prop_assert_eq!(read_str(&write(&node).to_string()), Ok(node));
        }
    }

    #[test]
    fn non_canonical_numbers_are_stable_after_one_round(n in any_number_text()) {
        let node = Node::Cond(Condition { field: "f".into(), op: Op::Eq, value: Some(Value::Number(n)) });
        let first = write(&node);
        let back = read_value(&first);
        prop_assert!(back.is_ok(), "{:?}", back);
        let back = back.unwrap_or(node);
        prop_assert_eq!(write(&back), first.clone());
        prop_assert_eq!(read_value(&write(&back)), Ok(back));
    }
}

// ---------- random input ----------

const KEYS: [&str; 14] = [
    "all",
    "any",
    "not",
    "field",
    "op",
    "value",
    "member_of",
    "has",
    "where",
    "count",
    "feild",
    "",
    "x.y",
    "ALL",
];

fn json_scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        short_float().prop_map(Json::from),
        prop::sample::select(Op::ALL).prop_map(|op| Json::from(op.name())),
        prop::sample::select(vec!["gte", "eq", "lt", "containz", "g", "is_empty", ""])
            .prop_map(Json::from),
        ".{0,8}".prop_map(Json::String),
    ]
}

fn json_tree() -> impl Strategy<Value = Json> {
    json_scalar().prop_recursive(8, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Json::Array),
            prop::collection::vec((prop::sample::select(KEYS.to_vec()), inner), 0..5).prop_map(
                |entries| Json::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect()
                )
            ),
        ]
    })
}

/// The value at an error's path (`all[2].where.op`), if it exists.
fn resolve<'a>(root: &'a Json, path: &str) -> Option<&'a Json> {
    let mut at = root;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, indexes) = part
            .split_once('[')
            .map_or((part, ""), |(k, rest)| (k, rest));
        at = at.as_object()?.get(key)?;
        for index in indexes.split('[').filter(|i| !i.is_empty()) {
            at = at
                .as_array()?
                .get(index.trim_end_matches(']').parse::<usize>().ok()?)?;
        }
    }
    Some(at)
}

fn check_error(e: &JsonError, input: &Json) -> Result<(), TestCaseError> {
    prop_assert!(
        ["22P02", "42601", "42804", "42883", "22023", "54000", "54001"].contains(&e.sqlstate()),
        "{}",
        e.sqlstate()
    );
    prop_assert!(!e.to_string().is_empty());
    if let Some(path) = e.path() {
        prop_assert!(
            resolve(input, path).is_some(),
            "path {:?} of {} not in {}",
            path,
            e,
            input
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, ..ProptestConfig::default() })]

    #[test]
    fn random_values_never_panic(value in json_tree()) {
        let from_value = read_value(&value);
        // The text of a value reads exactly like the value.
        prop_assert_eq!(read_str(&value.to_string()), from_value.clone());
        match from_value {
            Ok(node) => prop_assert_eq!(read_value(&write(&node)), Ok(node)),
            Err(e) => check_error(&e, &value)?,
        }
    }

    #[test]
    fn random_rule_shaped_values_never_panic(
        entries in prop::collection::vec((prop::sample::select(KEYS.to_vec()), json_tree()), 1..4),
        wrap in prop::sample::select(vec!["", "all", "any", "not", "where"]),
    ) {
        let obj = Json::Object(entries.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<_, _>>());
        let value = match wrap {
            "" => obj,
            "not" => serde_json::json!({ "not": obj }),
            "where" => serde_json::json!({ "has": "r", "where": obj }),
            key => serde_json::json!({ key: [{"member_of": "g"}, obj] }),
        };
        match read_value(&value) {
            Ok(node) => prop_assert_eq!(read_value(&write(&node)), Ok(node)),
            Err(e) => check_error(&e, &value)?,
        }
    }

    #[test]
    fn random_strings_never_panic(text in ".{0,64}") {
        if let Err(e) = read_str(&text) {
            prop_assert!(!e.to_string().is_empty() && e.hint().is_some());
        }
    }

    #[test]
    fn random_json_like_strings_never_panic(
        tokens in prop::collection::vec(
            prop::sample::select(vec![
                "{", "}", "[", "]", ",", ":", " ", "\"all\"", "\"not\"", "\"field\"", "\"op\"", "\"value\"",
                "\"eq\"", "\"is_empty\"", "\"has\"", "\"where\"", "\"count\"", "1", "-0", "1e400", "2.5",
                "null", "true", "\"\\u0000\"", "\"\\ud800\"", "\"é\"",
            ]),
            0..40,
        )
    ) {
        let text = tokens.concat();
        if let Err(e) = read_str(&text) {
            prop_assert!(!e.to_string().is_empty());
            if let Ok(value) = serde_json::from_str::<Json>(&text) {
                if e.path().is_some() {
                    check_error(&e, &value)?;
                }
            }
        }
    }
}
