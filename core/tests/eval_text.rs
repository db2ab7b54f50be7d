//! Text and enum fields: exact comparison, literal patterns, case-insensitive variants,
//! in/not_in and emptiness, on users columns and custom fields.

mod eval_support;

use eval_support::*;
use smart_groups_core::eval::{Dataset, UserRow};

/// name, by user key: 1 "Ann", 2 "ann", 3 "", 4 NULL, 5 absent, 6 " Ann ", 7 "50% off",
/// 8 "a_b", 9 `back\slash`, 10 `say "hi"`, 11 "Émile", 12 "ÉMILE", 13 "5x off", 14 "axb",
/// 15 "backslash", 16 " \t".
fn names() -> Dataset {
    use smart_groups_core::eval::Datum::Null;
    let values = [
        Some(text("Ann")),
        Some(text("ann")),
        Some(text("")),
        Some(Null),
        None,
        Some(text(" Ann ")),
        Some(text("50% off")),
        Some(text("a_b")),
        Some(text("back\\slash")),
        Some(text("say \"hi\"")),
        Some(text("Émile")),
        Some(text("ÉMILE")),
        Some(text("5x off")),
        Some(text("axb")),
        Some(text("backslash")),
        Some(text(" \t")),
    ];
    users_with("name", values.into_iter().collect())
}

