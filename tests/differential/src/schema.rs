//! The application schema the test drives: a users table with a column of every supported
//! type, a custom-field (EAV) table with a field of every custom type, two relations, a lookup
//! table of the users and one of a relation — and the
//! `Catalog` that mirrors it for the core validator. The mirror is written by hand from the
//! DDL below, not loaded from the extension, and checked against `smart_groups.fields`: a
//! catalog copied from the extension would make the test agree with the extension's mistakes.

use postgres::Client;
use smart_groups_core::catalog::{
    Catalog, Column, ColumnKind, CustomField, CustomFieldTable, FieldType, KeyType, Lookup,
    Reference, Relation, TableName, UsersTable,
};

use crate::fail::Failure;

pub const MOOD_LABELS: [&str; 4] = ["happy", "sad", "Meh", "ünï cödé"];
/// Labels of the custom enum field; "X L" has a space so that quoting matters.
pub const SIZE_LABELS: [&str; 4] = ["S", "M", "L", "X L"];
/// The tenants (values of `app.users.org`). Every group belongs to one of them.
pub const TENANTS: [&str; 3] = ["t1", "t2", "t3"];
/// A custom field defined for one tenant only: only that tenant's rules may name it.
pub const TENANT_FIELD: (&str, &str) = ("t1_only", "t1");

/// The DDL, run in a fresh database. FKs cascade key moves and deletes into the custom table
/// and enrollments, so one statement changes several attached tables at once; clicks has no
/// FK so that it can hold rows of users that do not exist (yet).
const DDL: &str = r#"
CREATE EXTENSION citext;
CREATE EXTENSION smart_groups;
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('happy', 'sad', 'Meh', 'ünï cödé');
-- Lookup tables: users point to a department, enrollments to a course (lookups: dept.name,
-- manager.dept.floor, course.title). Their rows change, never their keys.
CREATE TABLE app.depts (id integer PRIMARY KEY, name text, floor integer, opened date);
INSERT INTO app.depts SELECT i, (ARRAY['Sales', 'sales', 'Support', '100%', '', NULL])[i], i - 3,
       date '2024-01-31' + (i - 3) FROM generate_series(1, 6) i;
CREATE TABLE app.courses (id integer PRIMARY KEY, title text, hours numeric);
INSERT INTO app.courses SELECT i, (ARRAY['Driver Safety', 'driver safety', 'Fire Drill', '100% Safety', NULL])[i],
       (ARRAY[1.5, 8, NULL, 0, 40])[i] FROM generate_series(1, 5) i;
CREATE TABLE app.users (
    id integer PRIMARY KEY,
    org text NOT NULL,
    name text, nick varchar(40), email citext,
    age integer, score numeric, ratio double precision,
    birth date, seen timestamp, joined timestamptz,
    active boolean, mood app.mood, tags text[],
    manager_id integer REFERENCES app.users (id) ON DELETE SET NULL ON UPDATE CASCADE,
    dept_id integer REFERENCES app.depts (id));
CREATE INDEX ON app.users (dept_id);
CREATE INDEX ON app.users (org);
CREATE TABLE app.custom (
    user_id integer NOT NULL REFERENCES app.users (id) ON DELETE CASCADE ON UPDATE CASCADE,
    field_key text NOT NULL,
    value text);
CREATE INDEX ON app.custom (user_id, field_key);
CREATE TABLE app.enrollments (
    id serial PRIMARY KEY,
    user_id integer NOT NULL REFERENCES app.users (id) ON DELETE CASCADE ON UPDATE CASCADE,
    course text, status text, completed_at timestamptz,
    course_id integer REFERENCES app.courses (id));
CREATE INDEX ON app.enrollments (course_id);
-- Enrollments are read through this index (src/live/direct.rs), clicks by a statement.
CREATE INDEX ON app.enrollments (user_id);
CREATE TABLE app.clicks (user_id integer, at timestamptz, n integer);
SELECT smart_groups.attach_users('app.users', tenant_column => 'org');
SELECT smart_groups.attach_custom_fields('app.custom', user_column => 'user_id',
       key_column => 'field_key', value_column => 'value');
