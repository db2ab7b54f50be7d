//! AFTER UPDATE ... FOR EACH STATEMENT on the users table: the hot path of live maintenance.
//!
//! 1. one pass over the transition tables finds which columns that groups read changed
//!    (compared as text: citext's own equality ignores case, rules do not) and whether any
//!    key changed (a user leaving and another arriving: `maintain::moved`);
//! 2. groups maintained at commit (`commit.rs`: those reading another user's row, and the
//!    groups naming them) get the changed users recorded, and their referrers when such a
//!    group reads a changed column through a reference;
//! 3. each other group reading a changed column re-evaluates only the users whose rules on
//!    their own row flipped (`compile::flip_test`);
//! 4. depth by depth, those (group, user) pairs are evaluated and the difference is written,
//!    so only they are locked and planned; groups naming a changed group (member_of) follow
//!    at their depth for the users whose membership changed.

use std::collections::BTreeSet;

use pgrx::prelude::*;
use pgrx::spi::SpiClient;
use smart_groups_core::checked::{FieldPath, Operand};
use smart_groups_core::compile::{quote_ident, Flip};
use smart_groups_core::eval::{crossed_since, row_test, Datum as EvalDatum, UserRow};

use super::depths::{self, Own, Phase};
use super::row_read;
use super::set_codes;
use super::small::Pair;
use super::state::FlipPlan;
use super::state::State;
use super::statements;
use super::writer::Change;
use super::writer::{self, Run, Write};
use crate::errors::DbError;
use crate::guc_scope::{NO_JIT, NO_MERGE_JOIN, NO_NESTED_LOOP};

pub(super) const USER: &str = "user_change";
pub(super) const GROUP: &str = "group_change";

/// `set`: the columns the statement can have changed (see `mod.rs`), or None for any;
/// `new_rows`: how many rows it updated.
/// `source`: the trigger's data, whose transition tables a statement of a few rows is read
/// from (`row_read`) to decide own-row rules in Rust.
pub fn run(
    client: &mut SpiClient<'_>,
    st: &mut State,
    set: Option<&BTreeSet<String>>,
    new_rows: i64,
    source: &pg_sys::TriggerData,
) -> Result<(), DbError> {
    let key = quote_ident(&st.key_column);
    let at_hand = if new_rows <= i64::from(super::SMALL_STATEMENT_ROWS.get())
        && super::decide_in_rust()
        && !st.read_columns.is_empty()
    {
        let (key_column, columns, catalog) = st.columns_and_catalog()?;
        // SAFETY: `source` is the TriggerData of this AFTER UPDATE FOR EACH STATEMENT call,
        // which has both transition tables.
        unsafe { row_read::read(source, catalog, key_column, columns) }
    } else {
        None
    };
    let at_hand = at_hand.as_ref();
    let (moved, changed, rows) = match at_hand {
        Some(r) => (false, changed_columns(st, set, r), r.pairs.len() as i64),
        None => detect(client, st, &key, set, new_rows)?,
    };
    if moved {
        super::maintain::moved(client, st)?;
    }
    if changed.is_empty() {
        return Ok(());
    }
    if st
        .tenant_column
        .as_ref()
        .is_some_and(|t| changed.contains(t))
    {
        super::maintain::tenant_moved(client, st)?;
    }
    defer_at_commit(client, st, &key, &changed, rows, at_hand)?;
    let affected: Vec<i64> = st
        .reading(&changed)
        .into_iter()
        .filter(|g| !st.is_at_commit(g.id))
        .map(|g| g.id)
        .collect();
    if affected.is_empty() {
        return Ok(());
    }
    // The groups that re-evaluate changed users whose own-row rules flipped (`flipped`,
    // `statement`), and among them those that re-evaluate every changed user they read.
    let mut own: BTreeSet<i64> = BTreeSet::new();
    let mut always: BTreeSet<i64> = BTreeSet::new();
    for &id in &affected {
        match st.flip(id, &changed)?.0 {
            Flip::Never => continue,
            Flip::When(_) => {}
            Flip::Always => {
                always.insert(id);
            }
        }
        own.insert(id);
    }
    // Statements of a few rows take the kept-plan path (`small.rs`), their own-row rules
    // decided first; larger ones keep the pairs in SQL, one statement per depth, planned
    // for their size.
    if rows <= i64::from(super::SMALL_STATEMENT_ROWS.get()) {
        let mut seeds: Vec<Pair> = Vec::new();
        if !own.is_empty() {
            let own: Vec<(i64, bool)> = own.iter().map(|id| (*id, always.contains(id))).collect();
            seeds.extend(flipped(client, st, &changed, &own, at_hand)?);
        }
        depths::run(client, st, Own::Nothing, seeds, Phase::Statement)?;
        return Ok(());
    }
    let large = Large {
        own,
        always,
        changed,
        key,
        bulk: is_bulk(client, st, rows)?,
    };
    depths::run(client, st, Own::Update(large), Vec::new(), Phase::Statement)?;
    Ok(())
}

