//! JsonLogic to and from rulesets (docs/reference/formats.md): its documented operations over
//! `var`, the field's type choosing between `contains` and `includes`, and refusals with the
//! JSON path of what has no equivalent.

mod validate_support;

use serde_json::{json, Value as J};
use smart_groups_core::catalog::Catalog;
use smart_groups_core::formats::jsonlogic::{from_jsonlogic, to_jsonlogic};
use smart_groups_core::formats::{catalog_types, FormatError};
use smart_groups_core::json;
use smart_groups_core::report::Report;
use smart_groups_core::validate::{validate, Options};

fn import(catalog: &Catalog, input: J) -> Result<J, FormatError> {
    let types = catalog_types(catalog);
    from_jsonlogic(&input, &types).map(|n| json::write(&n))
}

fn ours(catalog: &Catalog, input: J) -> J {
    import(catalog, input.clone()).unwrap_or_else(|e| panic!("{input}: {e}"))
}

#[test]
fn documented_operations() {
    let c = validate_support::catalog();
    let cases: Vec<(J, J)> = vec![
        (
            json!({"==": [{"var": "location"}, "NL"]}),
            json!({"field": "location", "op": "eq", "value": "NL"}),
        ),
        (
            json!({"===": ["NL", {"var": "location"}]}),
            json!({"field": "location", "op": "eq", "value": "NL"}),
        ),
        (
            json!({"!=": [{"var": "location"}, "NL"]}),
            json!({"field": "location", "op": "neq", "value": "NL"}),
        ),
        (
            json!({"!==": [{"var": ["location"]}, "NL"]}),
            json!({"field": "location", "op": "neq", "value": "NL"}),
        ),
        (
            json!({"==": [{"var": "email"}, null]}),
            json!({"field": "email", "op": "is_empty"}),
        ),
        (
            json!({"!=": [{"var": "email"}, null]}),
            json!({"field": "email", "op": "is_not_empty"}),
        ),
        (
            json!({"<": [{"var": "age"}, 30]}),
            json!({"field": "age", "op": "lt", "value": 30}),
        ),
        (
            json!({"<": [30, {"var": "age"}]}),
            json!({"field": "age", "op": "gt", "value": 30}),
        ),
        (
            json!({">=": [{"var": "age"}, "30"]}),
            json!({"field": "age", "op": "gte", "value": 30}),
        ),
        (
            json!({"<=": [20, {"var": "age"}, 30]}),
            json!({"field": "age", "op": "between", "value": [20, 30]}),
        ),
        (
            json!({"<": [20, {"var": "age"}, 30]}),
            json!({"all": [
            {"field": "age", "op": "gt", "value": 20}, {"field": "age", "op": "lt", "value": 30}]}),
        ),
        (
            json!({"<": [{"var": "hire_date"}, "2024-01-01"]}),
            json!({"field": "hire_date", "op": "before", "value": "2024-01-01"}),
        ),
        (
            json!({"<=": [{"var": "hire_date"}, "2024-01-01"]}),
            json!({"any": [
            {"field": "hire_date", "op": "before", "value": "2024-01-01"},
            {"field": "hire_date", "op": "eq", "value": "2024-01-01"}]}),
        ),
        (
            json!({"in": [{"var": "location"}, ["NL", "BE"]]}),
            json!({"field": "location", "op": "in", "value": ["NL", "BE"]}),
        ),
        (
            json!({"!": {"in": [{"var": "location"}, ["NL"]]}}),
            json!({"field": "location", "op": "not_in", "value": ["NL"]}),
        ),
        (
            json!({"in": ["Eng", {"var": "job_title"}]}),
            json!({"field": "job_title", "op": "contains", "value": "Eng"}),
        ),
        (
            json!({"!": [{"in": ["Eng", {"var": "job_title"}]}]}),
            json!({"field": "job_title", "op": "not_contains", "value": "Eng"}),
        ),
        (
            json!({"in": ["vip", {"var": "tags"}]}),
            json!({"field": "tags", "op": "includes", "value": "vip"}),
        ),
        (
            json!({"!": {"in": ["vip", {"var": "tags"}]}}),
            json!({"field": "tags", "op": "not_includes", "value": "vip"}),
        ),
        (
            json!({"in": [{"var": "tags"}, ["a", "b"]]}),
            json!({"field": "tags", "op": "includes_any", "value": ["a", "b"]}),
        ),
        (
            json!({"some": [{"var": "tags"}, {"in": [{"var": ""}, ["a", "b"]]}]}),
            json!({"field": "tags", "op": "includes_any", "value": ["a", "b"]}),
        ),
        (
            json!({"startsWith": [{"var": "name"}, "Jo"]}),
            json!({"field": "name", "op": "starts_with", "value": "Jo"}),
        ),
        (
            json!({"endsWith": [{"var": "email"}, "@x.com"]}),
            json!({"field": "email", "op": "ends_with", "value": "@x.com"}),
        ),
        (
            json!({"==": [{"var": "active"}, "false"]}),
            json!({"field": "active", "op": "eq", "value": false}),
        ),
        (
            json!({"and": [{"==": [{"var": "role"}, "manager"]}, {"or": [
            {"==": [{"var": "location"}, "NL"]}, {"!": {"==": [{"var": "location"}, "BE"]}}]}]}),
            json!({"all": [{"field": "role", "op": "eq", "value": "manager"}, {"any": [
            {"field": "location", "op": "eq", "value": "NL"},
            {"not": {"field": "location", "op": "eq", "value": "BE"}}]}]}),
        ),
        (json!({"and": []}), json!({"all": []})),
        (
            json!({"or": [{"==": [{"var": "age"}, 1]}]}),
            json!({"field": "age", "op": "eq", "value": 1}),
        ),
    ];
    for (input, expected) in cases {
        let got = ours(&c, input.clone());
        assert_eq!(got, expected, "{input}");
        let node = json::read_value(&got).expect("our JSON");
        let v = validate(&node, &c, &Options::default());
        assert!(!v.has_errors(), "{input}: {:?}", v.problems);
    }
}

