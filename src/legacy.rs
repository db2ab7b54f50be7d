//! The C entry points that release 0.1.0's install script declares with arguments this
//! version's functions no longer take (they now take the tenant as well). A package upgrade
//! replaces the library before `ALTER EXTENSION smart_groups UPDATE` runs, so a database still
//! on 0.1.0 calls these until it is updated (docs/releasing.md); each forwards to this
//! version's function with no tenant, which is what 0.1.0 meant. No SQL is generated for
//! them: a fresh install and the upgrade script declare the new signatures only.

use pgrx::prelude::*;
use pgrx::JsonB;

use crate::args::{RulesJson, Text};
use crate::rules_api::{check, Owner};

#[pg_extern(sql = false)]
fn normalize_text(rules: Text) -> Option<JsonB> {
    crate::groups_api::normalize_text_in(Some(rules), None)
}

#[pg_extern(sql = false)]
fn _group_predicate(rules: RulesJson, group_name: Option<Text>) -> String {
    crate::groups_api::group_predicate_in(rules, group_name, None)
}

#[pg_extern(sql = false)]
fn _rules_valid(rules: RulesJson, group_name: Text) -> Option<bool> {
    crate::groups_api::rules_valid_in(Some(rules), Some(group_name), None)
}

#[pg_extern(sql = false)]
fn _check_rules(rules: RulesJson, group_name: Option<Text>) {
    crate::groups_api::check_rules_in(rules, group_name, None)
}

#[pg_extern(sql = false)]
fn _deps(rules: RulesJson, group_name: Text) -> Option<JsonB> {
    crate::groups_api::deps_in(Some(rules), Some(group_name), None)
}

/// Unused since 0.2.0 (the time refresh compiles from the backend's state).
#[pg_extern(sql = false)]
fn _time_keys_sql(rules: RulesJson, group_name: Text) -> Option<String> {
    let node = crate::rules_api::read_jsonb(&rules);
    let owner = Owner::new(Some(group_name.get("the group name")), None);
    let (pred, catalog) = check(&node, owner);
    smart_groups_core::compile::time_boundary_keys(&pred, &catalog)
}

#[pg_extern(sql = false)]
fn _target_sql(gid: i64, name: Text, rules: Option<RulesJson>) -> String {
    crate::batch::target_sql_in(gid, name, rules, None)
}

#[allow(clippy::type_complexity)]
#[pg_extern(sql = false)]
fn _explain(
    name: Text,
    key: Text,
) -> TableIterator<
    'static,
    (
        name!(path, String),
        name!(rule, String),
        name!(actual, Option<String>),
        name!(result, bool),
    ),
> {
    crate::explain::explain_rows(name, key, None, true)
}