/// A large UPDATE's share of the pass (`depths.rs`): its groups (`own`) re-evaluate the
/// changed users whose own-row rules flipped, `always` every changed user they read.
pub struct Large {
    pub own: BTreeSet<i64>,
    always: BTreeSet<i64>,
    changed: BTreeSet<String>,
    key: String,
    bulk: bool,
}

/// Decides and writes one depth of a large UPDATE: `own` (its groups at this depth) over the
/// transition tables, and `pairs` handed on by earlier depths, in one statement.
pub fn write_large(
    client: &mut SpiClient<'_>,
    st: &mut State,
    large: &Large,
    ids: &[i64],
    own: &[i64],
    pairs: &[Pair],
    with_dependants: &BTreeSet<i64>,
) -> Result<Vec<Change>, DbError> {
    let with_dependants: Vec<i64> = with_dependants.iter().copied().collect();
    let sql = statement(st, &large.key, ids, own, &large.always, &large.changed)?;
    apply(client, st, &sql, pairs, &with_dependants, large.bulk)
}

/// The (group, user) pairs whose own-row rules flipped, for a statement of a few rows, with
/// the predicate's value where the new row alone decides it. A user whose row part is known
/// and the same on both rows is left out: their membership cannot have changed.
fn flipped(
    client: &mut SpiClient<'_>,
    st: &mut State,
    changed: &BTreeSet<String>,
    own: &[(i64, bool)],
    at_hand: Option<&row_read::Rows>,
) -> Result<Vec<Pair>, DbError> {
    let (plan, since) = flip_plan_since(client, st, changed, own)?;
    if let Some(rows) = at_hand {
        let collation = row_read::icu_collation(client)?;
        let since = since.map(|t| row_read::from_pg_micros(pg_sys::TimestampTz::from(t)));
        if let Some(pairs) = decide_in_rust(&plan, rows, changed, since, collation) {
            return Ok(pairs);
        }
    }
    let since_type = PgBuiltInOids::TIMESTAMPTZOID.oid();
    statements::run(client, &plan.sql, &[since_type], &[since.into()], |rows| {
        let mut out = Vec::new();
        for row in rows {
            flipped_row(&plan, &row, &mut out)?;
        }
        Ok(out)
    })
}

/// `flipped` for a large statement, whose rows are read in batches (`statements::run_batches`):
/// None as soon as the pairs are more than `limit`, before they take more memory than that.
fn flipped_at_most(
    client: &mut SpiClient<'_>,
    st: &mut State,
    changed: &BTreeSet<String>,
    own: &[(i64, bool)],
    limit: usize,
) -> Result<Option<Vec<Pair>>, DbError> {
    let (plan, since) = flip_plan_since(client, st, changed, own)?;
    let since_type = PgBuiltInOids::TIMESTAMPTZOID.oid();
    let mut out = Vec::new();
    let mut within = true;
    statements::run_batches(
        client,
        &plan.sql,
        &[since_type],
        &[since.into()],
        BATCH_ROWS,
        |rows| {
            for row in rows {
                flipped_row(&plan, &row, &mut out)?;
            }
            within = out.len() <= limit;
            Ok(within)
        },
    )?;
    Ok(within.then_some(out))
}

