//! Deciding groups for a few users in Rust: what the groups read of each user's
//! neighbourhood (the user's row, the rows their references lead to, their custom fields,
//! their relation rows, their memberships of the groups named by `member of`) is loaded with
//! one small query per source, whatever the number of groups, and every group is decided by
//! the evaluator (`eval::Evaluator`), the same code the differential test holds the compiled
//! SQL to. The commit-time step and the users INSERT path (`small::decide_rows`) come here
//! first; the groups left undecided take the compiled row plans:
//!
//! - a group reading a column whose values Rust does not compare exactly as Postgres does
//!   (`row_read`), or a custom field when the custom-field table's key column is not plain
//!   text;
//! - a group reading a relation of which more than `RELATION_ROWS` rows were found for these
//!   users (counting them in SQL is cheaper than loading them);
//! - every group, when a key belongs to several users rows, or the database's text is not
//!   UTF-8.
//!
//! Each query reads with the snapshot the row plans would have used, at the point they would
//! have run, so both decide from the same data.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use pgrx::pg_sys;
use pgrx::spi::SpiClient;
use smart_groups_core::catalog::{Catalog, ColumnKind};
use smart_groups_core::compile::{qualified, quote_ident};
use smart_groups_core::eval::{CustomRow, Dataset, Datum, Evaluator, RelRow, UserRow};

use super::direct::{self, Spec};
use super::row_read::{self, ResultRows};
use super::small::Pair;
use super::state::State;
use super::statements::{self, int8_array, text_array};
use crate::errors::DbError;

/// Rows of one relation loaded at most per call; beyond, its groups are decided in SQL.
const RELATION_ROWS: usize = 1000;

/// The queries of a state's catalog, built once per state (`State::sources`).
pub struct Sources {
    /// `$1` keys → key, every column a group reads on a users row, every reference column.
    users: Source,
    user_kinds: HashMap<String, ColumnKind>,
    /// `$1` keys → user key, field key (as stored), value as text.
    custom: Option<Source>,
    /// Relation name → its query (`$1` keys → user key, every column) and column kinds.
    relations: HashMap<String, (Source, HashMap<String, ColumnKind>)>,
    /// `$1` keys → group id, user key: every stored membership of the users.
    members: String,
    /// The same of the groups `$2` only.
    members_probed: String,
    /// Every reference column some group follows.
    references: Vec<String>,
}

/// A load: its statement, and the same rows read through an index when one serves
/// (`direct`).
struct Source {
    sql: String,
    direct: Spec,
}

impl Sources {
    pub fn new(st: &State, catalog: &Catalog) -> Sources {
        let key = quote_ident(&st.key_column);
        let kt = &st.key_type;
        // The columns that exist (`read_columns`) and the reference columns (whatever their
        // type, which need not be a field's).
        let mut columns: BTreeSet<String> = st.read_columns.iter().cloned().collect();
        let references: BTreeSet<String> = st
            .groups
            .iter()
            .flat_map(|g| g.reference_columns.iter().cloned())
            .collect();
        columns.extend(references.iter().cloned());
        let list: Vec<String> = columns
            .iter()
            .map(|c| format!(", n.{}", quote_ident(c)))
            .collect();
        let users = Source {
            sql: format!(
                "SELECT n.{key}::text{} FROM {} n WHERE n.{key} = ANY ($1::{kt}[])",
                list.concat(),
                st.users_table
            ),
            direct: columns.iter().fold(
                Spec::new(catalog.users.table.clone(), &st.key_column).column(
                    "key",
                    &st.key_column,
                    true,
                ),
                |spec, c| spec.column(c, c, false),
            ),
        };
        let custom = catalog.custom_table.as_ref().map(|t| Source {
            direct: Spec::new(t.table.clone(), &t.user_column)
                .column("user_key", &t.user_column, true)
                .column("field_key", &t.key_column, false)
                .column("value", &t.value_column, true),
            sql: format!(
                "SELECT f.{}::text, f.{} AS field_key, f.{}::text AS value FROM {} f \
                  WHERE f.{} = ANY ($1::{kt}[])",
                quote_ident(&t.user_column),
                quote_ident(&t.key_column),
                quote_ident(&t.value_column),
                qualified(&t.table),
                quote_ident(&t.user_column),
            ),
        });
        let relations = catalog
            .relations
            .iter()
            .map(|r| {
                let cols: Vec<String> = r
                    .columns
                    .iter()
                    .map(|c| format!(", r.{}", quote_ident(&c.name)))
                    .collect();
                let sql = format!(
                    "SELECT r.{uc}::text{} FROM {} r WHERE r.{uc} = ANY ($1::{kt}[]) LIMIT {}",
                    cols.concat(),
                    qualified(&r.table),
                    RELATION_ROWS + 1,
                    uc = quote_ident(&r.user_column),
                );
                let kinds = r
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.kind.clone()))
                    .collect();
                let mut direct = r.columns.iter().fold(
                    Spec::new(r.table.clone(), &r.user_column).column(
                        "user_key",
                        &r.user_column,
                        true,
                    ),
                    |spec, c| spec.column(&c.name, &c.name, false),
                );
                direct.limit = Some(RELATION_ROWS + 1);
                (r.name.clone(), (Source { sql, direct }, kinds))
            })
            .collect();
        Sources {
            users,
            user_kinds: catalog
                .columns
                .iter()
                .map(|c| (c.name.clone(), c.kind.clone()))
                .collect(),
            custom,
            relations,
            // The users' stored memberships (one probe of the user index): the named groups
            // are active, so their rows are exactly what `smart_groups.members`, which the
            // compiled rules read, shows. A user is in some two hundred groups at a
            // thousand: when the groups named (`$2`) are few, they are probed by (user,
            // group) instead of reading all to keep a few (`small::probe_groups`).
            members: format!(
                "SELECT m.group_id, m.user_key::text FROM smart_groups.member_rows m \
                  WHERE m.user_key = ANY ($1::{kt}[])"
            ),
            members_probed: format!(
                "SELECT m.group_id, m.user_key::text FROM smart_groups.member_rows m \
                  WHERE m.user_key = ANY ($1::{kt}[]) AND m.group_id = ANY ($2::bigint[])"
            ),
            references: references.into_iter().collect(),
        }
    }
}

