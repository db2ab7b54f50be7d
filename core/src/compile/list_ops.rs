//! List operators on text[] values. The array operators are never NULL for a non-NULL array,
//! NULL elements included, and can use a GIN index.

use super::ops::Cmp;
use super::quote::quote_literal;
use crate::ast::Op;
use crate::checked::Operand;

pub(super) fn cmp(v: &str, op: Op, operand: &Operand) -> Cmp {
    match (op, operand) {
        (Op::Includes, Operand::Text(s)) => {
            Cmp::Expr(format!("{v} @> {}", array(std::slice::from_ref(s))))
        }
        (Op::IncludesAny, Operand::TextList(items)) => {
            Cmp::Expr(format!("{v} && {}", array(items)))
        }
        (Op::IncludesAll, Operand::TextList(items)) => {
            Cmp::Expr(format!("{v} @> {}", array(items)))
        }
        (Op::IsNotEmpty, Operand::None) => Cmp::Expr(format!("cardinality({v}) > 0")),
        _ => Cmp::Never,
    }
}

fn array(items: &[String]) -> String {
    let list: Vec<String> = items.iter().map(|s| quote_literal(s)).collect();
    format!("ARRAY[{}]::text[]", list.join(", "))
}
