//! Rust helpers behind the group functions of `sql/groups.sql`: canonical rules, validated
//! predicates, renames inside rules, and `explain`.

use pgrx::prelude::*;
use pgrx::JsonB;
use smart_groups_core::ast::Node;
use smart_groups_core::validate::{self, Form};
use smart_groups_core::{compile, json, rename, report};

use crate::args::{RulesJson, Text};
use crate::catalog_load;
use crate::errors::{raise, OrRaise};
use crate::rules_api::{catalog_for, check, check_in, form_of, read_jsonb, read_text, Owner};

/// Canonical JSON of a ruleset given as text, in either form. A ruleset in the text form is
/// also validated here, so that its errors speak the text form (`>`, "write a number"): the
/// later checks see only JSON. What needs the group (a `member of` cycle) is left to them.
#[pg_extern(
    name = "_normalize",
    stable,
    parallel_safe,
    schema = "smart_groups_internal"
)]
pub fn normalize_text_in(
    rules: Option<Text>,
    tenant: default!(Option<Text>, "NULL"),
) -> Option<JsonB> {
    // NULL rules give NULL, as when this took the rules only and was STRICT: the callers
    // report a NULL ruleset.
    let rules = rules?;
    let rules = rules.get("the ruleset");
    let node = read_text(rules);
    if form_of(rules) == Form::Text {
        let tenant = tenant.as_ref().map(|t| t.get("the tenant"));
        check_in(&node, Owner::new(None, tenant), Form::Text);
    }
    Some(JsonB(json::write(&node)))
}

#[pg_extern(
    name = "_normalize",
    immutable,
    parallel_safe,
    schema = "smart_groups_internal"
)]
fn normalize_jsonb(rules: RulesJson) -> JsonB {
    JsonB(json::write(&read_jsonb(&rules)))
}

/// The validated predicate of a group's rules over users alias `u`. `group_name` is the group
/// the rules belong to (NULL for a preview), so that `member_of` cycles are refused; `tenant`
/// its tenant (or the preview's).
#[pg_extern(
    name = "_group_predicate",
    stable,
    parallel_safe,
    schema = "smart_groups_internal"
)]
pub fn group_predicate_in(
    rules: RulesJson,
    group_name: Option<Text>,
    tenant: default!(Option<Text>, "NULL"),
) -> String {
    predicate(
        rules.text(),
        Owner::new(
            group_name.as_ref().map(|n| n.get("the group name")),
            tenant.as_ref().map(|t| t.get("the tenant")),
        ),
    )
}

/// The compiled predicate of a group's rules, from the per-backend cache when possible.
pub fn predicate(rules: &str, owner: Owner) -> String {
    // Triggers ask for the same groups' predicates statement after statement: compiled rules
    // are kept per backend until what rules can name changes (the catalog epoch).
    let epoch = Spi::get_one::<i64>("SELECT catalog_epoch FROM smart_groups.config")
        .ok()
        .flatten()
        .unwrap_or(-1);
    let key = (
        epoch,
        owner.group.map(str::to_string),
        owner.tenant.map(str::to_string),
        rules.to_string(),
    );
    if let Some(hit) = PREDICATES.with(|c| c.borrow().get(&key).cloned()) {
        return hit;
    }
    let node = json::read_str(rules).or_raise();
    let (pred, catalog) = check(&node, owner);
    let sql = compile::compile(&pred, &catalog);
    PREDICATES.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= PREDICATE_CACHE_LIMIT {
            c.clear();
        }
        c.insert(key, sql.clone());
    });
    sql
}

type PredicateKey = (i64, Option<String>, Option<String>, String);

const PREDICATE_CACHE_LIMIT: usize = 4096;