/// The flip plan of `own` for `changed`, and when it has relative-time rules, no later than
/// their last time refresh (`State::time_since`), which its query takes as `$1`.
fn flip_plan_since(
    client: &mut SpiClient<'_>,
    st: &mut State,
    changed: &BTreeSet<String>,
    own: &[(i64, bool)],
) -> Result<
    (
        std::rc::Rc<FlipPlan>,
        Option<pgrx::datum::TimestampWithTimeZone>,
    ),
    DbError,
> {
    let plan = st.flip_plan(changed, own)?;
    let since = if plan.crossed.iter().any(Option::is_some) {
        st.time_since(client)?
    } else {
        None
    };
    Ok((plan, since))
}

/// Rows of a large statement's queries read at a time (`flipped_at_most`, `reference_flips`).
const BATCH_ROWS: i64 = 10_000;

/// One row of a flip plan's query (`FlipPlan::sql`): the user's candidate pairs, to `out`.
fn flipped_row(
    plan: &FlipPlan,
    row: &pgrx::spi::SpiHeapTupleData<'_>,
    out: &mut Vec<Pair>,
) -> Result<(), DbError> {
    let Some(k) = row.get::<String>(1)? else {
        return Ok(());
    };
    let new: Vec<Option<bool>> = row.get(2)?.unwrap_or_default();
    let old: Vec<Option<bool>> = row.get(3)?.unwrap_or_default();
    let moved: Vec<Option<bool>> = row.get(4)?.unwrap_or_default();
    let crossed: Vec<Option<bool>> = row.get(5)?.unwrap_or_default();
    // Compiled rules are never NULL; a missing value reads as false either way.
    let n = |i: usize| new.get(i).copied().flatten().unwrap_or(false);
    let o = |i: usize| match plan.olds.get(i).copied().flatten() {
        Some(j) => old.get(j).copied().flatten().unwrap_or(false),
        None => n(i),
    };
    let moved = |c: usize| moved.get(c).copied().flatten().unwrap_or(false);
    let crossed = |i: usize| {
        plan.crossed
            .get(i)
            .copied()
            .flatten()
            .is_some_and(|j| crossed.get(j).copied().flatten().unwrap_or(false))
    };
    candidates(plan, &k, &n, &o, &moved, &crossed, out);
    Ok(())
}

/// Each group of `plan` for which the user keyed `k` is a candidate, with the predicate's
/// value where the new row alone decides it; `n` and `o`: each rule on the new and the old
/// row, `moved`: whether each changed column changed for this user, `crossed`: whether the
/// old value of each rule crossed a time boundary since the time refreshes.
fn candidates(
    plan: &FlipPlan,
    k: &str,
    n: &dyn Fn(usize) -> bool,
    o: &dyn Fn(usize) -> bool,
    moved: &dyn Fn(usize) -> bool,
    crossed: &dyn Fn(usize) -> bool,
    out: &mut Vec<Pair>,
) {
    for g in &plan.groups {
        let now = g.tree.eval(n);
        let candidate = match &g.always_columns {
            Some(cols) => cols.iter().any(|&c| moved(c)),
            None => {
                // An old value of a relative-time rule that crossed a boundary since the time
                // refresh: where the user was is the stored membership's answer, which the
                // write compares with.
                let unsure = g.changed_atoms.iter().any(|&i| crossed(i));
                unsure
                    || (g.changed_atoms.iter().any(|&i| n(i) != o(i))
                        && !(now.is_some() && now == g.tree.eval(o)))
            }
        };
        if candidate {
            out.push((g.id, k.to_string(), USER, now));
        }
    }
}

