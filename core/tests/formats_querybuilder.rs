//! react-querybuilder's RuleGroupType to and from rulesets (docs/reference/formats.md): its
//! documented shapes and default operators, the values its editors give, and refusals with
//! the JSON path of what has no equivalent.

mod validate_support;

use serde_json::{json, Value as J};
use smart_groups_core::catalog::Catalog;
use smart_groups_core::formats::querybuilder::{from_querybuilder, to_querybuilder};
use smart_groups_core::formats::{catalog_types, FormatError};
use smart_groups_core::json;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{validate, Options};

fn import(catalog: &Catalog, input: J) -> Result<J, FormatError> {
    let types = catalog_types(catalog);
    from_querybuilder(&input, &types).map(|n| json::write(&n))
}

fn ours(catalog: &Catalog, input: J) -> J {
    import(catalog, input.clone()).unwrap_or_else(|e| panic!("{input}: {e}"))
}

fn rule(field: &str, operator: &str, value: J) -> J {
    json!({"combinator": "and", "rules": [{"field": field, "operator": operator, "value": value}]})
}

#[test]
fn every_default_operator_maps_by_field_type() {
    let c = validate_support::catalog();
    let cases: Vec<(&str, &str, J, J)> = vec![
        (
            "location",
            "=",
            json!("NL"),
            json!({"field": "location", "op": "eq", "value": "NL"}),
        ),
        (
            "location",
            "!=",
            json!("NL"),
            json!({"field": "location", "op": "neq", "value": "NL"}),
        ),
        (
            "age",
            "<",
            json!(30),
            json!({"field": "age", "op": "lt", "value": 30}),
        ),
        (
            "age",
            "<=",
            json!(30),
            json!({"field": "age", "op": "lte", "value": 30}),
        ),
        (
            "age",
            ">",
            json!(30),
            json!({"field": "age", "op": "gt", "value": 30}),
        ),
        (
            "age",
            ">=",
            json!(30),
            json!({"field": "age", "op": "gte", "value": 30}),
        ),
        (
            "hire_date",
            "<",
            json!("2024-01-01"),
            json!({"field": "hire_date", "op": "before", "value": "2024-01-01"}),
        ),
        (
            "hire_date",
            ">",
            json!("2024-01-01"),
            json!({"field": "hire_date", "op": "after", "value": "2024-01-01"}),
        ),
        (
            "hire_date",
            "<=",
            json!("2024-01-01"),
            json!({"any": [
            {"field": "hire_date", "op": "before", "value": "2024-01-01"},
            {"field": "hire_date", "op": "eq", "value": "2024-01-01"}]}),
        ),
        (
            "created_at",
            ">=",
            json!("2024-01-01"),
            json!({"any": [
            {"field": "created_at", "op": "after", "value": "2024-01-01"},
            {"field": "created_at", "op": "eq", "value": "2024-01-01"}]}),
        ),
        (
            "job_title",
            "contains",
            json!("Eng"),
            json!({"field": "job_title", "op": "contains", "value": "Eng"}),
        ),
        (
            "job_title",
            "doesNotContain",
            json!("Eng"),
            json!({"field": "job_title", "op": "not_contains", "value": "Eng"}),
        ),
        (
            "tags",
            "contains",
            json!("vip"),
            json!({"field": "tags", "op": "includes", "value": "vip"}),
        ),
        (
            "tags",
            "doesNotContain",
            json!("vip"),
            json!({"field": "tags", "op": "not_includes", "value": "vip"}),
        ),
        (
            "name",
            "beginsWith",
            json!("Jo"),
            json!({"field": "name", "op": "starts_with", "value": "Jo"}),
        ),
        (
            "name",
            "doesNotBeginWith",
            json!("Jo"),
            json!({"not": {"field": "name", "op": "starts_with", "value": "Jo"}}),
        ),
        (
            "email",
            "endsWith",
            json!("@x.com"),
            json!({"field": "email", "op": "ends_with", "value": "@x.com"}),
        ),
        (
            "email",
            "doesNotEndWith",
            json!("@x.com"),
            json!({"not": {"field": "email", "op": "ends_with", "value": "@x.com"}}),
        ),
        (
            "location",
            "in",
            json!(["NL", "BE"]),
            json!({"field": "location", "op": "in", "value": ["NL", "BE"]}),
        ),
        (
            "location",
            "notIn",
            json!("NL, BE ,LU"),
            json!({"field": "location", "op": "not_in", "value": ["NL", "BE", "LU"]}),
        ),
        (
            "tags",
            "in",
            json!(["a", "b"]),
            json!({"field": "tags", "op": "includes_any", "value": ["a", "b"]}),
        ),
        (
            "tags",
            "notIn",
            json!("a,b"),
            json!({"not": {"field": "tags", "op": "includes_any", "value": ["a", "b"]}}),
        ),
        (
            "age",
            "between",
            json!("20,30"),
            json!({"field": "age", "op": "between", "value": [20, 30]}),
        ),
        (
            "age",
            "notBetween",
            json!([20, 30]),
            json!({"not": {"field": "age", "op": "between", "value": [20, 30]}}),
        ),
        (
            "hire_date",
            "between",
            json!(["2024-01-01", "2024-03-31"]),
            json!({"field": "hire_date", "op": "between", "value": ["2024-01-01", "2024-03-31"]}),
        ),
        (
            "email",
            "null",
            json!(""),
            json!({"field": "email", "op": "is_empty"}),
        ),
        (
            "email",
            "notNull",
            J::Null,
            json!({"field": "email", "op": "is_not_empty"}),
        ),
        // Operators of ours they lack, as custom operators.
        (
            "hire_date",
            "within_last",
            json!("30 days"),
            json!({"field": "hire_date", "op": "within_last", "value": "30 days"}),
        ),
        (
            "name",
            "eq_ci",
            json!("jo"),
            json!({"field": "name", "op": "eq_ci", "value": "jo"}),
        ),
        (
            "tags",
            "includes_all",
            json!("a,b"),
            json!({"field": "tags", "op": "includes_all", "value": ["a", "b"]}),
        ),
    ];
    for (field, operator, value, expected) in cases {
        let got = ours(&c, rule(field, operator, value.clone()));
        assert_eq!(got, expected, "{field} {operator} {value}");
        // Every mapping validates against the catalog that typed it.
        let node = json::read_value(&got).expect("our JSON");
        let v = validate(&node, &c, &Options::default());
        assert!(!v.has_errors(), "{field} {operator}: {:?}", v.problems);
    }
}

