//! SQL functions converting rulesets to and from other programs' formats
//! (docs/reference/formats.md): react-querybuilder's RuleGroupType and JsonLogic. The
//! importers return our canonical JSON, which every function taking rules accepts; they type
//! fields from the attached catalog (`<` on a date is `before`), or, with nothing attached,
//! leave every operator as written.

use pgrx::prelude::*;
use pgrx::JsonB;
use smart_groups_core::ast::Node;
use smart_groups_core::catalog::Catalog;
use smart_groups_core::formats::{
    jsonlogic, querybuilder, FieldTypes, Format, FormatError, MAX_INPUT_BYTES,
};
use smart_groups_core::json;

use crate::args::{RulesJson, Text};
use crate::catalog_load;
use crate::errors::{raise, DbError, OrRaise};
use crate::rules_api::{read_jsonb, read_text};

/// The attached catalog, or None when no users table is attached.
fn catalog() -> Option<Catalog> {
    match catalog_load::load_cached() {
        Ok(c) => Some(c),
        Err(DbError::NotAttached) => None,
        Err(e) => raise(&e),
    }
}

/// Their JSON, read from the jsonb's text (serde_json's own nesting limit applies, and the
/// size is checked before it is read).
fn their_json(input: &RulesJson, format: Format) -> serde_json::Value {
    let text = input.text();
    if text.len() > MAX_INPUT_BYTES {
        raise(&FormatError::TooLarge {
            format: format.name(),
            size: text.len(),
        });
    }
    serde_json::from_str(text)
        .map_err(|e| FormatError::Syntax {
            format: format.name(),
            message: e.to_string(),
        })
        .or_raise()
}

fn import(
    input: &RulesJson,
    format: Format,
    read: fn(&serde_json::Value, FieldTypes) -> Result<Node, FormatError>,
) -> JsonB {
    let value = their_json(input, format);
    let catalog = catalog();
    let types = |name: &str| {
        catalog
            .as_ref()
            .and_then(|c| smart_groups_core::validate::field_type(c, name))
    };
    let node = read(&value, &types).or_raise();
    // What comes out is a ruleset like any other: within our own limits.
    let ours = json::write(&node);
    json::read_value(&ours).or_raise();
    JsonB(ours)
}

#[pg_extern(stable, parallel_safe)]
fn from_querybuilder(query: RulesJson) -> JsonB {
    import(
        &query,
        Format::QueryBuilder,
        querybuilder::from_querybuilder,
    )
}

#[pg_extern(stable, parallel_safe)]
fn from_jsonlogic(logic: RulesJson) -> JsonB {
    import(&logic, Format::JsonLogic, jsonlogic::from_jsonlogic)
}

#[pg_extern(name = "to_querybuilder", immutable, parallel_safe)]
fn to_querybuilder_text(rules: Text) -> JsonB {
    JsonB(querybuilder::to_querybuilder(&read_text(rules.get("the ruleset"))).or_raise())
}

#[pg_extern(name = "to_querybuilder", immutable, parallel_safe)]
fn to_querybuilder_jsonb(rules: RulesJson) -> JsonB {
    JsonB(querybuilder::to_querybuilder(&read_jsonb(&rules)).or_raise())
}

#[pg_extern(name = "to_jsonlogic", immutable, parallel_safe)]
fn to_jsonlogic_text(rules: Text) -> JsonB {
    JsonB(jsonlogic::to_jsonlogic(&read_text(rules.get("the ruleset"))).or_raise())
}

#[pg_extern(name = "to_jsonlogic", immutable, parallel_safe)]
fn to_jsonlogic_jsonb(rules: RulesJson) -> JsonB {
    JsonB(jsonlogic::to_jsonlogic(&read_jsonb(&rules)).or_raise())
}
