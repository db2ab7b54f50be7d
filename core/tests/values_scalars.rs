//! Numbers and booleans read from stored custom-field text, plus totality properties of every
//! reader (no input panics them).

use proptest::prelude::*;
use smart_groups_core::ast::Number;
use smart_groups_core::values::{
    compare_numbers, parse_interval, parse_rule_moment, read_boolean, read_date, read_number,
    read_timestamp,
};

#[test]
fn numbers_in_the_grammar() {
    let cases = [
        ("0", "0"),
        ("  12 ", "12"),
        ("+5", "5"),
        ("-5", "-5"),
        (".5", "0.5"),
        ("-.25", "-0.25"),
        ("1.50", "1.50"),
        ("1e3", "1e3"),
        ("1E+3", "1e3"),
        ("2.5e-3", "2.5e-3"),
        ("0001", "1"),
        ("-0", "-0"),
        ("1e1000", "1e1000"),
        ("1e-1000", "1e-1000"),
        ("\t\n42\r\n", "42"),
    ];
    for (input, want) in cases {
        assert_eq!(read_number(input).as_deref(), Some(want), "{input:?}");
    }
}

#[test]
fn numbers_outside_the_grammar_or_limits() {
    let long = "9".repeat(1001);
    let long_frac = format!("0.{}", "1".repeat(1000));
    for bad in [
        "",
        " ",
        "5.",
        ".",
        "+",
        "-",
        "e5",
        "1e",
        "1e+",
        "1.2.3",
        "1,5",
        "1 000",
        "--1",
        "+-1",
        "0x10",
        "NaN",
        "Infinity",
        "-inf",
        "1e1001",
        "1e-1001",
        "1e99999999999999999999",
        "12abc",
        "½",
        "١٢",
        "\u{a0}12",
        long.as_str(),
        long_frac.as_str(),
    ] {
        assert_eq!(read_number(bad), None, "{bad:?}");
    }
    assert!(read_number(&"9".repeat(1000)).is_some());
}

#[test]
fn booleans() {
    assert_eq!(read_boolean("TRUE"), Some(true));
    assert_eq!(read_boolean(" false "), Some(false));
    assert_eq!(read_boolean("yes"), None);
    assert_eq!(read_boolean(""), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Whatever is read normalizes to a JSON number that reads back to itself.
    #[test]
    fn normal_form_is_a_json_number_and_a_fixed_point(
        s in r"[ \t]{0,2}[+-]?[0-9]{0,6}(\.[0-9]{0,4})?([eE][+-]?[0-9]{0,5})?[ ]{0,2}"
    ) {
        if let Some(n) = read_number(&s) {
            prop_assert!(Number::parse(&n).is_some(), "{n:?} from {s:?}");
            let again = read_number(&n);
            prop_assert_eq!(again.as_deref(), Some(n.as_str()));
            prop_assert_eq!(compare_numbers(&n, s.trim()), Some(std::cmp::Ordering::Equal));
        }
    }

    /// Exact comparison agrees with f64 wherever f64 is exact enough to tell.
    #[test]
    fn comparison_agrees_with_f64(a in -1.0e6f64..1.0e6, b in -1.0e6f64..1.0e6) {
        let (sa, sb) = (format!("{a:e}"), format!("{b:e}"));
        prop_assert_eq!(compare_numbers(&sa, &sb), a.partial_cmp(&b));
    }

    #[test]
    fn readers_never_panic(s in "\\PC{0,40}") {
        let _ = read_number(&s);
        let _ = read_date(&s);
        let _ = read_timestamp(&s);
        let _ = read_boolean(&s);
        let _ = parse_rule_moment(&s);
        let _ = parse_interval(&s);
    }

    #[test]
    fn timestamp_like_text_never_panics(
        s in r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{0,12})?)?(Z|[+-][0-9]{2}:[0-9]{2})?"
    ) {
        if let Some(t) = read_timestamp(&s) {
            use chrono::Datelike;
            prop_assert!((1..=9999).contains(&t.year()));
        }
        let _ = parse_rule_moment(&s);
    }
}
