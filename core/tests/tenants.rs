//! Tenants in the rule language (docs/reference/tenants.md): a group's rules match only the
//! users of its tenant, whatever they say; `member_of` and custom fields resolve within the
//! tenant (`Catalog::scoped`); a tenant that is no value of the tenant column is refused.

mod eval_support;

use eval_support::*;
use smart_groups_core::catalog::{Catalog, CustomField, FieldType, Group, GroupKind, GroupStatus};
use smart_groups_core::checked::Pred;
use smart_groups_core::eval::{self, Dataset, Datum, UserRow};
use smart_groups_core::text;
use smart_groups_core::validate::{validate, Options, ValidationError};

fn group(id: i64, name: &str, tenant: &str) -> Group {
    Group {
        id,
        name: name.into(),
        kind: GroupKind::Smart,
        status: GroupStatus::Active,
        member_of: Vec::new(),
        tenant: Some(tenant.into()),
    }
}

fn field(key: &str, ty: FieldType, tenant: Option<&str>) -> CustomField {
    CustomField {
        key: key.into(),
        ty,
        allowed: None,
        tenant: tenant.map(str::to_string),
    }
}

/// The evaluator's catalog with `column` as the tenant column, two tenants each with a group
/// "Sales", and a custom field "region" defined for tenant "a" only.
fn tenant_catalog(column: &str) -> Catalog {
    let mut c = catalog();
    c.tenant_column = Some(column.into());
    c.groups = vec![group(11, "Sales", "a"), group(12, "Sales", "b")];
    c.custom_fields
        .push(field("region", FieldType::Text, Some("a")));
    c.custom_fields
        .push(field("cost_centre", FieldType::Number, Some("b")));
    c
}

fn check(c: &Catalog, tenant: &str, rule: &str) -> Result<Pred, ValidationError> {
    let node = text::parse(rule).expect("parses");
    let opts = Options {
        tenant: Some(tenant.into()),
        ..Options::default()
    };
    validate(&node, &c.scoped(Some(tenant)), &opts)
        .into_result()
        .map_err(|p| p.error)
}

fn users(rows: &[(&str, &str, i64)]) -> Dataset {
    Dataset {
        users: rows
            .iter()
            .map(|(key, name, age)| {
                UserRow::new(key.to_string())
                    .with("name", text_datum(name))
                    .with("age", num(&age.to_string()))
            })
            .collect(),
        ..Dataset::default()
    }
}

fn text_datum(s: &str) -> Datum {
    eval_support::text(s)
}

fn matching(p: &Pred, d: &Dataset) -> Vec<String> {
    eval::matching(p, d, now()).into_iter().collect()
}

#[test]
fn rules_match_only_the_tenants_users() {
    let c = tenant_catalog("name");
    let d = users(&[("1", "a", 30), ("2", "b", 30), ("3", "a", 50)]);
    // Rules that every user passes, rules that only the other tenant's users pass, and a
    // negation: none reaches outside the tenant.
    let p = check(&c, "a", "age > 0").expect("valid");
    assert_eq!(matching(&p, &d), ["1", "3"]);
    let p = check(&c, "a", r#"name = "b""#).expect("valid");
    assert!(matching(&p, &d).is_empty());
    let p = check(&c, "a", r#"not (name = "a")"#).expect("valid");
    assert!(matching(&p, &d).is_empty());
    let p = check(&c, "b", "age > 0").expect("valid");
    assert_eq!(matching(&p, &d), ["2"]);
    // Without a tenant (no tenant column), nothing is added.
    let node = text::parse("age > 0").expect("parses");
    let p = validate(&node, &catalog(), &Options::default())
        .into_result()
        .expect("valid");
    assert_eq!(matching(&p, &d), ["1", "2", "3"]);
}

#[test]
fn a_number_tenant_column_takes_the_tenant_as_a_number() {
    let c = tenant_catalog("age");
    let d = users(&[("1", "x", 30), ("2", "y", 31)]);
    let p = check(&c, "30", "name != \"\"").expect("valid");
    assert_eq!(matching(&p, &d), ["1"]);
    let e = check(&c, "thirty", "name != \"\"").expect_err("not a number");
    assert!(matches!(e, ValidationError::TenantNotUsable { .. }), "{e}");
    // A column rules cannot read is no tenant column either.
    let c = tenant_catalog("no_such_column");
    let e = check(&c, "a", "age > 0").expect_err("no column");
    assert!(matches!(e, ValidationError::TenantNotUsable { .. }), "{e}");
}

#[test]
fn member_of_resolves_within_the_tenant() {
    let c = tenant_catalog("name");
    match check(&c, "b", r#"member of "Sales""#).expect("valid") {
        Pred::All(items) => assert!(
            items
                .iter()
                .any(|p| matches!(p, Pred::MemberOf { group_id: 12, .. })),
            "{items:?}"
        ),
        other => panic!("not wrapped: {other:?}"),
    }
    let e = check(&c, "c", r#"member of "Sales""#).expect_err("no such group in c");
    assert!(matches!(e, ValidationError::UnknownGroup { .. }), "{e}");
}

#[test]
fn custom_fields_are_for_one_tenant_or_all() {
    let c = tenant_catalog("name");
    assert!(check(&c, "a", r#"region = "north""#).is_ok());
    assert!(check(&c, "b", "cost_centre > 3").is_ok());
    // Another tenant's field is unknown; fields for every tenant are known to each.
    let e = check(&c, "b", r#"region = "north""#).expect_err("a's field");
    assert!(matches!(e, ValidationError::UnknownField { .. }), "{e}");
    assert!(matches!(
        check(&c, "a", "cost_centre > 3"),
        Err(ValidationError::UnknownField { .. })
    ));
    assert!(check(&c, "b", r#"motto = "x""#).is_ok());
    let scoped = c.scoped(Some("a"));
    assert!(scoped
        .groups
        .iter()
        .all(|g| g.tenant.as_deref() == Some("a")));
    assert_eq!(scoped.groups.len(), 1);
}
