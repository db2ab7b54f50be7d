//! The value a base operator compares, and the guard that makes it two-valued.

use super::{list_ops, number_ops, text_ops, time_ops};
use crate::ast::Op;
use crate::checked::Operand;

/// How a value compares in SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// text, varchar, citext and enums, all compared as `text`.
    Text,
    Number,
    Date,
    /// timestamp without time zone, holding UTC.
    Timestamp,
    Timestamptz,
    Boolean,
    /// text[]
    List,
}

/// A readable value: `present` is what is tested for NULL (the bare column where possible, so
/// that indexes stay usable), `value` what is compared.
#[derive(Debug, Clone)]
pub(super) struct Slot {
    pub present: String,
    pub value: String,
    pub kind: Kind,
}

/// The comparison of a base operator on a non-NULL value.
pub(super) enum Cmp {
    /// The operator and operand do not fit this value (validation refuses that): false.
    Never,
    /// Being present is enough (`is_not_empty` on most types).
    Present,
    /// Never NULL when the value is not NULL.
    Expr(String),
}

/// `(v IS NOT NULL AND comparison)`: false, never NULL, when v is NULL.
pub(super) fn guarded(slot: &Slot, op: Op, operand: &Operand) -> String {
    let present = &slot.present;
    match comparison(slot, op, operand) {
        Cmp::Never => "false".to_string(),
        Cmp::Present => format!("({present} IS NOT NULL)"),
        Cmp::Expr(e) => format!("({present} IS NOT NULL AND {e})"),
    }
}

fn comparison(slot: &Slot, op: Op, operand: &Operand) -> Cmp {
    let v = slot.value.as_str();
    match slot.kind {
        Kind::Text => text_ops::cmp(v, op, operand),
        Kind::Number => number_ops::cmp(v, op, operand),
        Kind::Date | Kind::Timestamp | Kind::Timestamptz => {
            time_ops::cmp(v, slot.kind, op, operand)
        }
        Kind::List => list_ops::cmp(v, op, operand),
        Kind::Boolean => match (op, operand) {
            (Op::Eq, Operand::Bool(b)) => Cmp::Expr(format!("{v} = {b}")),
            (Op::IsNotEmpty, Operand::None) => Cmp::Present,
            _ => Cmp::Never,
        },
    }
}
