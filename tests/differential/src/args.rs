//! Command-line arguments. Hand-parsed: a handful of `--name value` pairs do not justify an
//! argument-parsing dependency.

use std::fmt;

#[derive(Debug, Clone)]
pub struct Args {
    /// Unix-socket directory (or host name) of the server.
    pub host: String,
    pub port: u16,
    pub user: String,
    pub dbname: String,
    pub seed: u64,
    pub rulesets: usize,
    pub batches: usize,
    pub users: usize,
    /// Also store NaN, ±Infinity and infinite dates/timestamps.
    pub specials: bool,
    /// Print every mismatching group in full (otherwise the first few per batch).
    pub verbose: bool,
    /// Print every step with its statement, to replay a discrepancy by hand.
    pub log_steps: bool,
    /// Corrupt smart_groups.members before the last check, to show that the harness notices.
    pub sabotage: bool,
    /// Call verify() after every N-th check (and after setup and the last batch).
    pub verify_every: usize,
}

#[derive(Debug)]
pub struct ArgError(String);

impl fmt::Display for ArgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\n\n{USAGE}", self.0)
    }
}

pub const USAGE: &str = "usage: smart_groups_difftest --host DIR --port N [--user postgres] \
[--dbname sg_diff] [--seed S] [--rulesets 200] [--batches 50] [--users 240] \
[--verify-every 5] [--no-specials] [--verbose] [--log-steps] [--sabotage]";

impl Args {
    pub fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, ArgError> {
        let mut args = Args {
            host: String::new(),
            port: 0,
            user: "postgres".into(),
            dbname: "sg_diff".into(),
            seed: 1,
            rulesets: 200,
            batches: 50,
            users: 240,
            specials: true,
            verbose: false,
            log_steps: false,
            sabotage: false,
            verify_every: 5,
        };
        while let Some(flag) = argv.next() {
            match flag.as_str() {
                "--no-specials" => args.specials = false,
                "--verbose" => args.verbose = true,
                "--log-steps" => args.log_steps = true,
                "--sabotage" => args.sabotage = true,
                "--help" | "-h" => return Err(ArgError("help".into())),
                _ => {
                    let value = argv
                        .next()
                        .ok_or_else(|| ArgError(format!("{flag} needs a value")))?;
                    match flag.as_str() {
                        "--host" => args.host = value,
                        "--port" => args.port = number(&flag, &value)?,
                        "--user" => args.user = value,
                        "--dbname" => args.dbname = value,
                        "--seed" => args.seed = number(&flag, &value)?,
                        "--rulesets" => args.rulesets = number(&flag, &value)?,
                        "--batches" => args.batches = number(&flag, &value)?,
                        "--users" => args.users = number(&flag, &value)?,
                        "--verify-every" => args.verify_every = number(&flag, &value)?,
                        _ => return Err(ArgError(format!("unknown argument {flag}"))),
                    }
                }
            }
        }
        if args.host.is_empty() || args.port == 0 {
            return Err(ArgError("--host and --port are required".into()));
        }
        // The database is dropped and created again: refuse names that would need quoting,
        // so the DROP can never hit something unexpected.
        if args.dbname.is_empty()
            || !args
                .dbname
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(ArgError(format!(
                "--dbname {:?}: use lower-case letters, digits and _",
                args.dbname
            )));
        }
        if args.verify_every == 0 {
            return Err(ArgError("--verify-every must be at least 1".into()));
        }
        if args.users < 10 {
            return Err(ArgError("--users must be at least 10".into()));
        }
        Ok(args)
    }
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, ArgError> {
    value
        .parse()
        .map_err(|_| ArgError(format!("{flag}: {value:?} is not a valid number")))
}
