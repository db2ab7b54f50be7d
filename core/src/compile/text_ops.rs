//! Text operators (text, varchar, citext and enum values, all compared as `text`).

use super::ops::Cmp;
use super::quote::{like_escape, quote_literal, LIKE_ESCAPE};
use crate::ast::Op;
use crate::checked::Operand;

/// The collation that makes `lower` Unicode-aware whatever the database's own locale is
/// (under the C locale, `lower` leaves non-ASCII letters alone). Shipped with ICU builds of
/// Postgres, such as Debian's.
const ICU: &str = "COLLATE \"und-x-icu\"";

pub(super) fn cmp(v: &str, op: Op, operand: &Operand) -> Cmp {
    match (op, operand) {
        (Op::Eq, Operand::Text(s)) => Cmp::Expr(format!("{v} = {}", quote_literal(s))),
        (Op::In, Operand::TextList(items)) if !items.is_empty() => {
            let list: Vec<String> = items.iter().map(|s| quote_literal(s)).collect();
            Cmp::Expr(format!("{v} IN ({})", list.join(", ")))
        }
        (Op::Contains, Operand::Text(s)) => like(v, &format!("%{}%", like_escape(s))),
        (Op::StartsWith, Operand::Text(s)) => like(v, &format!("{}%", like_escape(s))),
        (Op::EndsWith, Operand::Text(s)) => like(v, &format!("%{}", like_escape(s))),
        (Op::EqCi, Operand::Text(s)) => Cmp::Expr(format!("{} = {}", lower(v), lower_lit(s))),
        (Op::ContainsCi, Operand::Text(s)) => {
            Cmp::Expr(format!("strpos({}, {}) > 0", lower(v), lower_lit(s)))
        }
        (Op::StartsWithCi, Operand::Text(s)) => {
            Cmp::Expr(format!("starts_with({}, {})", lower(v), lower_lit(s)))
        }
        (Op::EndsWithCi, Operand::Text(s)) => {
            let x = lower_lit(s);
            Cmp::Expr(format!("right({}, char_length({x})) = {x}", lower(v)))
        }
        (Op::IsNotEmpty, Operand::None) => Cmp::Expr(format!("{v} <> ''")),
        _ => Cmp::Never,
    }
}

/// LIKE keeps `starts_with` able to use a pattern index; the escape makes the value literal.
fn like(v: &str, pattern: &str) -> Cmp {
    Cmp::Expr(format!(
        "{v} LIKE {} ESCAPE {}",
        quote_literal(pattern),
        quote_literal(&LIKE_ESCAPE.to_string())
    ))
}

pub(super) fn lower(v: &str) -> String {
    format!("lower({v} {ICU})")
}

/// The value is lower-cased by Postgres, with the same function as the column, so both sides
/// follow exactly the same Unicode rules.
fn lower_lit(s: &str) -> String {
    lower(&quote_literal(s))
}