fn field_rule(field: &str, operator: &str, value: J) -> J {
    json!({"combinator": "and", "rules": [
        {"field": field, "operator": operator, "value": value, "valueSource": "field"}]})
}

/// `valueSource: "field"`: the value names another field. react-querybuilder's own test
/// queries compare fields this way.
#[test]
fn a_field_as_the_value_compares_two_fields() {
    let c = validate_support::catalog();
    let f = |field: &str, op: &str, other: &str| json!({"field": field, "op": op, "value_field": other});
    let cases: Vec<(&str, &str, J, J)> = vec![
        (
            "location",
            "=",
            json!("manager.location"),
            f("location", "eq", "manager.location"),
        ),
        (
            "location",
            "!=",
            json!("name"),
            f("location", "neq", "name"),
        ),
        ("age", "<", json!("salary"), f("age", "lt", "salary")),
        ("age", "<=", json!("salary"), f("age", "lte", "salary")),
        (
            "age",
            ">",
            json!("manager.age"),
            f("age", "gt", "manager.age"),
        ),
        ("age", ">=", json!("salary"), f("age", "gte", "salary")),
        (
            "hire_date",
            "<",
            json!("start_date"),
            f("hire_date", "before", "start_date"),
        ),
        (
            "hire_date",
            ">",
            json!("created_at"),
            f("hire_date", "after", "created_at"),
        ),
        (
            "hire_date",
            "<=",
            json!("start_date"),
            json!({"any": [f("hire_date", "before", "start_date"), f("hire_date", "eq", "start_date")]}),
        ),
        (
            "age",
            "between",
            json!("score, salary"),
            json!({"all": [f("age", "gte", "score"), f("age", "lte", "salary")]}),
        ),
        (
            "age",
            "notBetween",
            json!(["score", "salary"]),
            json!({"not": {"all": [f("age", "gte", "score"), f("age", "lte", "salary")]}}),
        ),
        (
            "created_at",
            "between",
            json!("hire_date,start_date"),
            json!({"all": [
                {"any": [f("created_at", "after", "hire_date"), f("created_at", "eq", "hire_date")]},
                {"any": [f("created_at", "before", "start_date"), f("created_at", "eq", "start_date")]}]}),
        ),
        (
            "location",
            "in",
            json!("name,job_title"),
            json!({"any": [f("location", "eq", "name"), f("location", "eq", "job_title")]}),
        ),
        (
            "location",
            "notIn",
            json!(["name"]),
            json!({"not": f("location", "eq", "name")}),
        ),
        (
            "name",
            "eq_ci",
            json!("manager.name"),
            f("name", "eq_ci", "manager.name"),
        ),
        (
            "age",
            "null",
            json!(null),
            json!({"field": "age", "op": "is_empty"}),
        ),
    ];
    for (field, operator, value, expected) in cases {
        let got = ours(&c, field_rule(field, operator, value.clone()));
        assert_eq!(got, expected, "{field} {operator} {value}");
        let node = json::read_value(&got).expect("our JSON");
        let v = validate(&node, &c, &Options::default());
        assert!(!v.has_errors(), "{field} {operator}: {:?}", v.problems);
    }
}

