//! SQLSTATEs and hints of validation problems (see `report::Report`).

use super::error::{list, q, ValidationError as E};
use super::operators::applicable_ops;
use super::{Problem, Severity};
use crate::ast::Op;
use crate::catalog::{FieldType, GroupStatus};
use crate::report::Report;
use crate::text::op_text;

const DATE_HINT: &str = "write YYYY-MM-DD or MM/DD/YYYY";
const TIMESTAMP_HINT: &str =
    "write YYYY-MM-DD or MM/DD/YYYY, or an RFC 3339 instant such as 2024-01-31T10:00:00Z";
const COMPARABLE_HINT: &str = "a field compares with a field of the same type; text and enum fields compare as text, date and timestamp fields by UTC day";
const WHERE_HINT: &str = "a where filters rows of the relation by the relation's own columns";

impl Report for E {
    fn sqlstate(&self) -> &'static str {
        match self {
            E::TooDeep { .. } | E::TooManyReferences { .. } => "54001",
            E::UnknownField { .. }
            | E::UnknownReference { .. }
            | E::UnknownColumn { .. }
            | E::UnknownLookupColumn { .. } => "42703",
            E::UnknownRelation { .. } => "42P01",
            E::NotInWhere { .. } => "0A000",
            E::UnknownGroup { .. } => "42704",
            E::TenantNotUsable { .. } => "22023",
            E::GroupNotUsable { .. } => "55000",
            E::GroupCycle { .. } => "42P17",
            E::OperatorNotApplicable { .. }
            | E::WrongValueType { .. }
            | E::FieldsNotComparable { .. }
            | E::ComparisonNotApplicable { .. } => "42804",
            E::MissingValue { .. }
            | E::UnexpectedValue { .. }
            | E::NotAllowed { .. }
            | E::EmptyList { .. }
            | E::BetweenShape { .. }
            | E::BetweenReversed { .. } => "22023",
            E::BadDate { .. } | E::BadInterval { .. } => "22007",
            E::IntervalTooLong { .. } => "22008",
            E::NumberOutOfRange { .. } | E::CountOutOfRange { .. } | E::NumberTooPrecise { .. } => {
                "22003"
            }
            E::NulCharacter { .. } => "22021",
            E::Whitespace { .. } | E::UnmatchedValue { .. } | E::UnreadableValues { .. } => "01000",
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            E::GroupNotUsable { .. } => Some(
                "an inactive or archived group has no members, so the rule could never match"
                    .into(),
            ),
            E::UnreadableValues { .. } => {
                Some("values that cannot be read as the field's type count as empty".into())
            }
            _ => None,
        }
    }

    fn hint(&self) -> Option<String> {
        Some(match self {
            E::TooDeep { .. } => "flatten nested all/any groups or split the ruleset".into(),
            E::TooManyReferences { .. } => "follow fewer references in one field name".into(),
            E::UnknownField { .. } => "smart_groups.fields lists the fields a rule may name".into(),
            E::UnknownReference { known, .. } if known.is_empty() => {
                "the users table has no references or lookups (foreign keys), so field names cannot be dotted".into()
            }
            E::UnknownReference { known, .. } => {
                format!("a dotted name reads a field of the user a reference points to, or a column of the row a lookup points to; references and lookups: {}", list(known))
            }
            E::UnknownLookupColumn { lookup, known, .. } => {
                format!("columns of {lookup}: {}", list(known))
            }
            E::UnknownRelation { known, .. } if known.is_empty() => {
                "no relation is attached; attach one with smart_groups.attach_relation".into()
            }
            E::UnknownRelation { known, .. } => format!("attached relations: {}", list(known)),
            E::UnknownColumn { relation, name, users_field: true, .. } => format!(
                "{} is a field of the users, not a column of {relation}: put that rule next to the has, inside an all or any",
                q(name)
            ),
            E::UnknownColumn { relation, known, .. } => {
                format!("columns of {relation}: {}", list(known))
            }
            E::NotInWhere { what: "member_of", .. } => {
                format!("{WHERE_HINT}; put the member_of rule next to the has, inside an all or any")
            }
            E::NotInWhere { .. } => {
                format!("{WHERE_HINT}; has cannot be nested, so combine has rules with all or any")
            }
            E::UnknownGroup { .. } => "smart_groups.groups lists the groups".into(),
            E::TenantNotUsable { .. } => {
                "the tenant column is text or an integer, and a tenant is one of its values".into()
            }
            E::GroupNotUsable { status: GroupStatus::Archived, .. } => {
                "restore it with smart_groups.restore_group, or name another group".into()
            }
            E::GroupNotUsable { .. } => {
                "activate it with smart_groups.activate_group, or name another group".into()
            }
            E::GroupCycle { .. } => {
                "a group cannot depend on its own membership, directly or through other groups".into()
            }
            E::OperatorNotApplicable { ty, .. } => format!(
                "operators for {} fields: {}",
                ty.name(),
                applicable_ops(*ty).iter().map(|op| op.name()).collect::<Vec<_>>().join(", ")
            ),
            E::FieldsNotComparable { .. } => COMPARABLE_HINT.into(),
            E::ComparisonNotApplicable { ty, other_ty, .. } => {
                return comparison_hint(*ty, *other_ty, |op| op.name().to_string())
            }
            E::MissingValue { .. } => "every operator but is_empty and is_not_empty takes a value".into(),
            E::UnexpectedValue { .. } => "is_empty and is_not_empty take no value; remove it".into(),
            E::WrongValueType { ty, expected, .. } => return wrong_type_hint(*ty, expected),
            E::NotAllowed { suggestion, .. } => return suggestion.as_ref().map(|s| format!("did you mean {}?", q(s))),
            E::EmptyList { .. } => "list at least one value".into(),
            E::BetweenShape { .. } => "write [low, high], e.g. [1, 10]".into(),
            E::BetweenReversed { .. } => "write the lower bound first".into(),
            E::BadDate { timestamp: false, .. } => DATE_HINT.into(),
            E::BadDate { .. } => TIMESTAMP_HINT.into(),
            E::BadInterval { .. } => "write a positive whole number and a unit, e.g. \"30 days\"; units: minutes, hours, days, weeks, months, years (singular accepted)".into(),
            E::IntervalTooLong { .. } => "a duration may span at most 10,000 years".into(),
            E::NumberOutOfRange { .. } => "numbers must be finite, with at most 1000 digits and an exponent within ±1000".into(),
            E::NumberTooPrecise { .. } => "rulesets keep integers up to 64 bits exactly and other numbers to about 15 significant digits".into(),
            E::NulCharacter { .. } => "remove the \\0 character from the value".into(),
            E::CountOutOfRange { .. } => format!("counts go up to {}", i64::MAX),
            E::Whitespace { .. } => "remove the extra spaces unless the stored values have them too".into(),
            E::UnmatchedValue { .. } | E::UnreadableValues { .. } => return None,
        })
    }
}

