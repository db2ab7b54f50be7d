// #[pg_test]s for the SQL functions, run inside a real backend by `cargo pgrx test`.
use pgrx::prelude::*;

fn one<T: pgrx::FromDatum + pgrx::IntoDatum>(sql: &str) -> Option<T> {
    Spi::get_one::<T>(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn setup() {
    Spi::run(
        "CREATE TABLE t_users (id integer PRIMARY KEY, name text, age integer, manager_id integer REFERENCES t_users (id));
         CREATE TABLE t_fields (user_id integer, k text, v text);
         INSERT INTO t_users VALUES (1, 'Ann', 30, NULL), (2, 'Bob', NULL, 1);
         INSERT INTO t_fields VALUES (1, 'level', '3'), (2, 'level', 'high');
         SELECT smart_groups.attach_users('t_users');
         SELECT smart_groups.attach_custom_fields('t_fields', user_column => 'user_id', key_column => 'k', value_column => 'v');
         SELECT smart_groups.define_custom_field('level', 'number');",
    )
    .unwrap_or_else(|e| panic!("setup: {e}"));
}

#[pg_test]
fn readers_return_null_for_unreadable_text() {
    assert_eq!(one::<bool>("SELECT smart_groups.read_number('abc') IS NULL"), Some(true));
    assert_eq!(one::<bool>("SELECT smart_groups.read_number(' 12.5 ') = 12.5"), Some(true));
    assert_eq!(one::<bool>("SELECT smart_groups.read_date('2024-02-30') IS NULL"), Some(true));
    assert_eq!(one::<bool>("SELECT smart_groups.read_date('2024-02-29') = date '2024-02-29'"), Some(true));
    assert_eq!(
        one::<bool>("SELECT smart_groups.read_timestamp('2024-01-31T10:00:00+02:00') = timestamptz '2024-01-31 08:00:00Z'"),
        Some(true)
    );
    assert_eq!(one::<bool>("SELECT smart_groups.read_timestamp('2024-01-31') = timestamptz '2024-01-31 00:00:00Z'"), Some(true));
    assert_eq!(one::<bool>("SELECT smart_groups.read_boolean('TRUE')"), Some(true));
    assert_eq!(one::<bool>("SELECT smart_groups.read_boolean('yes') IS NULL"), Some(true));
}

#[pg_test]
fn text_and_json_forms_convert_both_ways() {
    let json = one::<pgrx::JsonB>("SELECT smart_groups.to_json('role = \"manager\" and not (age > 3)')")
        .map(|j| j.0)
        .unwrap_or_default();
    assert_eq!(
        json,
        serde_json::json!({"all": [
            {"field": "role", "op": "eq", "value": "manager"},
            {"not": {"field": "age", "op": "gt", "value": 3}}
        ]})
    );
    assert_eq!(
        one::<String>("SELECT smart_groups.to_text('{\"any\": [{\"member_of\": \"Sales\"}, {\"field\": \"email\", \"op\": \"is_empty\"}]}'::jsonb)"),
        Some("member of \"Sales\" or email is empty".to_string())
    );
}

#[pg_test]
fn compile_evaluates_columns_references_and_custom_fields() {
    setup();
    let matches = |rules: &str| -> Option<String> {
        let pred = one::<String>(&format!("SELECT smart_groups.compile({})", pgrx::spi::quote_literal(rules)))?;
        one::<String>(&format!("SELECT string_agg(name, ',' ORDER BY id) FROM t_users u WHERE {pred}"))
    };
    assert_eq!(matches("age is empty"), Some("Bob".into()));
    assert_eq!(matches("manager.name = \"Ann\""), Some("Bob".into()));
    assert_eq!(matches("level >= 3"), Some("Ann".into()));
    assert_eq!(matches("level is empty"), Some("Bob".into()));
}

#[pg_test(error = "unknown field \"agee\" (did you mean \"age\"?)")]
fn unknown_field_is_an_error() {
    setup();
    Spi::run("SELECT smart_groups.compile('agee > 3')").unwrap_or_else(|e| panic!("{e}"));
}

#[pg_test]
fn errors_carry_their_own_sqlstate() {
    setup();
    // A failed call raises its SQLSTATE; a PL/pgSQL handler reads it back.
    let code = |rules: &str| -> String {
        Spi::run(&format!(
            "DO $$ BEGIN PERFORM smart_groups.compile({}); \
             EXCEPTION WHEN OTHERS THEN PERFORM set_config('sg.state', SQLSTATE, false); END $$",
            pgrx::spi::quote_literal(rules)
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        one::<String>("SELECT current_setting('sg.state')").unwrap_or_default()
    };
    assert_eq!(code("agee > 3"), "42703");
    assert_eq!(code("name contains"), "42601");
    assert_eq!(code("age contains \"x\""), "42804");
    assert_eq!(code("age between 5 and 1"), "22023");
    assert_eq!(code("member of \"Nope\""), "42704");
}

#[pg_test]
fn notify_payloads_split_under_the_limit_in_order() {
    // Items as the commit trigger builds them, for more groups than one payload holds.
    let items: Vec<String> = (1..=400)
        .map(|g| {
            one::<String>(&format!(
                "SELECT jsonb_build_object('group_id', {g}, 'group_name', 'a group named ' || repeat('x', {g} % 40), 'joined', {g} * 3, 'left', 1)::text"
            ))
            .unwrap_or_default()
        })
        .collect();
    let payloads = crate::live::pending::payloads(&items);
    assert!(payloads.len() > 1, "{} payloads", payloads.len());
    let mut seen = Vec::new();
    for p in &payloads {
        assert!(p.len() <= 7900, "payload of {} bytes", p.len());
        // Each payload is what jsonb would print for {"groups": [...]}.
        let round = one::<String>(&format!("SELECT ('{}'::jsonb)::text", p.replace('\'', "''")));
        assert_eq!(round.as_deref(), Some(p.as_str()));
        let v: serde_json::Value = serde_json::from_str(p).unwrap_or_default();
        for g in v["groups"].as_array().cloned().unwrap_or_default() {
            seen.push(g["group_id"].as_i64().unwrap_or(-1));
        }
    }
    assert_eq!(seen, (1..=400).collect::<Vec<i64>>());
    // An item larger than the limit still goes, alone.
    let big = format!("{{\"left\": 0, \"joined\": 1, \"group_id\": 9, \"group_name\": \"{}\"}}", "y".repeat(8000));
    let split = crate::live::pending::payloads(&[items[0].clone(), big.clone(), items[1].clone()]);
    assert_eq!(split.len(), 3);
    assert!(split[1].contains(&big));
}

#[pg_test]
fn notify_items_read_as_jsonb_prints_them() {
    for name in ["Sales", "quote \" back \\ tab \t nl \n ctl \u{1} é ünï 🎉", ""] {
        let item = crate::live::pending::item(7, name, 3, 2);
        let jsonb = one::<String>(&format!(
            "SELECT jsonb_build_object('group_id', 7, 'group_name', '{}'::text, 'joined', 3, 'left', 2)::text",
            name.replace('\'', "''")
        ));
        assert_eq!(jsonb.as_deref(), Some(item.as_str()));
    }
    // A name longer than groups may have (created before the limit) is cut, so one group's
    // item always fits a payload.
    let item = crate::live::pending::item(7, &"n".repeat(9000), 1, 0);
    assert!(item.len() < 400, "{} bytes", item.len());
    assert_eq!(crate::live::pending::payloads(&[item]).len(), 1);
}

