//! Number operators, on bare literals so that integer columns keep their indexes.

use super::ops::Cmp;
use super::quote::number;
use crate::ast::Op;
use crate::checked::Operand;

pub(super) fn cmp(v: &str, op: Op, operand: &Operand) -> Cmp {
    let order = match op {
        Op::Eq => "=",
        Op::Lt => "<",
        Op::Lte => "<=",
        Op::Gt => ">",
        Op::Gte => ">=",
        _ => "",
    };
    match (op, operand) {
        (_, Operand::Number(n)) if !order.is_empty() => {
            Cmp::Expr(format!("{v} {order} {}", number(n)))
        }
        (Op::In, Operand::NumberList(items)) if !items.is_empty() => {
            let list: Vec<String> = items.iter().map(number).collect();
            Cmp::Expr(format!("{v} IN ({})", list.join(", ")))
        }
        (Op::Between, Operand::NumberRange(lo, hi)) => {
            Cmp::Expr(format!("{v} >= {} AND {v} <= {}", number(lo), number(hi)))
        }
        (Op::IsNotEmpty, Operand::None) => Cmp::Present,
        _ => Cmp::Never,
    }
}