/// The form of the ruleset a problem is reported for: messages and hints name operators and
/// values as the user wrote them (`>` and "a number" for the text form, `gt` and "a JSON
/// number" for JSON).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Form {
    #[default]
    Json,
    Text,
}

impl E {
    /// The message in `form`'s words.
    pub fn message_in(&self, form: Form) -> String {
        if form == Form::Json {
            return self.to_string();
        }
        let t = |op: &Op| q(op_text(*op));
        match self {
            E::OperatorNotApplicable { field, ty, op } => {
                format!(
                    "operator {} does not apply to {} field {}",
                    t(op),
                    ty.name(),
                    q(field)
                )
            }
            E::ComparisonNotApplicable { field, ty, op, .. } => format!(
                "operator {} cannot compare {} field {} with another field",
                t(op),
                ty.name(),
                q(field)
            ),
            E::MissingValue { op } => format!("operator {} needs a value", t(op)),
            E::UnexpectedValue { op } => format!("operator {} takes no value", t(op)),
            E::EmptyList { field, op } => {
                format!("{} on field {} needs at least one value", t(op), q(field))
            }
            E::BetweenShape { field, found } => {
                format!(
                    "between on field {} needs two bounds (between A and B), found {found}",
                    q(field)
                )
            }
            other => other.to_string(),
        }
    }

    /// The hint in `form`'s words.
    pub fn hint_in(&self, form: Form) -> Option<String> {
        if form == Form::Json {
            return self.hint();
        }
        Some(match self {
            E::TooDeep { .. } => "flatten nested groups of and, or and not, or split the ruleset".into(),
            E::OperatorNotApplicable { ty, .. } => format!(
                "operators for {} fields: {}",
                ty.name(),
                applicable_ops(*ty).iter().map(|op| op_text(*op)).collect::<Vec<_>>().join(", ")
            ),
            E::ComparisonNotApplicable { ty, other_ty, .. } => {
                return comparison_hint(*ty, *other_ty, |op| op_text(op).to_string())
            }
            E::MissingValue { .. } => "every operator but is empty and is not empty takes a value".into(),
            E::UnexpectedValue { .. } => "is empty and is not empty take no value; remove it".into(),
            E::BetweenShape { .. } => "write between A and B, e.g. between 1 and 10".into(),
            E::BadInterval { .. } => "write a positive whole number and a unit, e.g. within last 30 days; units: minutes, hours, days, weeks, months, years (singular accepted)".into(),
            E::UnknownColumn { relation, name, users_field: true, .. } => format!(
                "{} is a field of the users, not a column of {relation}: a where clause runs to the end of its parentheses, so close the has in parentheses: (has {relation} where ...) or {} ...",
                q(name),
                name
            ),
            E::NotInWhere { what: "member_of", .. } => format!(
                "{WHERE_HINT}; a where clause runs to the end of its parentheses, so close the has in parentheses: (has ... where ...) and member of ..."
            ),
            E::NotInWhere { .. } => format!(
                "{WHERE_HINT}; has cannot be nested: close the first has in parentheses and combine them with and or or"
            ),
            E::WrongValueType { ty, expected, .. } => return text_wrong_type_hint(*ty, expected),
            _ => return self.hint(),
        })
    }
}

