//! Whole rows to store: users, custom-field rows and relation rows, as column/value pairs.

use chrono::Duration;

use crate::pools::{Pools, FRAGMENTS, TEXTS};
use crate::rng::Rng;
use crate::schema::TENANTS;
use crate::sqlval::Sql;

/// Columns of app.users other than the key, in DDL order.
pub const USER_COLUMNS: &[&str] = &[
    "org",
    "name",
    "nick",
    "email",
    "age",
    "score",
    "ratio",
    "birth",
    "seen",
    "joined",
    "active",
    "mood",
    "tags",
    "manager_id",
    "dept_id",
];

/// Custom-field keys written to app.custom: the defined ones, plus one that is not defined
/// (its rows must be ignored).
pub const CUSTOM_KEYS: &[&str] = &[
    "c_text",
    "c_num",
    "c_date",
    "c_ts",
    "c_bool",
    "c_enum",
    "t1_only",
    "c_undefined",
];

pub type Row = Vec<(&'static str, Sql)>;

impl Pools {
    /// One user column's value. `managers` are keys a manager_id may point at.
    pub fn user_value(&self, rng: &mut Rng, column: &str, managers: &[i32], copy: bool) -> Sql {
        match column {
            // The tenant: NOT NULL; an UPDATE of it moves the user to another tenant.
            "org" => Sql::lit(rng.pick(&TENANTS).copied().unwrap_or("t1")),
            "name" | "nick" => self.text(rng),
            "email" => self.email(rng),
            "age" => self.int(rng),
            "score" => self.number(rng, false),
            "ratio" => self.number(rng, true),
            "birth" => self.date(rng, copy),
            "seen" => self.timestamp(rng, false, copy),
            "joined" => self.timestamp(rng, true, copy),
            "active" => self.boolean(rng),
            "mood" => self.mood(rng),
            "tags" => self.tags(rng),
            "manager_id" => match rng.pick(managers) {
                Some(m) if rng.chance(75) => Sql::Lit(m.to_string()),
                _ => Sql::Null,
            },
            // app.depts has keys 1..=6 and never loses one.
            "dept_id" if rng.chance(85) => Sql::Lit((1 + rng.below(6)).to_string()),
            _ => Sql::Null,
        }
    }

    pub fn user_row(&self, rng: &mut Rng, managers: &[i32], copy: bool) -> Row {
        USER_COLUMNS
            .iter()
            .map(|c| (*c, self.user_value(rng, c, managers, copy)))
            .collect()
    }

    /// The stored text of a custom field: readable values, values readable only after
    /// trimming, and text that cannot be read as the field's type.
    pub fn custom_value(&self, rng: &mut Rng, key: &str) -> Sql {
        if rng.chance(8) {
            return Sql::Null;
        }
        let text = match key {
            "c_num" => pick(
                rng,
                &[
                    "12", " 12 ", "1e3", "1.50", "-0", "abc", "", "NaN", "12,5", ".5", "5.", "+7",
                    "1e1001", "18", "42", "0.1", "-7.25", "Infinity",
                ],
            ),
            "c_date" => {
                if rng.chance(50) {
                    self.day(rng).format("%Y-%m-%d").to_string()
                } else {
                    pick(
                        rng,
                        &[
                            "2024-01-31",
                            " 2024-02-29 ",
                            "2023-02-29",
                            "01/31/2024",
                            "",
                            "2024-1-5",
                            "2024-02-01T00:00:00Z",
                            "infinity",
                            "garbage",
                        ],
                    )
                }
            }
            "c_ts" => {
                if rng.chance(50) {
                    let t = self.instant(rng);
                    match rng.below(3) {
                        0 => t.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string(),
                        1 => t.format("%Y-%m-%d %H:%M:%S%.f").to_string(),
                        _ => (t.naive_utc() + Duration::hours(2))
                            .format("%Y-%m-%dT%H:%M:%S%.f+02:00")
                            .to_string(),
                    }
                } else {
                    pick(
                        rng,
                        &[
                            "2024-01-31T23:59:59.999Z",
                            "2024-01-31 23:59:59",
                            "2024-02-01",
                            "2024-01-31T10:00:00+02:00",
                            "garbage",
                            "2024-01-31T24:00:00Z",
                            "",
                            " 2024-02-01T00:00:00Z ",
                            "2024-01-31 23:59",
                        ],
                    )
                }
            }
            "c_bool" => pick(
                rng,
                &["true", "TRUE", " False ", "false", "yes", "t", "1", ""],
            ),
            "c_enum" => pick(rng, &["S", "M", "L", "X L", "s", "XL", " S", ""]),
            _ => pick(rng, TEXTS),
        };
        Sql::Lit(text)
    }

    pub fn enrollment_row(&self, rng: &mut Rng, user: i32, copy: bool) -> Row {
        let course = match rng.below(8) {
            0 => Sql::Null,
            1 => Sql::Lit(pick(rng, TEXTS)),
            _ => Sql::Lit(pick(
                rng,
                &[
                    "Driver Safety",
                    "driver safety",
                    "Fire Drill",
                    "100% Safety",
                    "",
                ],
            )),
        };
        let status = match rng.below(8) {
            0 => Sql::Null,
            _ => Sql::Lit(pick(
                rng,
                &["completed", "Completed", "in progress", "", " completed"],
            )),
        };
        vec![
            ("user_id", Sql::Lit(user.to_string())),
            ("course", course),
            ("status", status),
            ("completed_at", self.timestamp(rng, true, copy)),
            // app.courses has keys 1..=5 and never loses one.
            (
                "course_id",
                if rng.chance(85) {
                    Sql::Lit((1 + rng.below(5)).to_string())
                } else {
                    Sql::Null
                },
            ),
        ]
    }

    /// A change to the lookup tables' rows (never their keys): a department's name, floor or
    /// opening day, a course's title or hours; one row or several.
    pub fn lookup_set(&self, rng: &mut Rng) -> (&'static str, Row) {
        let text = |rng: &mut Rng, names: &[&str]| match rng.below(5) {
            0 => Sql::Null,
            1 => Sql::Lit(pick(rng, TEXTS)),
            _ => Sql::Lit(pick(rng, names)),
        };
        if rng.chance(50) {
            let mut row: Row = Vec::new();
            if rng.chance(60) {
                row.push((
                    "name",
                    text(rng, &["Sales", "sales", "Support", "100%", ""]),
                ));
            }
            if rng.chance(40) {
                row.push(("floor", self.int(rng)));
            }
            if row.is_empty() || rng.chance(30) {
                row.push(("opened", self.date(rng, false)));
            }
            ("app.depts", row)
        } else {
            let mut row: Row = Vec::new();
            if rng.chance(60) {
                row.push((
                    "title",
                    text(
                        rng,
                        &[
                            "Driver Safety",
                            "driver safety",
                            "Fire Drill",
                            "100% Safety",
                        ],
                    ),
                ));
            }
            if row.is_empty() || rng.chance(50) {
                row.push(("hours", self.number(rng, false)));
            }
            ("app.courses", row)
        }
    }

    /// `user` may be a key no user has (yet), or NULL.
    pub fn click_row(&self, rng: &mut Rng, user: Option<i32>, copy: bool) -> Row {
        vec![
            (
                "user_id",
                user.map_or(Sql::Null, |u| Sql::Lit(u.to_string())),
            ),
            ("at", self.timestamp(rng, true, copy)),
            ("n", self.int(rng)),
        ]
    }

    /// A rule's text value: whole pool values or fragments of them.
    pub fn rule_text(&self, rng: &mut Rng) -> String {
        if rng.chance(45) {
            pick(rng, FRAGMENTS)
        } else {
            pick(rng, TEXTS)
        }
    }
}

fn pick(rng: &mut Rng, items: &[&str]) -> String {
    rng.pick(items).map_or_else(String::new, |s| s.to_string())
}
