//! The ruleset AST (docs/reference/rules.md). Both the JSON reader and the text parser produce it, and
//! both printers consume it; it knows nothing about any catalog. Values keep the shape the
//! user wrote (a date is still a string here): typing happens in `validate`.

use std::fmt;

/// A ruleset: a group of rulesets or a single rule.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// True when every item is true (empty: true).
    All(Vec<Node>),
    /// True when at least one item is true (empty: false).
    Any(Vec<Node>),
    Not(Box<Node>),
    Cond(Condition),
    /// A field compared with another field of the same user (or relation row).
    Compare(Comparison),
    /// Member of another group, by name.
    MemberOf(String),
    Has(Has),
}

/// `{"field": NAME, "op": OP, "value": VALUE}`. `value` is `None` exactly when
/// `op.takes_value()` is false; the readers enforce that invariant.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// A field name as written, possibly dotted for references (`manager.name`).
    pub field: String,
    pub op: Op,
    pub value: Option<Value>,
}

/// `{"field": NAME, "op": OP, "value_field": NAME}`: the value is another field's, read for
/// the same row. Which operators may compare two fields is for validation to say
/// (`validate::comparison_ops`).
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub field: String,
    pub op: Op,
    pub value_field: String,
}

/// `{"has": RELATION, "where": ruleset, "count": {"op": CMP, "value": N}}`.
#[derive(Debug, Clone, PartialEq)]
pub struct Has {
    pub relation: String,
    pub filter: Option<Box<Node>>,
    /// `None` means the default, "at least one".
    pub count: Option<Count>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub op: CmpOp,
    pub value: u64,
}

/// A value as written. Numbers keep their decimal text so that no precision is lost between
/// the user's input and the SQL literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    String(String),
    Number(Number),
    Bool(bool),
    List(Vec<Value>),
}

/// A JSON-syntax number literal (`-?int(.frac)?(e[+-]?digits)?`), kept as text.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number(String);

impl Number {
    /// Accepts exactly the JSON number grammar; anything else is `None`.
    pub fn parse(text: &str) -> Option<Number> {
        let b = text.as_bytes();
        let mut i = 0;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let int_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let int_len = i - int_start;
        if int_len == 0 || (int_len > 1 && b[int_start] == b'0') {
            return None;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == s {
                return None;
            }
        }
        if matches!(b.get(i), Some(b'e') | Some(b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+') | Some(b'-')) {
                i += 1;
            }
            let s = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i == s {
                return None;
            }
        }
        (i == b.len()).then(|| Number(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value as f64, for ordering checks (`between` bounds) and evaluators.
    pub fn to_f64(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }

    /// The value as a non-negative integer, if it is one written without fraction or exponent.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Comparison operators of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
}

impl CmpOp {
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Eq,
        CmpOp::Neq,
        CmpOp::Lt,
        CmpOp::Lte,
        CmpOp::Gt,
        CmpOp::Gte,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CmpOp::Eq => "eq",
            CmpOp::Neq => "neq",
            CmpOp::Lt => "lt",
            CmpOp::Lte => "lte",
            CmpOp::Gt => "gt",
            CmpOp::Gte => "gte",
        }
    }

    pub fn from_name(name: &str) -> Option<CmpOp> {
        CmpOp::ALL.into_iter().find(|op| op.name() == name)
    }

    /// The SQL comparison operator.
    pub fn sql(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Neq => "<>",
            CmpOp::Lt => "<",
            CmpOp::Lte => "<=",
            CmpOp::Gt => ">",
            CmpOp::Gte => ">=",
        }
    }

    pub fn holds(self, left: u64, right: u64) -> bool {
        match self {
            CmpOp::Eq => left == right,
            CmpOp::Neq => left != right,
            CmpOp::Lt => left < right,
            CmpOp::Lte => left <= right,
            CmpOp::Gt => left > right,
            CmpOp::Gte => left >= right,
        }
    }
}

macro_rules! ops {
    ($($variant:ident => $name:literal),* $(,)?) => {
        /// Rule operators (docs/reference/rules.md, "Operators").
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Op { $($variant),* }

        impl Op {
            pub const ALL: &'static [Op] = &[$(Op::$variant),*];

            /// The JSON spelling.
            pub fn name(self) -> &'static str {
                match self { $(Op::$variant => $name),* }
            }
        }
    };
}

ops! {
    Eq => "eq",
    Neq => "neq",
    Contains => "contains",
    NotContains => "not_contains",
    StartsWith => "starts_with",
    EndsWith => "ends_with",
    In => "in",
    NotIn => "not_in",
    IsEmpty => "is_empty",
    IsNotEmpty => "is_not_empty",
    EqCi => "eq_ci",
    ContainsCi => "contains_ci",
    StartsWithCi => "starts_with_ci",
    EndsWithCi => "ends_with_ci",
    Lt => "lt",
    Lte => "lte",
    Gt => "gt",
    Gte => "gte",
    Between => "between",
    Before => "before",
    After => "after",
    WithinLast => "within_last",
    NotWithinLast => "not_within_last",
    Includes => "includes",
    NotIncludes => "not_includes",
    IncludesAny => "includes_any",
    IncludesAll => "includes_all",
}

impl Op {
    pub fn from_name(name: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|op| op.name() == name)
    }

    /// The operators comparing text ignoring case: their answer depends on the case folding.
    pub fn folds_case(self) -> bool {
        matches!(
            self,
            Op::EqCi | Op::ContainsCi | Op::StartsWithCi | Op::EndsWithCi
        )
    }

    /// `is_empty` and `is_not_empty` take no value; every other operator requires one.
    pub fn takes_value(self) -> bool {
        !matches!(self, Op::IsEmpty | Op::IsNotEmpty)
    }

    /// Operators defined as the negation of another (`neq` is `not eq`, ...). They are true
    /// where the value is NULL; every other operator is false there.
    pub fn negation_of(self) -> Option<Op> {
        match self {
            Op::Neq => Some(Op::Eq),
            Op::NotContains => Some(Op::Contains),
            Op::NotIn => Some(Op::In),
            Op::IsEmpty => Some(Op::IsNotEmpty),
            Op::NotIncludes => Some(Op::Includes),
            Op::NotWithinLast => Some(Op::WithinLast),
            _ => None,
        }
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Depth of a ruleset: 1 for a leaf; each all/any/not/has-with-where adds one level.
pub fn depth(node: &Node) -> usize {
    match node {
        Node::All(items) | Node::Any(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Node::Not(inner) => 1 + depth(inner),
        Node::Has(Has {
            filter: Some(w), ..
        }) => 1 + depth(w),
        Node::Cond(_) | Node::Compare(_) | Node::MemberOf(_) | Node::Has(_) => 1,
    }
}