/// Reads the rows of a source through its index (`direct`), or runs its kept query and
/// reads its rows (`row_read`).
fn load(
    client: &mut SpiClient<'_>,
    source: &Source,
    keys: &[String],
    kind: &dyn Fn(&str) -> Option<ColumnKind>,
) -> Result<Option<ResultRows>, DbError> {
    if let Some(rows) = direct::read(&source.direct, keys, kind) {
        return Ok(Some(rows));
    }
    statements::run(
        client,
        &source.sql,
        &[text_array()],
        &[keys.to_vec().into()],
        |_| {
            // SAFETY: the statement's result is the current SPI result inside this callback.
            Ok(unsafe { row_read::spi_result(kind) })
        },
    )
}

/// `load` of stored memberships, of `keys` in `groups`.
fn load_members(
    client: &mut SpiClient<'_>,
    sql: &str,
    keys: &[String],
    groups: Vec<i64>,
) -> Result<Option<ResultRows>, DbError> {
    statements::run(
        client,
        sql,
        &[text_array(), int8_array()],
        &[keys.to_vec().into(), groups.into()],
        |_| {
            // SAFETY: the statement's result is the current SPI result inside this callback.
            Ok(unsafe { row_read::spi_result(&|_| None) })
        },
    )
}

/// What a decision needs loaded: references followed this deep, custom fields, relations.
struct Need {
    depth: i32,
    custom: bool,
    relations: BTreeSet<String>,
}

/// What the loads found for some users: their rows and those their references lead to,
/// their custom fields and relation rows (stored memberships are not kept: a pass writes
/// them). One pass (`depths.rs`) decides depth after depth for the same users, and nothing
/// it writes changes these rows: the later depths reuse them (`pass`).
struct Loaded {
    keys: BTreeSet<String>,
    depth: i32,
    custom: bool,
    relations: BTreeSet<String>,
    /// A key with several users rows: the rules hold when any row satisfies them, which the
    /// evaluator and SQL agree on only row by row; SQL decides.
    several_rows: bool,
    inexact_columns: BTreeSet<String>,
    loaded_columns: BTreeSet<String>,
    custom_exact: bool,
    undecidable_relations: BTreeSet<String>,
    data: Dataset,
}

impl Loaded {
    fn covers(&self, keys: &[String], need: &Need) -> bool {
        self.depth >= need.depth
            && (self.custom || !need.custom)
            && need.relations.is_subset(&self.relations)
            && keys.iter().all(|k| self.keys.contains(k))
    }
}

/// Passes open, the current pass's number, and the last loads with the pass that made them.
/// Every pass start and end moves the number, so loads never outlive their pass, even one
/// left open by an error.
#[derive(Default)]
struct Passes {
    open: u32,
    current: u64,
    loads: Option<(u64, Rc<Loaded>)>,
}

thread_local! {
    static PASS: RefCell<Passes> = RefCell::new(Passes::default());
}

/// While the value lives, decisions reuse what earlier ones of the pass loaded (`Loaded`).
pub struct Pass;

pub fn pass() -> Pass {
    PASS.with(|p| {
        let mut p = p.borrow_mut();
        p.open += 1;
        p.current += 1;
        p.loads = None;
    });
    Pass
}

