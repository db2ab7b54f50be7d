// #[pg_test]s for the SQL functions, run inside a real backend by `cargo pgrx test`.
use pgrx::prelude::*;

fn one<T: pgrx::FromDatum + pgrx::IntoDatum>(sql: &str) -> Option<T> {
    Spi::get_one::<T>(sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// `cargo pgrx test` runs the tests at once, each in its own transaction: those attaching
/// tables (one config row, the same custom field) take turns, or they deadlock.
fn take_turns() {
    Spi::run("SELECT pg_advisory_xact_lock(hashtext('smart_groups pg_test attach'))")
        .unwrap_or_else(|e| panic!("take_turns: {e}"));
}

fn setup() {
    take_turns();
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


/// The old SQL reading of the attached tables (until December 2026), kept here as the oracle
/// `catalog_tables::read` must agree with.
const CATALOG_ORACLE: &str = r#"
CREATE FUNCTION pg_temp.t_columns(rel regclass) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'name', a.attname, 'type', bt.typname, 'typtype', bt.typtype,
               'type_schema', btn.nspname, 'elem', et.typname,
               'labels', (SELECT jsonb_agg(e.enumlabel ORDER BY e.enumsortorder)
                            FROM pg_enum e WHERE e.enumtypid = bt.oid))
           ORDER BY a.attnum), '[]'::jsonb)
      FROM pg_attribute a
      JOIN pg_type t ON t.oid = a.atttypid
      JOIN pg_type bt ON bt.oid = CASE WHEN t.typtype = 'd' THEN t.typbasetype ELSE t.oid END
      JOIN pg_namespace btn ON btn.oid = bt.typnamespace
      LEFT JOIN pg_type et ON et.oid = bt.typelem AND bt.typcategory = 'A'
     WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped
$$;
CREATE FUNCTION pg_temp.t_lookups(rel regclass) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'column', a.attname, 'schema', n.nspname, 'table', c.relname, 'key_column', fa.attname,
               'columns', pg_temp.t_columns(k.confrelid)) ORDER BY a.attnum, k.conname), '[]'::jsonb)
      FROM pg_constraint k
      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
      JOIN pg_attribute fa ON fa.attrelid = k.confrelid AND fa.attnum = k.confkey[1]
      JOIN pg_class c ON c.oid = k.confrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f' AND k.conrelid = rel AND cardinality(k.conkey) = 1
       AND k.confrelid IS DISTINCT FROM (SELECT users_table FROM smart_groups.config)
$$;
CREATE FUNCTION pg_temp.t_catalog() RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'users', (
            SELECT jsonb_build_object(
                'schema', n.nspname, 'table', c.relname,
                'key_column', cfg.key_column, 'key_type', cfg.key_type,
                'columns', pg_temp.t_columns(cfg.users_table),
                'references', (
                    SELECT coalesce(jsonb_agg(a.attname ORDER BY a.attnum), '[]'::jsonb)
                      FROM pg_constraint k
                      JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1]
                     WHERE k.contype = 'f' AND k.conrelid = cfg.users_table
                       AND k.confrelid = cfg.users_table AND cardinality(k.conkey) = 1),
                'lookups', pg_temp.t_lookups(cfg.users_table))
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = cfg.users_table),
        'custom_table', (
            SELECT jsonb_build_object(
                'schema', n.nspname, 'table', c.relname,
                'user_column', cfg.custom_user_column, 'key_column', cfg.custom_key_column,
                'value_column', cfg.custom_value_column)
              FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE c.oid = cfg.custom_table),
        'custom_fields', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'key', f.key, 'type', f.type, 'allowed', to_jsonb(f.allowed), 'tenant', f.tenant)
                       ORDER BY f.key, f.tenant), '[]'::jsonb)
              FROM smart_groups.custom_fields f),
        'relations', (
            SELECT coalesce(jsonb_agg(jsonb_build_object(
                       'name', r.name, 'schema', n.nspname, 'table', c.relname,
                       'user_column', r.user_column,
                       'columns', pg_temp.t_columns(r.table_name),
                       'lookups', pg_temp.t_lookups(r.table_name)) ORDER BY r.name), '[]'::jsonb)
              FROM smart_groups.relations r
              JOIN pg_class c ON c.oid = r.table_name
              JOIN pg_namespace n ON n.oid = c.relnamespace),
        'tenant_column', cfg.tenant_column)
      FROM (SELECT 1) AS one
      LEFT JOIN smart_groups.config cfg ON true
$$;
"#;

