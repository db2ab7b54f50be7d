//! Everything read back after a batch: the app's tables (lookup tables too) as an evaluator
//! `Dataset`, the
//! extension's groups, inclusions, exclusions and members, and the instant of the check.
//!
//! Values are read as text and converted here, so that what the evaluator sees is exactly what
//! the server stores. Infinite dates and timestamps become chrono's extreme values, which
//! order the same way (after or before every finite value).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use postgres::{GenericClient, Row};
use smart_groups_core::catalog::TableName;
use smart_groups_core::eval::{CustomRow, Dataset, Datum, LookupRow, RelRow, UserRow};

use crate::fail::Failure;

#[derive(Debug, Clone)]
pub struct DbGroup {
    pub id: i64,
    pub tenant: Option<String>,
    pub name: String,
    pub kind: String,
    pub status: String,
}

#[derive(Debug, Default)]
pub struct Snapshot {
    pub data: Dataset,
    pub now: Option<DateTime<Utc>>,
    pub groups: Vec<DbGroup>,
    pub inclusions: BTreeMap<i64, BTreeSet<String>>,
    pub exclusions: BTreeMap<i64, BTreeSet<String>>,
    pub members: BTreeMap<i64, BTreeSet<String>>,
}

const USERS_SQL: &str = "SELECT id, name, nick, email::text, age, score::text, ratio::text, \
    birth::text, seen::text, (joined AT TIME ZONE 'UTC')::text, active, mood::text, tags, \
    manager_id, dept_id, org FROM app.users";

fn text(row: &Row, i: usize) -> Result<Datum, Failure> {
    let v: Option<String> = row.try_get(i)?;
    Ok(v.map_or(Datum::Null, Datum::Text))
}

fn int(row: &Row, i: usize) -> Result<Datum, Failure> {
    let v: Option<i32> = row.try_get(i)?;
    Ok(v.map_or(Datum::Null, |n| Datum::Number(n.to_string())))
}

/// numeric and double precision arrive as their text output, `NaN` and `Infinity` included:
/// the evaluator decides what those mean.
fn number(row: &Row, i: usize) -> Result<Datum, Failure> {
    let v: Option<String> = row.try_get(i)?;
    Ok(v.map_or(Datum::Null, Datum::Number))
}

fn date(row: &Row, i: usize) -> Result<Datum, Failure> {
    let v: Option<String> = row.try_get(i)?;
    Ok(match v.as_deref() {
        None => Datum::Null,
        Some("infinity") => Datum::Date(NaiveDate::MAX),
        Some("-infinity") => Datum::Date(NaiveDate::MIN),
        Some(s) => Datum::Date(
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|e| Failure::Setup(format!("unexpected date {s:?}: {e}")))?,
        ),
    })
}

/// A timestamp without time zone, as UTC (timestamptz columns are read `AT TIME ZONE 'UTC'`).
fn stamp(row: &Row, i: usize) -> Result<Datum, Failure> {
    let v: Option<String> = row.try_get(i)?;
    Ok(match v.as_deref() {
        None => Datum::Null,
        Some("infinity") => Datum::Timestamp(DateTime::<Utc>::MAX_UTC),
        Some("-infinity") => Datum::Timestamp(DateTime::<Utc>::MIN_UTC),
        Some(s) => Datum::Timestamp(
            NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f")
                .map_err(|e| Failure::Setup(format!("unexpected timestamp {s:?}: {e}")))?
                .and_utc(),
        ),
    })
}

/// Reads column `i` of a row as a `Datum`.
type Reader = fn(&Row, usize) -> Result<Datum, Failure>;

fn user(row: &Row) -> Result<UserRow, Failure> {
    let id: i32 = row.try_get(0)?;
    let mut u = UserRow::new(id.to_string()).with("id", Datum::Number(id.to_string()));
    let readers: [(&str, Reader); 15] = [
        ("name", text),
        ("nick", text),
        ("email", text),
        ("age", int),
        ("score", number),
        ("ratio", number),
        ("birth", date),
        ("seen", stamp),
        ("joined", stamp),
        ("active", |r, i| {
            let v: Option<bool> = r.try_get(i)?;
            Ok(v.map_or(Datum::Null, Datum::Bool))
        }),
        ("mood", text),
        ("tags", |r, i| {
            let v: Option<Vec<Option<String>>> = r.try_get(i)?;
            Ok(v.map_or(Datum::Null, Datum::List))
        }),
        ("manager_id", int),
        ("dept_id", int),
        ("org", text),
    ];
    for (i, (name, read)) in readers.iter().enumerate() {
        u.values.insert(name.to_string(), read(row, i + 1)?);
    }
    Ok(u)
}

