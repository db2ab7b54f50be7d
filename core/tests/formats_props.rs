//! Ours → theirs → ours gives `formats::normalize` of the ruleset, on random rulesets from
//! `common::gen`, for react-querybuilder and JsonLogic; and a ruleset either format refuses
//! holds something it cannot say.
//!
//! The importers type fields (`<` on a date is `before`, `contains` on a list is `includes`):
//! here each field is typed by how the ruleset uses it, and a ruleset that uses one field both
//! as a date and as a number, or as a list and as text, is skipped (no catalog types a field
//! two ways, and validation refuses such a ruleset anyway).

mod common;

use std::collections::HashMap;

use common::gen::arb_node;
use proptest::prelude::*;
use smart_groups_core::ast::{Node, Op, Value};
use smart_groups_core::catalog::FieldType;
use smart_groups_core::formats::{self, jsonlogic, querybuilder, Format};
use smart_groups_core::json;

#[derive(Clone, Copy, PartialEq)]
enum Use {
    Time,
    List,
    /// An operator the importers would read differently on a date or a list.
    Plain,
}

/// Each field's type as the ruleset uses it, or None when it uses one two ways or writes a
/// value the importers would read differently (a list operator given a single string).
fn typing(node: &Node) -> Option<HashMap<String, FieldType>> {
    let mut uses: HashMap<String, Use> = HashMap::new();
    let mut ok = true;
    walk(node, &mut |field, op, value| {
        let want = match op {
            Op::Before | Op::After | Op::WithinLast | Op::NotWithinLast => Some(Use::Time),
            Op::Includes | Op::NotIncludes | Op::IncludesAny | Op::IncludesAll => Some(Use::List),
            Op::Lt
            | Op::Lte
            | Op::Gt
            | Op::Gte
            | Op::Contains
            | Op::NotContains
            | Op::In
            | Op::NotIn => Some(Use::Plain),
            _ => None,
        };
        if let Some(w) = want {
            if *uses.entry(field.to_string()).or_insert(w) != w {
                ok = false;
            }
        }
        let listed = matches!(
            op,
            Op::In | Op::NotIn | Op::Between | Op::IncludesAny | Op::IncludesAll
        );
        if listed && !matches!(value, Some(Value::List(_))) {
            ok = false;
        }
    });
    ok.then(|| {
        uses.into_iter()
            .filter_map(|(f, u)| match u {
                Use::Time => Some((f, FieldType::Date)),
                Use::List => Some((f, FieldType::List)),
                Use::Plain => None,
            })
            .collect()
    })
}

fn walk(node: &Node, f: &mut dyn FnMut(&str, Op, Option<&Value>)) {
    match node {
        Node::All(items) | Node::Any(items) => items.iter().for_each(|n| walk(n, f)),
        Node::Not(inner) => walk(inner, f),
        Node::Cond(c) => f(&c.field, c.op, c.value.as_ref()),
        // Only the first field's type decides how an importer reads the operator.
        Node::Compare(c) if COMPARES_FIELDS.contains(&c.op) => f(&c.field, c.op, None),
        Node::Compare(_) => {}
        Node::Has(h) => {
            if let Some(w) = &h.filter {
                walk(w, f);
            }
        }
        Node::MemberOf(_) => {}
    }
}

/// The operators that compare two fields (`validate::comparison_ops` of some type).
const COMPARES_FIELDS: [Op; 9] = [
    Op::Eq,
    Op::Neq,
    Op::EqCi,
    Op::Lt,
    Op::Lte,
    Op::Gt,
    Op::Gte,
    Op::Before,
    Op::After,
];

/// Whether the ruleset holds something `format` has no equivalent for.
fn unsayable(node: &Node, format: Format) -> bool {
    let mut found = false;
    let mut check = |n: &Node| match n {
        Node::MemberOf(_) | Node::Has(_) => found = true,
        Node::Compare(c) => {
            found |= !COMPARES_FIELDS.contains(&c.op)
                || (format == Format::JsonLogic
                    && (c.op == Op::EqCi || c.field.is_empty() || c.value_field.is_empty()));
        }
        Node::Cond(c) if format == Format::JsonLogic => {
            found |= c.field.is_empty()
                || matches!(
                    c.op,
                    Op::EqCi
                        | Op::ContainsCi
                        | Op::StartsWithCi
                        | Op::EndsWithCi
                        | Op::WithinLast
                        | Op::NotWithinLast
                        | Op::IncludesAll
                )
                || (c.op == Op::Between
                    && !matches!(&c.value, Some(Value::List(v)) if v.len() == 2));
        }
        _ => {}
    };
    visit(node, &mut check);
    found
}

fn visit(node: &Node, f: &mut dyn FnMut(&Node)) {
    f(node);
    match node {
        Node::All(items) | Node::Any(items) => items.iter().for_each(|n| visit(n, f)),
        Node::Not(inner) => visit(inner, f),
        _ => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, max_global_rejects: 20_000, ..ProptestConfig::default() })]

    #[test]
    fn querybuilder_round_trip(node in arb_node()) {
        let types = typing(&node);
        prop_assume!(types.is_some());
        let types = types.unwrap_or_default();
        let lookup = |f: &str| types.get(f).copied();
        match querybuilder::to_querybuilder(&node) {
            Err(e) => prop_assert!(unsayable(&node, Format::QueryBuilder), "refused {}: {:?}", e, node),
            Ok(theirs) => {
                prop_assert!(!unsayable(&node, Format::QueryBuilder));
                let back = querybuilder::from_querybuilder(&theirs, &lookup);
                prop_assert!(back.is_ok(), "{:?} from {}", back, theirs);
                let back = back.unwrap_or_else(|_| node.clone());
                prop_assert_eq!(
                    json::write(&back),
                    json::write(&formats::normalize(&node, Format::QueryBuilder)),
                    "through {}", theirs
                );
            }
        }
    }

    #[test]
    fn jsonlogic_round_trip(node in arb_node()) {
        let types = typing(&node);
        prop_assume!(types.is_some());
        let types = types.unwrap_or_default();
        let lookup = |f: &str| types.get(f).copied();
        match jsonlogic::to_jsonlogic(&node) {
            Err(e) => prop_assert!(unsayable(&node, Format::JsonLogic), "refused {}: {:?}", e, node),
            Ok(theirs) => {
                prop_assert!(!unsayable(&node, Format::JsonLogic));
                let back = jsonlogic::from_jsonlogic(&theirs, &lookup);
                prop_assert!(back.is_ok(), "{:?} from {}", back, theirs);
                let back = back.unwrap_or_else(|_| node.clone());
                prop_assert_eq!(
                    json::write(&back),
                    json::write(&formats::normalize(&node, Format::JsonLogic)),
                    "through {}", theirs
                );
            }
        }
    }
}