#[test]
fn like_characters_are_kept_verbatim() {
    let c = validate_support::catalog();
    for v in ["50%", "a_b", "back\\slash", "%_\\"] {
        assert_eq!(
            ours(&c, json!({"in": [v, {"var": "job_title"}]})),
            json!({"field": "job_title", "op": "contains", "value": v})
        );
        assert_eq!(
            ours(&c, json!({"startsWith": [{"var": "name"}, v]})),
            json!({"field": "name", "op": "starts_with", "value": v})
        );
    }
}

#[test]
fn what_has_no_equivalent_is_refused_with_its_path() {
    let c = validate_support::catalog();
    let cases: Vec<(J, &str, &str)> = vec![
        (
            json!({"and": [{"==": [1, 1]}, {"if": [true, 1, 2]}]}),
            "and[0].==",
            "0A000",
        ),
        (
            json!({"and": [{"==": [{"var": "age"}, 1]}, {"if": [true, 1, 2]}]}),
            "and[1].if",
            "0A000",
        ),
        (json!({"or": [{"var": "active"}]}), "or[0]", "0A000"),
        (
            json!({"==": [{"var": ["age", 3]}, 1]}),
            "==[0].var",
            "0A000",
        ),
        (
            json!({"in": [{"var": "location"}, {"var": "name"}]}),
            "in",
            "0A000",
        ),
        (
            json!({"<": [{"var": "age"}, {"+": [1, 2]}]}),
            "<[1]",
            "22023",
        ),
        (
            json!({"some": [{"var": "tags"}, {"==": [{"var": ""}, "a"]}]}),
            "some[1]",
            "0A000",
        ),
        (json!({"in": [{"var": "location"}, "NL"]}), "in[1]", "22023"),
        (
            json!({"==": [{"var": "age"}, 1], "!=": [{"var": "age"}, 2]}),
            "",
            "22023",
        ),
        (json!({"!": [1, 2]}), "!", "22023"),
        (json!("text"), "", "22023"),
    ];
    for (input, path, state) in cases {
        let err = import(&c, input.clone()).unwrap_err();
        assert_eq!(err.path(), path, "{input}: {err}");
        assert_eq!(err.sqlstate(), state, "{input}: {err}");
    }
}