/// A lookup table's rows, each column read by its reader, in the order of `sql`'s columns.
fn lookup_rows(
    client: &mut impl GenericClient,
    sql: &str,
    readers: &[(&str, Reader)],
) -> Result<Vec<LookupRow>, Failure> {
    let mut out = Vec::new();
    for row in client.query(sql, &[])? {
        let mut values = BTreeMap::new();
        for (i, (name, read)) in readers.iter().enumerate() {
            values.insert(name.to_string(), read(&row, i)?);
        }
        out.push(LookupRow { values });
    }
    Ok(out)
}

fn sets(rows: Vec<Row>) -> Result<BTreeMap<i64, BTreeSet<String>>, Failure> {
    let mut out: BTreeMap<i64, BTreeSet<String>> = BTreeMap::new();
    for r in rows {
        out.entry(r.try_get(0)?).or_default().insert(r.try_get(1)?);
    }
    Ok(out)
}

pub fn read(client: &mut impl GenericClient) -> Result<Snapshot, Failure> {
    let mut s = Snapshot::default();
    for row in client.query(USERS_SQL, &[])? {
        s.data.users.push(user(&row)?);
    }
    for row in client.query("SELECT user_id, field_key, value FROM app.custom", &[])? {
        let user_id: i32 = row.try_get(0)?;
        let value: Option<String> = row.try_get(2)?;
        let key: String = row.try_get(1)?;
        s.data
            .custom
            .push(CustomRow::new(user_id.to_string(), key, value.as_deref()));
    }
    let enrollments = client.query(
        "SELECT id, user_id, course, status, (completed_at AT TIME ZONE 'UTC')::text, course_id \
         FROM app.enrollments",
        &[],
    )?;
    let mut rows = Vec::new();
    for row in enrollments {
        let user_id: i32 = row.try_get(1)?;
        let mut r = RelRow::new(user_id.to_string())
            .with("id", int(&row, 0)?)
            .with("user_id", int(&row, 1)?);
        r = r
            .with("course", text(&row, 2)?)
            .with("status", text(&row, 3)?);
        rows.push(
            r.with("completed_at", stamp(&row, 4)?)
                .with("course_id", int(&row, 5)?),
        );
    }
    s.data.relations.insert("enrollments".into(), rows);
    let clicks = client.query(
        "SELECT user_id, (at AT TIME ZONE 'UTC')::text, n FROM app.clicks WHERE user_id IS NOT NULL",
        &[],
    )?;
    let mut rows = Vec::new();
    for row in clicks {
        let user_id: i32 = row.try_get(0)?;
        let r = RelRow::new(user_id.to_string()).with("user_id", int(&row, 0)?);
        rows.push(r.with("at", stamp(&row, 1)?).with("n", int(&row, 2)?));
    }
    s.data.relations.insert("clicks".into(), rows);
    let table = |name: &str| TableName {
        schema: "app".into(),
        name: name.into(),
    };
    let depts: [(&str, Reader); 4] = [
        ("id", int),
        ("name", text),
        ("floor", int),
        ("opened", date),
    ];
    let sql = "SELECT id, name, floor, opened::text FROM app.depts";
    s.data
        .lookups
        .insert(table("depts"), lookup_rows(client, sql, &depts)?);
    let courses: [(&str, Reader); 3] = [("id", int), ("title", text), ("hours", number)];
    let sql = "SELECT id, title, hours::text FROM app.courses";
    s.data
        .lookups
        .insert(table("courses"), lookup_rows(client, sql, &courses)?);
    for row in client.query(
        "SELECT id, tenant, name, kind, status FROM smart_groups.groups ORDER BY id",
        &[],
    )? {
        s.groups.push(DbGroup {
            id: row.try_get(0)?,
            tenant: row.try_get(1)?,
            name: row.try_get(2)?,
            kind: row.try_get(3)?,
            status: row.try_get(4)?,
        });
    }
    s.inclusions = sets(client.query(
        "SELECT group_id, user_key::text FROM smart_groups.inclusions",
        &[],
    )?)?;
    s.exclusions = sets(client.query(
        "SELECT group_id, user_key::text FROM smart_groups.exclusions",
        &[],
    )?)?;
    s.members = sets(client.query(
        "SELECT group_id, user_key::text FROM smart_groups.members",
        &[],
    )?)?;
    let micros: i64 = client
        .query_one("SELECT (extract(epoch FROM now()) * 1000000)::bigint", &[])?
        .try_get(0)?;
    s.now = DateTime::<Utc>::from_timestamp_micros(micros);
    Ok(s)
}

/// Keys of the users of `tenant` (their `org` as read back), for the test's own tenant rule.
pub fn tenant_users(data: &Dataset, tenant: &str) -> BTreeSet<String> {
    data.users
        .iter()
        .filter(|u| matches!(u.values.get("org"), Some(Datum::Text(t)) if t == tenant))
        .map(|u| u.key.clone())
        .collect()
}
