//! Rules follow the app's column renames: every field that named a renamed column names it
//! under its new name, through references and inside `has … where`; nothing else changes.

mod validate_support;

use smart_groups_core::catalog::Catalog;
use smart_groups_core::rename::{reference_name, rename_fields, Renames};
use smart_groups_core::text;
use smart_groups_core::validate::{self, Options};
use validate_support::*;

fn renames(users: &[(&str, &str)], relations: &[(&str, &str, &str)]) -> Renames {
    let mut r = Renames::default();
    for (o, n) in users {
        r.users.insert(o.to_string(), n.to_string());
    }
    for (rel, o, n) in relations {
        r.relations
            .entry(rel.to_string())
            .or_default()
            .insert(o.to_string(), n.to_string());
    }
    r
}

/// The catalog after `r`, built by hand from the fixture (the database reads it from the
/// renamed tables).
fn after(r: &Renames) -> Catalog {
    let mut c = catalog();
    for col in &mut c.columns {
        if let Some(n) = r.users.get(&col.name) {
            col.name = n.clone();
        }
    }
    for reference in &mut c.references {
        if let Some(n) = r.users.get(&reference.column) {
            reference.column = n.clone();
            reference.name = reference_name(n);
        }
    }
    for rel in &mut c.relations {
        if let Some(m) = r.relations.get(&rel.name) {
            for col in &mut rel.columns {
                if let Some(n) = m.get(&col.name) {
                    col.name = n.clone();
                }
            }
        }
    }
    c
}

/// Renames `rules` (text form) and returns the text form; the result must validate against
/// the catalog after the renames.
fn follow(rules: &str, r: &Renames) -> String {
    let node = text::parse(rules).expect("parses");
    let new_catalog = after(r);
    let before = r.undo(&new_catalog);
    assert_eq!(
        before,
        catalog(),
        "undo gives back the catalog before the renames"
    );
    let renamed = rename_fields(&node, &before, r);
    let opts = Options::default();
    assert!(
        validate::validate(&renamed, &new_catalog, &opts)
            .pred
            .is_some(),
        "{} does not validate after the renames",
        text::print(&renamed)
    );
    text::print(&renamed)
}

#[test]
fn a_renamed_column_is_named_anew_everywhere_users_are_read() {
    let r = renames(&[("department", "dept")], &[]);
    assert_eq!(
        follow(
            r#"department = "Sales" and not (manager.department = "Ops")"#,
            &r
        ),
        r#"dept = "Sales" and not manager.dept = "Ops""#
    );
    assert_eq!(
        follow(
            r#"manager.manager.department in ("a", "b") or name = "x""#,
            &r
        ),
        r#"manager.manager.dept in ("a", "b") or name = "x""#
    );
}

#[test]
fn a_renamed_reference_column_renames_the_reference() {
    let r = renames(&[("manager_id", "boss_id")], &[]);
    assert_eq!(
        follow(
            r#"manager.name = "Ann" and manager.manager.shirt_size = "L""#,
            &r
        ),
        r#"boss.name = "Ann" and boss.boss.shirt_size = "L""#
    );
    assert_eq!(follow("manager_id is empty", &r), "boss_id is empty");
}

#[test]
fn relation_columns_are_renamed_inside_their_where_only() {
    let r = renames(
        &[("name", "full_name")],
        &[("enrollments", "status", "state")],
    );
    assert_eq!(
        follow(
            r#"(has enrollments where status = "done" and course = "x") and name = "Ann" and has clicks"#,
            &r
        ),
        r#"(has enrollments where state = "done" and course = "x") and full_name = "Ann" and has clicks"#
    );
}

#[test]
fn custom_fields_member_of_and_unknown_names_are_left_alone() {
    let r = renames(&[("age", "years")], &[]);
    assert_eq!(
        follow(r#"score > 3 and member of "Sales" and years > 1"#, &r),
        r#"score > 3 and member of "Sales" and years > 1"#
    );
    let node = text::parse(r#"nosuch = "x""#).expect("parses");
    let renamed = rename_fields(&node, &catalog(), &r);
    assert_eq!(renamed, node);
}

/// The fixture with lookups: users.dept_id → depts, enrollments.course_id → courses. With
/// `new` names the catalog after the renames of `lookups_follow_renames`.
fn with_lookups(new: bool) -> Catalog {
    use smart_groups_core::catalog::{Column, ColumnKind, FieldType, Lookup, TableName};
    let n = |old: &'static str, renamed: &'static str| if new { renamed } else { old };
    let col = |name: &str, ty: FieldType, kind: ColumnKind| Column {
        name: name.into(),
        ty,
        kind,
        allowed: None,
    };
    let table = |name: &str| TableName {
        schema: "public".into(),
        name: name.into(),
    };
    let mut c = catalog();
    c.columns.push(col(
        n("dept_id", "division_id"),
        FieldType::Number,
        ColumnKind::Number,
    ));
    c.lookups.push(Lookup {
        name: n("dept", "division").into(),
        column: n("dept_id", "division_id").into(),
        table: table("depts"),
        key_column: "id".into(),
        columns: vec![
            col("id", FieldType::Number, ColumnKind::Number),
            col(n("name", "label"), FieldType::Text, ColumnKind::Text),
            col("floor", FieldType::Number, ColumnKind::Number),
        ],
    });
    let enrollments = c
        .relations
        .iter_mut()
        .find(|r| r.name == "enrollments")
        .expect("the fixture has enrollments");
    enrollments.columns.push(col(
        n("course_id", "class_id"),
        FieldType::Number,
        ColumnKind::Number,
    ));
    enrollments.lookups.push(Lookup {
        name: n("course", "class").into(),
        column: n("course_id", "class_id").into(),
        table: table("courses"),
        key_column: "id".into(),
        columns: vec![
            col("id", FieldType::Number, ColumnKind::Number),
            col(n("title", "heading"), FieldType::Text, ColumnKind::Text),
        ],
    });
    c
}

#[test]
fn lookups_follow_renames() {
    let mut r = renames(
        &[("dept_id", "division_id")],
        &[("enrollments", "course_id", "class_id")],
    );
    r.lookups
        .entry("public.depts".into())
        .or_default()
        .insert("name".into(), "label".into());
    r.lookups
        .entry("public.courses".into())
        .or_default()
        .insert("title".into(), "heading".into());
    let after = with_lookups(true);
    let before = r.undo(&after);
    assert_eq!(
        before,
        with_lookups(false),
        "undo gives back the catalog before"
    );
    let node = text::parse(
        r#"dept.name = "Sales" and manager.dept.floor > 2 and (has enrollments where course.title = course and course_id is not empty) and dept_id = 3"#,
    )
    .expect("parses");
    let renamed = rename_fields(&node, &before, &r);
    assert_eq!(
        text::print(&renamed),
        r#"division.label = "Sales" and manager.division.floor > 2 and (has enrollments where class.heading = course and class_id is not empty) and division_id = 3"#
    );
    let v = validate::validate(&renamed, &after, &Options::default());
    assert!(v.pred.is_some(), "{:?}", v.problems);
}