/// `flipped`, decided in Rust from the rows at hand (`row_read`) rather than by the plan's
/// query. None when a rule of the plan cannot be decided there: on a column not read
/// exactly. `since`: when time groups are active, no later than their last time refresh
/// (`State::time_since`; None when it could not be read, which also makes this None), for
/// the old values of relative-time rules that may have crossed a boundary since. Case is
/// folded by Postgres with the rules' ICU collation (`collation`); without one, by Rust,
/// for ASCII text only, where the two agree.
fn decide_in_rust(
    plan: &FlipPlan,
    rows: &row_read::Rows,
    changed: &BTreeSet<String>,
    since: Option<Option<chrono::DateTime<chrono::Utc>>>,
    collation: Option<pg_sys::Oid>,
) -> Option<Vec<Pair>> {
    let since = match since {
        Some(known) => Some(known?),
        None => None,
    };
    let mut case_folded = Vec::new();
    for test in &plan.tests {
        let FieldPath::Column(c) = &test.field else {
            return None;
        };
        if !rows.exact.contains(&c.name) {
            return None;
        }
        if collation.is_none() && test.op.folds_case() {
            if !matches!(&test.operand, Operand::Text(x) if x.is_ascii()) {
                return None;
            }
            case_folded.push(c.name.as_str());
        }
    }
    let ascii = |row: &UserRow| {
        case_folded.iter().all(|c| match row.values.get(*c) {
            Some(EvalDatum::Text(s)) => s.is_ascii(),
            _ => true,
        })
    };
    if !rows.pairs.iter().all(|(o, n)| ascii(o) && ascii(n)) {
        return None;
    }
    let folding = row_read::folding(collation);
    let lower: &dyn Fn(&str) -> String = &*folding;
    // SAFETY: both read the clock of this backend.
    let (now, clock) = unsafe {
        (
            row_read::from_pg_micros(pg_sys::GetCurrentTransactionStartTimestamp())?,
            row_read::from_pg_micros(pg_sys::GetCurrentTimestamp())?,
        )
    };
    let columns: Vec<&String> = changed.iter().collect();
    let mut out = Vec::new();
    for (old, new) in &rows.pairs {
        let new_values: Vec<bool> = plan
            .tests
            .iter()
            .map(|t| row_test(t, new, now, lower))
            .collect();
        let old_values: Vec<Option<bool>> = plan
            .olds
            .iter()
            .zip(&plan.tests)
            .map(|(at, t)| at.map(|_| row_test(t, old, now, lower)))
            .collect();
        let n = |i: usize| new_values.get(i).copied().unwrap_or(false);
        let o = |i: usize| match old_values.get(i).copied().flatten() {
            Some(b) => b,
            None => n(i),
        };
        let moved = |c: usize| {
            columns
                .get(c)
                .is_some_and(|c| old.values.get(*c) != new.values.get(*c))
        };
        let crossed = |i: usize| match (since, plan.crossed.get(i)) {
            (Some(from), Some(Some(_))) => plan
                .tests
                .get(i)
                .is_some_and(|t| crossed_since(t, old, from, clock)),
            _ => false,
        };
        candidates(plan, &new.key, &n, &o, &moved, &crossed, &mut out);
    }
    Some(out)
}

/// The read columns that changed in the rows at hand (as `detect` finds them in SQL). Only
/// the columns the statement set can have changed (`set`, when known).
fn changed_columns(
    st: &State,
    set: Option<&BTreeSet<String>>,
    rows: &row_read::Rows,
) -> BTreeSet<String> {
    st.read_columns
        .iter()
        .filter(|c| set.is_none_or(|s| s.contains(*c)))
        .filter(|c| {
            rows.pairs
                .iter()
                .any(|(o, n)| o.values.get(*c) != n.values.get(*c))
        })
        .cloned()
        .collect()
}

