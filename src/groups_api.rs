//! Rust helpers behind the group functions of `sql/groups.sql`: canonical rules, validated
//! predicates, renames inside rules, and `explain`.

use pgrx::prelude::*;
use pgrx::JsonB;
use smart_groups_core::ast::Node;
use smart_groups_core::validate::{self, Options};
use smart_groups_core::{compile, json, report};

use crate::catalog_load;
use crate::errors::{raise, OrRaise};
use crate::rules_api::{check, read_jsonb, read_text};

/// Canonical JSON of a ruleset given in either form (raises on syntax errors).
#[pg_extern(name = "_normalize", immutable, parallel_safe)]
fn normalize_text(rules: &str) -> JsonB {
    JsonB(json::write(&read_text(rules)))
}

#[pg_extern(name = "_normalize", immutable, parallel_safe)]
fn normalize_jsonb(rules: JsonB) -> JsonB {
    JsonB(json::write(&read_jsonb(&rules)))
}

/// The validated predicate of a group's rules over users alias `u`. `group_name` is the group
/// the rules belong to (NULL for a preview), so that `member_of` cycles are refused.
#[pg_extern(stable, parallel_safe)]
fn _group_predicate(rules: JsonB, group_name: Option<&str>) -> String {
    let node = read_jsonb(&rules);
    let (pred, catalog) = check(&node, group_name);
    compile::compile(&pred, &catalog)
}

/// Whether a stored ruleset still validates against the current catalog (after a column or
/// custom field was dropped, groups whose rules no longer do become static).
#[pg_extern(stable)]
fn _rules_valid(rules: JsonB, group_name: &str) -> bool {
    let Ok(node) = json::read_value(&rules.0) else {
        return false;
    };
    let catalog = catalog_load::load().or_raise();
    let opts = Options { group: Some(group_name.to_string()) };
    validate::validate(&node, &catalog, &opts).pred.is_some()
}

fn rename_in(node: Node, old: &str, new: &str) -> Node {
    let list = |items: Vec<Node>| items.into_iter().map(|n| rename_in(n, old, new)).collect();
    match node {
        Node::All(items) => Node::All(list(items)),
        Node::Any(items) => Node::Any(list(items)),
        Node::Not(inner) => Node::Not(Box::new(rename_in(*inner, old, new))),
        Node::MemberOf(name) if name == old => Node::MemberOf(new.to_string()),
        Node::Has(mut has) => {
            has.filter = has.filter.map(|f| Box::new(rename_in(*f, old, new)));
            Node::Has(has)
        }
        other => other,
    }
}

/// The rules with every `member_of old` renamed to `new` (rename_group keeps dependants valid).
#[pg_extern(immutable, parallel_safe)]
fn _rename_member_of(rules: JsonB, old: &str, new: &str) -> JsonB {
    JsonB(json::write(&rename_in(read_jsonb(&rules), old, new)))
}

/// The closest of `candidates` to `word`, for did-you-mean hints raised from SQL.
#[pg_extern(immutable, parallel_safe)]
fn _did_you_mean(word: &str, candidates: Vec<String>) -> Option<String> {
    report::did_you_mean(word, candidates.iter().map(String::as_str)).map(str::to_string)
}

/// Validation problems raised from PL/pgSQL keep their SQLSTATE: this re-raises the first.
#[pg_extern(stable)]
fn _check_rules(rules: JsonB, group_name: Option<&str>) {
    let node = read_jsonb(&rules);
    let catalog = catalog_load::load().or_raise();
    let opts = Options { group: group_name.map(str::to_string) };
    if let Err(problem) = validate::validate(&node, &catalog, &opts).into_result() {
        raise(&problem);
    }
}