#[test]
fn editors_values_take_the_fields_type() {
    let c = validate_support::catalog();
    assert_eq!(
        ours(&c, rule("age", "=", json!(" 42 "))),
        json!({"field": "age", "op": "eq", "value": 42})
    );
    assert_eq!(
        ours(&c, rule("score", ">", json!("7.5"))),
        json!({"field": "score", "op": "gt", "value": 7.5})
    );
    assert_eq!(
        ours(&c, rule("active", "=", json!("true"))),
        json!({"field": "active", "op": "eq", "value": true})
    );
    assert_eq!(
        ours(&c, rule("manager.age", "in", json!("1, 2"))),
        json!({"field": "manager.age", "op": "in", "value": [1, 2]})
    );
    // Text stays text, even when it looks like a number; a value that is no number stays as
    // written, for validation to report.
    assert_eq!(
        ours(&c, rule("location", "=", json!("42"))),
        json!({"field": "location", "op": "eq", "value": "42"})
    );
    assert_eq!(
        ours(&c, rule("age", "=", json!("forty"))),
        json!({"field": "age", "op": "eq", "value": "forty"})
    );
    // A comma escaped with a backslash stays in its item.
    assert_eq!(
        ours(&c, rule("location", "in", json!("a\\,b, c"))),
        json!({"field": "location", "op": "in", "value": ["a,b", "c"]})
    );
}

#[test]
fn like_characters_are_kept_verbatim() {
    let c = validate_support::catalog();
    for (operator, op) in [
        ("contains", "contains"),
        ("beginsWith", "starts_with"),
        ("endsWith", "ends_with"),
    ] {
        for v in ["50%", "a_b", "back\\slash", "%_\\"] {
            assert_eq!(
                ours(&c, rule("job_title", operator, json!(v))),
                json!({"field": "job_title", "op": op, "value": v})
            );
        }
    }
}

