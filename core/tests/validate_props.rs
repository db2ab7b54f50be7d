//! Random rulesets: validation never panics, and its result is consistent.

mod validate_support;

use proptest::prelude::*;
use smart_groups_core::ast::{
    depth, CmpOp, Comparison, Condition, Count, Has, Node, Number, Op, Value,
};
use smart_groups_core::checked::Pred;
use smart_groups_core::limits::MAX_DEPTH;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{validate, Options, Severity};
use validate_support::catalog;

const FIELDS: &[&str] = &[
    "name",
    "email",
    "location",
    "role",
    "job_title",
    "department",
    "hire_date",
    "created_at",
    "active",
    "age",
    "salary",
    "tags",
    "manager_id",
    "shirt_size",
    "start_date",
    "score",
    "manager.name",
    "manager.manager.hire_date",
    "manager.tags",
    "boss.name",
    "departmnet",
    "course",
    "status",
    "completed_at",
    "clicked_at",
    "",
    ".",
    "manager.",
    "manager..name",
    "ä.ö",
    "a\u{0}b",
];
const RELATIONS: &[&str] = &["enrollments", "clicks", "enrolments", "", "users"];
const GROUPS: &[&str] = &[
    "Sales",
    "Marketing",
    "Old",
    "Paused",
    "A",
    "B",
    "C",
    "Salse",
    "",
];
const STRINGS: &[&str] = &[
    "",
    " ",
    "admin",
    "manager",
    "S",
    "XL",
    "Ann",
    "Van  Loon",
    " x ",
    "2024-01-01",
    "02/29/2024",
    "2023-02-29",
    "13/01/2024",
    "2024-01-31T10:00:00Z",
    "2024-01-31T10:00:00+99:00",
    "30 days",
    "1 year",
    "0 days",
    "10001 years",
    "99999999999999999999 minutes",
    "\u{0}",
    "%_\\",
    "é",
    "9999-12-31",
    "0001-01-01",
];
const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "2.5",
    "1e3",
    "1e400",
    "-1e400",
    "1e-1001",
    "123456789012345678901234567890",
];

fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        prop::sample::select(STRINGS).prop_map(|s| Value::String(s.to_string())),
        "\\PC{0,12}".prop_map(Value::String),
        prop::sample::select(NUMBERS).prop_map(|n| Value::Number(Number::parse(n).unwrap())),
        any::<bool>().prop_map(Value::Bool),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop::collection::vec(inner, 0..4).prop_map(Value::List)
    })
}

fn name(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(pool).prop_map(str::to_string), 1 => "[a-z_.]{0,10}"]
}

fn condition() -> impl Strategy<Value = Node> {
    (
        name(FIELDS),
        prop::sample::select(Op::ALL),
        prop::option::of(value()),
        any::<bool>(),
    )
        .prop_map(|(field, op, value, consistent)| {
            // Mostly the readers' invariant (value present iff the operator takes one).
            let value = match (consistent, op.takes_value()) {
                (true, true) => value.or(Some(Value::String("x".into()))),
                (true, false) => None,
                (false, _) => value,
            };
            Node::Cond(Condition { field, op, value })
        })
}

/// A field compared with another field, any operator (validation judges the pair).
fn comparison() -> impl Strategy<Value = Node> {
    (name(FIELDS), prop::sample::select(Op::ALL), name(FIELDS)).prop_map(
        |(field, op, value_field)| {
            Node::Compare(Comparison {
                field,
                op,
                value_field,
            })
        },
    )
}

fn count() -> impl Strategy<Value = Option<Count>> {
    prop::option::of((
        prop::sample::select(CmpOp::ALL.to_vec()),
        prop_oneof![0u64..5, any::<u64>()],
    ))
    .prop_map(|c| c.map(|(op, value)| Count { op, value }))
}

fn ruleset() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        6 => condition(),
        2 => comparison(),
        1 => name(GROUPS).prop_map(Node::MemberOf),
        1 => (name(RELATIONS), count()).prop_map(|(relation, count)| Node::Has(Has { relation, filter: None, count })),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Node::All),
            prop::collection::vec(inner.clone(), 0..5).prop_map(Node::Any),
            inner.clone().prop_map(|n| Node::Not(Box::new(n))),
            (name(RELATIONS), inner, count()).prop_map(|(relation, w, count)| {
                Node::Has(Has {
                    relation,
                    filter: Some(Box::new(w)),
                    count,
                })
            }),
        ]
    })
}

fn options() -> impl Strategy<Value = Options> {
    prop::option::of(prop::sample::select(GROUPS)).prop_map(|g| Options {
        group: g.map(str::to_string),
        ..Options::default()
    })
}

fn test_paths(pred: &Pred, out: &mut Vec<String>) {
    match pred {
        Pred::All(items) | Pred::Any(items) => items.iter().for_each(|p| test_paths(p, out)),
        Pred::Not(inner) => test_paths(inner, out),
        Pred::Has {
            filter: Some(f), ..
        } => test_paths(f, out),
        Pred::Test(t) => out.push(t.path.clone()),
        Pred::Compare(c) => out.push(c.path.clone()),
        Pred::MemberOf { .. } | Pred::Has { .. } => {}
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn random_rulesets_validate_consistently(node in ruleset(), opts in options()) {
        let catalog = catalog();
        let v = validate(&node, &catalog, &opts);
        let has_error = v.problems.iter().any(|p| p.severity == Severity::Error);
        prop_assert_eq!(v.pred.is_some(), !has_error);
        for p in &v.problems {
            prop_assert_eq!(p.sqlstate().len(), 5);
            prop_assert_eq!(p.severity == Severity::Warning, p.sqlstate() == "01000");
            prop_assert!(!p.to_string().contains('\0'), "NUL in a message: {:?}", p);
            prop_assert!(p.path.is_empty() || !p.path.starts_with('.'));
        }
        if let Some(pred) = &v.pred {
            let mut paths = Vec::new();
            test_paths(pred, &mut paths);
            let distinct: std::collections::HashSet<_> = paths.iter().collect();
            prop_assert_eq!(distinct.len(), paths.len());
        }
        prop_assert_eq!(validate(&node, &catalog, &opts), v);
    }

    #[test]
    fn depth_limit_matches_ast_depth(node in ruleset(), wraps in 0usize..40) {
        let mut node = node;
        for _ in 0..wraps {
            node = Node::Not(Box::new(node));
        }
        let v = validate(&node, &catalog(), &Options::default());
        let too_deep = v.problems.iter().any(|p| p.sqlstate() == "54001" && p.path.is_empty());
        prop_assert_eq!(too_deep, depth(&node) > MAX_DEPTH);
        if too_deep {
            prop_assert_eq!(v.problems.len(), 1);
        }
    }
}
