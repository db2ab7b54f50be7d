//! What the triggers need to know about the attached tables and the active groups, kept per
//! backend: a one-user UPDATE must not re-read and re-parse a thousand groups' rules.
//!
//! The cache is keyed by the catalog epoch, which attach/define functions, DDL on attached
//! tables and every change to a group's definition or status bump (a statement trigger on
//! `smart_groups.groups`). Reading the epoch is one indexed lookup through a kept plan.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use pgrx::spi::SpiClient;
use pgrx::JsonB;
use serde::Deserialize;
use smart_groups_core::catalog::{Catalog, TableName};
use smart_groups_core::checked::Pred;
use smart_groups_core::compile::{
    self, quote_ident, AtomTable, Flip, LookupRead, RowAtom, RowTree,
};
use smart_groups_core::json;
use smart_groups_core::validate::{self, Options};

use super::set_codes;
use super::statements;
use crate::catalog_load;
use crate::errors::DbError;

/// One active smart group, as the triggers see it.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: i64,
    pub name: String,
    pub depth: i32,
    rules: serde_json::Value,
    /// Users columns the rules read, on the user or on a referenced user.
    pub columns: BTreeSet<String>,
    /// Groups named by member_of.
    names: BTreeSet<i64>,
    /// Custom-field keys the rules read, on the user or on a referenced user.
    pub custom: BTreeSet<String>,
    /// Relations the rules read with `has`.
    pub relations: BTreeSet<String>,
    pub reference_columns: BTreeSet<String>,
    /// How many references the longest path of the rules follows.
    pub reference_depth: i32,
    /// Whether the rules have a relative-time rule (`within last`).
    pub relative_time: bool,
    /// Whether the rules read lookup tables (`department.name`, `course.title`); which
    /// columns, under the current names: `State::lookup_reads`.
    pub reads_lookups: bool,
    /// The group's tenant (docs/reference/tenants.md); None without a tenant column.
    pub tenant: Option<String>,
}

impl Group {
    /// Whether the rules read another user's row (manager.x).
    pub fn reads_references(&self) -> bool {
        !self.reference_columns.is_empty()
    }
}

#[derive(Deserialize, Default)]
struct DepsDoc {
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default)]
    groups: Vec<i64>,
    #[serde(default)]
    custom: Vec<String>,
    #[serde(default)]
    relations: Vec<String>,
    #[serde(default)]
    reference_columns: Vec<String>,
    /// Absent from groups saved before it was recorded: then as deep as the search went.
    #[serde(default = "unknown_reference_depth")]
    reference_depth: i32,
    #[serde(default)]
    relative_time: bool,
    #[serde(default)]
    lookups: Vec<serde::de::IgnoredAny>,
}

fn unknown_reference_depth() -> i32 {
    MAX_REFERENCE_DEPTH
}

/// The deepest referrer search, for rules saved before their depth was recorded.
pub const MAX_REFERENCE_DEPTH: i32 = 32;

pub struct State {
    /// The active static groups (id, depth), by depth.
    pub static_groups: Vec<(i64, i32)>,
    /// The neighbourhood queries (`neighbourhood::Sources`), built on first use.
    sources: Option<Rc<super::neighbourhood::Sources>>,
    pub epoch: i64,
    pub key_column: String,
    pub key_type: String,
    /// The users table, schema-qualified and quoted.
    pub users_table: String,
    /// The users table by schema and name (`direct` reads).
    pub users_name: TableName,
    /// The users table's tenant column (docs/reference/tenants.md), if it has one.
    pub tenant_column: Option<String>,
    /// Active smart groups, by depth then id.
    pub groups: Vec<Rc<Group>>,
    /// Position in `groups` by group id: the trigger looks groups up once per pair.
    by_id: FxMap<i64, usize>,
    /// The groups naming each group in member_of.
    dependants: HashMap<i64, Vec<i64>>,
    /// Columns of the users table that some active smart group reads.
    pub read_columns: Vec<String>,
    /// The groups reading each column, in `groups` order: an UPDATE looks up the few columns
    /// it changed instead of testing every group's (at a thousand groups that test was 7% of
    /// a one-user UPDATE's time).
    readers: HashMap<String, Vec<usize>>,
    /// The groups maintained at commit (`commit.rs`): those reading another user's row,
    /// custom fields or relations and, transitively, the groups naming them in member_of. By
    /// depth, then id.
    pub at_commit: Vec<i64>,
    /// Per commit-time group: its place in `at_commit` and where its depth's run starts there.
    at_commit_pos: FxMap<i64, (usize, usize)>,
    catalog: Option<Catalog>,
    /// The catalog as each tenant's rules see it (`Catalog::scoped`), made once per tenant: a
    /// copy per group made loading a thousand groups' rules cost a thousand catalog copies.
    scoped: HashMap<Option<String>, Rc<Catalog>>,
    preds: HashMap<i64, Rc<Pred>>,
    sql: HashMap<i64, String>,
    flips: FxMap<(i64, Vec<String>), (Flip, bool)>,
    /// Per group and changed columns, its flip condition for the changed users' referrers.
    reference_flips: FxMap<(i64, Vec<String>), Flip>,
    /// Memberships per user, as the planner's statistics had them when the state was loaded
    /// (None before the tables were analyzed): whether reading a user's memberships whole
    /// beats probing them by group (`small::probe_groups`).
    pub members_per_user: Option<f64>,
    plans: FxMap<(Vec<String>, Vec<i64>), Rc<FlipPlan>>,
    row_plans: FxMap<Vec<i64>, Rc<RowPlan>>,
    /// How many times each set of groups was asked for (`row_plans`).
    row_sets_asked: FxMap<Vec<i64>, u32>,
    set_codes: FxMap<(Vec<String>, Vec<i64>), Rc<str>>,
    /// `time_since`, with when it was read.
    since: Option<(
        std::time::Instant,
        Option<pgrx::datum::TimestampWithTimeZone>,
    )>,
}