/// Which read columns changed, and whether any key did. Only the columns the statement set
/// can have changed (`set`, when known): comparing just those keeps the join of the
/// transition tables narrow (for `SET level = …` on a million users, a hash of keys and
/// levels instead of two sorts of every column on disk), and a statement that does not set
/// the key needs no full join to find moved keys.
fn detect(
    client: &mut SpiClient<'_>,
    st: &State,
    key: &str,
    set: Option<&BTreeSet<String>>,
    new_rows: i64,
) -> Result<(bool, BTreeSet<String>, i64), DbError> {
    let compared: Vec<&String> = st
        .read_columns
        .iter()
        .filter(|c| set.is_none_or(|s| s.contains(*c)))
        .collect();
    let key_set = set.is_none_or(|s| s.contains(&st.key_column));
    if compared.is_empty() && !key_set {
        return Ok((false, BTreeSet::new(), 0));
    }
    let mut cols = vec![
        "count(*)".to_string(),
        if key_set {
            format!("bool_or(n.{key} IS NULL OR o.{key} IS NULL)")
        } else {
            "false".to_string()
        },
    ];
    cols.extend(compared.iter().map(|c| {
        let c = quote_ident(c);
        format!("bool_or(n.{c}::text IS DISTINCT FROM o.{c}::text)")
    }));
    let join = if key_set { "FULL JOIN" } else { "JOIN" };
    let sql = format!(
        "SELECT {} FROM sg_new n {join} sg_old o ON o.{key} = n.{key}",
        cols.join(", ")
    );
    let read = |rows: pgrx::spi::SpiTupleTable<'_>| {
        let mut moved = false;
        let mut count = 0;
        let mut changed = BTreeSet::new();
        for row in rows {
            count = row.get::<i64>(1)?.unwrap_or(0);
            moved = row.get::<bool>(2)?.unwrap_or(false);
            for (i, c) in compared.iter().enumerate() {
                if row.get::<bool>(i + 3)?.unwrap_or(false) {
                    changed.insert((*c).clone());
                }
            }
        }
        Ok((moved, changed, count))
    };
    // A plan kept from one-row statements would join a million rows as it joins one.
    if new_rows > i64::from(super::SMALL_STATEMENT_ROWS.get()) {
        statements::run_once(client, &sql, &[], read)
    } else {
        statements::run(client, &sql, &[], &[], read)
    }
}