impl Drop for Pass {
    fn drop(&mut self) {
        PASS.with(|p| {
            let mut p = p.borrow_mut();
            p.open = p.open.saturating_sub(1);
            p.current += 1;
            p.loads = None;
        });
    }
}

/// Loads what `need` asks of the users `keys` (printed keys). None when a load could not be
/// read exactly (`row_read`).
fn load_all(
    client: &mut SpiClient<'_>,
    sources: &Sources,
    keys: &[String],
    need: &Need,
) -> Result<Option<Loaded>, DbError> {
    let user_kind = |c: &str| sources.user_kinds.get(c).cloned();
    let no_kind = |_: &str| None;
    // The users, and the users their references lead to, as deep as the rules follow them.
    let Some(first) = load(client, &sources.users, keys, &user_kind)? else {
        return Ok(None);
    };
    let mut out = Loaded {
        keys: keys.iter().cloned().collect(),
        depth: need.depth,
        custom: need.custom,
        relations: need.relations.clone(),
        several_rows: false,
        inexact_columns: first.inexact.clone(),
        loaded_columns: first.columns.clone(),
        custom_exact: true,
        undecidable_relations: BTreeSet::new(),
        data: Dataset::default(),
    };
    let mut users: Vec<UserRow> = Vec::new();
    let mut loaded: BTreeSet<String> = BTreeSet::new();
    let mut level = first.rows;
    let depth = need.depth;
    for step in 0..=depth {
        let mut next: BTreeSet<String> = BTreeSet::new();
        for (key, values) in level {
            if step < depth {
                for c in &sources.references {
                    if let Some(Datum::Text(k) | Datum::Number(k)) = values.get(c) {
                        next.insert(k.clone());
                    }
                }
            }
            loaded.insert(key.clone());
            users.push(UserRow { key, values });
        }
        next.retain(|k| !loaded.contains(k));
        if next.is_empty() {
            break;
        }
        let next: Vec<String> = next.into_iter().collect();
        let Some(rows) = load(client, &sources.users, &next, &user_kind)? else {
            return Ok(None);
        };
        level = rows.rows;
    }
    let mut rows_per_key: HashMap<&str, usize> = HashMap::new();
    for u in &users {
        *rows_per_key.entry(u.key.as_str()).or_default() += 1;
    }
    out.several_rows = rows_per_key.values().any(|&n| n > 1);
    if need.custom {
        match &sources.custom {
            Some(source) => {
                let all: Vec<String> = loaded.iter().cloned().collect();
                match load(client, source, &all, &no_kind)? {
                    Some(found) => {
                        out.custom_exact = found.inexact.is_empty();
                        for (user_key, values) in found.rows {
                            let text = |name: &str| match values.get(name) {
                                Some(Datum::Text(s)) => Some(s.clone()),
                                _ => None,
                            };
                            let Some(field_key) = text("field_key") else {
                                continue;
                            };
                            out.data.custom.push(CustomRow {
                                user_key,
                                field_key,
                                value: text("value"),
                            });
                        }
                    }
                    None => out.custom_exact = false,
                }
            }
            None => out.custom_exact = false,
        }
    }
    for name in &need.relations {
        let Some((source, kinds)) = sources.relations.get(name) else {
            out.undecidable_relations.insert(name.clone());
            continue;
        };
        let kind = |c: &str| kinds.get(c).cloned();
        match load(client, source, keys, &kind)? {
            Some(found) if found.rows.len() <= RELATION_ROWS && found.inexact.is_empty() => {
                out.data.relations.insert(
                    name.clone(),
                    found
                        .rows
                        .into_iter()
                        .map(|(user_key, values)| RelRow { user_key, values })
                        .collect(),
                );
            }
            _ => {
                out.undecidable_relations.insert(name.clone());
            }
        }
    }
    out.data.users = users;
    Ok(Some(out))
}

