//! The two forms map one-to-one (docs/reference/rules.md, "The text form") on random rulesets from `common::gen`:
//! text → AST → JSON → AST → text, JSON → AST → text → AST → JSON, and `read_rules` reading
//! either form of a ruleset gives the same AST.
//!
//! Numbers are the one thing whose spelling the forms do not share: the text form keeps the
//! literal as typed (`1.50`), JSON keeps a JSON number (`1.5`). So properties compare numbers
//! by value (`same_modulo_numbers`), then exactly after one normalising trip through JSON.

mod common;
mod forms_support;

use common::gen::arb_node;
use common::{cond, n};
use forms_support::{fit_f64, same_modulo_numbers, through_json};
use proptest::prelude::*;
use proptest::sample::select;
use smart_groups_core::ast::{Node, Op};
use smart_groups_core::read::read_rules;
use smart_groups_core::{json, text};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    /// 2a. text → AST → JSON → AST → text.
    #[test]
    fn text_through_json_and_back(generated in arb_node()) {
        // Literals beyond f64 have no JSON number (see `fit_f64`).
        let node = fit_f64(&generated);
        let source = text::print(&node);
        let ast = text::parse(&source);
        prop_assert_eq!(ast.as_ref(), Ok(&node), "text {:?}", source);
        let back = json::read_value(&json::write(&node));
        prop_assert!(back.is_ok(), "{:?}", back);
        let back = back.unwrap_or_else(|_| node.clone());
        prop_assert!(same_modulo_numbers(&node, &back), "{:?}\nbecame\n{:?}", node, back);
        let back_text = text::print(&back);
        prop_assert_eq!(text::parse(&back_text), Ok(back.clone()));

        // After one normalising round every step is exact, texts included.
        let canon_text = text::print(&back);
        let canon = text::parse(&canon_text);
        prop_assert_eq!(canon.as_ref(), Ok(&back));
        let again = canon.map(|c| json::read_value(&json::write(&c)));
        prop_assert_eq!(again, Ok(Ok(back.clone())));
        prop_assert_eq!(text::print(&through_json(&back)), canon_text);
    }

    /// 2b. JSON → AST → text → AST → JSON. No adaptation: a number JSON cannot hold is
    /// already a string in the JSON, and stays one.
    #[test]
    fn json_through_text_and_back(generated in arb_node()) {
        let value = json::write(&generated);
        let ast = json::read_value(&value);
        prop_assert!(ast.is_ok(), "{:?}", ast);
        let ast = ast.unwrap_or_else(|_| generated.clone());
        prop_assert_eq!(json::read_str(&value.to_string()), Ok(ast.clone()));
        let source = text::print(&ast);
        let back = text::parse(&source);
        prop_assert_eq!(back.as_ref(), Ok(&ast), "text {:?}", source);
        prop_assert_eq!(back.map(|b| json::write(&b)), Ok(value));
    }

    /// 2c. `read_rules` of the text and of the JSON text of one ruleset agree, whatever
    /// whitespace precedes them.
    #[test]
    fn read_rules_reads_both_forms_alike(
        generated in arb_node(),
        lead in select(&["", " ", "\n", "\t \r\n  "][..]),
    ) {
        let node = fit_f64(&generated);
        let canon = through_json(&node);
        let read = |input: String| read_rules(&input).map_err(|e| e.to_string());
        let value = json::write(&canon);
        let compact = read(format!("{lead}{value}"));
        let pretty = read(format!("{lead}{}", serde_json::to_string_pretty(&value).unwrap_or_default()));
        let from_text = read(format!("{lead}{}", text::print(&canon)));
        prop_assert_eq!(compact.as_ref(), Ok(&canon));
        prop_assert_eq!(pretty.as_ref(), Ok(&canon));
        prop_assert_eq!(from_text.as_ref(), Ok(&canon));

        // Before normalising, the text form keeps every literal as written and the JSON form
        // keeps every value.
        let raw_text = read(format!("{lead}{}", text::print(&node)));
        prop_assert_eq!(raw_text.as_ref(), Ok(&node));
        let raw_json = read(format!("{lead}{}", json::write(&node)));
        let same = raw_json.as_ref().is_ok_and(|j| same_modulo_numbers(j, &node));
        prop_assert!(same, "{:?} vs {:?}", raw_json, node);
    }
}

/// The equivalence the properties rely on must be able to say no.
#[test]
fn same_modulo_numbers_tells_numbers_apart() {
    let num = |t: &str| cond("f", Op::Eq, n(t));
    assert!(same_modulo_numbers(&num("1.50"), &num("1.5")));
    assert!(same_modulo_numbers(&num("1E2"), &num("100.0")));
    assert!(same_modulo_numbers(&num("-0"), &num("0")));
    assert!(!same_modulo_numbers(&num("1"), &num("2")));
    assert!(!same_modulo_numbers(&num("1"), &num("1.0")));
    // Beyond 2^53 integers must stay exact: as f64 these two are equal.
    assert!(!same_modulo_numbers(
        &num("9007199254740993"),
        &num("9007199254740992")
    ));
    assert!(!same_modulo_numbers(
        &Node::All(vec![num("1")]),
        &Node::Any(vec![num("1")])
    ));
    assert!(!same_modulo_numbers(&num("1"), &cond("g", Op::Eq, n("1"))));
}