/// Records for the commit-time step (`commit.rs`) the changed users whose data a
/// commit-time group reads; and when such a group reads one of the changed columns through
/// a reference (a reference column included, for `manager.manager.x`), that their referrers
/// are evaluated too.
fn defer_at_commit(
    client: &mut SpiClient<'_>,
    st: &mut State,
    key: &str,
    changed: &BTreeSet<String>,
    rows: i64,
    at_hand: Option<&row_read::Rows>,
) -> Result<(), DbError> {
    let mut read = BTreeSet::new();
    let mut own = Vec::new();
    let mut always = BTreeSet::new();
    let mut readers = Vec::new();
    let concerned: Vec<(i64, Vec<String>)> = st
        .reading(changed)
        .into_iter()
        .filter(|g| st.is_at_commit(g.id))
        .map(|g| (g.id, g.columns.intersection(changed).cloned().collect()))
        .collect();
    for (id, cols) in concerned {
        let (flip, via_reference) = st.flip(id, changed)?;
        // A group whose rules on the user's own row read none of the changed columns cannot
        // change for these users, only for their referrers.
        if !matches!(flip, Flip::Never) {
            own.push(id);
            read.extend(cols.iter().cloned());
            if matches!(flip, Flip::Always) {
                always.insert(id);
            }
        }
        if via_reference {
            readers.push(id);
            read.extend(cols);
        }
    }
    if read.is_empty() {
        return Ok(());
    }
    let cond = set_codes::any_changed(&read, changed);
    let sql = format!(
        "SELECT array_agg(s.k) FROM (SELECT n.{key}::text AS k FROM sg_new n \
           JOIN sg_old o ON o.{key} = n.{key} WHERE {cond} LIMIT $1) s"
    );
    // The changed users, asked only where they are recorded whole (a few-row statement
    // records the flipped users of its own groups instead); None when they are more than a
    // transaction records (`commit::record_limit`), which are not listed: their groups are
    // recomputed whole.
    let limit = super::commit::record_limit();
    let changed_users = |client: &mut SpiClient<'_>| -> Result<Option<Vec<String>>, DbError> {
        if let Some(r) = at_hand {
            return Ok(Some(
                r.pairs
                    .iter()
                    .filter(|(o, n)| read.iter().any(|c| o.values.get(c) != n.values.get(c)))
                    .map(|(_, n)| n.key.clone())
                    .collect(),
            ));
        }
        let more = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
        let users = statements::query_one::<Vec<String>>(
            client,
            &sql,
            &[PgBuiltInOids::INT8OID.oid()],
            &[more.into()],
        )?
        .unwrap_or_default();
        Ok((users.len() <= limit).then_some(users))
    };
    let record = |users: Option<Vec<String>>, groups: &[i64], referents| match users {
        Some(users) => super::commit::defer(&users, USER, Some(groups), referents),
        None => super::commit::defer_whole(Some(groups), referents),
    };
    // Of the changed users, those whose referrers can move, and the groups they can move in.
    let (readers, referent_users) = reference_flips(client, st, key, changed, readers, rows)?;
    let referents = if readers.is_empty() {
        super::commit::Referents::No
    } else {
        super::commit::Referents::For(&readers)
    };
    // A statement of a few rows records each user for the groups whose own-row rules flipped
    // for them (`flipped`, as the statement-time groups are found), not for every group
    // reading a changed column: the step then decides those only. A large statement records
    // those (group, user) pairs one by one when they are well short of every changed user in
    // every group reading a changed column (S2 at 1,000 groups: 250,000 pairs instead of
    // 28,500 users in each of 76 groups, where a level moving by one flips a few groups per
    // user), and the step decides those pairs only.
    if !own.is_empty() {
        let plan: Vec<(i64, bool)> = own.iter().map(|id| (*id, always.contains(id))).collect();
        let recorded = if rows <= i64::from(super::SMALL_STATEMENT_ROWS.get()) {
            let flips = flipped(client, st, changed, &plan, at_hand)?;
            let mut by_user: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
            for (g, k, _, _) in flips {
                by_user.entry(k).or_default().push(g);
            }
            let mut by_groups: std::collections::BTreeMap<Vec<i64>, Vec<String>> =
                Default::default();
            for (k, mut gs) in by_user {
                gs.sort_unstable();
                gs.dedup();
                by_groups.entry(gs).or_default().push(k);
            }
            for (gs, ks) in &by_groups {
                super::commit::defer(ks, USER, Some(gs), super::commit::Referents::No);
            }
            true
        } else {
            let every = usize::try_from(rows)
                .unwrap_or(usize::MAX)
                .saturating_mul(own.len());
            let limit = super::commit::pair_limit().min(every / 2);
            match flipped_at_most(client, st, changed, &plan, limit)? {
                Some(flips) => {
                    super::commit::defer_pairs(flips);
                    true
                }
                None => false,
            }
        };
        if recorded {
            // Their referrers are found whatever flipped on their own rows (users with
            // nothing recorded for them are only locked, as referents).
            if !readers.is_empty() {
                let users = match referent_users {
                    Some(users) => Some(users),
                    None => changed_users(client)?,
                };
                record(users, &[], referents);
            }
            return Ok(());
        }
    }
    match referent_users {
        None => record(changed_users(client)?, &own, referents),
        Some(users) => {
            if !own.is_empty() {
                record(changed_users(client)?, &own, super::commit::Referents::No);
            }
            if !readers.is_empty() {
                super::commit::defer(&users, USER, Some(&[]), referents);
            }
        }
    }
    Ok(())
}

