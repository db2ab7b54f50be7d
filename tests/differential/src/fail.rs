//! Errors that stop the run (as opposed to mismatches, which are counted and reported).

use std::fmt;

#[derive(Debug)]
pub enum Failure {
    /// The server refused something the harness itself needs (connecting, reading back).
    Db(postgres::Error),
    /// The environment is not what the test assumes (schema mirror, stored values).
    Setup(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Db(e) => write!(f, "database error: {}", describe(e)),
            Failure::Setup(msg) => f.write_str(msg),
        }
    }
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Self {
        Failure::Db(e)
    }
}

/// The server's message with SQLSTATE, detail and hint when there is one: `postgres::Error`'s
/// own Display says only "db error".
pub fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut out = format!("{} ({})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                out.push_str(&format!("; detail: {detail}"));
            }
            if let Some(hint) = db.hint() {
                out.push_str(&format!("; hint: {hint}"));
            }
            if let Some(context) = db.where_() {
                out.push_str(&format!("; context: {}", context.replace('\n', " | ")));
            }
            out
        }
        None => e.to_string(),
    }
}