#[test]
fn the_documented_query_shapes() {
    let c = validate_support::catalog();
    // The getting-started query, nested groups, `not`, ids and paths of their own.
    let q = json!({
        "id": "root", "combinator": "and", "not": false,
        "rules": [
            {"id": "r1", "field": "name", "operator": "beginsWith", "value": "Stev"},
            {"id": "r2", "field": "location", "operator": "in", "value": "Netherlands,Belgium", "valueSource": "value"},
            {"id": "g1", "combinator": "or", "not": true, "rules": [
                {"field": "age", "operator": ">", "value": "28"},
                {"field": "role", "operator": "=", "value": "manager"}
            ]},
            {"field": "email", "operator": "null", "value": "", "disabled": true},
            {"combinator": "and", "rules": [], "disabled": true}
        ]
    });
    assert_eq!(
        ours(&c, q),
        json!({"all": [
            {"field": "name", "op": "starts_with", "value": "Stev"},
            {"field": "location", "op": "in", "value": ["Netherlands", "Belgium"]},
            {"not": {"any": [
                {"field": "age", "op": "gt", "value": 28},
                {"field": "role", "op": "eq", "value": "manager"}]}}
        ]})
    );
    // An empty query is true (no conditions), as react-querybuilder's formatters read it.
    assert_eq!(
        ours(&c, json!({"combinator": "and", "rules": []})),
        json!({"all": []})
    );
    assert_eq!(
        ours(&c, json!({"combinator": "OR", "rules": []})),
        json!({"any": []})
    );
    // A group of one item is that item.
    assert_eq!(
        ours(
            &c,
            json!({"combinator": "or", "not": true, "rules": [{"field": "age", "operator": "<", "value": 3}]})
        ),
        json!({"not": {"field": "age", "op": "lt", "value": 3}})
    );
}

#[test]
fn independent_combinators_bind_and_before_or() {
    let c = validate_support::catalog();
    let a = json!({"field": "age", "operator": "=", "value": 1});
    let b = json!({"field": "age", "operator": "=", "value": 2});
    let d = json!({"field": "age", "operator": "=", "value": 3});
    let e = |n: i32| json!({"field": "age", "op": "eq", "value": n});
    assert_eq!(
        ours(&c, json!({"rules": [a, "or", b, "and", d]})),
        json!({"any": [e(1), {"all": [e(2), e(3)]}]})
    );
    assert_eq!(
        ours(&c, json!({"rules": [a, "and", b]})),
        json!({"all": [e(1), e(2)]})
    );
    let err = import(&c, json!({"rules": [a, "and"]})).unwrap_err();
    assert_eq!(err.path(), "rules");
    let err = import(&c, json!({"rules": [a, "nand", b]})).unwrap_err();
    assert_eq!(err.path(), "rules[1]");
}

#[test]
fn what_has_no_equivalent_is_refused_with_its_path() {
    let c = validate_support::catalog();
    let cases: Vec<(J, &str, &str)> = vec![
        (
            json!({"combinator": "and", "rules": [{"combinator": "or", "rules": [
                {"field": "hire_date", "operator": ">", "value": "created_at", "valueSource": "formula"}]}]}),
            "rules[0].rules[0].valueSource",
            "0A000",
        ),
        (
            field_rule("name", "beginsWith", json!("email")),
            "rules[0].operator",
            "0A000",
        ),
        (
            field_rule("age", "between", json!("salary")),
            "rules[0].value",
            "22023",
        ),
        (
            field_rule("age", "between", json!(["salary", 3])),
            "rules[0].value",
            "22023",
        ),
        (field_rule("age", "=", json!(3)), "rules[0].value", "22023"),
        (
            json!({"combinator": "xor", "rules": []}),
            "combinator",
            "0A000",
        ),
        (
            rule("age", "isDivisibleBy", json!(3)),
            "rules[0].operator",
            "0A000",
        ),
        (
            json!({"combinator": "and", "rules": [{"field": "tags", "operator": "=", "value": "", "match": {"mode": "some"}}]}),
            "rules[0].match",
            "0A000",
        ),
        (rule("age", "=", J::Null), "rules[0].value", "22023"),
        (
            json!({"combinator": "and", "rules": [{"field": "age", "value": 1}]}),
            "rules[0].operator",
            "22023",
        ),
        (
            json!({"combinator": "and", "rules": {"field": "age"}}),
            "rules",
            "22023",
        ),
        (
            json!({"combinator": "and", "rules": [5]}),
            "rules[0]",
            "22023",
        ),
        (
            json!({"combinator": "and", "not": "yes", "rules": []}),
            "not",
            "22023",
        ),
        (json!([1]), "", "22023"),
    ];
    for (input, path, state) in cases {
        let err = import(&c, input.clone()).unwrap_err();
        assert_eq!(err.path(), path, "{input}: {err}");
        assert_eq!(err.sqlstate(), state, "{input}: {err}");
        assert!(
            err.to_string()
                .contains(if path.is_empty() { "top level" } else { path }),
            "{err}"
        );
    }
}

