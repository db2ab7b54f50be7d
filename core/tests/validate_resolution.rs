//! Field names resolve to the right place (custom fields, references, relation columns),
//! and has / member_of / empty groups produce the right checked tree.

mod validate_support;

use serde_json::{json, Value as J};
use smart_groups_core::checked::{FieldPath, Pred};
use validate_support::*;

#[test]
fn custom_fields_reference_fields_and_relation_columns() {
    let field_of = |j: J| match check(j).pred {
        Some(Pred::Test(t)) => t.field,
        other => panic!("{other:?}"),
    };
    let FieldPath::Custom(f) = field_of(json!({"field": "shirt_size", "op": "eq", "value": "XL"}))
    else {
        panic!()
    };
    assert_eq!(f.key, "shirt_size");
    assert!(check(json!({"field": "score", "op": "gte", "value": 7}))
        .pred
        .is_some());
    assert!(
        check(json!({"field": "start_date", "op": "within_last", "value": "3 months"}))
            .pred
            .is_some()
    );

    let FieldPath::Reference { reference, inner } =
        field_of(json!({"field": "manager.manager.role", "op": "eq", "value": "admin"}))
    else {
        panic!()
    };
    assert_eq!(reference.name, "manager");
    let FieldPath::Reference { inner, .. } = *inner else {
        panic!()
    };
    let FieldPath::Column(c) = *inner else {
        panic!()
    };
    assert_eq!(c.name, "role");
    // A referenced user's custom field and an enum value checked against its labels.
    assert!(matches!(
        field_of(json!({"field": "manager.shirt_size", "op": "in", "value": ["S"]})),
        FieldPath::Reference { .. }
    ));
    assert_eq!(
        sole_error(&check(
            json!({"field": "manager.role", "op": "eq", "value": "boss"})
        ))
        .path,
        "value"
    );

    let v = check(json!({"has": "enrollments", "where": {"all": [
        {"field": "course", "op": "eq", "value": "Driver Safety"},
        {"field": "completed_at", "op": "within_last", "value": "1 year"}
    ]}}));
    let Some(Pred::Has {
        relation,
        filter: Some(filter),
        count,
    }) = v.pred
    else {
        panic!("{:?}", v.problems)
    };
    assert_eq!(relation.name, "enrollments");
    assert_eq!((count.op.name(), count.value), ("gte", 1));
    let Pred::All(items) = *filter else { panic!() };
    let Pred::Test(t) = &items[1] else { panic!() };
    assert_eq!(t.path, "where.all[1]");
    assert!(matches!(&t.field, FieldPath::Column(c) if c.name == "completed_at"));
}

#[test]
fn has_keeps_an_explicit_count_and_member_of_resolves_ids() {
    let v = check(json!({"any": [
        {"has": "clicks", "where": {"field": "clicked_at", "op": "within_last", "value": "20 days"}, "count": {"op": "gte", "value": 3}},
        {"has": "clicks", "count": {"op": "eq", "value": 0}},
        {"member_of": "Sales"},
        {"member_of": "Marketing"}
    ]}));
    let Some(Pred::Any(items)) = v.pred else {
        panic!("{:?}", v.problems)
    };
    assert!(matches!(&items[0], Pred::Has { count, filter: Some(_), .. } if count.value == 3));
    assert!(
        matches!(&items[1], Pred::Has { count, filter: None, .. } if count.op.name() == "eq" && count.value == 0)
    );
    assert_eq!(
        items[2],
        Pred::MemberOf {
            group_id: 1,
            name: "Sales".into()
        }
    );
    assert_eq!(
        items[3],
        Pred::MemberOf {
            group_id: 2,
            name: "Marketing".into()
        }
    );
}

#[test]
fn empty_groups_are_valid() {
    assert_eq!(check(json!({"all": []})).pred, Some(Pred::All(vec![])));
    assert_eq!(check(json!({"any": []})).pred, Some(Pred::Any(vec![])));
}