/// The per-backend maps are looked up on every statement of the hot path: keyed with FxHash.
type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<statements::FxHasher>>;

thread_local! {
    static STATE: RefCell<Option<State>> = const { RefCell::new(None) };
    /// The active smart groups as last loaded, by id, with their rows' versions: a change of
    /// one group reads that group's row again, not every group's (`load`).
    static GROUP_ROWS: ByVersion<Rc<Group>> = RefCell::new(HashMap::new());
}

const EPOCH_SQL: &str = "SELECT catalog_epoch FROM smart_groups.config";

/// A group row's version in `GROUPS_SQL` (and the catalog's).
pub(crate) const ROW_VERSION: &str =
    "(g.xmin::text || '/' || g.ctid::text || '/' || g.depth || '/' || g.updated_at)";

/// The active smart groups, in depth order, with `TENANT` the group's tenant (`load`). $1:
/// the row versions this backend has read (`GROUP_ROWS`); the rows of those are not read
/// again. A version is the tuple's xmin and place, which no other version of the table has at
/// the same time, with the depth and `updated_at` that every change of a group through the
/// API moves: a frozen tuple's xmin reads as 2, and a row updated in place of one pruned could
/// otherwise repeat it. Rows, not one jsonb: building a thousand groups' rules and deps into
/// a jsonb took 20 ms, reading them as text 2 ms.
const GROUPS_SQL: &str = "\
SELECT g.id, VERSION, k.v IS NULL, \
       CASE WHEN k.v IS NULL THEN g.name END, g.depth, \
       CASE WHEN k.v IS NULL THEN g.rules::text END, \
       CASE WHEN k.v IS NULL THEN g.deps::text END, \
       CASE WHEN k.v IS NULL THEN TENANT END \
  FROM smart_groups.groups g LEFT JOIN unnest($1::text[]) AS k(v) ON k.v = VERSION \
 WHERE g.status = 'active' AND g.kind = 'smart' \
 ORDER BY g.depth, g.id";

/// The rest of the state.
const LOAD_SQL: &str = "\
SELECT c.catalog_epoch, c.key_column::text, c.key_type, smart_groups_internal._qname(c.users_table), \
       (SELECT coalesce(jsonb_object_agg(a.attname, a.attnum), '{}') FROM pg_attribute a \
         WHERE a.attrelid = c.users_table AND a.attnum > 0 AND NOT a.attisdropped), \
       (SELECT coalesce(jsonb_agg(jsonb_build_array(g.id, g.depth) ORDER BY g.depth, g.id), '[]') \
          FROM smart_groups.groups g WHERE g.status = 'active' AND g.kind = 'static'), \
       (SELECT m.reltuples::float8 / u.reltuples FROM pg_class m, pg_class u \
         WHERE m.oid = 'smart_groups.member_rows'::regclass AND u.oid = c.users_table \
           AND m.reltuples >= 0 AND u.reltuples > 0), \
       (SELECT n.nspname::text FROM pg_class r JOIN pg_namespace n ON n.oid = r.relnamespace \
         WHERE r.oid = c.users_table), \
       (SELECT r.relname::text FROM pg_class r WHERE r.oid = c.users_table), \
       to_jsonb(c) ->> 'tenant_column' \
  FROM smart_groups.config c";

/// Forgets the bound `State::time_since` read: the transaction that read it may have moved it
/// itself (a time refresh) and then rolled back.
pub fn forget_time_since() {
    STATE.with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            if let Some(st) = s.as_mut() {
                st.since = None;
            }
        }
    });
}