SELECT smart_groups.define_custom_field('c_text', 'text');
SELECT smart_groups.define_custom_field('c_num', 'number');
SELECT smart_groups.define_custom_field('c_date', 'date');
SELECT smart_groups.define_custom_field('c_ts', 'timestamp');
SELECT smart_groups.define_custom_field('c_bool', 'boolean');
SELECT smart_groups.define_custom_field('c_enum', 'enum', allowed => '{S,M,L,"X L"}');
SELECT smart_groups.define_custom_field('t1_only', 'text', tenant => 't1');
SELECT smart_groups.attach_relation('enrollments', 'app.enrollments', user_column => 'user_id');
SELECT smart_groups.attach_relation('clicks', 'app.clicks', user_column => 'user_id');
"#;

pub fn create(client: &mut Client) -> Result<(), postgres::Error> {
    client.batch_execute(DDL)
}

fn table(schema: &str, name: &str) -> TableName {
    TableName {
        schema: schema.into(),
        name: name.into(),
    }
}

fn col(name: &str, ty: FieldType, kind: ColumnKind) -> Column {
    let allowed = match &kind {
        ColumnKind::Enum(_) => Some(MOOD_LABELS.iter().map(|s| s.to_string()).collect()),
        _ => None,
    };
    Column {
        name: name.into(),
        ty,
        kind,
        allowed,
    }
}

fn custom(key: &str, ty: FieldType) -> CustomField {
    CustomField {
        key: key.into(),
        ty,
        allowed: (ty == FieldType::Enum)
            .then(|| SIZE_LABELS.iter().map(|s| s.to_string()).collect()),
        tenant: None,
    }
}

/// The lookup `name` (column `name_id`) onto `app.<table>` by its `id`.
fn lookup(name: &str, table_name: &str, columns: Vec<Column>) -> Lookup {
    Lookup {
        name: name.into(),
        column: format!("{name}_id"),
        table: table("app", table_name),
        key_column: "id".into(),
        columns,
    }
}

/// The catalog of the schema above, with no groups yet.
pub fn catalog() -> Catalog {
    use ColumnKind as K;
    use FieldType as T;
    Catalog {
        users: UsersTable {
            table: table("app", "users"),
            key_column: "id".into(),
            key_type: KeyType::Integer,
        },
        columns: vec![
            col("id", T::Number, K::Number),
            col("org", T::Text, K::Text),
            col("name", T::Text, K::Text),
            col("nick", T::Text, K::Text),
            col("email", T::Text, K::Citext),
            col("age", T::Number, K::Number),
            col("score", T::Number, K::Number),
            col("ratio", T::Number, K::Number),
            col("birth", T::Date, K::Date),
            col("seen", T::Timestamp, K::Timestamp),
            col("joined", T::Timestamp, K::Timestamptz),
            col("active", T::Boolean, K::Boolean),
            col("mood", T::Enum, K::Enum(table("app", "mood"))),
            col("tags", T::List, K::TextArray),
            col("manager_id", T::Number, K::Number),
            col("dept_id", T::Number, K::Number),
        ],
        custom_table: Some(CustomFieldTable {
            table: table("app", "custom"),
            user_column: "user_id".into(),
            key_column: "field_key".into(),
            value_column: "value".into(),
        }),
        custom_fields: vec![
            custom("c_bool", T::Boolean),
            custom("c_date", T::Date),
            custom("c_enum", T::Enum),
            custom("c_num", T::Number),
            custom("c_text", T::Text),
            custom("c_ts", T::Timestamp),
            CustomField {
                tenant: Some(TENANT_FIELD.1.into()),
                ..custom(TENANT_FIELD.0, T::Text)
            },
        ],
        references: vec![Reference {
            name: "manager".into(),
            column: "manager_id".into(),
        }],
        lookups: vec![lookup(
            "dept",
            "depts",
            vec![
                col("id", T::Number, K::Number),
                col("name", T::Text, K::Text),
                col("floor", T::Number, K::Number),
                col("opened", T::Date, K::Date),
            ],
        )],
        relations: vec![
            Relation {
                lookups: Vec::new(),
                name: "clicks".into(),
                table: table("app", "clicks"),
                user_column: "user_id".into(),
                columns: vec![
                    col("user_id", T::Number, K::Number),
                    col("at", T::Timestamp, K::Timestamptz),
                    col("n", T::Number, K::Number),
                ],
            },
            Relation {
                lookups: vec![lookup(
                    "course",
                    "courses",
                    vec![
                        col("id", T::Number, K::Number),
                        col("title", T::Text, K::Text),
                        col("hours", T::Number, K::Number),
                    ],
                )],
                name: "enrollments".into(),
                table: table("app", "enrollments"),
                user_column: "user_id".into(),
                columns: vec![
                    col("id", T::Number, K::Number),
                    col("user_id", T::Number, K::Number),
                    col("course", T::Text, K::Text),
                    col("status", T::Text, K::Text),
                    col("completed_at", T::Timestamp, K::Timestamptz),
                    col("course_id", T::Number, K::Number),
                ],
            },
        ],
        groups: Vec::new(),
        tenant_column: Some("org".into()),
    }
}

