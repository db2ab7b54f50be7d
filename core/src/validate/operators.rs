//! Which operators apply to which field type (docs/reference/rules.md, "Operators").

use crate::ast::Op::{self, *};
use crate::catalog::FieldType;

const TEXT: &[Op] = &[
    Eq,
    Neq,
    Contains,
    NotContains,
    StartsWith,
    EndsWith,
    In,
    NotIn,
    IsEmpty,
    IsNotEmpty,
    EqCi,
    ContainsCi,
    StartsWithCi,
    EndsWithCi,
];
const NUMBER: &[Op] = &[
    Eq, Neq, Lt, Lte, Gt, Gte, Between, In, NotIn, IsEmpty, IsNotEmpty,
];
const TIME: &[Op] = &[
    Eq,
    Neq,
    Before,
    After,
    Between,
    WithinLast,
    NotWithinLast,
    IsEmpty,
    IsNotEmpty,
];
const BOOLEAN: &[Op] = &[Eq, Neq, IsEmpty, IsNotEmpty];
const ENUM: &[Op] = &[Eq, Neq, In, NotIn, IsEmpty, IsNotEmpty];
const LIST: &[Op] = &[
    Includes,
    NotIncludes,
    IncludesAny,
    IncludesAll,
    IsEmpty,
    IsNotEmpty,
];

/// The operators a rule may use on a field of type `ty`, in the spec's order (which is also
/// the order hints list them in).
pub fn applicable_ops(ty: FieldType) -> &'static [Op] {
    match ty {
        FieldType::Text => TEXT,
        FieldType::Number => NUMBER,
        FieldType::Date | FieldType::Timestamp => TIME,
        FieldType::Boolean => BOOLEAN,
        FieldType::Enum => ENUM,
        FieldType::List => LIST,
    }
}

/// The operators that compare a field of type `ty` with another field
/// (docs/reference/rules.md, "Comparing two fields"): equality, and order where the type has
/// one that does not depend on a collation.
pub fn comparison_ops(ty: FieldType) -> &'static [Op] {
    match ty {
        FieldType::Text => &[Eq, Neq, EqCi],
        FieldType::Enum | FieldType::Boolean => &[Eq, Neq],
        FieldType::Number => &[Eq, Neq, Lt, Lte, Gt, Gte],
        FieldType::Date | FieldType::Timestamp => &[Eq, Neq, Before, After],
        FieldType::List => &[],
    }
}

/// The operators comparing a field of type `a` with one of type `b`: those both types allow,
/// when the types compare at all (text with enum as text, dates with timestamps by UTC day).
pub fn comparison_ops_between(a: FieldType, b: FieldType) -> Vec<Op> {
    use FieldType::*;
    let comparable = a == b
        || matches!(
            (a, b),
            (Text | Enum, Text | Enum) | (Date | Timestamp, Date | Timestamp)
        );
    if !comparable {
        return Vec::new();
    }
    let theirs = comparison_ops(b);
    comparison_ops(a)
        .iter()
        .copied()
        .filter(|op| theirs.contains(op))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operator_applies_somewhere_and_emptiness_everywhere() {
        for op in Op::ALL {
            assert!(
                FieldType::ALL
                    .iter()
                    .any(|t| applicable_ops(*t).contains(op)),
                "{op}"
            );
        }
        for ty in FieldType::ALL {
            assert!(
                applicable_ops(ty).contains(&IsEmpty) && applicable_ops(ty).contains(&IsNotEmpty)
            );
        }
        assert!(!applicable_ops(FieldType::Date).contains(&Contains));
        assert!(!applicable_ops(FieldType::Boolean).contains(&In));
    }
}
