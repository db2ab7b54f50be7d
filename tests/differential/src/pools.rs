//! Adversarial values. Stored values and rule values are drawn from overlapping pools so that
//! rules actually hit data: NULL, '', spaces, case variants, LIKE metacharacters, quotes,
//! backslashes, non-ASCII text (but no Σ or İ, whose lower-casing differs between Rust and
//! ICU for reasons unrelated to this extension), day boundaries (23:59:59.999, 00:00:00),
//! times close to now, unreadable custom-field text.
//!
//! Times relative to now are offsets from `base`, the server's clock at the start of the run,
//! chosen at least half an hour away from every `within_last` boundary the rules use: the
//! check after each batch uses a later `now`, and those values must not cross a boundary
//! during a run. Values that do sit next to a boundary are written with `now()` expressions
//! and settled by `refresh_time_rules()` before each check.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::rng::Rng;
use crate::sqlval::{array_literal, Sql};

pub const TEXTS: &[&str] = &[
    "",
    " ",
    "  ",
    "alice",
    "Alice",
    "ALICE",
    "alice ",
    " alice",
    "Bob",
    "bob",
    "O'Brien",
    "o'brien",
    "100%",
    "50% off",
    "a_b",
    "axb",
    r"a\b",
    r"\",
    "%",
    "_",
    "\"quoted\"",
    "café",
    "CAFÉ",
    "Café",
    "naïve",
    "NAÏVE",
    "Ünïcode",
    "ünïcode",
    "日本語",
    "straße",
    "x y",
    "x  y",
    "manager",
    "Manager",
    "MANAGER",
    "sales manager",
    "Driver Safety",
    "driver safety",
    "completed",
    "Completed",
    "in progress",
    "tab\there",
    "line\nbreak",
    "ωmega",
];

/// Pieces of `TEXTS`, for contains / starts_with / ends_with rules.
pub const FRAGMENTS: &[&str] = &[
    "a", "A", "lic", "LIC", "ice", "%", "_", r"\", "'", "\"", "é", "É", "ï", "Ï", " ", "man",
    "MAN", "ger", "x_", "0%", "本", "ß", "Safety", "safe", "off", "d ", "x  ",
];

pub const EMAILS: &[&str] = &[
    "alice@example.com",
    "ALICE@EXAMPLE.COM",
    "Alice@Example.com",
    "bob@contractor.com",
    "bob@CONTRACTOR.COM",
    "",
    "no-at-sign",
    "ünï@exämple.com",
    "x%y@z.com",
];

pub const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "17",
    "18",
    "42",
    "65",
    "100",
    "2147483647",
    "-2147483648",
];
pub const NUMERICS: &[&str] = &[
    "0",
    "-0.0",
    "1.5",
    "1.50",
    "2.5",
    "1e3",
    "42",
    "12345678901234567890.123",
    "-7.25",
    "0.001",
    "99.999",
    "18",
];
pub const FLOATS: &[&str] = &[
    "0", "-0", "0.1", "0.5", "1.5", "3.14", "-2.75", "1e20", "1e-05", "42", "18",
];
/// Not numbers, or not finite: stored only with `--specials`.
pub const NUMBER_SPECIALS: &[&str] = &["NaN", "Infinity", "-Infinity"];

pub const FIXED_DAYS: &[&str] = &[
    "2024-02-29",
    "2024-01-31",
    "2024-02-01",
    "1970-01-01",
    "2000-01-01",
];
/// Days relative to base's UTC date.
pub const DAY_OFFSETS: &[i64] = &[
    0, -1, -2, -6, -7, -8, -29, -30, -31, -365, -366, -730, 1, 10,
];

pub const FIXED_STAMPS: &[&str] = &[
    "2024-01-31 23:59:59.999",
    "2024-02-01 00:00:00",
    "2024-01-31 00:00:00",
    "2024-02-29 12:34:56.789012",
    "1999-12-31 23:59:59.999999",
    "2000-01-01 00:00:00",
];
/// Seconds relative to base, far from every boundary of `INTERVALS`.
pub const STAMP_OFFSETS: &[i64] = &[
    -90 * 60,
    -3 * 3600,
    -54 * 3600,
    -(10 * 86400 + 12 * 3600),
    -45 * 86400,
    -400 * 86400,
    3600,
    3 * 86400,
];
/// Offsets from now() written as expressions: these do cross boundaries during a run.
pub const NEAR_NOW: &[&str] = &[
    "- interval '20 seconds'",
    "",
    "+ interval '5 seconds'",
    "- interval '59 minutes 50 seconds'",
    "- interval '4 minutes 45 seconds'",
];

/// `within_last` durations used by rules.
pub const INTERVALS: &[&str] = &[
    "1 minute",
    "5 minutes",
    "30 minutes",
    "1 hour",
    "2 hours",
    "1 day",
    "3 days",
    "2 weeks",
    "1 month",
    "2 months",
    "1 year",
    "2 years",
    "3 Days",
];

#[derive(Debug, Clone)]
pub struct Pools {
    pub base: DateTime<Utc>,
    pub specials: bool,
}

