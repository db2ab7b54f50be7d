-- smart_groups 0.1.0 → 0.2.0 (ALTER EXTENSION smart_groups UPDATE).
--
-- Every change to the extension's SQL after 0.1.0 is written here as well as in the files
-- the fresh install is built from (sql/*.sql, the #[pg_extern] functions), so that an
-- upgraded database ends up with exactly the objects of a fresh 0.2.0 install, keeping its
-- groups, memberships and history. scripts/upgrade_test.sh checks both (docs/releasing.md).
\echo Use "ALTER EXTENSION smart_groups UPDATE" to load this file. \quit

-- Other formats (docs/reference/formats.md): react-querybuilder and JsonLogic, both ways.
CREATE FUNCTION smart_groups."from_querybuilder"("query" jsonb) RETURNS jsonb
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'from_querybuilder_wrapper';
CREATE FUNCTION smart_groups."from_jsonlogic"("logic" jsonb) RETURNS jsonb
STRICT STABLE PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'from_jsonlogic_wrapper';
CREATE FUNCTION smart_groups."to_querybuilder"("rules" jsonb) RETURNS jsonb
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'to_querybuilder_jsonb_wrapper';
CREATE FUNCTION smart_groups."to_querybuilder"("rules" text) RETURNS jsonb
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'to_querybuilder_text_wrapper';
CREATE FUNCTION smart_groups."to_jsonlogic"("rules" jsonb) RETURNS jsonb
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'to_jsonlogic_jsonb_wrapper';
CREATE FUNCTION smart_groups."to_jsonlogic"("rules" text) RETURNS jsonb
IMMUTABLE STRICT PARALLEL SAFE
LANGUAGE c
AS 'MODULE_PATHNAME', 'to_jsonlogic_text_wrapper';

-- Their comments and privileges, as the fresh install gives them.
CREATE OR REPLACE FUNCTION smart_groups_internal._comment_api() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    c record;
    f regprocedure;
BEGIN
    FOR c IN SELECT * FROM (VALUES
        ('attach_users', 'Attaches the app''s users table (its single-column primary key is the users key). README: Attaching the app''s tables'),
        ('attach_custom_fields', 'Attaches the app''s custom-field table (user, key and value columns; values as text)'),
        ('define_custom_field', 'Declares a custom field: text, number, date, timestamp, boolean, or enum with allowed values'),
        ('drop_custom_field', 'Forgets a custom field; groups reading it become static groups holding their members'),
        ('attach_relation', 'Attaches a related table (enrollments, clicks, ...) that rules reach with "has"'),
        ('compile', 'The SQL predicate of a ruleset (text form or JSON) over the users table aliased u'),
        ('to_text', 'A ruleset in the text form'),
        ('to_json', 'A ruleset as canonical JSON'),
        ('from_querybuilder', 'A react-querybuilder query (RuleGroupType) as a ruleset (canonical JSON); README: Other formats'),
        ('to_querybuilder', 'A ruleset as a react-querybuilder query (RuleGroupType)'),
        ('from_jsonlogic', 'A JsonLogic rule as a ruleset (canonical JSON); README: Other formats'),
        ('to_jsonlogic', 'A ruleset as a JsonLogic rule'),
        ('validate', 'Every error and warning of a ruleset, with its JSON path, SQLSTATE and hint'),
        ('read_number', 'How custom-field text is read as a number; NULL when unreadable'),
        ('read_date', 'How custom-field text is read as a date; NULL when unreadable'),
        ('read_timestamp', 'How custom-field text is read as a timestamp; NULL when unreadable'),
        ('read_boolean', 'How custom-field text is read as a boolean; NULL when unreadable'),
        ('create_group', 'Creates a smart group from a ruleset; its membership is computed at once and kept exact'),
        ('create_static_group', 'Creates a static group, whose members are added by hand'),
        ('add_members', 'Adds users to a static group; returns how many joined'),
        ('remove_members', 'Removes users from a static group; returns how many left'),
        ('set_rules', 'Replaces a smart group''s ruleset; membership follows in the same transaction'),
        ('rename_group', 'Renames a group; rules naming it in "member of" follow'),
        ('activate_group', 'Activates a group: its membership is computed'),
        ('deactivate_group', 'Deactivates a group: it keeps its rules and has no members'),
        ('archive_group', 'Archives a group: inactive and hidden, instant whatever its size'),
        ('restore_group', 'Restores an archived group; it comes back inactive'),
        ('drop_group', 'Drops a group, its membership and overrides'),
        ('exclude', 'Excludes a user from a smart group whatever its rules say (reason: does_not_represent_criteria, already_addressed, data_quality, other with a note)'),
        ('unexclude', 'Removes a manual exclusion'),
        ('include', 'Includes a user in a smart group whatever its rules say'),
        ('uninclude', 'Removes a manual inclusion'),
        ('recalculate', 'Re-evaluates a group in full; returns how many joined and left'),
        ('recalculate_all', 'Re-evaluates every active group in full'),
        ('refresh_time_rules', 'Applies relative-time boundaries crossed since the last refresh (the background worker calls it); returns the memberships changed'),
        ('preview', 'The users a ruleset matches, without saving anything'),
        ('preview_count', 'How many users a ruleset matches, without saving anything'),
        ('preview_change', 'The joins and leaves that set_rules (or activating) with a ruleset would cause'),
        ('explain', 'Why a user is or is not in a group: every rule with the user''s actual value, the overrides and the result'),
        ('member_count', 'A group''s number of members, exact, without counting them'),
        ('verify', 'Differences between stored membership and a fresh evaluation; empty when consistent')
    ) AS t(name, comment) LOOP
        FOR f IN SELECT p.oid FROM pg_proc p
                  WHERE p.pronamespace = 'smart_groups'::regnamespace AND p.proname = c.name LOOP
            EXECUTE format('COMMENT ON FUNCTION %s IS %L', f, c.comment);
        END LOOP;
    END LOOP;

    FOR c IN SELECT * FROM (VALUES
        ('config', NULL, 'The attached users table and custom-field table (one row at most)'),
        ('config', 'singleton', 'Always true: there is one row at most'),
        ('config', 'users_table', 'The attached users table'),
        ('config', 'key_column', 'Its primary-key column: the users key'),
        ('config', 'key_type', 'The users key''s type: integer, bigint, uuid or text'),
        ('config', 'custom_table', 'The attached custom-field table, if any'),
        ('config', 'custom_user_column', 'Its column holding the users key'),
        ('config', 'custom_key_column', 'Its column holding the field''s key'),
        ('config', 'custom_value_column', 'Its column holding the value, as text'),
        ('config', 'catalog_epoch', 'Moves whenever what rules can name changes, so that backends do not reuse compiled rules'),
        ('config', 'attached_at', 'When the users table was attached'),
        ('custom_fields', NULL, 'The custom fields rules may name'),
        ('custom_fields', 'key', 'The field''s key in the custom-field table, and its name in rules'),
        ('custom_fields', 'type', 'text, number, date, timestamp, boolean or enum'),
        ('custom_fields', 'allowed', 'The allowed values of an enum field'),
        ('custom_fields', 'created_at', 'When the field was defined'),
        ('relations', NULL, 'The related tables rules reach with "has"'),
        ('relations', 'name', 'The relation''s name in rules'),
        ('relations', 'table_name', 'The attached table'),
        ('relations', 'user_column', 'Its column holding the users key'),
        ('relations', 'created_at', 'When the relation was attached'),
        ('groups', NULL, 'Every group, archived ones included (names stay taken)'),
        ('groups', 'id', 'The group''s id, as in members, memberships and the log'),
        ('groups', 'name', 'The group''s name, unique'),
        ('groups', 'kind', 'smart (membership from rules) or static (members added by hand)'),
        ('groups', 'status', 'active (membership kept), inactive (rules kept, no members) or archived'),
        ('groups', 'rules', 'The ruleset as canonical JSON (a static group keeps the rules it had)'),
        ('groups', 'rules_text', 'The ruleset in the text form'),
        ('groups', 'deps', 'What the rules read: columns, custom fields, relations, groups (maintenance uses it)'),
        ('groups', 'depth', 'How deep the group is in "member of" chains (maintenance order)'),
        ('groups', 'time_refreshed_at', 'Relative-time boundaries up to this time are applied'),
        ('groups', 'created_at', 'When the group was created'),
        ('groups', 'updated_at', 'When the group last changed'),
        ('attached_columns', NULL, 'The attached tables'' columns as rules last saw them (to follow renames and type changes); internal'),
        ('attached_columns', 'rel', 'The attached table'),
        ('attached_columns', 'attnum', 'The column''s number'),
        ('attached_columns', 'name', 'The column''s name when last seen'),
        ('attached_columns', 'type_id', 'The column''s type when last seen'),
        ('member_rows', NULL, 'Stored membership of every group, including rows of inactive groups awaiting cleanup: read members or memberships instead'),
        ('member_rows', 'group_id', 'The group'),
        ('member_rows', 'user_key', 'The member'),
        ('member_rows', 'since', 'When the user joined'),
        ('member_garbage', NULL, 'Groups whose rows in member_rows await the background cleanup; internal'),
        ('member_garbage', 'group_id', 'The group'),
        ('member_counts', NULL, 'What member_count() sums: a row per group per statement that changed it, folded by refresh_time_rules()'),
        ('member_counts', 'group_id', 'The group'),
        ('member_counts', 'delta', 'Members joined minus members left'),
        ('inclusions', NULL, 'Users included by hand: a static group''s members, and manual inclusions into smart groups'),
        ('inclusions', 'group_id', 'The group'),
        ('inclusions', 'user_key', 'The user'),
        ('inclusions', 'created_at', 'When the user was included'),
        ('exclusions', NULL, 'Users excluded by hand from smart groups (exclusion wins over rules and inclusion)'),
        ('exclusions', 'group_id', 'The group'),
        ('exclusions', 'user_key', 'The user'),
        ('exclusions', 'reason', 'does_not_represent_criteria, already_addressed, data_quality or other'),
        ('exclusions', 'note', 'Why (required for other)'),
        ('exclusions', 'created_at', 'When the user was excluded'),
        ('exclusions', 'created_by', 'Who excluded the user'),
        ('membership_changes', NULL, 'The membership log as stored: a row per group, direction and cause of each statement, its users as an array (read membership_log)'),
        ('membership_changes', 'id', 'The change'),
        ('membership_changes', 'group_id', 'The group'),
        ('membership_changes', 'user_keys', 'The users who joined or left; NULL: every member left at once (deactivate, archive, drop, TRUNCATE)'),
        ('membership_changes', 'change', 'join or leave'),
        ('membership_changes', 'cause', 'user_change, rules_change, time, exclusion, inclusion, group_change or recalculate'),
        ('membership_changes', 'at', 'When (the transaction''s time)'),
        ('members', NULL, 'The members of every active group'),
        ('members', 'group_id', 'The group'),
        ('members', 'user_key', 'The member, in the users key''s type'),
        ('members', 'since', 'When the user joined'),
        ('memberships', NULL, 'The members of every active group, with the group''s name'),
        ('memberships', 'group_id', 'The group'),
        ('memberships', 'group_name', 'The group''s name'),
        ('memberships', 'user_key', 'The member, in the users key''s type'),
        ('memberships', 'since', 'When the user joined'),
        ('membership_log', NULL, 'Every join and leave, a row per user (a NULL user_key: every member left at once)'),
        ('membership_log', 'id', 'The change (shared by the users of one statement''s change to one group)'),
        ('membership_log', 'group_id', 'The group'),
        ('membership_log', 'user_key', 'The user'),
        ('membership_log', 'change', 'join or leave'),
        ('membership_log', 'cause', 'user_change, rules_change, time, exclusion, inclusion, group_change or recalculate'),
        ('membership_log', 'at', 'When'),
        ('excluded', NULL, 'Users excluded by hand from smart groups, with the group''s name'),
        ('excluded', 'group_id', 'The group'),
        ('excluded', 'group_name', 'The group''s name'),
        ('excluded', 'user_key', 'The user, in the users key''s type'),
        ('excluded', 'reason', 'does_not_represent_criteria, already_addressed, data_quality or other'),
        ('excluded', 'note', 'Why (required for other)'),
        ('excluded', 'created_at', 'When the user was excluded'),
        ('excluded', 'created_by', 'Who excluded the user'),
        ('included', NULL, 'Users included by hand into smart groups, with the group''s name (a static group''s members are in memberships)'),
        ('included', 'group_id', 'The group'),
        ('included', 'group_name', 'The group''s name'),
        ('included', 'user_key', 'The user, in the users key''s type'),
        ('included', 'created_at', 'When the user was included'),
        ('fields', NULL, 'Every field a rule may name, with its type'),
        ('fields', 'name', 'The name rules use'),
        ('fields', 'type', 'The field''s type in rules'),
        ('fields', 'source', 'Where it comes from: column, custom field, reference or relation'),
        ('fields', 'relation', 'For a relation''s column, the relation'),
        ('fields', 'column_name', 'The column it reads'),
        ('fields', 'allowed', 'The allowed values of an enum')
    ) AS t(rel, col, comment) LOOP
        CONTINUE WHEN to_regclass('smart_groups.' || quote_ident(c.rel)) IS NULL;
        IF c.col IS NULL THEN
            EXECUTE format('COMMENT ON %s smart_groups.%I IS %L',
                           CASE (SELECT relkind FROM pg_class WHERE oid = to_regclass('smart_groups.' || quote_ident(c.rel)))
                                WHEN 'v' THEN 'VIEW' ELSE 'TABLE' END, c.rel, c.comment);
        ELSE
            EXECUTE format('COMMENT ON COLUMN smart_groups.%I.%I IS %L', c.rel, c.col, c.comment);
        END IF;
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION smart_groups_internal._set_privileges() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    f record;
    -- Trigger functions (app writes, DDL on attached tables, commit) and the API.
    definer text[] := ARRAY[
        '_before_statement_rs', '_on_users_update_rs', '_on_users_insert_rs', '_on_users_delete_rs',
        '_on_users_truncate', '_on_table_change_rs', '_on_table_truncate',
        '_on_sql_drop', '_on_ddl_end',
        'create_group', 'create_static_group', 'add_members', 'remove_members', 'set_rules',
        'rename_group', 'activate_group', 'deactivate_group', 'archive_group', 'restore_group',
        'drop_group', 'exclude', 'unexclude', 'include', 'uninclude', 'recalculate',
        'recalculate_all', 'refresh_time_rules', 'define_custom_field', 'drop_custom_field',
        'preview', 'preview_count', 'preview_change', 'explain', 'verify', 'member_count',
        'validate', 'compile', 'to_text', 'to_json', '_field_list',
        'from_querybuilder', 'to_querybuilder', 'from_jsonlogic', 'to_jsonlogic'];
    reader text[] := ARRAY['preview', 'preview_count', 'preview_change', 'explain', 'verify',
                           'member_count', 'validate', 'compile', 'to_text', 'to_json', '_field_list',
                           'from_querybuilder', 'to_querybuilder', 'from_jsonlogic', 'to_jsonlogic'];
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig, p.proname::text AS name, p.prokind
               FROM pg_proc p
              WHERE p.pronamespace IN ('smart_groups'::regnamespace, 'smart_groups_internal'::regnamespace) LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.sig);
        IF f.name = ANY (definer) THEN
            EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = pg_catalog, pg_temp', f.sig);
            EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %I', f.sig,
                           CASE WHEN f.name = ANY (reader) THEN 'smart_groups_reader' ELSE 'smart_groups_admin' END);
        END IF;
    END LOOP;
END $$;

SELECT smart_groups_internal._set_privileges();
SELECT smart_groups_internal._comment_api();