type FieldRow = (String, String, Option<String>, Option<Vec<String>>);

/// `(name, type, relation, allowed)` of every field the catalog offers, as
/// `smart_groups.fields` should list them.
fn expected_fields(c: &Catalog) -> Vec<FieldRow> {
    let mut out = Vec::new();
    let user_fields = |prefix: &str, out: &mut Vec<FieldRow>| {
        for column in &c.columns {
            let name = format!("{prefix}{}", column.name);
            out.push((name, column.ty.name().into(), None, column.allowed.clone()));
        }
        for f in &c.custom_fields {
            let name = format!("{prefix}{}", f.key);
            out.push((name, f.ty.name().into(), None, f.allowed.clone()));
        }
        for l in &c.lookups {
            for column in &l.columns {
                let name = format!("{prefix}{}.{}", l.name, column.name);
                out.push((name, column.ty.name().into(), None, column.allowed.clone()));
            }
        }
    };
    user_fields("", &mut out);
    for r in &c.references {
        user_fields(&format!("{}.", r.name), &mut out);
    }
    for rel in &c.relations {
        for column in &rel.columns {
            let row = (
                column.name.clone(),
                column.ty.name().into(),
                Some(rel.name.clone()),
                None,
            );
            out.push(row);
        }
        for l in &rel.lookups {
            for column in &l.columns {
                let name = format!("{}.{}", l.name, column.name);
                out.push((name, column.ty.name().into(), Some(rel.name.clone()), None));
            }
        }
    }
    out.sort();
    out
}

/// The hand-written catalog must type every field exactly as the extension does; otherwise
/// the rules generated from it would test a different schema than the one in the database.
pub fn check_fields(client: &mut Client, c: &Catalog) -> Result<(), Failure> {
    let rows = client.query(
        "SELECT name, type, relation, allowed FROM smart_groups.fields",
        &[],
    )?;
    let mut actual: Vec<FieldRow> = rows
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    actual.sort();
    let expected = expected_fields(c);
    if actual == expected {
        return Ok(());
    }
    let only = |a: &[FieldRow], b: &[FieldRow]| -> Vec<String> {
        a.iter()
            .filter(|x| !b.contains(x))
            .map(|x| format!("{x:?}"))
            .collect()
    };
    Err(Failure::Setup(format!(
        "smart_groups.fields disagrees with the test's catalog\n  only in the database: {}\n  only in the test: {}",
        only(&actual, &expected).join(", "),
        only(&expected, &actual).join(", ")
    )))
}