fn pick(rng: &mut Rng, items: &[&str]) -> String {
    rng.pick(items).map_or_else(String::new, |s| s.to_string())
}

impl Pools {
    pub fn text(&self, rng: &mut Rng) -> Sql {
        if rng.chance(12) {
            return Sql::Null;
        }
        Sql::Lit(pick(rng, TEXTS))
    }

    pub fn email(&self, rng: &mut Rng) -> Sql {
        match rng.below(10) {
            0 => Sql::Null,
            1..=2 => Sql::Lit(pick(rng, TEXTS)),
            _ => Sql::Lit(pick(rng, EMAILS)),
        }
    }

    pub fn int(&self, rng: &mut Rng) -> Sql {
        if rng.chance(12) {
            return Sql::Null;
        }
        Sql::Lit(pick(rng, INTS))
    }

    /// numeric (`float` false) or double precision.
    pub fn number(&self, rng: &mut Rng, float: bool) -> Sql {
        if rng.chance(12) {
            return Sql::Null;
        }
        if self.specials && rng.chance(6) {
            return Sql::Lit(pick(rng, NUMBER_SPECIALS));
        }
        Sql::Lit(pick(rng, if float { FLOATS } else { NUMERICS }))
    }

    pub fn boolean(&self, rng: &mut Rng) -> Sql {
        match rng.below(3) {
            0 => Sql::Null,
            1 => Sql::lit("true"),
            _ => Sql::lit("false"),
        }
    }

    pub fn day(&self, rng: &mut Rng) -> NaiveDate {
        if rng.chance(35) {
            if let Some(d) = rng.pick(FIXED_DAYS).and_then(|s| s.parse().ok()) {
                return d;
            }
        }
        let offset = rng.pick(DAY_OFFSETS).copied().unwrap_or(0);
        self.base.date_naive() + Duration::days(offset)
    }

    pub fn date(&self, rng: &mut Rng, copy: bool) -> Sql {
        match rng.below(20) {
            0..=1 => Sql::Null,
            2 if self.specials => Sql::lit(if rng.chance(50) {
                "infinity"
            } else {
                "-infinity"
            }),
            3 if !copy => Sql::Expr("current_date".into()),
            _ => Sql::Lit(self.day(rng).format("%Y-%m-%d").to_string()),
        }
    }

    /// An instant from the pools (fixed or relative to base), as UTC.
    pub fn instant(&self, rng: &mut Rng) -> DateTime<Utc> {
        if rng.chance(40) {
            let parsed = rng.pick(FIXED_STAMPS).and_then(|s| {
                chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok()
            });
            if let Some(t) = parsed {
                return t.and_utc();
            }
        }
        let offset = rng.pick(STAMP_OFFSETS).copied().unwrap_or(0);
        self.base + Duration::seconds(offset)
    }

    /// A timestamp (`tz` false) or timestamptz value. With time zone, the same instant is
    /// written at various UTC offsets, which the column must bring back to one instant.
    pub fn timestamp(&self, rng: &mut Rng, tz: bool, copy: bool) -> Sql {
        match rng.below(20) {
            0..=1 => return Sql::Null,
            2 if self.specials => {
                return Sql::lit(if rng.chance(50) {
                    "infinity"
                } else {
                    "-infinity"
                })
            }
            3..=4 if !copy => {
                let now = if tz {
                    "now()"
                } else {
                    "(now() AT TIME ZONE 'UTC')"
                };
                let offset = pick(rng, NEAR_NOW);
                return Sql::Expr(format!("({now} {offset})"));
            }
            5 if !copy => {
                let now = if tz {
                    "now()"
                } else {
                    "(now() AT TIME ZONE 'UTC')"
                };
                return Sql::Expr(format!("date_trunc('day', {now})"));
            }
            _ => {}
        }
        let t = self.instant(rng);
        if !tz {
            return Sql::Lit(t.naive_utc().format("%Y-%m-%d %H:%M:%S%.f").to_string());
        }
        let (minutes, suffix) = *rng
            .pick(&[(0, "+00"), (-300, "-05"), (120, "+02"), (330, "+05:30")])
            .unwrap_or(&(0, "+00"));
        let local = t.naive_utc() + Duration::minutes(minutes);
        if minutes == 0 && rng.chance(50) {
            return Sql::Lit(local.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string());
        }
        Sql::Lit(format!("{}{suffix}", local.format("%Y-%m-%d %H:%M:%S%.f")))
    }

    pub fn mood(&self, rng: &mut Rng) -> Sql {
        if rng.chance(15) {
            return Sql::Null;
        }
        Sql::Lit(pick(rng, &crate::schema::MOOD_LABELS))
    }

    pub fn tags(&self, rng: &mut Rng) -> Sql {
        match rng.below(10) {
            0 => Sql::Null,
            1 => Sql::lit("{}"),
            _ => {
                let n = 1 + rng.below(3);
                let items: Vec<Option<&str>> = (0..n)
                    .map(|_| {
                        if rng.chance(10) {
                            None
                        } else {
                            rng.pick(TEXTS).copied()
                        }
                    })
                    .collect();
                Sql::Lit(array_literal(&items))
            }
        }
    }
}
