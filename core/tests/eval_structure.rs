//! all/any/not, member_of, has (with where and count), and references between users.

mod eval_support;

use std::collections::{BTreeMap, BTreeSet};

use eval_support::*;
use smart_groups_core::eval::{self, CustomRow, Dataset, Datum, RelRow, UserRow};

fn users(n: usize) -> Vec<UserRow> {
    (1..=n).map(|i| UserRow::new(i.to_string())).collect()
}

#[test]
fn empty_groups_and_connectives() {
    let mut d = users_with("name", vec![Some(text("Ann")), Some(text("Bob")), None]);
    if let Some(u) = d.users.get_mut(0) {
        u.values.insert("age".into(), num("30"));
    }
    expect(&d, "all of ()", &["1", "2", "3"]);
    expect(&d, "any of ()", &[]);
    expect(&d, r#"name = "Ann" and age = 30"#, &["1"]);
    expect(&d, r#"name = "Ann" or name = "Bob""#, &["1", "2"]);
    expect(&d, r#"not name = "Ann""#, &["2", "3"]);
    expect(&d, r#"not (name = "Ann" or age > 1)"#, &["2", "3"]);
    expect(&d, r#"not not name is empty"#, &["3"]);
    expect(
        &d,
        r#"any of (name = "Bob", all of (age = 30, not name = "Bob"))"#,
        &["1", "2"],
    );
}

#[test]
fn member_of_reads_current_members() {
    let d = Dataset {
        users: users(4),
        members: BTreeMap::from([
            (
                SALES,
                BTreeSet::from(["1".to_string(), "3".to_string(), "99".to_string()]),
            ),
            (MARKETING, BTreeSet::from(["2".to_string()])),
        ]),
        ..Dataset::default()
    };
    expect(&d, r#"member of "Sales""#, &["1", "3"]);
    expect(&d, r#"member of "Marketing""#, &["2"]);
    expect(
        &d,
        r#"member of "Sales" or member of "Marketing""#,
        &["1", "2", "3"],
    );
    expect(&d, r#"not member of "Sales""#, &["2", "4"]);
    let nobody = Dataset {
        users: users(2),
        ..Dataset::default()
    };
    expect(&nobody, r#"member of "Sales""#, &[]);
}

fn enrollment(user: &str, course: &str, status: &str, completed: Option<&str>) -> RelRow {
    RelRow::new(user)
        .with("course", text(course))
        .with("status", text(status))
        .with("completed_at", completed.map_or(Datum::Null, ts))
}

fn click(user: &str, at: &str) -> RelRow {
    RelRow::new(user).with("clicked_at", ts(at))
}

/// Enrollments: 1 Driver Safety completed + Fire enrolled; 2 Driver Safety enrolled;
/// 3 none; 4 three completed courses; 5 one row of another user's key only in clicks.
/// Clicks (now 2024-03-15 12:00): 1 three in the last 20 days; 2 two recent, two old;
/// 3 two recent and one in the future.
fn activity() -> Dataset {
    let enrollments = vec![
        enrollment(
            "1",
            "Driver Safety",
            "completed",
            Some("2024-03-10T09:00:00Z"),
        ),
        enrollment("1", "Fire", "enrolled", None),
        enrollment("2", "Driver Safety", "enrolled", None),
        enrollment("4", "A", "completed", Some("2024-01-01T00:00:00Z")),
        enrollment("4", "B", "completed", Some("2024-01-02T00:00:00Z")),
        enrollment("4", "C", "completed", Some("2024-01-03T00:00:00Z")),
        enrollment("77", "Driver Safety", "completed", None),
    ];
    let clicks = vec![
        click("1", "2024-03-01T00:00:00Z"),
        click("1", "2024-03-10T00:00:00Z"),
        click("1", "2024-03-15T11:00:00Z"),
        click("2", "2024-03-14T00:00:00Z"),
        click("2", "2024-03-15T00:00:00Z"),
        click("2", "2024-01-01T00:00:00Z"),
        click("2", "2023-01-01T00:00:00Z"),
        click("3", "2024-03-14T00:00:00Z"),
        click("3", "2024-03-15T00:00:00Z"),
        click("3", "2024-03-16T00:00:00Z"),
    ];
    Dataset {
        users: users(5),
        relations: BTreeMap::from([
            ("enrollments".to_string(), enrollments),
            ("clicks".to_string(), clicks),
        ]),
        ..Dataset::default()
    }
}

#[test]
fn has_counts_rows_of_the_user() {
    let d = activity();
    expect(&d, "has enrollments", &["1", "2", "4"]);
    expect(&d, "has no enrollments", &["3", "5"]);
    expect(&d, "has exactly 0 enrollments", &["3", "5"]);
    expect(&d, "has more than 2 enrollments", &["4"]);
    expect(&d, "has fewer than 2 enrollments", &["2", "3", "5"]);
    expect(&d, "has at most 2 enrollments", &["1", "2", "3", "5"]);
    expect(&d, "has not exactly 2 enrollments", &["2", "3", "4", "5"]);
    expect(&d, "has at least 4 clicks", &["2"]);
}

#[test]
fn has_where_filters_the_rows() {
    let d = activity();
    expect(
        &d,
        r#"has enrollments where course = "Driver Safety" and status = "completed""#,
        &["1"],
    );
    expect(
        &d,
        r#"has no enrollments where status = "completed""#,
        &["2", "3", "5"],
    );
    expect(
        &d,
        "has enrollments where completed_at is empty",
        &["1", "2"],
    );
    expect(
        &d,
        "has at least 3 clicks where clicked_at within last 20 days",
        &["1"],
    );
    expect(
        &d,
        "has exactly 2 clicks where clicked_at within last 20 days",
        &["2", "3"],
    );
    expect(
        &d,
        r#"has exactly 1 enrollments where not status = "completed""#,
        &["1", "2"],
    );
    expect(
        &d,
        "has enrollments where completed_at before 2024-01-02",
        &["4"],
    );
}

#[test]
fn relations_missing_from_the_dataset_have_no_rows() {
    let d = Dataset {
        users: users(2),
        ..Dataset::default()
    };
    expect(&d, "has enrollments", &[]);
    expect(&d, "has exactly 0 clicks", &["1", "2"]);
}

/// 1 "Boss" (no manager, score 10); 2 "Two" → 1 (numeric key); 3 "Three" → 1 (text key);
/// 4 → 99 (no such user); 5 → 2; 6 → itself; 7 → 8, who has no name.
fn org() -> Dataset {
    let user = |key: &str, name: Option<&str>, manager: Datum| {
        let u = UserRow::new(key).with("manager_id", manager);
        match name {
            Some(n) => u.with("name", text(n)),
            None => u,
        }
    };
    Dataset {
        users: vec![
            user("1", Some("Boss"), Datum::Null),
            user("2", Some("Two"), num("1")),
            user("3", Some("Three"), text("1")),
            user("4", Some("Four"), num("99")),
            user("5", Some("Five"), num("2")),
            user("6", Some("Six"), num("6")),
            user("7", Some("Seven"), num("8")),
            user("8", None, Datum::Null),
        ],
        custom: vec![
            CustomRow::new("1", "score", Some("10")),
            CustomRow::new("2", "score", Some("ten")),
        ],
        ..Dataset::default()
    }
}

#[test]
fn references_follow_the_key() {
    let d = org();
    expect(&d, r#"manager.name = "Boss""#, &["2", "3"]);
    expect(
        &d,
        r#"manager.name != "Boss""#,
        &["1", "4", "5", "6", "7", "8"],
    );
    expect(&d, "manager.name is empty", &["1", "4", "7", "8"]);
    expect(&d, r#"manager.name = "Six""#, &["6"]);
    expect(&d, r#"manager.manager.name = "Boss""#, &["5"]);
    expect(&d, "manager.manager.manager.name is not empty", &["6"]);
    expect(&d, "manager.score > 5", &["2", "3"]);
    expect(
        &d,
        "manager.score is empty",
        &["1", "4", "5", "6", "7", "8"],
    );
    expect(&d, "manager_id = 1", &["2"]);
}

#[test]
fn the_free_functions_agree_with_the_evaluator() {
    let d = org();
    let p = pred(r#"manager.name = "Boss""#);
    let got: Vec<bool> = d
        .users
        .iter()
        .map(|u| eval::eval(&p, u, &d, now()))
        .collect();
    assert_eq!(got, [false, true, true, false, false, false, false, false]);
    assert!(eval::matching(&p, &Dataset::default(), now()).is_empty());
}