/// Runs `f` on the state for the current epoch, (re)loading it when needed. `None`: no users
/// table is attached.
pub fn with_state<R>(
    client: &mut SpiClient<'_>,
    f: impl FnOnce(&mut SpiClient<'_>, &mut State) -> Result<R, DbError>,
) -> Result<Option<R>, DbError> {
    // Read on every statement and commit that maintains: through config's index, as the
    // statement would see it (the statement where the index cannot serve).
    let single = ["true".to_string()];
    let epoch = match super::direct::ids(
        &super::direct::ours("config"),
        "singleton",
        "catalog_epoch",
        &single,
    ) {
        Some(rows) => rows.first().map(|(_, epoch)| *epoch),
        None => statements::query_one::<i64>(client, EPOCH_SQL, &[], &[])?,
    };
    let Some(epoch) = epoch else {
        return Ok(None);
    };
    // Under REPEATABLE READ and SERIALIZABLE the groups are those of the snapshot. A group
    // activated, restored or given new rules by a transaction that committed after it was
    // computed from data without this transaction's changes, and this one would not maintain
    // it (the load test's mixed run: a REPEATABLE READ writer's user left out of a group
    // activated meanwhile). Any change of what groups exist or read moves the epoch: as
    // committed now, another epoch is a serialization failure.
    if crate::guc_scope::snapshot_isolation() {
        let mut now = None;
        statements::run_latest(EPOCH_SQL, &[], false, |col| {
            // SAFETY: the statement's one column is bigint.
            now = unsafe { col(1).and_then(|d| <i64 as pgrx::FromDatum>::from_datum(d, false)) };
        })?;
        if now.is_some_and(|now| now != epoch) {
            return Err(DbError::SerializationFailure);
        }
    }
    let fresh = STATE.with(|s| s.borrow().as_ref().is_some_and(|st| st.epoch == epoch));
    if !fresh {
        let st = load(client)?;
        statements::clear();
        STATE.with(|s| *s.borrow_mut() = Some(st));
    }
    // Taken out while `f` runs: compiling rules runs SPI, which may re-enter a trigger. A
    // nested call (a trigger, or the commit-time step) finds none, loads its own and keeps it
    // in place of this one: `f` must not run the commit-time step itself (`time_refresh.rs`).
    let Some(mut st) = STATE.with(|s| s.borrow_mut().take()) else {
        return Ok(None);
    };
    let out = f(client, &mut st);
    STATE.with(|s| {
        let mut slot = s.borrow_mut();
        if slot.is_none() {
            *slot = Some(st);
        }
    });
    out.map(Some)
}

fn load(client: &mut SpiClient<'_>) -> Result<State, DbError> {
    let sql = GROUPS_SQL
        .replace("TENANT", groups_tenant())
        .replace("VERSION", ROW_VERSION);
    let mut groups = read_by_version(&GROUP_ROWS, |known| {
        let mut listed = Vec::new();
        for row in client.select(&sql, None, &[known.into()])? {
            let id = row.get::<i64>(1)?.unwrap_or_default();
            let v = row.get::<String>(2)?.unwrap_or_default();
            let mut group = None;
            if row.get::<bool>(3)?.unwrap_or(false) {
                let json = |text: Option<String>| -> Result<serde_json::Value, DbError> {
                    serde_json::from_str(text.as_deref().unwrap_or("null"))
                        .map_err(|e| DbError::Spi(format!("group {id}: {e}")))
                };
                let deps: DepsDoc = serde_json::from_value(json(row.get::<String>(7)?)?)
                    .map_err(|e| DbError::Spi(format!("group {id}: {e}")))?;
                group = Some(Rc::new(Group {
                    id,
                    name: row.get::<String>(4)?.unwrap_or_default(),
                    depth: row.get::<i32>(5)?.unwrap_or_default(),
                    rules: json(row.get::<String>(6)?)?,
                    columns: deps.columns.into_iter().collect(),
                    names: deps.groups.into_iter().collect(),
                    custom: deps.custom.into_iter().collect(),
                    relations: deps.relations.into_iter().collect(),
                    reference_columns: deps.reference_columns.into_iter().collect(),
                    reference_depth: deps.reference_depth,
                    relative_time: deps.relative_time,
                    reads_lookups: !deps.lookups.is_empty(),
                    tenant: row.get::<String>(8)?,
                }));
            }
            listed.push((id, v, group));
        }
        Ok(listed)
    })?;
    let rows = client.select(LOAD_SQL, Some(1), &[])?;
    let mut st = None;
    for row in rows {
        let epoch = row.get::<i64>(1)?.unwrap_or(-1);
        let key_column = row.get::<String>(2)?.unwrap_or_default();
        let key_type = row.get::<String>(3)?.unwrap_or_default();
        let users_table = row.get::<String>(4)?.unwrap_or_default();
        let attnums: HashMap<String, i32> = match row.get::<JsonB>(5)? {
            Some(j) => serde_json::from_value(j.0).map_err(|e| DbError::Spi(e.to_string()))?,
            None => HashMap::new(),
        };
        let existing: BTreeSet<String> = attnums.into_keys().collect();
        let members_per_user = row.get::<f64>(7)?;
        let users_name = TableName {
            schema: row.get::<String>(8)?.unwrap_or_default(),
            name: row.get::<String>(9)?.unwrap_or_default(),
        };
        let tenant_column = row.get::<String>(10)?;
        let static_groups: Vec<(i64, i32)> = match row.get::<JsonB>(6)? {
            Some(j) => serde_json::from_value(j.0).map_err(|e| DbError::Spi(e.to_string()))?,
            None => Vec::new(),
        };
        let groups = std::mem::take(&mut groups);
        // The tenant column too, read or not: a user moving to another tenant leaves its
        // groups' overrides, static groups included (`maintain::tenant_moved`).
        let read: BTreeSet<String> = groups
            .iter()
            .flat_map(|g| g.columns.iter().cloned())
            .chain(tenant_column.iter().cloned())
            .filter(|c| existing.contains(c))
            .collect();
        let commit_time = at_commit(&groups);
        st = Some(State {
            epoch,
            key_column,
            key_type,
            users_table,
            users_name,
            tenant_column,
            at_commit_pos: positions(&commit_time, &groups),
            at_commit: commit_time,
            by_id: groups.iter().enumerate().map(|(i, g)| (g.id, i)).collect(),
            readers: {
                let mut r: HashMap<String, Vec<usize>> = HashMap::new();
                for (i, g) in groups.iter().enumerate() {
                    for c in &g.columns {
                        r.entry(c.clone()).or_default().push(i);
                    }
                }
                r
            },
            dependants: {
                let mut d: HashMap<i64, Vec<i64>> = HashMap::new();
                for g in &groups {
                    for named in &g.names {
                        d.entry(*named).or_default().push(g.id);
                    }
                }
                d
            },
            groups,
            read_columns: read.into_iter().collect(),
            catalog: None,
            scoped: HashMap::new(),
            preds: HashMap::new(),
            sql: HashMap::new(),
            flips: FxMap::default(),
            reference_flips: FxMap::default(),
            members_per_user,
            plans: FxMap::default(),
            row_plans: FxMap::default(),
            row_sets_asked: FxMap::default(),
            set_codes: FxMap::default(),
            since: None,
            sources: None,
            static_groups,
        });
    }
    st.ok_or(DbError::NotAttached)
}

/// Groups kept per backend by id, with their rows' versions (`ROW_VERSION`): a change of one
/// group reads that group's row again, not every group's.
pub(crate) type ByVersion<T> = RefCell<HashMap<i64, (String, T)>>;

/// The groups `read` lists, in its order. `read` is given the versions kept in `kept` and lists
/// every group as (id, version, the group made from its row), the row read only for a version
/// it was not given; the others are taken from `kept`, which then holds exactly these groups.
/// A version listed without its row and not kept (the query leaves out only versions it was
/// given, which came from there; never seen) makes it read every row again.
pub(crate) fn read_by_version<T: Clone>(
    kept: &'static std::thread::LocalKey<ByVersion<T>>,
    mut read: impl FnMut(Vec<String>) -> Result<Vec<(i64, String, Option<T>)>, DbError>,
) -> Result<Vec<T>, DbError> {
    let known: Vec<String> = kept.with(|k| k.borrow().values().map(|(v, _)| v.clone()).collect());
    let merge = |listed: Vec<(i64, String, Option<T>)>| {
        kept.with(|cell| {
            let mut kept = cell.borrow_mut();
            let mut now = HashMap::with_capacity(listed.len());
            let mut out = Vec::with_capacity(listed.len());
            for (id, v, group) in listed {
                let group = match group {
                    Some(g) => g,
                    None => match kept.get(&id) {
                        Some((kv, g)) if *kv == v => g.clone(),
                        _ => {
                            kept.clear();
                            return None;
                        }
                    },
                };
                now.insert(id, (v, group.clone()));
                out.push(group);
            }
            *kept = now;
            Some(out)
        })
    };
    if let Some(out) = merge(read(known)?) {
        return Ok(out);
    }
    merge(read(Vec::new())?).ok_or_else(|| DbError::Spi("groups listed without their rows".into()))
}

/// The groups table's tenant as text. A database still on 0.1.0 (the library is replaced
/// before ALTER EXTENSION UPDATE) has no tenant column; reading it through each row's jsonb
/// cost 15-20 ms of a 55-70 ms load at a thousand groups, so only there.
pub(crate) fn groups_tenant() -> &'static str {
    if super::direct::has_column(&super::direct::ours("groups"), "tenant") {
        "g.tenant"
    } else {
        "to_jsonb(g) ->> 'tenant'"
    }
}