/// The operators that compare a `ty` field with an `other_ty` one, named by `name`.
fn comparison_hint(
    ty: FieldType,
    other_ty: FieldType,
    name: impl Fn(Op) -> String,
) -> Option<String> {
    let ops = super::operators::comparison_ops_between(ty, other_ty);
    Some(if ops.is_empty() {
        format!(
            "{} fields cannot be compared with another field; compare them with values",
            ty.name()
        )
    } else {
        format!(
            "operators comparing {} field with {} field: {}",
            a(ty.name()),
            a(other_ty.name()),
            ops.into_iter().map(name).collect::<Vec<_>>().join(", ")
        )
    })
}

/// `word` with its indefinite article.
fn a(word: &str) -> String {
    let article = if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {word}")
}

fn text_wrong_type_hint(ty: FieldType, expected: &str) -> Option<String> {
    Some(match ty {
        _ if expected.starts_with("a list") => {
            "write a list in parentheses, e.g. (\"a\", \"b\")".into()
        }
        FieldType::Date | FieldType::Timestamp if expected.contains("duration") => {
            "write a number and a unit, e.g. within last 30 days".into()
        }
        FieldType::Date => format!("{DATE_HINT}, without quotes"),
        FieldType::Timestamp => format!("{TIMESTAMP_HINT}, without quotes"),
        FieldType::Number => "write a number, without quotes".into(),
        FieldType::Boolean => "write true or false, without quotes".into(),
        FieldType::Text | FieldType::Enum | FieldType::List => {
            "write a string in double quotes".into()
        }
    })
}

/// A problem reported for a ruleset given in `form` (`Problem` itself speaks JSON).
pub struct InForm<'a>(pub &'a Problem, pub Form);

impl std::fmt::Display for InForm<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.error.message_in(self.1))
    }
}

impl Report for InForm<'_> {
    fn sqlstate(&self) -> &'static str {
        self.0.sqlstate()
    }

    fn detail(&self) -> Option<String> {
        self.0.detail()
    }

    fn hint(&self) -> Option<String> {
        self.0.error.hint_in(self.1)
    }
}

fn wrong_type_hint(ty: FieldType, expected: &str) -> Option<String> {
    Some(match ty {
        _ if expected.starts_with("a list") => "write a JSON list, e.g. [\"a\", \"b\"]".into(),
        FieldType::Date if expected.contains("duration") => {
            "write a string such as \"30 days\"".into()
        }
        FieldType::Timestamp if expected.contains("duration") => {
            "write a string such as \"30 days\"".into()
        }
        FieldType::Date => format!("{DATE_HINT}, as a string"),
        FieldType::Timestamp => format!("{TIMESTAMP_HINT}, as a string"),
        FieldType::Number => "write a JSON number, without quotes".into(),
        FieldType::Boolean => "write true or false, without quotes".into(),
        FieldType::Text | FieldType::Enum | FieldType::List => {
            "write a JSON string, in double quotes".into()
        }
    })
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

/// A problem raised as an error (see `Validation::into_result`) carries its path in the
/// detail, so the user learns where in the ruleset it is.
impl Report for Problem {
    fn sqlstate(&self) -> &'static str {
        self.error.sqlstate()
    }

    fn detail(&self) -> Option<String> {
        let at = (!self.path.is_empty()).then(|| format!("at {}", self.path));
        match (at, self.error.detail()) {
            (Some(at), Some(d)) => Some(format!("{at}: {d}")),
            (at, d) => at.or(d),
        }
    }

    fn hint(&self) -> Option<String> {
        self.error.hint()
    }
}

impl Problem {
    /// A problem whose severity follows from its kind: notices (SQLSTATE class 01) are
    /// warnings, everything else blocks the ruleset.
    pub fn new(path: impl Into<String>, error: E) -> Problem {
        let severity = if error.sqlstate().starts_with("01") {
            Severity::Warning
        } else {
            Severity::Error
        };
        Problem {
            severity,
            path: path.into(),
            error,
        }
    }
}
