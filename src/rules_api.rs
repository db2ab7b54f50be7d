//! SQL functions over rulesets that do not touch groups: compile, to_text, to_json, validate.
//! Each takes the ruleset as text (text form or JSON) or as jsonb.

use pgrx::prelude::*;
use pgrx::JsonB;
use smart_groups_core::ast::Node;
use smart_groups_core::catalog::Catalog;
use smart_groups_core::checked::Pred;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{self, Form, InForm, Options, Severity};
use smart_groups_core::{compile, json, read, text};

use crate::args::{RulesJson, Text};
use crate::catalog_load;
use crate::errors::{raise, OrRaise};

/// The form a ruleset given as text is in: JSON when it starts with `{` (`read::read_rules`).
pub fn form_of(rules: &str) -> Form {
    if rules.trim_start().starts_with('{') {
        Form::Json
    } else {
        Form::Text
    }
}

pub fn read_text(rules: &str) -> Node {
    read::read_rules(rules).or_raise()
}

/// A ruleset given as jsonb, read from its text as the text form's JSON is.
pub fn read_jsonb(rules: &RulesJson) -> Node {
    json::read_str(rules.text()).or_raise()
}

/// Whose rules a ruleset is: the group (so that `member_of` does not lead back to it) and its
/// tenant (docs/reference/tenants.md), both None for rules of no group without tenants.
#[derive(Clone, Copy, Default)]
pub struct Owner<'a> {
    pub group: Option<&'a str>,
    pub tenant: Option<&'a str>,
}

impl<'a> Owner<'a> {
    pub fn new(group: Option<&'a str>, tenant: Option<&'a str>) -> Owner<'a> {
        Owner { group, tenant }
    }

    pub fn options(self) -> Options {
        Options {
            group: self.group.map(str::to_string),
            tenant: self.tenant.map(str::to_string),
        }
    }
}

/// The live catalog as the rules of `tenant`'s groups see it.
pub fn catalog_for(tenant: Option<&str>) -> Catalog {
    let mut catalog = catalog_load::load_cached().or_raise();
    catalog.keep_tenant(tenant);
    catalog
}

/// Validates against the live catalog and raises the first error, in the words of JSON.
pub fn check(node: &Node, owner: Owner) -> (Pred, Catalog) {
    check_in(node, owner, Form::Json)
}

/// Validates against the live catalog and raises the first error in `form`'s words.
pub fn check_in(node: &Node, owner: Owner, form: Form) -> (Pred, Catalog) {
    let catalog = catalog_for(owner.tenant);
    match validate::validate(node, &catalog, &owner.options()).into_result() {
        Ok(pred) => (pred, catalog),
        Err(problem) => raise(&InForm(&problem, form)),
    }
}

/// The session's tenant (smart_groups.tenant) when the users table has a tenant column: the
/// rules functions that address no group (compile, validate) read fields as its groups do.
pub fn session_tenant() -> Option<String> {
    Spi::get_one::<String>(
        "SELECT nullif(current_setting('smart_groups.tenant', true), '') \
           FROM smart_groups.config c WHERE to_jsonb(c) ->> 'tenant_column' IS NOT NULL",
    )
    .ok()
    .flatten()
}

fn compile_node(node: &Node, form: Form) -> String {
    let tenant = session_tenant();
    let (pred, catalog) = check_in(node, Owner::new(None, tenant.as_deref()), form);
    compile::compile(&pred, &catalog)
}

#[pg_extern(name = "compile", stable, parallel_safe)]
fn compile_text(rules: Text) -> String {
    let rules = rules.get("the ruleset");
    compile_node(&read_text(rules), form_of(rules))
}

#[pg_extern(name = "compile", stable, parallel_safe)]
fn compile_jsonb(rules: RulesJson) -> String {
    compile_node(&read_jsonb(&rules), Form::Json)
}

#[pg_extern(name = "to_text", immutable, parallel_safe)]
fn to_text_text(rules: Text) -> String {
    text::print(&read_text(rules.get("the ruleset")))
}

#[pg_extern(name = "to_text", immutable, parallel_safe)]
fn to_text_jsonb(rules: RulesJson) -> String {
    text::print(&read_jsonb(&rules))
}

#[pg_extern(name = "to_json", immutable, parallel_safe)]
fn to_json_text(rules: Text) -> JsonB {
    JsonB(json::write(&read_text(rules.get("the ruleset"))))
}

#[pg_extern(name = "to_json", immutable, parallel_safe)]
fn to_json_jsonb(rules: RulesJson) -> JsonB {
    JsonB(json::write(&read_jsonb(&rules)))
}

type ValidateRow = (
    name!(severity, String),
    name!(path, String),
    name!(message, String),
    name!(code, String),
    name!(hint, Option<String>),
);

fn validate_rows(
    node: Result<Node, Box<dyn Report>>,
    form: Form,
) -> TableIterator<'static, ValidateRow> {
    let rows: Vec<ValidateRow> = match node {
        Err(e) => vec![(
            "error".into(),
            String::new(),
            e.to_string(),
            e.sqlstate().into(),
            e.hint(),
        )],
        Ok(node) => {
            let tenant = session_tenant();
            let owner = Owner::new(None, tenant.as_deref());
            let catalog = catalog_for(owner.tenant);
            let mut validation = validate::validate(&node, &catalog, &owner.options());
            if let Some(pred) = validation.pred.clone() {
                for problem in crate::data_checks::warnings(&pred, &catalog, owner.tenant) {
                    validation.push(problem);
                }
            }
            validation
                .problems
                .into_iter()
                .map(|p| {
                    let severity = match p.severity {
                        Severity::Error => "error",
                        Severity::Warning => "warning",
                    };
                    (
                        severity.into(),
                        p.path,
                        p.error.message_in(form),
                        p.error.sqlstate().into(),
                        p.error.hint_in(form),
                    )
                })
                .collect()
        }
    };
    TableIterator::new(rows)
}

#[pg_extern(name = "validate", stable)]
fn validate_text(
    rules: Text,
) -> TableIterator<
    'static,
    (
        name!(severity, String),
        name!(path, String),
        name!(message, String),
        name!(code, String),
        name!(hint, Option<String>),
    ),
> {
    let rules = rules.get("the ruleset");
    validate_rows(
        read::read_rules(rules).map_err(|e| Box::new(e) as Box<dyn Report>),
        form_of(rules),
    )
}

#[pg_extern(name = "validate", stable)]
fn validate_jsonb(
    rules: RulesJson,
) -> TableIterator<
    'static,
    (
        name!(severity, String),
        name!(path, String),
        name!(message, String),
        name!(code, String),
        name!(hint, Option<String>),
    ),
> {
    validate_rows(
        json::read_str(rules.text()).map_err(|e| Box::new(e) as Box<dyn Report>),
        Form::Json,
    )
}
