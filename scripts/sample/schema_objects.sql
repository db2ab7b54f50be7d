-- Everything the extension put in a database, one line per property, for comparing two
-- databases (scripts/upgrade_test.sh: an upgraded install against a fresh one). Covers the
-- extension's member objects (functions, tables, views, sequences, types, event triggers,
-- schemas) with their definitions, columns, constraints, indexes, triggers, policies,
-- grants and comments, the tables pg_dump saves (pg_extension_config_dump), and the
-- triggers attaching tables put on the app's tables. Names only, never OIDs.
WITH ext AS (
    SELECT oid FROM pg_extension WHERE extname = 'smart_groups'
), members AS (
    SELECT d.classid, d.objid FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), rels AS (
    SELECT c.oid, c.oid::regclass::text AS name FROM pg_class c
     WHERE c.oid IN (SELECT objid FROM members WHERE classid = 'pg_class'::regclass)
), lines(line) AS (
    SELECT 'member ' || pg_describe_object(classid, objid, 0) FROM members
    UNION ALL
    SELECT format('function %s: %s acl=%s comment=%s', p.oid::regprocedure,
                  CASE WHEN p.prokind IN ('f', 'p', 'w') THEN pg_get_functiondef(p.oid) ELSE p.prokind::text END,
                  p.proacl, obj_description(p.oid, 'pg_proc'))
      FROM pg_proc p WHERE p.oid IN (SELECT objid FROM members WHERE classid = 'pg_proc'::regclass)
    UNION ALL
    SELECT format('relation %s: kind=%s persistence=%s rls=%s/%s options=%s acl=%s comment=%s',
                  r.name, c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity,
                  c.reloptions, c.relacl, obj_description(c.oid, 'pg_class'))
      FROM rels r JOIN pg_class c ON c.oid = r.oid
    UNION ALL
    SELECT format('view %s: %s', r.name, pg_get_viewdef(r.oid))
      FROM rels r JOIN pg_class c ON c.oid = r.oid WHERE c.relkind IN ('v', 'm')
    UNION ALL
    SELECT format('column %s.%s #%s: %s notnull=%s default=%s identity=%s generated=%s collation=%s acl=%s comment=%s',
                  r.name, a.attname,
                  row_number() OVER (PARTITION BY r.oid ORDER BY a.attnum),
                  format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated,
                  NULLIF(a.attcollation, 0)::regcollation, a.attacl,
                  col_description(r.oid, a.attnum))
      FROM rels r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = r.oid AND ad.adnum = a.attnum
    UNION ALL
    SELECT format('constraint %s.%s: %s', r.name, con.conname, pg_get_constraintdef(con.oid))
      FROM rels r JOIN pg_constraint con ON con.conrelid = r.oid
    UNION ALL
    SELECT format('index %s: %s', r.name, pg_get_indexdef(i.indexrelid))
      FROM rels r JOIN pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT format('sequence %s: %s %s %s %s %s %s', r.name, s.seqtypid::regtype, s.seqstart,
                  s.seqincrement, s.seqmin, s.seqmax, s.seqcycle)
      FROM rels r JOIN pg_sequence s ON s.seqrelid = r.oid
    UNION ALL
    -- Triggers on the extension's tables and on the app's tables (attach_*).
    SELECT format('trigger %s: %s enabled=%s', t.tgname,
                  pg_get_triggerdef(t.oid), t.tgenabled)
      FROM pg_trigger t
     WHERE NOT t.tgisinternal
       AND (t.tgrelid IN (SELECT oid FROM rels)
            OR t.tgfoid IN (SELECT objid FROM members WHERE classid = 'pg_proc'::regclass))
    UNION ALL
    SELECT format('policy %s.%s: %s %s roles=%s using=%s check=%s', r.name, pol.polname,
                  pol.polcmd, pol.polpermissive, pol.polroles::regrole[],
                  pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid))
      FROM rels r JOIN pg_policy pol ON pol.polrelid = r.oid
    UNION ALL
    SELECT format('event trigger %s: %s tags=%s function=%s enabled=%s', e.evtname, e.evtevent,
                  e.evttags, e.evtfoid::regproc, e.evtenabled)
      FROM pg_event_trigger e
     WHERE e.oid IN (SELECT objid FROM members WHERE classid = 'pg_event_trigger'::regclass)
    UNION ALL
    SELECT format('schema %s: owner is superuser=%s acl=%s comment=%s', n.nspname,
                  (SELECT rolsuper FROM pg_roles WHERE oid = n.nspowner), n.nspacl,
                  obj_description(n.oid, 'pg_namespace'))
      FROM pg_namespace n
     WHERE n.oid IN (SELECT objid FROM members WHERE classid = 'pg_namespace'::regclass)
    UNION ALL
    SELECT format('type %s: %s', t.oid::regtype, t.typtype)
      FROM pg_type t WHERE t.oid IN (SELECT objid FROM members WHERE classid = 'pg_type'::regclass)
    UNION ALL
    SELECT format('dumped %s: %s', cfg.rel::regclass, cfg.cond)
      FROM pg_extension e, ext,
           unnest(e.extconfig, e.extcondition) AS cfg(rel, cond)
     WHERE e.oid = ext.oid
    UNION ALL
    SELECT format('extension: relocatable=%s schema=%s', e.extrelocatable, e.extnamespace::regnamespace)
      FROM pg_extension e, ext WHERE e.oid = ext.oid
)
SELECT line FROM lines ORDER BY line COLLATE "C";
