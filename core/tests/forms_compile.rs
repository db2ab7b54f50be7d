//! Random rulesets from `common::gen`, in both forms, through validation against a small
//! catalog and, when valid, through the compiler: nothing panics, a valid ruleset compiles to
//! non-empty SQL, and the text form and the JSON form of one ruleset validate and compile
//! alike.
//!
//! Generated names are random, so almost none would resolve: three quarters of the rulesets
//! are fitted to the catalog first (`forms_support::suit`), names only or names, operators and
//! values, so that a good share validates and reaches the compiler.

mod common;
mod forms_support;
mod validate_support;

use common::gen::arb_node;
use forms_support::suit::{suit, RELATIONS, USER_FIELDS};
use forms_support::{fit_f64, parse_ok, through_json};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use smart_groups_core::ast::Node;
use smart_groups_core::catalog::Catalog;
use smart_groups_core::checked::Pred;
use smart_groups_core::compile::compile;
use smart_groups_core::read::read_rules;
use smart_groups_core::validate::{validate, Options, Severity, Validation};
use smart_groups_core::{json, text};
use std::sync::atomic::{AtomicUsize, Ordering};
use validate_support::catalog;

fn compiled(v: &Validation, catalog: &Catalog) -> Option<String> {
    v.pred.as_ref().map(|pred| compile(pred, catalog))
}

/// Whether a predicate tests at least one field (not only groups and bare `has`).
fn tests_a_field(pred: &Pred) -> bool {
    match pred {
        Pred::All(items) | Pred::Any(items) => items.iter().any(tests_a_field),
        Pred::Not(inner) => tests_a_field(inner),
        Pred::Has { filter, .. } => filter.as_deref().is_some_and(tests_a_field),
        Pred::Test(_) | Pred::Compare(_) => true,
        Pred::MemberOf { .. } => false,
    }
}

#[derive(Default)]
struct Tally {
    cases: AtomicUsize,
    valid: AtomicUsize,
    with_fields: AtomicUsize,
}

/// One case, counted in `tally`.
fn check(node: &Node, catalog: &Catalog, tally: &Tally) -> Result<(), TestCaseError> {
    let options = Options::default();
    let direct = validate(node, catalog, &options);
    let has_error = direct
        .problems
        .iter()
        .any(|p| p.severity == Severity::Error);
    prop_assert_eq!(direct.pred.is_some(), !has_error);
    if let Some(sql) = compiled(&direct, catalog) {
        prop_assert!(!sql.trim().is_empty(), "empty SQL for {:?}", node);
    }

    // Both forms of the (JSON-normalised) ruleset validate and compile identically.
    let canon = through_json(&fit_f64(node));
    let from_text = read_rules(&text::print(&canon)).map_err(|e| e.to_string());
    let from_json = read_rules(&json::write(&canon).to_string()).map_err(|e| e.to_string());
    prop_assert_eq!(from_text.as_ref(), Ok(&canon));
    prop_assert_eq!(from_json.as_ref(), Ok(&canon));
    let via_text = from_text.map(|n| validate(&n, catalog, &options));
    let via_json = from_json.map(|n| validate(&n, catalog, &options));
    prop_assert_eq!(&via_text, &via_json);
    let sql_text = via_text.as_ref().ok().and_then(|v| compiled(v, catalog));
    let sql_json = via_json.as_ref().ok().and_then(|v| compiled(v, catalog));
    prop_assert_eq!(sql_text, sql_json);

    tally.cases.fetch_add(1, Ordering::Relaxed);
    if let Some(pred) = &direct.pred {
        tally.valid.fetch_add(1, Ordering::Relaxed);
        if tests_a_field(pred) {
            tally.with_fields.fetch_add(1, Ordering::Relaxed);
        }
    }
    Ok(())
}

#[test]
fn random_rulesets_validate_and_compile_in_both_forms() {
    let catalog = catalog();
    let tally = Tally::default();
    // Run by hand to count outcomes; no source file to persist failures next to.
    let config = Config {
        cases: 3000,
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let outcome = runner.run(&(arb_node(), 0..4u8), |(generated, fitting)| {
        let node = match fitting {
            0 => generated,
            1 => suit(&generated, false),
            _ => suit(&generated, true),
        };
        check(&node, &catalog, &tally)
    });
    if let Err(e) = outcome {
        panic!("{e}");
    }
    // Without enough valid rulesets the compiler half of this test would prove nothing.
    let cases = tally.cases.into_inner();
    let (valid, with_fields) = (tally.valid.into_inner(), tally.with_fields.into_inner());
    eprintln!("{valid} of {cases} valid, {with_fields} testing fields");
    assert!(cases >= 3000, "{cases} cases");
    assert!(valid * 5 >= cases, "only {valid} of {cases} were valid");
    assert!(
        with_fields * 10 >= cases,
        "only {with_fields} tested fields"
    );
}

#[test]
fn fitting_resolves_names() {
    let node = suit(&parse_ok("zz = 1 and has q where y = 2"), true);
    let Node::All(items) = &node else {
        panic!("{node:?}")
    };
    let [Node::Cond(c), Node::Has(h)] = items.as_slice() else {
        panic!("{node:?}")
    };
    assert!(USER_FIELDS.iter().any(|f| f.0 == c.field));
    assert!(RELATIONS.contains(&h.relation.as_str()));
}
