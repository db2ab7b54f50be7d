//! List (text[]) fields: includes, includes any/all, emptiness; NULL elements never match.

mod eval_support;

use eval_support::*;
use smart_groups_core::eval::{Dataset, Datum};

/// tags, by user key: 1 {a,b}, 2 {A}, 3 {}, 4 NULL, 5 {NULL,b}, 6 {NULL}, 7 {"a b",%},
/// 8 {a,a}, 9 absent.
fn tagged() -> Dataset {
    let values = [
        Some(list(&[Some("a"), Some("b")])),
        Some(list(&[Some("A")])),
        Some(list(&[])),
        Some(Datum::Null),
        Some(list(&[None, Some("b")])),
        Some(list(&[None])),
        Some(list(&[Some("a b"), Some("%")])),
        Some(list(&[Some("a"), Some("a")])),
        None,
    ];
    users_with("tags", values.into_iter().collect())
}

#[test]
fn includes_and_not_includes() {
    let d = tagged();
    expect(&d, r#"tags includes "a""#, &["1", "8"]);
    expect(&d, r#"tags includes "A""#, &["2"]);
    expect(&d, r#"tags includes "%""#, &["7"]);
    expect(&d, r#"tags includes "a b""#, &["7"]);
    expect(&d, r#"tags includes """#, &[]);
    expect(
        &d,
        r#"tags does not include "a""#,
        &all_but(&d, &["1", "8"]),
    );
}

#[test]
fn includes_any_and_all() {
    let d = tagged();
    expect(&d, r#"tags includes any ("a", "b")"#, &["1", "5", "8"]);
    expect(&d, r#"tags includes all ("a", "b")"#, &["1"]);
    expect(&d, r#"tags includes all ("a", "a")"#, &["1", "8"]);
    expect(&d, r#"tags includes all ("b")"#, &["1", "5"]);
    expect(&d, r#"tags includes any ("x", "%")"#, &["7"]);
}

#[test]
fn empty_is_null_absent_or_no_elements() {
    let d = tagged();
    expect(&d, "tags is empty", &["3", "4", "9"]);
    // A list holding only NULL still has an element.
    expect(&d, "tags is not empty", &["1", "2", "5", "6", "7", "8"]);
}