/// Of `readers` (groups reading a changed column through a reference), those that can move
/// for a changed user's referrers, and the changed users whose referrers must be evaluated
/// (None: every changed user). A rule on the manager, such as `manager.department = "Legal"`,
/// judged on the manager's old and new rows (`compile::reference_flip_test`): when it is the
/// same on both, none of the 150 reports of a manager moved from "Sales" to "Support" needs
/// evaluating.
fn reference_flips(
    client: &mut SpiClient<'_>,
    st: &mut State,
    key: &str,
    changed: &BTreeSet<String>,
    readers: Vec<i64>,
    rows: i64,
) -> Result<(Vec<i64>, Option<Vec<String>>), DbError> {
    let mut kept = Vec::new();
    let mut judged = Vec::new();
    let mut tests = Vec::new();
    let mut always = false;
    for id in readers {
        match st.reference_flip(id, changed)? {
            Flip::Never => {}
            Flip::Always => {
                always = true;
                kept.push(id);
            }
            Flip::When(sql) => {
                judged.push(id);
                tests.push(format!("coalesce({sql}, true)"));
            }
        }
    }
    if judged.is_empty() {
        return Ok((kept, if always { None } else { Some(Vec::new()) }));
    }
    let sql = format!(
        "SELECT n.{key}::text, ARRAY[{}] FROM sg_new n JOIN sg_old o ON o.{key} = n.{key}",
        tests.join(", ")
    );
    // A large statement's rows are read in batches, and no further once the users are more
    // than a transaction records (`commit::record_limit`): then every judged group is kept
    // and every changed user counts (None), which the caller records as groups to recompute
    // whole.
    let limit = super::commit::record_limit();
    let mut moved = vec![false; judged.len()];
    let mut users = Vec::new();
    let mut each = |row: pgrx::spi::SpiHeapTupleData<'_>| -> Result<usize, DbError> {
        let k = row.get::<String>(1)?;
        let flips: Vec<Option<bool>> = row.get(2)?.unwrap_or_default();
        let mut any = false;
        for (i, f) in flips.iter().enumerate() {
            if f.unwrap_or(true) {
                if let Some(m) = moved.get_mut(i) {
                    *m = true;
                }
                any = true;
            }
        }
        if let (true, Some(k)) = (any, k) {
            users.push(k);
        }
        Ok(users.len())
    };
    let mut within = true;
    if rows <= i64::from(super::SMALL_STATEMENT_ROWS.get()) {
        statements::run(client, &sql, &[], &[], |rows| {
            for row in rows {
                each(row)?;
            }
            Ok(())
        })?;
    } else {
        statements::run_batches(client, &sql, &[], &[], BATCH_ROWS, |rows| {
            for row in rows {
                within = each(row)? <= limit;
            }
            Ok(within)
        })?;
    }
    if !within {
        kept.extend(judged);
        kept.sort_unstable();
        return Ok((kept, None));
    }
    kept.extend(
        judged
            .iter()
            .zip(&moved)
            .filter(|(_, m)| **m)
            .map(|(id, _)| *id),
    );
    kept.sort_unstable();
    Ok((kept, if always { None } else { Some(users) }))
}