fn catalog_both_ways() -> (serde_json::Value, serde_json::Value) {
    let got = crate::catalog_tables::read().unwrap_or_else(|e| panic!("read: {e}"));
    let got = serde_json::to_value(&got).unwrap_or_default();
    let want = one::<pgrx::JsonB>("SELECT pg_temp.t_catalog()")
        .map(|j| j.0)
        .unwrap_or_default();
    (got, want)
}

#[pg_test]
fn catalog_tables_read_as_pg_catalog_says() {
    take_turns();
    Spi::run(CATALOG_ORACLE).unwrap_or_else(|e| panic!("oracle: {e}"));
    // Nothing attached yet.
    let (got, want) = catalog_both_ways();
    assert_eq!(got, want);
    assert!(got["users"].is_null());
    Spi::run(
        "CREATE SCHEMA app;
         CREATE TYPE app.mood AS ENUM ('sad', 'ok');
         ALTER TYPE app.mood ADD VALUE 'glad' BEFORE 'ok';
         CREATE DOMAIN app.score AS numeric CHECK (VALUE >= 0);
         CREATE DOMAIN app.feeling AS app.mood;
         CREATE DOMAIN app.strict_score AS app.score;
         CREATE TABLE app.depts (code text PRIMARY KEY, title varchar(40), floor int, mood app.mood);
         CREATE TABLE app.people (id bigint PRIMARY KEY, name varchar(20), gone int, mood app.mood,
             feeling app.feeling, score app.score, strict app.strict_score, tags text[], codes varchar[],
             nums int[], dept text REFERENCES app.depts (code), manager_id bigint REFERENCES app.people (id),
             mentor_id bigint, born date, seen timestamptz, at timestamp, ok boolean, blob bytea, sz char(2));
         ALTER TABLE app.people ADD CONSTRAINT b_mentor FOREIGN KEY (mentor_id) REFERENCES app.people (id);
         ALTER TABLE app.people ADD CONSTRAINT a_mentor_dept FOREIGN KEY (dept) REFERENCES app.depts (code);
         ALTER TABLE app.people DROP COLUMN gone;
         CREATE TABLE app.fields (person bigint, k text, v text);
         CREATE TABLE app.courses (id int PRIMARY KEY, name text, level app.score);
         CREATE TABLE app.rooms (a int, b int, PRIMARY KEY (a, b));
         CREATE TABLE app.enrolled (person bigint REFERENCES app.people (id), course int REFERENCES app.courses (id),
             ra int, rb int, FOREIGN KEY (ra, rb) REFERENCES app.rooms (a, b), status app.feeling, at timestamp);
         CREATE TABLE app.clicks (person bigint, at timestamptz);
         SELECT smart_groups.attach_users('app.people');
         SELECT smart_groups.attach_custom_fields('app.fields', user_column => 'person', key_column => 'k', value_column => 'v');
         SELECT smart_groups.define_custom_field('level', 'number');
         SELECT smart_groups.define_custom_field('colour', 'enum', ARRAY['red', 'blue']);
         SELECT smart_groups.attach_relation('enrollments', 'app.enrolled', 'person');
         SELECT smart_groups.attach_relation('clicks', 'app.clicks', 'person');",
    )
    .unwrap_or_else(|e| panic!("fixture: {e}"));
    let (got, want) = catalog_both_ways();
    assert_eq!(got, want);
    // The comparison saw what it claims to: enum labels in their order through a domain,
    // two references, the lookups of both tables, the dropped column left out.
    let users = &got["users"];
    assert_eq!(users["references"], serde_json::json!(["manager_id", "mentor_id"]));
    let feeling = users["columns"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["name"] == "feeling"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(feeling["labels"], serde_json::json!(["sad", "glad", "ok"]));
    assert_eq!(users["lookups"].as_array().map(Vec::len), Some(2));
    assert_eq!(got["relations"][1]["lookups"][0]["table"], "courses");
    assert!(!users["columns"].to_string().contains("\"gone\""));
    // A column renamed and a label added are seen in the same transaction.
    Spi::run(
        "ALTER TABLE app.people RENAME COLUMN name TO full_name;
         ALTER TYPE app.mood ADD VALUE 'calm';
         ALTER TABLE app.depts ADD COLUMN wing text;",
    )
    .unwrap_or_else(|e| panic!("changes: {e}"));
    let (got, want) = catalog_both_ways();
    assert_eq!(got, want);
    assert!(got["users"]["columns"].to_string().contains("full_name"));
}
