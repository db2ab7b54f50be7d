//! Field names to `FieldPath`s: user-level names (columns, custom fields, and `ref.field`
//! through references), and relation columns inside `has ... where`.

use super::error::ValidationError;
use crate::catalog::{Catalog, Column, FieldType, Lookup, Reference, Relation, UserField};
use crate::checked::FieldPath;
use crate::limits::MAX_DEPTH;
use crate::report::did_you_mean;

/// A resolved field: where to read it, and what its values may be.
pub(super) struct Resolved<'c> {
    pub path: FieldPath,
    pub ty: FieldType,
    pub allowed: Option<&'c [String]>,
}

/// Resolves `name` at user level. An exact user field wins, so a custom field whose key
/// contains a dot is still reachable; otherwise `ref.rest` follows the reference and resolves
/// `rest` again at user level (so `manager.manager.name` works). Done in a loop rather than by
/// recursion, and bounded, because the name is user input of any length.
pub(super) fn resolve_user<'c>(
    catalog: &'c Catalog,
    name: &str,
) -> Result<Resolved<'c>, ValidationError> {
    let mut through: Vec<&Reference> = Vec::new();
    let mut rest = name;
    let (mut path, ty, allowed) = loop {
        if let Some(field) = catalog.user_field(rest) {
            let path = match field {
                UserField::Column(c) => FieldPath::Column(c.clone()),
                UserField::Custom(f) => FieldPath::Custom(f.clone()),
            };
            break (path, field.ty(), field.allowed());
        }
        let Some((head, tail)) = rest.split_once('.') else {
            return Err(unknown_field(catalog, name, rest));
        };
        if let Some(lookup) = catalog.lookup(head) {
            let column = lookup_column(lookup, name, tail)?;
            let path = FieldPath::Lookup {
                lookup: lookup.clone(),
                column: column.clone(),
            };
            break (path, column.ty, column.allowed.as_deref());
        }
        let Some(reference) = catalog.reference(head) else {
            return Err(unknown_reference(catalog, name, head, through.is_empty()));
        };
        if through.len() == MAX_DEPTH {
            return Err(ValidationError::TooManyReferences {
                field: name.to_string(),
                max: MAX_DEPTH,
            });
        }
        through.push(reference);
        rest = tail;
    };
    for reference in through.into_iter().rev() {
        path = FieldPath::Reference {
            reference: reference.clone(),
            inner: Box::new(path),
        };
    }
    Ok(Resolved { path, ty, allowed })
}

/// The column `name` of a lookup table (`tail` of the field `field`, `department.name`).
fn lookup_column<'c>(
    lookup: &'c Lookup,
    field: &str,
    name: &str,
) -> Result<&'c Column, ValidationError> {
    lookup.column(name).ok_or_else(|| {
        let known = lookup.columns.iter().map(|c| c.name.as_str());
        ValidationError::UnknownLookupColumn {
            field: field.to_string(),
            lookup: lookup.name.clone(),
            column: name.to_string(),
            suggestion: did_you_mean(name, known.clone()).map(str::to_string),
            known: known.map(str::to_string).collect(),
        }
    })
}

/// `rest` (the part of `name` after any references followed) is no user field: suggest the
/// closest one, keeping the reference prefix (`manager.nme` → `manager.name`).
fn unknown_field(catalog: &Catalog, name: &str, rest: &str) -> ValidationError {
    let prefix = name.get(..name.len() - rest.len()).unwrap_or_default();
    let suggestion = did_you_mean(rest, catalog.user_field_names()).map(|s| format!("{prefix}{s}"));
    ValidationError::UnknownField {
        name: name.to_string(),
        suggestion,
    }
}

fn unknown_reference(catalog: &Catalog, name: &str, head: &str, at_start: bool) -> ValidationError {
    // `e.mail` is more likely a mistyped `email` than a reference to a user called `e`.
    if at_start {
        if let Some(field) = did_you_mean(name, catalog.user_field_names()) {
            return ValidationError::UnknownField {
                name: name.to_string(),
                suggestion: Some(field.to_string()),
            };
        }
    }
    let known = catalog
        .references
        .iter()
        .map(|r| r.name.as_str())
        .chain(catalog.lookups.iter().map(|l| l.name.as_str()));
    ValidationError::UnknownReference {
        field: name.to_string(),
        reference: head.to_string(),
        suggestion: did_you_mean(head, known.clone()).map(str::to_string),
        known: known.map(str::to_string).collect(),
    }
}

/// Resolves `name` among the columns of `relation` (inside its `where`). References and
/// custom fields belong to users, not to relation rows, so they are not in scope.
pub(super) fn resolve_column<'c>(
    relation: &'c Relation,
    name: &str,
) -> Result<Resolved<'c>, ValidationError> {
    if let Some(c) = relation.column(name) {
        return Ok(Resolved {
            path: FieldPath::Column(c.clone()),
            ty: c.ty,
            allowed: c.allowed.as_deref(),
        });
    }
    // `course.title`: a column of the lookup row the related row's foreign key points to.
    let lookup = name
        .split_once('.')
        .and_then(|(head, tail)| Some((relation.lookup(head)?, tail)));
    match lookup {
        Some((lookup, tail)) => {
            let column = lookup_column(lookup, name, tail)?;
            Ok(Resolved {
                path: FieldPath::Lookup {
                    lookup: lookup.clone(),
                    column: column.clone(),
                },
                ty: column.ty,
                allowed: column.allowed.as_deref(),
            })
        }
        None => {
            let known = relation.columns.iter().map(|c| c.name.as_str());
            Err(ValidationError::UnknownColumn {
                relation: relation.name.clone(),
                name: name.to_string(),
                suggestion: did_you_mean(name, known.clone()).map(str::to_string),
                known: known.map(str::to_string).collect(),
                users_field: false,
            })
        }
    }
}