/// Groups reading another user's row, custom fields, relations or lookup tables, and those naming them in
/// member_of, transitively; `groups` is in depth order, so a group comes after every group it
/// names. Their membership depends on rows that transactions other than the user's row's
/// writer change (see `commit.rs`).
fn at_commit(groups: &[Rc<Group>]) -> Vec<i64> {
    let mut out: BTreeSet<i64> = BTreeSet::new();
    let mut ordered = Vec::new();
    for g in groups {
        if g.reads_references()
            || !g.custom.is_empty()
            || !g.relations.is_empty()
            || g.reads_lookups
            || g.names.iter().any(|n| out.contains(n))
        {
            out.insert(g.id);
            ordered.push(g.id);
        }
    }
    ordered
}

/// For `State::at_commit_pos`: each id's place in `ids` (in depth order) and the place where
/// the run of its depth starts.
fn positions(ids: &[i64], groups: &[Rc<Group>]) -> FxMap<i64, (usize, usize)> {
    let depth: HashMap<i64, i32> = groups.iter().map(|g| (g.id, g.depth)).collect();
    let mut out = FxMap::default();
    let mut start = 0;
    for (i, id) in ids.iter().enumerate() {
        if i > 0 && depth.get(id) != depth.get(&ids[i - 1]) {
            start = i;
        }
        out.insert(*id, (i, start));
    }
    out
}

impl State {
    /// No later than the last time refresh of any active group with relative-time rules
    /// (`set_codes::SINCE`), read at most once a minute: it only moves forward between
    /// changes of the groups (which reload the state), so an older reading is a safe bound,
    /// only a wider one.
    pub fn time_since(
        &mut self,
        client: &mut SpiClient<'_>,
    ) -> Result<Option<pgrx::datum::TimestampWithTimeZone>, DbError> {
        if let Some((at, since)) = self.since {
            if at.elapsed() < std::time::Duration::from_secs(60) {
                return Ok(since);
            }
        }
        let since = statements::query_one::<pgrx::datum::TimestampWithTimeZone>(
            client,
            &format!("SELECT {}", set_codes::SINCE),
            &[],
            &[],
        )?;
        self.since = Some((std::time::Instant::now(), since));
        Ok(since)
    }