/// The statement for one depth of a large UPDATE. `$1`, `$2`, `$3`: (group, key, cause)
/// pairs to re-evaluate besides the changed users'; `$4`: the groups whose changed keys are
/// wanted (others name them). The changed users' pairs are found in the transition tables by
/// the statement itself, with the predicate's value on the new row, which the writes use.
/// The writes (`writer.rs`) are one DELETE and one INSERT for all groups of the depth.
fn statement(
    st: &mut State,
    key: &str,
    ids: &[i64],
    own: &[i64],
    always: &BTreeSet<i64>,
    changed: &BTreeSet<String>,
) -> Result<String, DbError> {
    let kt = st.key_type.clone();
    let users = st.users_table.clone();
    let mut sources = Vec::new();
    let mut ctes = Vec::new();
    if !own.is_empty() {
        // Per changed user, the groups they join (+id) and leave (-id); only the users with
        // something to do are kept (OFFSET 0: the codes are computed once).
        let own: Vec<(i64, bool)> = own.iter().map(|id| (*id, always.contains(id))).collect();
        let set = st.set_codes(changed, &own)?;
        ctes.push(format!(
            "ch AS MATERIALIZED (SELECT s.k, s.gids FROM ({}) s WHERE cardinality(s.gids) > 0)",
            set
        ));
        sources.push(format!(
            "SELECT abs(x.g) AS gid, ch.k, '{USER}' AS cause, x.g > 0 AS known \
               FROM ch, unnest(ch.gids) x(g)"
        ));
    }
    sources.push(format!(
        "SELECT f.g, f.k::{kt}, f.c, NULL::boolean FROM unnest($1::bigint[], $2::text[], $3::text[]) f(g, k, c)"
    ));
    // user_change sorts after group_change: a pair with both is logged as the user's change;
    // and a known value wins over an unknown one.
    // Sorted by group and user even where no pair can come twice (only the changed users'
    // codes, no other pairs): the DELETE and INSERT then walk the (group, user) index in
    // order rather than user by user across the groups. Left unsorted, S2 at 1M users
    // saved the sort (about 4 s) but measured no faster.
    ctes.push(format!(
        "p AS MATERIALIZED (SELECT DISTINCT ON (gid, k) gid, k, cause, known \
           FROM ({}) s(gid, k, cause, known) ORDER BY gid, k, cause DESC, known NULLS LAST)",
        sources.join(" UNION ALL ")
    ));
    let mut whens = Vec::new();
    for id in ids {
        whens.push(format!("WHEN {id} THEN ({})", st.predicate(*id)?));
    }
    ctes.push(format!(
        "w AS MATERIALIZED (SELECT p.gid, p.k, p.cause, \
           (CASE WHEN p.known IS NOT NULL THEN p.known \
                 ELSE EXISTS (SELECT 1 FROM {users} u WHERE u.{key} = p.k AND CASE p.gid {} ELSE false END) END \
            OR EXISTS (SELECT 1 FROM smart_groups.inclusions i WHERE i.group_id = p.gid AND i.user_key = p.k \
                       AND EXISTS (SELECT 1 FROM {users} u WHERE u.{key} = i.user_key))) \
           AND NOT EXISTS (SELECT 1 FROM smart_groups.exclusions e WHERE e.group_id = p.gid AND e.user_key = p.k) AS want \
         FROM p)",
        whens.join(" ")
    ));
    let list: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
    let list = list.join(", ");
    Ok(Write {
        with: ctes,
        leave: Some(format!(
            "USING w WHERE m.group_id IN ({list}) AND m.group_id = w.gid AND m.user_key = w.k AND NOT w.want"
        )),
        leave_cause: "w.cause".into(),
        leave_counts: None,
        join: Some("SELECT w.gid, w.k, w.cause FROM w WHERE w.want".into()),
        join_cause: None,
        ordered: false,
        keys_of: "group_id = ANY ($4)".into(),
    }
    .sql())
}

fn apply(
    client: &mut SpiClient<'_>,
    st: &State,
    sql: &str,
    pairs: &[Pair],
    with_dependants: &[i64],
    bulk: bool,
) -> Result<Vec<Change>, DbError> {
    let g: Vec<i64> = pairs.iter().map(|p| p.0).collect();
    let k: Vec<String> = pairs.iter().map(|p| p.1.clone()).collect();
    let c: Vec<String> = pairs.iter().map(|p| p.2.to_string()).collect();
    let args = [
        g.into(),
        k.into(),
        c.into(),
        with_dependants.to_vec().into(),
    ];
    let mut settings = vec![NO_JIT, NO_MERGE_JOIN];
    if bulk {
        settings.push(NO_NESTED_LOOP);
    }
    writer::run(client, st, sql, &[], &args, Run::Once(&settings))
}

/// An UPDATE of at least this fraction of the users table is maintained without nested loops
/// (`guc_scope::NO_NESTED_LOOP`). Measured at a million users: at 10% they made no difference
/// (37–48 s either way); at 100% hash joins took a quarter less time.
const BULK_FRACTION: f64 = 0.25;

/// Whether a statement that changed `rows` users changed a large part of the table (by the
/// planner's estimate of its size; a table never analyzed counts as small).
fn is_bulk(client: &mut SpiClient<'_>, st: &State, rows: i64) -> Result<bool, DbError> {
    let total = statements::query_one::<f64>(
        client,
        "SELECT c.reltuples::float8 FROM pg_class c WHERE c.oid = $1::regclass",
        &[PgBuiltInOids::TEXTOID.oid()],
        &[st.users_table.clone().into()],
    )?;
    Ok(total.is_some_and(|t| t > 0.0 && rows as f64 >= t * BULK_FRACTION))
}