/// Two `var`s compare two fields; in a three-argument range either bound may be a field.
#[test]
fn comparisons_of_two_fields() {
    let c = validate_support::catalog();
    let f = |field: &str, op: &str, other: &str| json!({"field": field, "op": op, "value_field": other});
    let v = |name: &str| json!({"var": name});
    let cases: Vec<(J, J)> = vec![
        (
            json!({"==": [v("location"), v("manager.location")]}),
            f("location", "eq", "manager.location"),
        ),
        (
            json!({"===": [v("location"), v("name")]}),
            f("location", "eq", "name"),
        ),
        (
            json!({"!=": [v("location"), v("name")]}),
            f("location", "neq", "name"),
        ),
        (
            json!({"<": [v("age"), v("salary")]}),
            f("age", "lt", "salary"),
        ),
        (
            json!({">=": [v("age"), v("salary")]}),
            f("age", "gte", "salary"),
        ),
        (
            json!({">": [v("hire_date"), v("start_date")]}),
            f("hire_date", "after", "start_date"),
        ),
        (
            json!({">=": [v("hire_date"), v("start_date")]}),
            json!({"any": [f("hire_date", "after", "start_date"), f("hire_date", "eq", "start_date")]}),
        ),
        (
            json!({"<=": [v("score"), v("age"), v("salary")]}),
            json!({"all": [f("age", "gte", "score"), f("age", "lte", "salary")]}),
        ),
        (
            json!({"<": [18, v("age"), v("salary")]}),
            json!({"all": [{"field": "age", "op": "gt", "value": 18}, f("age", "lt", "salary")]}),
        ),
    ];
    for (input, expected) in cases {
        let got = ours(&c, input.clone());
        assert_eq!(got, expected, "{input}");
        let node = json::read_value(&got).expect("our JSON");
        let v = validate(&node, &c, &Options::default());
        assert!(!v.has_errors(), "{input}: {:?}", v.problems);
    }
    let node = smart_groups_core::text::parse(
        "hire_date before start_date or location != manager.location",
    )
    .expect("parses");
    let theirs = to_jsonlogic(&node).expect("says it");
    assert_eq!(
        theirs,
        json!({"or": [{"<": [v("hire_date"), v("start_date")]}, {"!=": [v("location"), v("manager.location")]}]})
    );
    assert_eq!(ours(&c, theirs), json::write(&node));
    let err = to_jsonlogic(
        &smart_groups_core::text::parse("name equals ignoring case email").expect("parses"),
    )
    .unwrap_err();
    assert_eq!((err.path(), err.sqlstate()), ("", "0A000"));
}

#[test]
fn ours_to_theirs() {
    let r = |text: &str| to_jsonlogic(&smart_groups_core::text::parse(text).expect("parses"));
    assert_eq!(
        r(r#"location not in ("NL") and age between 20 and 30 and email is empty"#).unwrap(),
        json!({"and": [
            {"!": {"in": [{"var": "location"}, ["NL"]]}},
            {"<=": [20, {"var": "age"}, 30]},
            {"==": [{"var": "email"}, null]}]})
    );
    for (text, path) in [
        (r#"age > 1 and (hire_date within last 30 days)"#, "all[1]"),
        (r#"not (name equals ignoring case "x")"#, "not"),
        (r#"age > 1 or member of "Sales""#, "any[1]"),
        ("has clicks", ""),
    ] {
        let err = r(text).unwrap_err();
        assert_eq!(err.path(), path, "{text}: {err}");
        assert_eq!(err.sqlstate(), "0A000");
    }
}