    /// The queries that load users' neighbourhoods (`neighbourhood`).
    pub fn sources(&mut self) -> Result<Rc<super::neighbourhood::Sources>, DbError> {
        if let Some(s) = &self.sources {
            return Ok(s.clone());
        }
        let catalog = self.catalog()?.clone();
        let sources = Rc::new(super::neighbourhood::Sources::new(self, &catalog));
        self.sources = Some(sources.clone());
        Ok(sources)
    }

    /// `keys` as the key type prints them (`00A` → `00a` for a uuid, `+5` → `5`): keys from
    /// the API arrive as written, and stored keys compare as printed. A query only when a
    /// key is not printed form already.
    pub fn printed_keys(
        &self,
        client: &mut SpiClient<'_>,
        keys: &[String],
    ) -> Result<Vec<String>, DbError> {
        let printed = |k: &str| match self.key_type.as_str() {
            "text" | "character varying" => true,
            "integer" | "bigint" | "smallint" => {
                let digits = k.strip_prefix('-').unwrap_or(k);
                k == "0"
                    || (digits.bytes().all(|b| b.is_ascii_digit())
                        && digits.bytes().next().is_some_and(|b| b != b'0'))
            }
            "uuid" => {
                k.len() == 36
                    && k.bytes().enumerate().all(|(i, b)| match i {
                        8 | 13 | 18 | 23 => b == b'-',
                        _ => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
                    })
            }
            _ => false,
        };
        if keys.iter().all(|k| printed(k)) {
            return Ok(keys.to_vec());
        }
        let sql = format!(
            "SELECT array_agg(x.k::{}::text ORDER BY x.n) FROM unnest($1::text[]) WITH ORDINALITY x(k, n)",
            self.key_type
        );
        let out = statements::query_one::<Vec<String>>(
            client,
            &sql,
            &[statements::text_array()],
            &[keys.to_vec().into()],
        )?
        .unwrap_or_default();
        if out.len() == keys.len() {
            Ok(out)
        } else {
            Err(DbError::Spi("users keys could not be read".into()))
        }
    }

    /// Whether the group is maintained at commit (`commit.rs`).
    pub fn is_at_commit(&self, id: i64) -> bool {
        self.at_commit_pos.contains_key(&id)
    }