thread_local! {
    static PREDICATES: std::cell::RefCell<std::collections::HashMap<PredicateKey, String>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

/// Whether a stored ruleset still validates against the current catalog (after a column or
/// custom field was dropped, groups whose rules no longer do become static).
#[pg_extern(name = "_rules_valid", stable, schema = "smart_groups_internal")]
pub fn rules_valid_in(
    rules: Option<RulesJson>,
    group_name: Option<Text>,
    tenant: default!(Option<Text>, "NULL"),
) -> Option<bool> {
    // NULL in, NULL out, as when this was STRICT: callers evaluate it beside conditions on
    // other columns, in any order (a static group's NULL rules).
    let (rules, group_name) = (rules?, group_name?);
    let owner = Owner::new(
        Some(group_name.get("the group name")),
        tenant.as_ref().map(|t| t.get("the tenant")),
    );
    let Ok(node) = json::read_str(rules.text()) else {
        return Some(false);
    };
    let catalog = catalog_for(owner.tenant);
    Some(
        match validate::validate(&node, &catalog, &owner.options()).pred {
            // Custom fields read without a custom-field table (it was dropped) would compile to
            // `false`: the group no longer means what it says.
            Some(pred) => {
                catalog.custom_table.is_some()
                    || compile::dependencies(&pred).custom_keys.is_empty()
            }
            None => false,
        },
    )
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
#[pg_extern(immutable, parallel_safe, schema = "smart_groups_internal")]
fn _rename_member_of(rules: RulesJson, old: Text, new: Text) -> JsonB {
    let (old, new) = (old.get("the group name"), new.get("the new group name"));
    JsonB(json::write(&rename_in(read_jsonb(&rules), old, new)))
}

/// `rules` with every field that named a renamed column naming it anew. `renames`:
/// `{"users": {"old": "new", ...}, "relations": {"relation": {"old": "new"}, ...}}`, against
/// the attached tables as they are now (after the renames).
#[pg_extern(stable, schema = "smart_groups_internal")]
fn _rename_fields(rules: JsonB, renames: JsonB) -> JsonB {
    #[derive(serde::Deserialize, Default)]
    struct Doc {
        #[serde(default)]
        users: std::collections::BTreeMap<String, String>,
        #[serde(default)]
        relations: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
        #[serde(default)]
        lookups: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>,
    }
    let Ok(doc) = serde_json::from_value::<Doc>(renames.0) else {
        return rules;
    };
    let renames = rename::Renames {
        users: doc.users,
        relations: doc.relations,
        lookups: doc.lookups,
    };
    let Ok(node) = json::read_value(&rules.0) else {
        return rules;
    };
    // Cached: one statement renames every group's rules, with one read of the catalog.
    let catalog = catalog_load::load_cached().or_raise();
    let before = renames.undo(&catalog);
    JsonB(json::write(&rename::rename_fields(
        &node, &before, &renames,
    )))
}

/// The closest of `candidates` to `word`, for did-you-mean hints raised from SQL.
#[pg_extern(immutable, parallel_safe, schema = "smart_groups_internal")]
fn _did_you_mean(word: Text, candidates: Vec<String>) -> Option<String> {
    report::did_you_mean(word.ok()?, candidates.iter().map(String::as_str)).map(str::to_string)
}

/// Validation problems raised from PL/pgSQL keep their SQLSTATE: this re-raises the first.
#[pg_extern(name = "_check_rules", stable, schema = "smart_groups_internal")]
pub fn check_rules_in(
    rules: RulesJson,
    group_name: Option<Text>,
    tenant: default!(Option<Text>, "NULL"),
) {
    let node = read_jsonb(&rules);
    let owner = Owner::new(
        group_name.as_ref().map(|n| n.get("the group name")),
        tenant.as_ref().map(|t| t.get("the tenant")),
    );
    let catalog = catalog_for(owner.tenant);
    if let Err(problem) = validate::validate(&node, &catalog, &owner.options()).into_result() {
        raise(&problem);
    }
}

/// What a group's rules read, for the triggers: users columns (also those read through a
/// reference), custom-field keys, relations, named groups, the columns of references (whose
/// change moves users between referenced users), whether time alone changes the result, and
/// the columns of lookup tables read through which foreign key.
#[pg_extern(name = "_deps", stable, schema = "smart_groups_internal")]
pub fn deps_in(
    rules: Option<RulesJson>,
    group_name: Option<Text>,
    tenant: default!(Option<Text>, "NULL"),
) -> Option<JsonB> {
    // NULL in, NULL out, as when this was STRICT (see _rules_valid).
    let (rules, group_name) = (rules?, group_name?);
    let node = read_jsonb(&rules);
    let owner = Owner::new(
        Some(group_name.get("the group name")),
        tenant.as_ref().map(|t| t.get("the tenant")),
    );
    let (pred, catalog) = check(&node, owner);
    let deps = compile::dependencies(&pred);
    let reference_columns: Vec<&str> = deps
        .references
        .iter()
        .filter_map(|r| catalog.reference(r).map(|r| r.column.as_str()))
        .collect();
    Some(JsonB(serde_json::json!({
        "columns": deps.columns,
        "custom": deps.custom_keys,
        "relations": deps.relations,
        "groups": deps.groups,
        "reference_columns": reference_columns,
        "reference_depth": deps.reference_depth,
        "relative_time": deps.relative_time,
        "lookups": deps.lookups.iter().map(|l| serde_json::json!({
            "relation": l.relation,
            "fk": l.fk,
            "schema": l.table.schema,
            "table": l.table.name,
            "key_column": l.key_column,
            "column": l.column,
        })).collect::<Vec<_>>(),
    })))
}