#[test]
fn eq_is_exact_and_neq_includes_null() {
    let d = names();
    expect(&d, r#"name = "Ann""#, &["1"]);
    expect(&d, r#"name = "ann""#, &["2"]);
    expect(&d, r#"name = " Ann ""#, &["6"]);
    expect(&d, r#"name = """#, &["3"]);
    expect(&d, r#"name = "Émile""#, &["11"]);
    expect(&d, r#"name != "Ann""#, &all_but(&d, &["1"]));
    expect(&d, r#"name != """#, &all_but(&d, &["3"]));
}

#[test]
fn patterns_are_literal() {
    let d = names();
    expect(&d, r#"name contains "%""#, &["7"]);
    expect(&d, r#"name contains "50%""#, &["7"]);
    expect(&d, r#"name contains "_""#, &["8"]);
    expect(&d, r#"name contains "a_b""#, &["8"]);
    expect(&d, r#"name contains "\\""#, &["9"]);
    expect(&d, r#"name starts with "back\\""#, &["9"]);
    expect(&d, r#"name contains "\"hi\"""#, &["10"]);
    expect(&d, r#"name starts with "5""#, &["7", "13"]);
    expect(&d, r#"name starts with "%""#, &[]);
    expect(&d, r#"name ends with "_b""#, &["8"]);
    expect(&d, r#"name ends with "%""#, &[]);
}

#[test]
fn contains_starts_ends_and_their_negation() {
    let d = names();
    expect(&d, r#"name contains "n""#, &["1", "2", "6"]);
    expect(
        &d,
        r#"name does not contain "n""#,
        &all_but(&d, &["1", "2", "6"]),
    );
    expect(&d, r#"name starts with "A""#, &["1"]);
    expect(&d, r#"name ends with "n""#, &["1", "2"]);
    expect(&d, r#"name ends with "n ""#, &["6"]);
    expect(&d, r#"name starts with " ""#, &["6", "16"]);
    // The empty pattern is in every string, the empty one included, but not in NULL.
    expect(&d, r#"name contains """#, &all_but(&d, &["4", "5"]));
    expect(&d, r#"name does not contain """#, &["4", "5"]);
}

#[test]
fn case_insensitive_operators_lower_both_sides() {
    let d = names();
    expect(&d, r#"name equals ignoring case "ANN""#, &["1", "2"]);
    expect(&d, r#"name equals ignoring case "émile""#, &["11", "12"]);
    expect(&d, r#"name contains ignoring case "MIL""#, &["11", "12"]);
    expect(&d, r#"name starts with ignoring case "é""#, &["11", "12"]);
    expect(&d, r#"name ends with ignoring case "FF""#, &["7", "13"]);
    expect(&d, r#"name contains ignoring case "A_B""#, &["8"]);
    expect(&d, r#"name equals ignoring case """#, &["3"]);
}

#[test]
fn in_and_not_in() {
    let d = names();
    expect(&d, r#"name in ("Ann", "", "a_b")"#, &["1", "3", "8"]);
    expect(&d, r#"name in ("ANN", "nobody")"#, &[]);
    expect(
        &d,
        r#"name not in ("Ann", "", "a_b")"#,
        &all_but(&d, &["1", "3", "8"]),
    );
}

#[test]
fn empty_is_null_absent_or_empty_string_but_not_spaces() {
    let d = names();
    expect(&d, "name is empty", &["3", "4", "5"]);
    expect(&d, "name is not empty", &all_but(&d, &["3", "4", "5"]));
}

#[test]
fn citext_columns_still_compare_exactly() {
    let d = users_with("nick", vec![Some(text("Bob")), Some(text("bob")), None]);
    expect(&d, r#"nick = "bob""#, &["2"]);
    expect(&d, r#"nick equals ignoring case "bob""#, &["1", "2"]);
    expect(&d, r#"nick contains "B""#, &["1"]);
}

#[test]
fn unicode_lowering_is_rusts() {
    // Rust lowers a word-final capital sigma to ς (Unicode's Final_Sigma rule).
    let d = users_with(
        "name",
        vec![Some(text("ΣΑΣ")), Some(text("σας")), Some(text("σασ"))],
    );
    expect(&d, r#"name equals ignoring case "ΣΑΣ""#, &["1", "2"]);
    expect(&d, r#"name contains ignoring case "Σ""#, &["1", "2", "3"]);
}

#[test]
fn enum_columns_compare_as_text() {
    use smart_groups_core::eval::Datum::Null;
    let d = users_with(
        "role",
        vec![Some(text("admin")), Some(text("manager")), Some(Null), None],
    );
    expect(&d, r#"role = "admin""#, &["1"]);
    expect(&d, r#"role != "admin""#, &["2", "3", "4"]);
    expect(&d, r#"role in ("admin", "manager")"#, &["1", "2"]);
    expect(&d, r#"role not in ("admin", "learner")"#, &["2", "3", "4"]);
    expect(&d, "role is empty", &["3", "4"]);
    expect(&d, "role is not empty", &["1", "2"]);
}

#[test]
fn custom_text_is_taken_as_is() {
    let d = custom_values(
        "motto",
        &[
            Some(Some("Carpe diem")),
            Some(Some(" carpe diem")),
            Some(Some("")),
            Some(None),
            None,
        ],
    );
    expect(&d, r#"motto = "Carpe diem""#, &["1"]);
    expect(&d, r#"motto ends with "diem""#, &["1", "2"]);
    expect(&d, r#"motto contains ignoring case "CARPE""#, &["1", "2"]);
    expect(&d, "motto is empty", &["3", "4", "5"]);
    expect(&d, r#"motto != "Carpe diem""#, &["2", "3", "4", "5"]);
}

#[test]
fn custom_enum_values_outside_the_labels_are_unreadable() {
    let d = custom_values(
        "shirt_size",
        &[
            Some(Some("M")),
            Some(Some("m")),
            Some(Some(" M")),
            Some(Some("XXL")),
            Some(Some("")),
            None,
        ],
    );
    expect(&d, r#"shirt_size = "M""#, &["1"]);
    expect(&d, r#"shirt_size != "M""#, &["2", "3", "4", "5", "6"]);
    expect(&d, r#"shirt_size in ("S", "M", "L", "XL")"#, &["1"]);
    expect(&d, "shirt_size is empty", &["2", "3", "4", "5", "6"]);
}

#[test]
fn a_datum_of_the_wrong_kind_reads_as_null() {
    let d = Dataset {
        users: vec![UserRow::new("1").with("name", num("5"))],
        ..Dataset::default()
    };
    expect(&d, r#"name = "5""#, &[]);
    expect(&d, "name is empty", &["1"]);
}