    /// The groups `id` names in member_of.
    pub fn names(&self, id: i64) -> impl Iterator<Item = i64> + '_ {
        self.group(id)
            .into_iter()
            .flat_map(|g| g.names.iter().copied())
    }

    /// The active groups that name `id` in member_of.
    pub fn dependants(&self, id: i64) -> &[i64] {
        self.dependants.get(&id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The groups reading any of `columns`, in `groups` order.
    pub fn reading(&self, columns: &BTreeSet<String>) -> Vec<&Group> {
        let mut at: Vec<usize> = columns
            .iter()
            .filter_map(|c| self.readers.get(c))
            .flatten()
            .copied()
            .collect();
        at.sort_unstable();
        at.dedup();
        at.into_iter()
            .filter_map(|i| self.groups.get(i).map(|g| &**g))
            .collect()
    }

    /// Shared, so that a caller may hold groups while it uses the state mutably.
    pub fn group(&self, id: i64) -> Option<&Rc<Group>> {
        self.by_id.get(&id).and_then(|&i| self.groups.get(i))
    }

    pub(super) fn catalog(&mut self) -> Result<&Catalog, DbError> {
        if self.catalog.is_none() {
            self.catalog = Some(catalog_load::load_cached()?);
        }
        self.catalog.as_ref().ok_or(DbError::NotAttached)
    }

    /// The catalog with the key column and read columns beside it, borrowed together (the
    /// UPDATE trigger reads its rows with all three on every statement).
    pub(super) fn columns_and_catalog(&mut self) -> Result<(&str, &[String], &Catalog), DbError> {
        self.catalog()?;
        let catalog = self.catalog.as_ref().ok_or(DbError::NotAttached)?;
        Ok((&self.key_column, &self.read_columns, catalog))
    }

    pub(super) fn pred(&mut self, id: i64) -> Result<Pred, DbError> {
        Ok((*self.shared_pred(id)?).clone())
    }

    /// The lookup columns group `id` reads, under the current catalog: the names stored with
    /// the group (`groups.deps`) are those of when its rules were saved, and a lookup table
    /// renamed since keeps its readers only under its new name.
    pub(super) fn lookup_reads(&mut self, id: i64) -> Result<Vec<LookupRead>, DbError> {
        let pred = self.shared_pred(id)?;
        Ok(compile::dependencies(&pred).lookups.into_iter().collect())
    }

    fn scoped_catalog(&mut self, tenant: Option<&str>) -> Result<Rc<Catalog>, DbError> {
        let key = tenant.map(str::to_string);
        if let Some(c) = self.scoped.get(&key) {
            return Ok(c.clone());
        }
        let c = Rc::new(self.catalog()?.scoped(tenant));
        self.scoped.insert(key, c.clone());
        Ok(c)
    }

    /// The group's checked rules, shared (`neighbourhood` decides a thousand groups per user).
    pub(super) fn shared_pred(&mut self, id: i64) -> Result<Rc<Pred>, DbError> {
        if let Some(p) = self.preds.get(&id) {
            return Ok(p.clone());
        }
        let g = self
            .group(id)
            .cloned()
            .ok_or(DbError::Spi(format!("group {id} is not active")))?;
        let node = json::read_value(&g.rules).map_err(|e| DbError::Spi(e.to_string()))?;
        let catalog = self.scoped_catalog(g.tenant.as_deref())?;
        let opts = Options {
            group: Some(g.name.clone()),
            tenant: g.tenant.clone(),
        };
        let pred = validate::validate(&node, &catalog, &opts)
            .into_result()
            .map_err(|p| {
                DbError::Spi(format!(
                    "the rules of group \"{}\" no longer validate: {p}",
                    g.name
                ))
            })?;
        let pred = Rc::new(pred);
        self.preds.insert(id, pred.clone());
        Ok(pred)
    }

    /// SQL selecting the users whose relative-time rules in group `id` may have changed their
    /// answer between `$1` (the previous time refresh) and `$2` (now); None without such rules.
    pub fn time_keys_sql(&mut self, id: i64) -> Result<Option<String>, DbError> {
        let pred = self.pred(id)?;
        Ok(compile::time_boundary_keys(&pred, self.catalog()?))
    }

    /// The queries `time_keys_sql` unites, each once (`compile::time_boundary_key_parts`).
    pub fn time_key_parts(&mut self, id: i64) -> Result<Vec<String>, DbError> {
        let pred = self.pred(id)?;
        Ok(compile::time_boundary_key_parts(&pred, self.catalog()?))
    }

    /// The group's predicate over a users row aliased `u`.
    pub fn predicate(&mut self, id: i64) -> Result<String, DbError> {
        if let Some(s) = self.sql.get(&id) {
            return Ok(s.clone());
        }
        let pred = self.pred(id)?;
        let sql = compile::compile(&pred, self.catalog()?);
        self.sql.insert(id, sql.clone());
        Ok(sql)
    }

    /// The row trees of groups `ids` over one table of their distinct rules.
    fn row_trees(
        &mut self,
        changed: &BTreeSet<String>,
        ids: &[i64],
        since: Option<&str>,
    ) -> Result<RowTrees, DbError> {
        let mut preds = Vec::new();
        for id in ids {
            preds.push((*id, self.pred(*id)?));
        }
        let catalog = self.catalog()?.clone();
        let mut table = AtomTable::new(&catalog, changed);
        if let Some(since) = since {
            table = table.since(since);
        }
        let trees = preds
            .iter()
            .map(|(id, p)| (*id, RowTree::build(p, &mut table)))
            .collect();
        Ok(RowTrees {
            atoms: table.atoms,
            others: table.others,
            trees,
        })
    }

    /// How a statement of a few rows finds, in one query, the users whose own-row rules
    /// flipped in each group of `own` (id, and whether it re-evaluates every changed user).
    pub fn flip_plan(
        &mut self,
        changed: &BTreeSet<String>,
        own: &[(i64, bool)],
    ) -> Result<Rc<FlipPlan>, DbError> {
        let cache_key = (
            changed.iter().cloned().collect::<Vec<_>>(),
            own.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        );
        if let Some(p) = self.plans.get(&cache_key) {
            return Ok(p.clone());
        }
        let columns: Vec<String> = cache_key.0.clone();
        let ids: Vec<i64> = own.iter().map(|(id, _)| *id).collect();
        let RowTrees { atoms, trees, .. } = self.row_trees(changed, &ids, Some("$1"))?;
        let mut groups = Vec::new();
        for ((id, tree), (_, always)) in trees.into_iter().zip(own) {
            let always_columns = always.then(|| {
                let reads = self
                    .group(id)
                    .map(|g| g.columns.clone())
                    .unwrap_or_default();
                (0..columns.len())
                    .filter(|&i| reads.contains(&columns[i]))
                    .collect()
            });
            groups.push(PlanGroup {
                id,
                changed_atoms: tree.changed_atoms(&atoms),
                tree,
                always_columns,
            });
        }
        let (olds, old_sql) = present(&atoms, |a| a.old.as_ref());
        let (crossed, crossed_sql) = present(&atoms, |a| a.crossed.as_ref());
        let key = quote_ident(&self.key_column);
        // $1: no later than the time refreshes of the groups (`time_since`).
        let sql = format!(
            "SELECT n.{key}::text, {}, {}, {}, {} FROM sg_new n JOIN sg_old o ON o.{key} = n.{key}",
            bool_array(atoms.iter().map(|a| a.new.clone()).collect()),
            bool_array(old_sql),
            bool_array(
                columns
                    .iter()
                    .map(|c| {
                        let c = quote_ident(c);
                        format!("n.{c}::text IS DISTINCT FROM o.{c}::text")
                    })
                    .collect()
            ),
            bool_array(crossed_sql),
        );
        let plan = Rc::new(FlipPlan {
            tests: atoms.iter().map(|a| a.test.clone()).collect(),
            sql,
            olds,
            crossed,
            groups,
        });
        self.plans.insert(cache_key, plan.clone());
        Ok(plan)
    }

    /// How to decide groups `ids` for a few users: the row plans covering them, each with
    /// the positions (in its `trees`) of the groups asked for.
    ///
    /// A plan covers a fixed run of the commit-time groups of one depth (`ROW_PLAN_GROUPS`),
    /// whichever of them a call asks for, and computes only the rules those need (its
    /// masks): the groups a user's change concerns differ from user to user, and a plan per
    /// set asked for was a new statement to plan for most commits (743 distinct sets in
    /// 3,430 one-user UPDATEs of the benchmark, 1.3 ms of planning each). A set asked for
    /// `EXACT_PLAN_AFTER` times gets a plan of its own: every event of a relation concerns
    /// the same groups, which span a dozen runs (S9: 13.6 ms per click with runs only).
    pub fn row_plans(&mut self, ids: &[i64]) -> Result<Vec<PlanShare>, DbError> {
        // A set asked for again and again (every click concerns the same groups) gets a plan
        // of its own: one statement instead of one per run it spans.
        let asked = self.row_sets_asked.entry(ids.to_vec()).or_insert(0);
        *asked += 1;
        if *asked >= EXACT_PLAN_AFTER {
            let plan = self.row_plan(ids)?;
            let positions = (0..plan.trees.len()).collect();
            return Ok(vec![(plan, positions)]);
        }
        if self.row_sets_asked.len() > 4096 {
            self.row_sets_asked.clear();
        }
        let mut chunks: BTreeMap<Vec<i64>, Vec<i64>> = BTreeMap::new();
        for &id in ids {
            chunks.entry(self.row_plan_chunk(id)).or_default().push(id);
        }
        let mut out = Vec::new();
        for (chunk, wanted) in chunks {
            // A neighbour whose rules no longer compile must not fail the groups asked for:
            // they get plans of their own then.
            let plan = match self.row_plan(&chunk) {
                Ok(plan) => plan,
                Err(_) if chunk.len() > 1 => {
                    for id in wanted {
                        let plan = self.row_plan(&[id])?;
                        out.push((plan, vec![0]));
                    }
                    continue;
                }
                Err(e) => return Err(e),
            };
            let positions = plan
                .trees
                .iter()
                .enumerate()
                .filter(|(_, (id, _))| wanted.contains(id))
                .map(|(i, _)| i)
                .collect();
            out.push((plan, positions));
        }
        Ok(out)
    }

    /// The run of groups whose row plan decides group `id`: its `ROW_PLAN_GROUPS` neighbours
    /// among the commit-time groups of its depth, or itself alone.
    fn row_plan_chunk(&self, id: i64) -> Vec<i64> {
        let Some(&(pos, start)) = self.at_commit_pos.get(&id) else {
            return vec![id];
        };
        let first = start + (pos - start) / ROW_PLAN_GROUPS * ROW_PLAN_GROUPS;
        self.at_commit[first..]
            .iter()
            .take(ROW_PLAN_GROUPS)
            .take_while(|g| self.at_commit_pos.get(g).is_some_and(|p| p.1 == start))
            .copied()
            .collect()
    }

    fn row_plan(&mut self, ids: &[i64]) -> Result<Rc<RowPlan>, DbError> {
        if let Some(p) = self.row_plans.get(ids) {
            return Ok(p.clone());
        }
        let changed = BTreeSet::new();
        let RowTrees {
            atoms,
            others,
            trees,
        } = self.row_trees(&changed, ids, None)?;
        let key = quote_ident(&self.key_column);
        // Every rule behind its mask ($2 own-row rules, $3 the others): CASE evaluates its
        // branch only when taken, so a subquery of a group not asked for never runs.
        let masked = |items: Vec<String>, param: usize| {
            bool_array(
                items
                    .into_iter()
                    .enumerate()
                    .map(|(i, sql)| format!("CASE WHEN ${param}[{}] THEN {sql} END", i + 1))
                    .collect(),
            )
        };
        let atom_count = atoms.len();
        let other_count = others.len();
        // Every key, a user or not (a user deleted meanwhile), as the key type prints it.
        let sql = format!(
            "SELECT f.k::{kt}::text, {}, {}, n.{key} IS NULL FROM unnest($1::text[]) f(k) \
               LEFT JOIN {} n ON n.{key} = f.k::{kt}",
            masked(atoms.into_iter().map(|a| a.new).collect(), 2),
            masked(others, 3),
            self.users_table,
            kt = self.key_type
        );
        let plan = Rc::new(RowPlan {
            sql,
            trees,
            atom_count,
            other_count,
        });
        if self.row_plans.len() >= 1024 {
            self.row_plans.clear();
        }
        self.row_plans.insert(ids.to_vec(), plan.clone());
        Ok(plan)
    }

    /// For the set-based statement over the transition tables: who joins and leaves which
    /// of the groups `own` (id, and whether it re-evaluates every changed user).
    pub fn set_codes(
        &mut self,
        changed: &BTreeSet<String>,
        own: &[(i64, bool)],
    ) -> Result<Rc<str>, DbError> {
        let ids: Vec<i64> = own.iter().map(|(id, _)| *id).collect();
        let cache_key = (changed.iter().cloned().collect::<Vec<_>>(), ids.clone());
        if let Some(a) = self.set_codes.get(&cache_key) {
            return Ok(a.clone());
        }
        let RowTrees {
            atoms,
            others,
            trees,
        } = self.row_trees(changed, &ids, Some(set_codes::SINCE))?;
        let columns: Vec<Option<BTreeSet<String>>> = own
            .iter()
            .map(|(id, always)| {
                always.then(|| {
                    self.group(*id)
                        .map(|g| g.columns.clone())
                        .unwrap_or_default()
                })
            })
            .collect();
        let inputs: Vec<set_codes::Input<'_>> = trees
            .iter()
            .zip(&columns)
            .map(|((id, tree), always)| set_codes::Input {
                id: *id,
                tree,
                always: always.as_ref(),
            })
            .collect();
        let key = quote_ident(&self.key_column);
        let out: Rc<str> = set_codes::build(&key, &atoms, &others, &inputs, changed).into();
        self.set_codes.insert(cache_key, out.clone());
        Ok(out)
    }

    /// Which changed users the group re-evaluates when `changed` columns changed, over the
    /// transition rows aliased `n` (new) and `o` (old).
    /// Also: whether the users referring to the changed ones are re-evaluated too.
    pub fn flip(&mut self, id: i64, changed: &BTreeSet<String>) -> Result<(Flip, bool), DbError> {
        let key = (id, changed.iter().cloned().collect::<Vec<_>>());
        if let Some(f) = self.flips.get(&key) {
            return Ok(f.clone());
        }
        let pred = self.pred(id)?;
        let flip = compile::flip_test(&pred, self.catalog()?, changed, "n", "o", set_codes::SINCE);
        let referrers = compile::reads_via_reference(&pred, changed);
        self.flips.insert(key, (flip.clone(), referrers));
        Ok((flip, referrers))
    }

    /// Whether group `id` can move for the users referring to a user whose `changed` columns
    /// changed, as a condition on that user's new row `n` and old row `o`
    /// (`compile::reference_flip_test`).
    pub fn reference_flip(&mut self, id: i64, changed: &BTreeSet<String>) -> Result<Flip, DbError> {
        let key = (id, changed.iter().cloned().collect::<Vec<_>>());
        if let Some(f) = self.reference_flips.get(&key) {
            return Ok(f.clone());
        }
        let pred = self.pred(id)?;
        let flip = compile::reference_flip_test(
            &pred,
            self.catalog()?,
            changed,
            "n",
            "o",
            set_codes::SINCE,
        );
        self.reference_flips.insert(key, flip.clone());
        Ok(flip)
    }
}

/// `ARRAY[e1, e2, …]` of boolean expressions, typed when empty.
/// Of the atoms' optional SQL `part`: per atom its place among those present, and those present.
fn present(
    atoms: &[RowAtom],
    part: impl Fn(&RowAtom) -> Option<&String>,
) -> (Vec<Option<usize>>, Vec<String>) {
    let mut places = Vec::new();
    let mut sql = Vec::new();
    for atom in atoms {
        places.push(part(atom).map(|s| {
            sql.push(s.clone());
            sql.len() - 1
        }));
    }
    (places, sql)
}

fn bool_array(items: Vec<String>) -> String {
    if items.is_empty() {
        "ARRAY[]::boolean[]".to_string()
    } else {
        format!("ARRAY[{}]", items.join(", "))
    }
}

/// See `State::flip_plan`. The query returns, per changed user: the key, every own-row
/// rule on the new row, those reading a changed column on the old row, and which changed
/// columns changed for this user.
pub struct FlipPlan {
    pub sql: String,
    /// Every own-row rule, in the order of the query's arrays (`users_update::decide_in_rust`).
    pub tests: Vec<smart_groups_core::checked::Test>,
    /// Per rule: its place in the old row's array, if it reads a changed column.
    pub olds: Vec<Option<usize>>,
    /// Per rule: its place in the array of old values that crossed a time boundary since the
    /// groups' time refreshes (`RowAtom::crossed`), for relative-time rules on changed columns.
    pub crossed: Vec<Option<usize>>,
    pub groups: Vec<PlanGroup>,
}

pub struct PlanGroup {
    pub id: i64,
    pub tree: RowTree,
    /// The rules reading a changed column: the user flips when one of them does.
    pub changed_atoms: Vec<usize>,
    /// For a group re-evaluating every changed user: the changed columns it reads.
    pub always_columns: Option<Vec<usize>>,
}

/// See `State::row_plan`. The query returns, per key: the key, every distinct rule on the
/// user's row, every distinct rule on other rows, and whether no such user exists.
pub struct RowPlan {
    pub sql: String,
    pub trees: Vec<(i64, RowTree)>,
    pub atom_count: usize,
    pub other_count: usize,
}

impl RowPlan {
    /// The masks ($2, $3) computing only the rules that the trees at `positions` read.
    pub fn masks(&self, positions: &[usize]) -> (Vec<bool>, Vec<bool>) {
        let mut atoms = vec![false; self.atom_count];
        let mut others = vec![false; self.other_count];
        for &p in positions {
            if let Some((_, tree)) = self.trees.get(p) {
                for i in tree.atoms() {
                    if let Some(a) = atoms.get_mut(i) {
                        *a = true;
                    }
                }
                for i in tree.others() {
                    if let Some(o) = others.get_mut(i) {
                        *o = true;
                    }
                }
            }
        }
        (atoms, others)
    }
}

/// How many times a set of groups is asked for before it gets a row plan of its own: planning
/// one costs about as much as a dozen runs of the shared plans it replaces.
const EXACT_PLAN_AFTER: u32 = 32;

/// A row plan, and the positions in its `trees` of the groups asked for.
pub type PlanShare = (Rc<RowPlan>, Vec<usize>);

/// Commit-time groups per row plan (`State::row_plans`): a plan's statement is planned once
/// per backend and started on every call, so it grows with every group in it; more plans
/// are more statements to plan. Eight keeps a thousand groups at about a hundred plans.
const ROW_PLAN_GROUPS: usize = 8;

/// The row trees of a set of groups over one table of their distinct rules.
struct RowTrees {
    atoms: Vec<RowAtom>,
    others: Vec<String>,
    trees: Vec<(i64, RowTree)>,
}