#[test]
fn nesting_is_bounded() {
    let c = validate_support::catalog();
    let mut q = json!({"field": "age", "operator": "=", "value": 1});
    for _ in 0..40 {
        q = json!({"combinator": "and", "rules": [q, q.clone()]});
        q = json!({"combinator": "or", "rules": [q["rules"][0].clone()]});
    }
    let err = import(&c, q).unwrap_err();
    assert_eq!(err.sqlstate(), "54001");
}

#[test]
fn field_comparisons_to_theirs_and_back() {
    let c = validate_support::catalog();
    let node = smart_groups_core::text::parse(
        "hire_date after start_date and location = manager.location and name equals ignoring case email",
    )
    .expect("parses");
    let theirs = to_querybuilder(&node).expect("says it");
    let field = |f: &str, op: &str, v: &str| json!({"field": f, "operator": op, "value": v, "valueSource": "field"});
    assert_eq!(
        theirs,
        json!({"combinator": "and", "rules": [
            field("hire_date", ">", "start_date"),
            field("location", "=", "manager.location"),
            field("name", "eq_ci", "email")]})
    );
    assert_eq!(ours(&c, theirs), json::write(&node));
    // An operator that does not compare two fields has no form with valueSource "field".
    let odd = json::read_value(&json!({"field": "name", "op": "contains", "value_field": "email"}))
        .expect("our JSON");
    let err = to_querybuilder(&odd).unwrap_err();
    assert_eq!((err.path(), err.sqlstate()), ("", "0A000"));
}

#[test]
fn ours_to_theirs() {
    let r = |text: &str| to_querybuilder(&smart_groups_core::text::parse(text).expect("parses"));
    assert_eq!(
        r(r#"location in ("NL", "BE") and not (age between 20 and 30) and not (name starts with "x")"#).unwrap(),
        json!({"combinator": "and", "rules": [
            {"field": "location", "operator": "in", "value": ["NL", "BE"]},
            {"field": "age", "operator": "notBetween", "value": [20, 30]},
            {"field": "name", "operator": "doesNotBeginWith", "value": "x"}]})
    );
    // A lone rule becomes a group of it; `not` of a rule, a negated group of it.
    assert_eq!(
        r("hire_date before 2024-01-01").unwrap(),
        json!({"combinator": "and", "rules": [{"field": "hire_date", "operator": "<", "value": "2024-01-01"}]})
    );
    assert_eq!(
        r(r#"not (email is empty or age > 3)"#).unwrap(),
        json!({"combinator": "or", "not": true, "rules": [
            {"field": "email", "operator": "null", "value": null},
            {"field": "age", "operator": ">", "value": 3}]})
    );
    let err = r(r#"age > 3 and (member of "Sales" or age < 2)"#).unwrap_err();
    assert_eq!(err.path(), "all[1].any[0]");
    assert_eq!(err.sqlstate(), "0A000");
    let err = r("has clicks").unwrap_err();
    assert_eq!(err.path(), "");
}