/// Decides groups `ids` (all of one member_of depth) for `keys`. Returns the pairs decided,
/// each with its membership, and the groups left to SQL.
pub fn decide(
    client: &mut SpiClient<'_>,
    st: &mut State,
    ids: &[i64],
    keys: &[String],
    cause: &'static str,
) -> Result<(Vec<Pair>, Vec<i64>), DbError> {
    let all_undecided = Ok((Vec::new(), ids.to_vec()));
    if !super::decide_in_rust() || ids.is_empty() || keys.is_empty() {
        return all_undecided;
    }
    let keys = &st.printed_keys(client, keys)?;
    let sources = st.sources()?;
    // Groups the state does not hold (static groups have no rules) are left to SQL.
    let groups: Vec<_> = ids.iter().filter_map(|id| st.group(*id).cloned()).collect();
    let unknown: Vec<i64> = ids
        .iter()
        .copied()
        .filter(|id| st.group(*id).is_none())
        .collect();
    let need = Need {
        depth: groups.iter().map(|g| g.reference_depth).max().unwrap_or(0),
        custom: groups.iter().any(|g| !g.custom.is_empty()),
        relations: groups
            .iter()
            .flat_map(|g| g.relations.iter().cloned())
            .collect(),
    };
    let cached = PASS.with(|p| {
        let p = p.borrow();
        p.loads
            .as_ref()
            .filter(|(at, l)| p.open > 0 && *at == p.current && l.covers(keys, &need))
            .map(|(_, l)| l.clone())
    });
    let found = match cached {
        Some(l) => l,
        None => {
            let Some(l) = load_all(client, &sources, keys, &need)? else {
                return all_undecided;
            };
            let l = Rc::new(l);
            PASS.with(|p| {
                let mut p = p.borrow_mut();
                if p.open > 0 {
                    p.loads = Some((p.current, l.clone()));
                }
            });
            l
        }
    };
    if found.several_rows {
        return all_undecided;
    }
    let inexact_columns = &found.inexact_columns;
    let loaded_columns = &found.loaded_columns;
    let custom_exact = found.custom_exact;
    let undecidable_relations = &found.undecidable_relations;
    // The memberships named by member_of, beside the loaded rows (which are not copied).
    let mut members: std::collections::BTreeMap<i64, BTreeSet<String>> = Default::default();
    let data = &found.data;
    let named: Vec<i64> = groups
        .iter()
        .flat_map(|g| st.names(g.id).collect::<Vec<_>>())
        .collect::<BTreeSet<i64>>()
        .into_iter()
        .collect();
    if !named.is_empty() {
        let named_set: BTreeSet<i64> = named.iter().copied().collect();
        let pairs: Vec<(i64, String)> = named
            .iter()
            .flat_map(|g| keys.iter().map(move |k| (*g, k.clone())))
            .collect();
        let direct = super::small::stored_memberships(st, keys, &named_set, &pairs);
        if let Some(found) = direct {
            for (group, user) in found {
                members.entry(group).or_default().insert(user);
            }
        } else {
            let sql = if super::small::probe_groups(named.len(), keys.len(), st.members_per_user) {
                &sources.members_probed
            } else {
                &sources.members
            };
            let Some(found) = load_members(client, sql, keys, named)? else {
                return all_undecided;
            };
            for (group, values) in found.rows {
                let (Ok(group), Some(Datum::Text(user))) =
                    (group.parse::<i64>(), values.get("user_key"))
                else {
                    continue;
                };
                if named_set.contains(&group) {
                    members.entry(group).or_default().insert(user.clone());
                }
            }
        }
    }

    let collation = row_read::icu_collation(client)?;
    // SAFETY: reads the start of the transaction in progress.
    let started = unsafe { pg_sys::GetCurrentTransactionStartTimestamp() };
    let Some(now) = row_read::from_pg_micros(started) else {
        return all_undecided;
    };
    let mut decidable = Vec::new();
    let mut undecided = unknown;
    for g in &groups {
        // A column not loaded would read as NULL: such a group is decided in SQL.
        let ok = g.columns.is_disjoint(inexact_columns)
            && g.columns.is_subset(loaded_columns)
            && g.reference_columns.is_subset(loaded_columns)
            && (g.custom.is_empty() || custom_exact)
            && g.relations.is_disjoint(undecidable_relations)
            // Lookup rows are not loaded: rules reading them are decided in SQL.
            && !g.reads_lookups;
        let pred = if ok {
            Some(st.shared_pred(g.id)?)
        } else {
            None
        };
        // Without the ICU collation the compiled rules cannot fold case either; Rust's
        // folding would only be a guess at Postgres', so such rules are left to SQL, as the
        // UPDATE path leaves them (beyond ASCII).
        match pred {
            Some(p) if collation.is_some() || !p.folds_case() => decidable.push((g.id, p)),
            _ => undecided.push(g.id),
        }
    }
    let folding = row_read::folding(collation);
    let lower: &dyn Fn(&str) -> String = &*folding;
    let evaluator = Evaluator::new(data, now)
        .with_lower(lower)
        .with_members(&members);
    let by_key: HashMap<&str, &UserRow> = data.users.iter().map(|u| (u.key.as_str(), u)).collect();
    let mut out = Vec::with_capacity(decidable.len() * keys.len());
    for k in keys {
        pgrx::check_for_interrupts!();
        let user = by_key.get(k.as_str());
        for (id, pred) in &decidable {
            let want = user.is_some_and(|u| evaluator.eval(pred, u));
            out.push((*id, k.clone(), cause, Some(want)));
        }
    }
    Ok((out, undecided))
}
