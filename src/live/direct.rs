//! Table access without statements on the path of every maintained write: rows looked up
//! by key through a btree index (a few users' rows, custom fields, relation rows, stored
//! memberships and overrides), and the writes of a few pairs (`write_pairs`: membership rows,
//! the log, the counts).
//!
//! A kept-plan statement of a few rows cost 15–90 µs through SPI, most of it executor
//! start-up and the statement's own bookkeeping; the same rows through the index cost a few
//! microseconds (docs/design/write-floor.md, "Reads without statements" and "Writes without
//! statements"). Each read does what
//! SPI does before a statement that may write (`CommandCounterIncrement`, then the
//! transaction snapshot: a new one at READ COMMITTED, the transaction's under snapshot
//! isolation), so it sees exactly the rows the statement it replaces would have seen, and the
//! access methods take the same predicate locks under SERIALIZABLE. Tables are opened with
//! ACCESS SHARE, held to the end of the transaction, as the statement would.
//!
//! When no usable index exists (the column is not the first key column of a valid,
//! non-partial btree index of its type's default equality), the table is not a plain table,
//! or the database's text is not UTF-8, `read` returns None and the caller runs its
//! statement instead.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::CString;

use pgrx::pg_sys;
use pgrx::PgMemoryContexts;
use smart_groups_core::catalog::{ColumnKind, TableName};
use smart_groups_core::eval::Datum;

use super::row_read::{self, ResultRows};
use super::writer::Change;

/// The extension's table `name`.
pub fn ours(name: &str) -> TableName {
    TableName {
        schema: "smart_groups".into(),
        name: name.into(),
    }
}

/// The owner of the extension, read from the catalog as `get_extension_oid` reads it (its
/// name index, the catalog snapshot); None once it is dropped (in this very transaction).
pub fn extension_owner() -> Option<pg_sys::Oid> {
    let mut owner = None;
    // SAFETY: the tuple is read while the scan is on it.
    unsafe {
        catalog_rows(
            pg_sys::ExtensionRelationId,
            pg_sys::ExtensionNameIndexId,
            pg_sys::Anum_pg_extension_extname,
            pg_sys::F_NAMEEQ,
            pg_sys::Datum::from(c"smart_groups".as_ptr()),
            &mut |tuple| {
                owner = Some(
                    (*pg_sys::heap_tuple_get_struct::<pg_sys::FormData_pg_extension>(tuple))
                        .extowner,
                );
                false
            },
        );
    }
    owner
}

/// Runs `each` on the rows of system catalog `relid` whose column `attnum` equals `value` (by
/// the equality function `procedure`), in the order of its index `index`, with the catalog
/// snapshot, until it returns false.
///
/// # Safety
/// `value` must be a datum of the column's type; `each` gets tuples valid only during its
/// call.
pub(crate) unsafe fn catalog_rows(
    relid: pg_sys::Oid,
    index: u32,
    attnum: u32,
    procedure: u32,
    value: pg_sys::Datum,
    each: &mut dyn FnMut(pg_sys::HeapTuple) -> bool,
) {
    let rel = pg_sys::table_open(relid, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
    let mut key: pg_sys::ScanKeyData = std::mem::zeroed();
    pg_sys::ScanKeyInit(
        &mut key,
        attnum as pg_sys::AttrNumber,
        pg_sys::BTEqualStrategyNumber as pg_sys::StrategyNumber,
        pg_sys::Oid::from(procedure),
        value,
    );
    let scan = pg_sys::systable_beginscan(
        rel,
        pg_sys::Oid::from(index),
        true,
        std::ptr::null_mut(),
        1,
        &mut key,
    );
    loop {
        let tuple = pg_sys::systable_getnext(scan);
        if tuple.is_null() || !each(tuple) {
            break;
        }
    }
    pg_sys::systable_endscan(scan);
    pg_sys::table_close(rel, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
}

/// One column of the rows read: the name it is given (as a statement's `AS`), the table's
/// column, and whether it is read as its output text (a statement's `::text`).
#[derive(Clone, Debug)]
pub struct Column {
    pub name: String,
    pub column: String,
    pub as_text: bool,
}

/// A read: the rows of `table` whose `key` column equals one of the keys, as `columns`
/// (the first is the row's key in `ResultRows`), at most `limit` rows in all.
#[derive(Clone, Debug)]
pub struct Spec {
    pub table: TableName,
    pub key: String,
    pub columns: Vec<Column>,
    pub limit: Option<usize>,
}

impl Spec {
    pub fn new(table: TableName, key: &str) -> Spec {
        Spec {
            table,
            key: key.to_string(),
            columns: Vec::new(),
            limit: None,
        }
    }

    pub fn column(mut self, name: &str, column: &str, as_text: bool) -> Spec {
        self.columns.push(Column {
            name: name.to_string(),
            column: column.to_string(),
            as_text,
        });
        self
    }
}

/// The rows `spec` asks for, of the users `keys` (as the key column's type reads them), or
/// None when they cannot be read without a statement. `kind`: a column's kind in the
/// catalog, by its given name (as `row_read::spi_result`).
pub fn read(
    spec: &Spec,
    keys: &[String],
    kind: &dyn Fn(&str) -> Option<ColumnKind>,
) -> Option<ResultRows> {
    let mut inexact = BTreeSet::new();
    let mut rows = Vec::new();
    let convs = RefCell::new(Vec::new());
    let mut ok = true;
    let scanned = scan(
        &spec.table,
        &spec.key,
        &spec
            .columns
            .iter()
            .map(|c| c.column.as_str())
            .collect::<Vec<_>>(),
        keys,
        spec.limit,
        &mut |attrs| {
            for (c, attr) in spec.columns.iter().zip(attrs) {
                // SAFETY: the column's type and collation, from the table's descriptor.
                let conv = unsafe {
                    row_read::column_conv(
                        attr.atttypid,
                        attr.attcollation,
                        c.as_text,
                        kind(&c.name).as_ref(),
                    )
                };
                if !row_read::conv_exact(conv) {
                    inexact.insert(c.name.clone());
                }
                convs.borrow_mut().push(conv);
            }
        },
        &mut |_, values| {
            let mut row_key = None;
            let mut row = BTreeMap::new();
            for (i, ((c, conv), value)) in spec
                .columns
                .iter()
                .zip(convs.borrow().iter())
                .zip(values)
                .enumerate()
            {
                let datum = match value {
                    None => Datum::Null,
                    // SAFETY: a datum of the column `conv` was made for, alive while the row is.
                    Some(d) => match unsafe { row_read::convert(*conv, *d) } {
                        Some(d) => d,
                        None => {
                            ok = false;
                            return false;
                        }
                    },
                };
                if i == 0 {
                    row_key = Some(match datum {
                        Datum::Text(s) | Datum::Number(s) => s,
                        _ => {
                            ok = false;
                            return false;
                        }
                    });
                } else {
                    row.insert(c.name.clone(), datum);
                }
            }
            if let Some(k) = row_key {
                rows.push((k, row));
            }
            true
        },
    );
    (scanned && ok).then(|| ResultRows {
        rows,
        inexact,
        columns: spec
            .columns
            .iter()
            .skip(1)
            .map(|c| c.name.clone())
            .collect(),
    })
}

/// The `bigint` column `column` of the rows of `table` whose `key` column equals one of the
/// keys, with the position of that key in `keys`: a user's memberships, inclusions or
/// exclusions by group id, without converting anything else. None as for `read`.
pub fn ids(
    table: &TableName,
    key: &str,
    column: &str,
    keys: &[String],
) -> Option<Vec<(usize, i64)>> {
    ids_in(table, key, column, keys, &|_| true)
}

/// `ids`, of the ids `wanted` only; where the index holds both columns, the other entries
/// are passed over without visiting the heap (a user's memberships in the few groups a write
/// decides, out of a thousand).
pub fn ids_in(
    table: &TableName,
    key: &str,
    column: &str,
    keys: &[String],
    wanted: &dyn Fn(i64) -> bool,
) -> Option<Vec<(usize, i64)>> {
    let mut out = Vec::new();
    let bigint = Cell::new(false);
    let keep = |values: &[Option<pg_sys::Datum>]| {
        !bigint.get()
            || values
                .first()
                .is_some_and(|d| d.is_some_and(|d| wanted(d.value() as i64)))
    };
    let scanned = scan_kept(
        table,
        key,
        &[column],
        keys,
        None,
        Some(&keep),
        &mut |attrs| bigint.set(attrs.first().is_some_and(|a| a.atttypid == pg_sys::INT8OID)),
        &mut |at, values| {
            if let Some(Some(d)) = values.first().filter(|_| bigint.get()) {
                let id = d.value() as i64;
                if wanted(id) {
                    out.push((at, id));
                }
            }
            bigint.get()
        },
    );
    (scanned && bigint.get()).then_some(out)
}

/// Whether `columns` of `table` all have one type: keys of the first can then be looked up
/// in the others' indexes as their own type reads them (a statement would compare across
/// types, where reading a key as the other type could fail). False when it cannot tell.
pub fn same_type(table: &TableName, columns: &[&str]) -> bool {
    // SAFETY: as `with_table`.
    with_table(table, |heap| unsafe {
        let attrs = plain_attrs(heap)?;
        let types: Option<BTreeSet<u32>> = columns
            .iter()
            .map(|c| {
                let at = attnum_of(heap, c)?;
                Some(attrs.get(usize::try_from(at - 1).ok()?)?.atttypid.to_u32())
            })
            .collect();
        Some(types?.len() == 1)
    })
    .unwrap_or(false)
}

/// Which of `keys` are the key of some row of `table` (positions in `keys`).
pub fn present(table: &TableName, key: &str, keys: &[String]) -> Option<BTreeSet<usize>> {
    let mut out = BTreeSet::new();
    scan(table, key, &[key], keys, None, &mut |_| {}, &mut |at, _| {
        out.insert(at);
        true
    })
    .then_some(out)
}

/// Which of the (group, user) `pairs` have a row in `table`, by its (`group`, `user`)
/// index: one descent per pair, for a few groups of users in many (positions in `pairs`).
/// None as for `read`.
pub fn pairs(
    table: &TableName,
    group: &str,
    user: &str,
    pairs: &[(i64, String)],
) -> Option<BTreeSet<usize>> {
    // SAFETY: as `with_table`.
    with_table(table, |heap| unsafe {
        probe_pairs(heap, group, user, pairs)
    })
}

unsafe fn probe_pairs(
    heap: pg_sys::Relation,
    group: &str,
    user: &str,
    pairs: &[(i64, String)],
) -> Option<BTreeSet<usize>> {
    let attrs = plain_attrs(heap)?;
    let group_at = attnum_of(heap, group)?;
    let user_at = attnum_of(heap, user)?;
    let user_attr = attrs.get(usize::try_from(user_at - 1).ok()?)?;
    let group_type = attrs.get(usize::try_from(group_at - 1).ok()?)?.atttypid;
    if group_type != pg_sys::INT8OID {
        return None;
    }
    let users = input_datums(user_attr, pairs.iter().map(|(_, k)| k.as_str()))?;
    let probe = probe_for(
        heap,
        &[(group_at, group_type), (user_at, user_attr.atttypid)],
    )?;
    // Existence from the index where the page is all-visible, as an index-only scan; not
    // under SERIALIZABLE, where the heap fetch takes the predicate lock.
    let index_only = pg_sys::XactIsoLevel != pg_sys::XACT_SERIALIZABLE as i32;
    let mut walk = Walk::begin(heap, &probe);
    let mut found = BTreeSet::new();
    for (at, ((g, _), u)) in pairs.iter().zip(users).enumerate() {
        pg_sys::check_for_interrupts!();
        walk.rescan(&probe, &[pg_sys::Datum::from(*g), u]);
        loop {
            let tid =
                pg_sys::index_getnext_tid(walk.scan, pg_sys::ScanDirection::ForwardScanDirection);
            if tid.is_null() {
                break;
            }
            if (index_only && walk.all_visible(heap, tid))
                || pg_sys::index_fetch_heap(walk.scan, walk.slot)
            {
                found.insert(at);
                break;
            }
        }
    }
    walk.end(probe);
    Some(found)
}

/// The scan behind `read`, `ids` and `present`: `columns` of every row whose `key` equals
/// one of `keys`, at most `limit` rows. `describe` gets the columns' attributes first; `row`
/// gets each row's key position and values (None for NULL) and returns whether to go on.
/// False when the rows cannot be read so.
fn scan(
    table: &TableName,
    key: &str,
    columns: &[&str],
    keys: &[String],
    limit: Option<usize>,
    describe: &mut dyn FnMut(&[pg_sys::FormData_pg_attribute]),
    row: &mut dyn FnMut(usize, &[Option<pg_sys::Datum>]) -> bool,
) -> bool {
    scan_kept(table, key, columns, keys, limit, None, describe, row)
}

/// A test of an index entry's values (the columns read, None for NULL).
type Keep<'a> = Option<&'a dyn Fn(&[Option<pg_sys::Datum>]) -> bool>;

/// `scan`, where `keep` may pass over an index entry on its values before the heap is
/// visited for it (when every column read is in the index); `row` still sees only visible
/// rows, and must not rely on `keep` having run.
#[allow(clippy::too_many_arguments)]
fn scan_kept(
    table: &TableName,
    key: &str,
    columns: &[&str],
    keys: &[String],
    limit: Option<usize>,
    keep: Keep<'_>,
    describe: &mut dyn FnMut(&[pg_sys::FormData_pg_attribute]),
    row: &mut dyn FnMut(usize, &[Option<pg_sys::Datum>]) -> bool,
) -> bool {
    if columns.is_empty() {
        return false;
    }
    // SAFETY: as `with_table`.
    with_table(table, |heap| unsafe {
        scan_heap(heap, key, columns, keys, limit, keep, describe, row)
    })
    .is_some()
}

/// Runs `f` on `smart_groups`' or the app's table `table`, opened ACCESS SHARE (held to the
/// end of the transaction, as a statement's), in a memory context of its own: whatever
/// PostgreSQL allocates for a read (keys, the scan, output text) goes with it, and the rows
/// are copied into Rust values. None when the database's text is not UTF-8 or the table is
/// gone.
fn with_table<R>(table: &TableName, f: impl FnOnce(pg_sys::Relation) -> Option<R>) -> Option<R> {
    let mut context = PgMemoryContexts::new("smart_groups direct read");
    // SAFETY: the relation is opened here and closed before returning; errors unwind through
    // pgrx's guards, and the scan, slot and snapshot `f` uses are released with the
    // (sub)transaction's resources.
    unsafe {
        context.switch_to(|_| {
            if pg_sys::GetDatabaseEncoding() != pg_sys::pg_enc::PG_UTF8 as i32 {
                return None;
            }
            let heap = pg_sys::try_relation_open(
                relation_oid(table)?,
                pg_sys::AccessShareLock as pg_sys::LOCKMODE,
            );
            if heap.is_null() {
                return None;
            }
            let out = f(heap);
            pg_sys::relation_close(heap, pg_sys::NoLock as pg_sys::LOCKMODE);
            out
        })
    }
}

/// Whether table `t` has column `column` (not dropped).
pub fn has_column(t: &TableName, column: &str) -> bool {
    // SAFETY: catalog lookups by name through the syscache, from a backend in a transaction.
    unsafe {
        relation_oid(t)
            .and_then(|relid| attnum(relid, column))
            .is_some()
    }
}

unsafe fn relation_oid(t: &TableName) -> Option<pg_sys::Oid> {
    let schema = CString::new(t.schema.as_str()).ok()?;
    let name = CString::new(t.name.as_str()).ok()?;
    let nsp = pg_sys::get_namespace_oid(schema.as_ptr(), true);
    if nsp == pg_sys::InvalidOid {
        return None;
    }
    let relid = pg_sys::get_relname_relid(name.as_ptr(), nsp);
    (relid != pg_sys::InvalidOid).then_some(relid)
}

/// A btree index whose first key columns are those asked for, each usable for `=` on its
/// column's type: the procedure and collation of each.
struct Probe {
    index: pg_sys::Relation,
    keys: Vec<(pg_sys::RegProcedure, pg_sys::Oid)>,
}

/// `cols`: (attnum, type) of the leading key columns wanted.
unsafe fn probe_for(heap: pg_sys::Relation, cols: &[(i16, pg_sys::Oid)]) -> Option<Probe> {
    let list = pg_sys::RelationGetIndexList(heap);
    if list.is_null() {
        return None;
    }
    let n = usize::try_from((*list).length).unwrap_or(0);
    let mut found = None;
    for i in 0..n {
        let oid = (*(*list).elements.add(i)).oid_value;
        let index = pg_sys::index_open(oid, pg_sys::AccessShareLock as pg_sys::LOCKMODE);
        let form = (*index).rd_index;
        let usable = !form.is_null()
            && (*(*index).rd_rel).relam == pg_sys::BTREE_AM_OID
            && (*form).indisvalid
            && (*form).indisready
            && (*form).indislive
            && usize::try_from((*form).indnkeyatts).unwrap_or(0) >= cols.len()
            && cols
                .iter()
                .enumerate()
                .all(|(i, (at, _))| *(*form).indkey.values.as_ptr().add(i) == *at)
            && pg_sys::heap_attisnull(
                (*index).rd_indextuple,
                pg_sys::Anum_pg_index_indpred as i32,
                std::ptr::null_mut(),
            );
        if usable {
            let keys: Option<Vec<_>> = cols
                .iter()
                .enumerate()
                .map(|(i, (_, typid))| {
                    let family = *(*index).rd_opfamily.add(i);
                    let input = *(*index).rd_opcintype.add(i);
                    let op = pg_sys::get_opfamily_member(
                        family,
                        input,
                        input,
                        pg_sys::BTEqualStrategyNumber as i16,
                    );
                    // The key's type must be the operator class's, or binary-coercible to it
                    // (varchar under text_ops): the scan key is the value as the column's
                    // type reads it.
                    (op != pg_sys::InvalidOid
                        && (input == *typid || pg_sys::IsBinaryCoercible(*typid, input)))
                    .then(|| (pg_sys::get_opcode(op), *(*index).rd_indcollation.add(i)))
                })
                .collect();
            if let Some(keys) = keys {
                found = Some(Probe { index, keys });
                break;
            }
        }
        pg_sys::index_close(index, pg_sys::NoLock as pg_sys::LOCKMODE);
    }
    pg_sys::list_free(list);
    found
}

/// An index walk of `Probe`'s index with the snapshot a statement that may write would take
/// (after `CommandCounterIncrement`, as SPI): one `rescan` per key looked up.
struct Walk {
    snapshot: pg_sys::Snapshot,
    slot: *mut pg_sys::TupleTableSlot,
    scan: pg_sys::IndexScanDesc,
    vm_buffer: pg_sys::Buffer,
    keys: [pg_sys::ScanKeyData; 2],
}

impl Walk {
    unsafe fn begin(heap: pg_sys::Relation, probe: &Probe) -> Walk {
        pg_sys::CommandCounterIncrement();
        let snapshot = pg_sys::RegisterSnapshot(pg_sys::GetTransactionSnapshot());
        let nkeys = i32::try_from(probe.keys.len()).unwrap_or(1);
        Walk {
            snapshot,
            slot: pg_sys::table_slot_create(heap, std::ptr::null_mut()),
            scan: pg_sys::index_beginscan(heap, probe.index, snapshot, nkeys, 0),
            vm_buffer: pg_sys::InvalidBuffer as pg_sys::Buffer,
            keys: std::mem::zeroed(),
        }
    }

    /// Looks up `values`, one per leading column of the probe's index.
    unsafe fn rescan(&mut self, probe: &Probe, values: &[pg_sys::Datum]) {
        let mut n: i32 = 0;
        for ((key, (procedure, collation)), value) in
            self.keys.iter_mut().zip(&probe.keys).zip(values)
        {
            n += 1;
            pg_sys::ScanKeyEntryInitialize(
                key,
                0,
                n as i16,
                pg_sys::BTEqualStrategyNumber as u16,
                pg_sys::InvalidOid,
                *collation,
                *procedure,
                *value,
            );
        }
        pg_sys::index_rescan(
            self.scan,
            self.keys.as_mut_ptr(),
            n,
            std::ptr::null_mut(),
            0,
        );
    }

    /// Whether the heap page of `tid` is all-visible (the index tuple then stands for a
    /// visible row, as in an index-only scan).
    unsafe fn all_visible(&mut self, heap: pg_sys::Relation, tid: pg_sys::ItemPointer) -> bool {
        let block = (u32::from((*tid).ip_blkid.bi_hi) << 16) | u32::from((*tid).ip_blkid.bi_lo);
        pg_sys::visibilitymap_get_status(heap, block, &mut self.vm_buffer)
            & pg_sys::VISIBILITYMAP_ALL_VISIBLE as u8
            != 0
    }

    /// Ends the walk and closes the probe's index (its lock is kept).
    unsafe fn end(self, probe: Probe) {
        if self.vm_buffer != pg_sys::InvalidBuffer as pg_sys::Buffer {
            pg_sys::ReleaseBuffer(self.vm_buffer);
        }
        pg_sys::index_endscan(self.scan);
        pg_sys::ExecDropSingleTupleTableSlot(self.slot);
        pg_sys::UnregisterSnapshot(self.snapshot);
        pg_sys::index_close(probe.index, pg_sys::NoLock as pg_sys::LOCKMODE);
    }
}

/// The attributes of `heap` when it is a plain table: a partitioned, foreign or view
/// relation has no index to walk here.
unsafe fn plain_attrs<'a>(heap: pg_sys::Relation) -> Option<&'a [pg_sys::FormData_pg_attribute]> {
    if (*(*heap).rd_rel).relkind != pg_sys::RELKIND_RELATION as std::ffi::c_char {
        return None;
    }
    let tupdesc = (*heap).rd_att;
    let natts = usize::try_from((*tupdesc).natts).ok()?;
    Some((*tupdesc).attrs.as_slice(natts))
}

/// `keys` as `attr`'s type reads them (its input function): the values a statement's
/// `$1::type[]` would hold. None when a key holds a NUL.
unsafe fn input_datums<'a>(
    attr: &pg_sys::FormData_pg_attribute,
    keys: impl IntoIterator<Item = &'a str>,
) -> Option<Vec<pg_sys::Datum>> {
    let mut input = pg_sys::InvalidOid;
    let mut ioparam = pg_sys::InvalidOid;
    pg_sys::getTypeInputInfo(attr.atttypid, &mut input, &mut ioparam);
    keys.into_iter()
        .map(|k| {
            let text = CString::new(k).ok()?;
            Some(pg_sys::OidInputFunctionCall(
                input,
                text.as_ptr().cast_mut(),
                ioparam,
                attr.atttypmod,
            ))
        })
        .collect()
}

/// Column `column`'s number in `heap` (None when it has no such column).
pub(super) unsafe fn attnum_of(heap: pg_sys::Relation, column: &str) -> Option<i16> {
    attnum((*heap).rd_id, column)
}

/// The attribute number of user column `column` of relation `relid`, unless dropped or absent.
unsafe fn attnum(relid: pg_sys::Oid, column: &str) -> Option<i16> {
    let name = CString::new(column).ok()?;
    let n = pg_sys::get_attnum(relid, name.as_ptr());
    (n > 0).then_some(n)
}

#[allow(clippy::too_many_arguments)]
unsafe fn scan_heap(
    heap: pg_sys::Relation,
    key: &str,
    names: &[&str],
    keys: &[String],
    limit: Option<usize>,
    keep: Keep<'_>,
    describe: &mut dyn FnMut(&[pg_sys::FormData_pg_attribute]),
    row: &mut dyn FnMut(usize, &[Option<pg_sys::Datum>]) -> bool,
) -> Option<()> {
    let attrs = plain_attrs(heap)?;
    let key_at = attnum_of(heap, key)?;
    let key_attr = attrs.get(usize::try_from(key_at - 1).ok()?)?;
    let mut columns: Vec<i32> = Vec::with_capacity(names.len());
    let mut described = Vec::with_capacity(names.len());
    for name in names {
        let at = attnum_of(heap, name)?;
        described.push(*attrs.get(usize::try_from(at - 1).ok()?)?);
        columns.push(i32::from(at));
    }
    describe(&described);
    let last = columns.iter().copied().max().unwrap_or(1);
    // Each key once, as `= ANY` matches a row once.
    let mut seen = BTreeSet::new();
    let unique: Vec<(usize, &String)> = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| seen.insert(*k))
        .collect();
    let values = input_datums(key_attr, unique.iter().map(|(_, k)| k.as_str()))?;
    let scan_keys: Vec<(usize, pg_sys::Datum)> =
        unique.iter().map(|(at, _)| *at).zip(values).collect();
    let probe = probe_for(heap, &[(key_at, key_attr.atttypid)])?;

    // Index-only when every column read is in the index: the heap is visited only for pages
    // not all-visible, as an index-only scan does. Not under SERIALIZABLE, where the heap
    // fetch takes the predicate lock an index-only scan would take on the page.
    let form = (*probe.index).rd_index;
    let in_index: Vec<i16> = (0..usize::try_from((*form).indnatts).unwrap_or(0))
        .map(|i| *(*form).indkey.values.as_ptr().add(i))
        .collect();
    let positions: Option<Vec<usize>> = columns
        .iter()
        .map(|at| in_index.iter().position(|&a| i32::from(a) == *at))
        .collect();
    let positions = positions.filter(|_| pg_sys::XactIsoLevel != pg_sys::XACT_SERIALIZABLE as i32);

    let mut walk = Walk::begin(heap, &probe);
    (*walk.scan).xs_want_itup = positions.is_some();
    let mut index_values = [pg_sys::Datum::from(0usize); pg_sys::INDEX_MAX_KEYS as usize];
    let mut index_nulls = [false; pg_sys::INDEX_MAX_KEYS as usize];
    let mut rows = 0usize;
    let mut values: Vec<Option<pg_sys::Datum>> = Vec::with_capacity(columns.len());
    'keys: for (at, value) in scan_keys {
        walk.rescan(&probe, &[value]);
        loop {
            pg_sys::check_for_interrupts!();
            // Each column's datum, None for NULL: from the index tuple, or the heap's.
            let from_index = match &positions {
                Some(p) => {
                    let tid = pg_sys::index_getnext_tid(
                        walk.scan,
                        pg_sys::ScanDirection::ForwardScanDirection,
                    );
                    if tid.is_null() {
                        break;
                    }
                    // The entry's values, when `keep` tests them or the row is read from
                    // the index; a row fetched from the heap is read from there.
                    let scan = walk.scan;
                    let deform = |values: &mut [pg_sys::Datum], nulls: &mut [bool]| {
                        pg_sys::index_deform_tuple(
                            (*scan).xs_itup,
                            (*scan).xs_itupdesc,
                            values.as_mut_ptr(),
                            nulls.as_mut_ptr(),
                        )
                    };
                    // An entry passed over on its values needs no visibility check: every
                    // version its heap pointer leads to (a HOT chain) has the same values.
                    if let Some(keep) = keep {
                        deform(&mut index_values, &mut index_nulls);
                        values.clear();
                        values.extend(
                            p.iter()
                                .map(|&pos| (!index_nulls[pos]).then_some(index_values[pos])),
                        );
                        if !keep(&values) {
                            continue;
                        }
                    }
                    if walk.all_visible(heap, tid) {
                        if keep.is_none() {
                            deform(&mut index_values, &mut index_nulls);
                        }
                        true
                    } else if pg_sys::index_fetch_heap(walk.scan, walk.slot) {
                        false
                    } else {
                        continue;
                    }
                }
                None => {
                    if !pg_sys::index_getnext_slot(
                        walk.scan,
                        pg_sys::ScanDirection::ForwardScanDirection,
                        walk.slot,
                    ) {
                        break;
                    }
                    false
                }
            };
            if limit.is_some_and(|l| rows >= l) {
                break 'keys;
            }
            rows += 1;
            if !from_index {
                pg_sys::slot_getsomeattrs(walk.slot, last);
            }
            values.clear();
            for (i, at) in columns.iter().enumerate() {
                let (isnull, d) = match (&positions, from_index) {
                    (Some(p), true) => {
                        let pos = p.get(i).copied().unwrap_or(0);
                        (index_nulls[pos], index_values[pos])
                    }
                    _ => {
                        let pos = usize::try_from(*at - 1).unwrap_or(0);
                        (
                            *(*walk.slot).tts_isnull.add(pos),
                            *(*walk.slot).tts_values.add(pos),
                        )
                    }
                };
                values.push((!isnull).then_some(d));
            }
            if !row(at, &values) {
                break 'keys;
            }
        }
    }
    walk.end(probe);
    Some(())
}

/// A pair to write: group, users key (as the key type reads it), cause.
pub type PairWrite = (i64, String, String);

/// A table of ours opened for writing rows without a statement, with its indexes.
struct Target {
    heap: pg_sys::Relation,
    indexes: Vec<(pg_sys::Relation, *mut pg_sys::IndexInfo)>,
}

impl Target {
    /// Opens `smart_groups.name` when a statement's insert or delete would do no more than
    /// `write_pairs` does: a plain table of exactly `columns`, no trigger or rule, no row
    /// security, indexes on plain columns only (a GIN index on the log's keys, as README.md
    /// suggests, included), unique ones checked immediately, no exclusion constraint.
    unsafe fn open(table: &TableName, columns: &[&str]) -> Option<Target> {
        let relid = relation_oid(table)?;
        let heap = pg_sys::try_relation_open(relid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
        if heap.is_null() {
            return None;
        }
        let mut target = Target {
            heap,
            indexes: Vec::new(),
        };
        let rel = (*heap).rd_rel;
        let tupdesc = (*heap).rd_att;
        let natts = usize::try_from((*tupdesc).natts).unwrap_or(0);
        let live: Vec<String> = (*tupdesc)
            .attrs
            .as_slice(natts)
            .iter()
            .filter(|a| !a.attisdropped)
            .map(|a| pgrx::name_data_to_str(&a.attname).to_string())
            .collect();
        let plain = (*rel).relkind == pg_sys::RELKIND_RELATION as std::ffi::c_char
            && (*heap).trigdesc.is_null()
            && !(*rel).relhasrules
            && !(*rel).relrowsecurity
            && live.len() == columns.len()
            && columns.iter().all(|c| live.iter().any(|l| l == c));
        if !plain {
            target.close();
            return None;
        }
        let list = pg_sys::RelationGetIndexList(heap);
        let n = if list.is_null() {
            0
        } else {
            usize::try_from((*list).length).unwrap_or(0)
        };
        let mut usable = true;
        for i in 0..n {
            let oid = (*(*list).elements.add(i)).oid_value;
            let index = pg_sys::index_open(oid, pg_sys::RowExclusiveLock as pg_sys::LOCKMODE);
            let info = pg_sys::BuildIndexInfo(index);
            target.indexes.push((index, info));
            let form = (*index).rd_index;
            usable &= (*form).indimmediate
                && (*info).ii_Expressions.is_null()
                && (*info).ii_Predicate.is_null()
                && (*info).ii_ExclusionOps.is_null()
                && (0..usize::try_from((*info).ii_NumIndexAttrs).unwrap_or(0))
                    .all(|a| (*info).ii_IndexAttrNumbers[a] > 0);
        }
        if !list.is_null() {
            pg_sys::list_free(list);
        }
        if !usable {
            target.close();
            return None;
        }
        Some(target)
    }

    /// Column `name`'s position in a row of this table.
    unsafe fn at(&self, name: &str) -> Option<usize> {
        usize::try_from(attnum_of(self.heap, name)? - 1).ok()
    }

    unsafe fn natts(&self) -> usize {
        usize::try_from((*(*self.heap).rd_att).natts).unwrap_or(0)
    }

    /// Inserts a row and its index entries, as an INSERT of it would.
    unsafe fn insert(
        &self,
        values: &mut [pg_sys::Datum],
        nulls: &mut [bool],
        cid: pg_sys::CommandId,
    ) {
        let tuple =
            pg_sys::heap_form_tuple((*self.heap).rd_att, values.as_mut_ptr(), nulls.as_mut_ptr());
        pg_sys::heap_insert(self.heap, tuple, cid, 0, std::ptr::null_mut());
        self.index_entries(values, nulls, tuple);
        pg_sys::heap_freetuple(tuple);
    }

    /// Updates the row at `tid` (the newest version, which no other transaction can be
    /// writing) to `values`, with index entries unless the update was HOT, as an UPDATE would.
    unsafe fn update(
        &self,
        tid: &mut pg_sys::ItemPointerData,
        values: &mut [pg_sys::Datum],
        nulls: &mut [bool],
    ) {
        let tuple =
            pg_sys::heap_form_tuple((*self.heap).rd_att, values.as_mut_ptr(), nulls.as_mut_ptr());
        pg_sys::simple_heap_update(self.heap, tid, tuple);
        if (*(*tuple).t_data).t_infomask2 & pg_sys::HEAP_ONLY_TUPLE as u16 == 0 {
            self.index_entries(values, nulls, tuple);
        }
        pg_sys::heap_freetuple(tuple);
    }

    /// The index entries of `tuple`, just written with `values`.
    unsafe fn index_entries(
        &self,
        values: &[pg_sys::Datum],
        nulls: &[bool],
        tuple: pg_sys::HeapTuple,
    ) {
        let mut index_values = [pg_sys::Datum::from(0usize); pg_sys::INDEX_MAX_KEYS as usize];
        let mut index_nulls = [false; pg_sys::INDEX_MAX_KEYS as usize];
        for (index, info) in &self.indexes {
            let n = usize::try_from((**info).ii_NumIndexAttrs).unwrap_or(0);
            for a in 0..n {
                let pos = usize::try_from((**info).ii_IndexAttrNumbers[a] - 1).unwrap_or(0);
                index_values[a] = values[pos];
                index_nulls[a] = nulls[pos];
            }
            let check = if (**info).ii_Unique {
                pg_sys::IndexUniqueCheck::UNIQUE_CHECK_YES
            } else {
                pg_sys::IndexUniqueCheck::UNIQUE_CHECK_NO
            };
            pg_sys::index_insert(
                *index,
                index_values.as_mut_ptr(),
                index_nulls.as_mut_ptr(),
                &mut (*tuple).t_self,
                self.heap,
                check,
                false,
                *info,
            );
        }
    }

    unsafe fn close(&mut self) {
        for (index, _) in self.indexes.drain(..) {
            pg_sys::index_close(index, pg_sys::NoLock as pg_sys::LOCKMODE);
        }
        pg_sys::relation_close(self.heap, pg_sys::NoLock as pg_sys::LOCKMODE);
    }
}

/// Writes pairs without a statement, as the writer's statement (`writer::Write`) does for a
/// few pairs at READ COMMITTED: deletes the leaving rows of `member_rows`, inserts the
/// joining ones, logs a `membership_changes` row per group, direction and cause, and adds
/// each group's count to `member_counts`. Returns what changed per group, with the keys
/// for the groups `keys_of`; None, before writing anything, when the tables are not as the
/// extension created them or the keys cannot be read (the statement then runs).
///
/// Only for pairs that no other transaction can write meanwhile: the caller holds the lock
/// that orders every writer of these pairs (`lock-protocol.md`), and has read, with the
/// snapshot this write starts from, that each leaving pair is stored and each joining pair
/// is not (`small::wanted`).
pub fn write_pairs(
    joins: &[PairWrite],
    leaves: &[PairWrite],
    keys_of: &BTreeSet<i64>,
) -> Option<Vec<Change>> {
    let mut context = PgMemoryContexts::new("smart_groups direct write");
    // SAFETY: relations are opened and closed here; errors unwind through pgrx's guards and
    // abort the transaction, whose resources release what is open.
    unsafe { context.switch_to(|_| write_in(joins, leaves, keys_of)) }
}

unsafe fn write_in(
    joins: &[PairWrite],
    leaves: &[PairWrite],
    keys_of: &BTreeSet<i64>,
) -> Option<Vec<Change>> {
    if !pg_sys::superuser() || pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 {
        return None;
    }
    let mut targets = Vec::new();
    for (name, columns) in [
        ("member_rows", &["group_id", "user_key", "since"][..]),
        (
            "membership_changes",
            &["id", "group_id", "user_keys", "change", "cause", "at"][..],
        ),
        ("member_counts", &["group_id", "delta"][..]),
    ] {
        match Target::open(&ours(name), columns) {
            Some(t) => targets.push(t),
            None => {
                for mut t in targets {
                    t.close();
                }
                return None;
            }
        }
    }
    let written = write_targets(&targets, joins, leaves, keys_of);
    for mut t in targets {
        t.close();
    }
    written
}

unsafe fn write_targets(
    targets: &[Target],
    joins: &[PairWrite],
    leaves: &[PairWrite],
    keys_of: &BTreeSet<i64>,
) -> Option<Vec<Change>> {
    let [rows, log, counts] = targets else {
        return None;
    };
    // Everything that can refuse is settled before the first write.
    let group_at = rows.at("group_id")?;
    let user_at = rows.at("user_key")?;
    let since_at = rows.at("since")?;
    let attrs = (*(*rows.heap).rd_att).attrs.as_slice(rows.natts());
    let key_type = attrs.get(user_at)?.atttypid;
    let log_attrs = (*(*log.heap).rd_att).attrs.as_slice(log.natts());
    let log_at: Vec<usize> = ["id", "group_id", "user_keys", "change", "cause", "at"]
        .iter()
        .map(|c| log.at(c))
        .collect::<Option<_>>()?;
    if pg_sys::get_element_type(log_attrs.get(*log_at.get(2)?)?.atttypid) != key_type
        || attrs.get(group_at)?.atttypid != pg_sys::INT8OID
    {
        return None;
    }
    let sequence =
        pg_sys::getIdentitySequence((*log.heap).rd_id, i16::try_from(log_at[0] + 1).ok()?, true);
    if sequence == pg_sys::InvalidOid {
        return None;
    }
    let count_group = counts.at("group_id")?;
    let count_delta = counts.at("delta")?;
    let mut output = pg_sys::InvalidOid;
    let mut varlena = false;
    pg_sys::getTypeOutputInfo(key_type, &mut output, &mut varlena);
    let mut key_len = 0i16;
    let mut key_byval = false;
    let mut key_align: std::ffi::c_char = 0;
    pg_sys::get_typlenbyvalalign(key_type, &mut key_len, &mut key_byval, &mut key_align);
    // The log's texts, checked before the first write: nothing below may refuse.
    let texts: BTreeMap<&str, CString> = leaves
        .iter()
        .chain(joins)
        .map(|(_, _, c)| c.as_str())
        .chain(["join", "leave"])
        .map(|t| Some((t, CString::new(t).ok()?)))
        .collect::<Option<_>>()?;
    let key_attr = attrs.get(user_at)?;
    let leave_keys = input_datums(key_attr, leaves.iter().map(|(_, k, _)| k.as_str()))?;
    let join_keys = input_datums(key_attr, joins.iter().map(|(_, k, _)| k.as_str()))?;

    let probe = probe_for(
        rows.heap,
        &[
            (i16::try_from(group_at + 1).ok()?, pg_sys::INT8OID),
            (i16::try_from(user_at + 1).ok()?, key_type),
        ],
    )?;
    let now = pg_sys::GetCurrentTransactionStartTimestamp();
    // (group, direction, cause) → keys, in the order the statement logs them: by group, then
    // 'join' (0) before 'leave' (1), then cause.
    let mut changed: BTreeMap<(i64, u8, &str), Vec<pg_sys::Datum>> = BTreeMap::new();

    // Leaves: the visible row of each pair, deleted as a DELETE at READ COMMITTED would; a
    // row another transaction deleted first is not this write's (and cannot be, by the
    // caller's lock, but a statement would skip it too).
    let mut walk = Walk::begin(rows.heap, &probe);
    // Every write below is this command's, as a statement's would be (the walk's snapshot,
    // taken after `CommandCounterIncrement`, does not see them).
    let cid = pg_sys::GetCurrentCommandId(true);
    for ((g, _, cause), key) in leaves.iter().zip(&leave_keys) {
        pg_sys::check_for_interrupts!();
        walk.rescan(&probe, &[pg_sys::Datum::from(*g), *key]);
        if pg_sys::index_getnext_slot(
            walk.scan,
            pg_sys::ScanDirection::ForwardScanDirection,
            walk.slot,
        ) {
            let mut tid = (*walk.slot).tts_tid;
            let mut failure: pg_sys::TM_FailureData = std::mem::zeroed();
            let result = pg_sys::heap_delete(
                rows.heap,
                &mut tid,
                cid,
                std::ptr::null_mut(),
                true,
                &mut failure,
                false,
            );
            if result == pg_sys::TM_Result::TM_Ok {
                changed
                    .entry((*g, 1, cause.as_str()))
                    .or_default()
                    .push(*key);
            }
        }
    }
    walk.end(probe);

    // Joins: the caller read that none of these pairs is stored.
    let natts = rows.natts();
    let mut values = vec![pg_sys::Datum::from(0usize); natts];
    let mut nulls = vec![true; natts];
    for ((g, _, cause), key) in joins.iter().zip(&join_keys) {
        pg_sys::check_for_interrupts!();
        values[group_at] = pg_sys::Datum::from(*g);
        values[user_at] = *key;
        values[since_at] = pg_sys::Datum::from(now);
        for at in [group_at, user_at, since_at] {
            nulls[at] = false;
        }
        rows.insert(&mut values, &mut nulls, cid);
        changed
            .entry((*g, 0, cause.as_str()))
            .or_default()
            .push(*key);
    }

    // The log, a row per group, direction and cause ('join' before 'leave'), and the counts.
    let natts = log.natts();
    let mut values = vec![pg_sys::Datum::from(0usize); natts];
    let mut nulls = vec![true; natts];
    let mut out: BTreeMap<i64, Change> = BTreeMap::new();
    for ((g, direction, cause), keys) in &changed {
        let joined = *direction == 0;
        let id = pg_sys::OidFunctionCall1Coll(
            pg_sys::Oid::from(pg_sys::F_NEXTVAL),
            pg_sys::InvalidOid,
            pg_sys::Datum::from(sequence),
        );
        let mut elems = keys.clone();
        let array = pg_sys::construct_array(
            elems.as_mut_ptr(),
            i32::try_from(elems.len()).unwrap_or(i32::MAX),
            key_type,
            i32::from(key_len),
            key_byval,
            key_align,
        );
        let text = |t: &str| match texts.get(t) {
            Some(c) => pg_sys::Datum::from(pg_sys::cstring_to_text(c.as_ptr())),
            None => pg_sys::Datum::from(0usize),
        };
        let row = [
            id,
            pg_sys::Datum::from(*g),
            pg_sys::Datum::from(array),
            text(if joined { "join" } else { "leave" }),
            text(cause),
            pg_sys::Datum::from(now),
        ];
        for (at, value) in log_at.iter().zip(row) {
            values[*at] = value;
            nulls[*at] = false;
        }
        log.insert(&mut values, &mut nulls, cid);
        let entry = out.entry(*g).or_insert_with(|| Change {
            group: *g,
            joined: 0,
            left: 0,
            keys: Vec::new(),
        });
        let n = i64::try_from(keys.len()).unwrap_or(i64::MAX);
        if joined {
            entry.joined += n;
        } else {
            entry.left += n;
        }
        if keys_of.contains(g) {
            for k in keys {
                let text = pg_sys::OidOutputFunctionCall(output, *k);
                if !text.is_null() {
                    entry.keys.push(
                        std::ffi::CStr::from_ptr(text)
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
    }
    let natts = counts.natts();
    let mut values = vec![pg_sys::Datum::from(0usize); natts];
    let mut nulls = vec![true; natts];
    for c in out.values() {
        let delta = c.joined - c.left;
        if delta != 0 {
            values[count_group] = pg_sys::Datum::from(c.group);
            values[count_delta] = pg_sys::Datum::from(delta);
            nulls[count_group] = false;
            nulls[count_delta] = false;
            counts.insert(&mut values, &mut nulls, cid);
        }
    }
    Some(out.into_values().collect())
}

/// Bumps the step marks of `hashes` (`smart_groups_internal.step_marks`, `n` counting the
/// commit-time steps that evaluated a user of that lock hash) without a statement, as the
/// step's upsert does: the row of each hash, in hash order, updated to `n + 1` or inserted
/// with 1. None, before writing anything, when the table is not as created, the
/// transaction is not READ COMMITTED, or the role is not a superuser (the statement then
/// runs).
///
/// Only while the caller holds each hash's lock exclusively (`commit.rs`): no other
/// transaction writes these rows meanwhile, and the snapshot taken here, after the lock,
/// sees the newest version of each.
pub fn bump_marks(hashes: &BTreeSet<i32>) -> Option<()> {
    let mut context = PgMemoryContexts::new("smart_groups direct marks");
    // SAFETY: as `write_pairs`.
    unsafe { context.switch_to(|_| bump_in(hashes)) }
}

unsafe fn bump_in(hashes: &BTreeSet<i32>) -> Option<()> {
    if !pg_sys::superuser() || pg_sys::XactIsoLevel >= pg_sys::XACT_REPEATABLE_READ as i32 {
        return None;
    }
    let table = TableName {
        schema: "smart_groups_internal".into(),
        name: "step_marks".into(),
    };
    let mut marks = Target::open(&table, &["h", "n"])?;
    let bumped = bump_rows(&marks, hashes);
    marks.close();
    bumped
}

unsafe fn bump_rows(marks: &Target, hashes: &BTreeSet<i32>) -> Option<()> {
    let h_at = marks.at("h")?;
    let n_at = marks.at("n")?;
    let natts = marks.natts();
    let attrs = (*(*marks.heap).rd_att).attrs.as_slice(natts);
    if attrs.get(h_at)?.atttypid != pg_sys::INT4OID || attrs.get(n_at)?.atttypid != pg_sys::INT8OID
    {
        return None;
    }
    let probe = probe_for(
        marks.heap,
        &[(i16::try_from(h_at + 1).ok()?, pg_sys::INT4OID)],
    )?;
    let mut walk = Walk::begin(marks.heap, &probe);
    let cid = pg_sys::GetCurrentCommandId(true);
    let mut values = vec![pg_sys::Datum::from(0usize); natts];
    let mut nulls = vec![true; natts];
    for h in hashes {
        pg_sys::check_for_interrupts!();
        walk.rescan(&probe, &[pg_sys::Datum::from(*h)]);
        values[h_at] = pg_sys::Datum::from(*h);
        nulls[h_at] = false;
        nulls[n_at] = false;
        if pg_sys::index_getnext_slot(
            walk.scan,
            pg_sys::ScanDirection::ForwardScanDirection,
            walk.slot,
        ) {
            pg_sys::slot_getsomeattrs(walk.slot, i32::try_from(n_at + 1).ok()?);
            let n = if *(*walk.slot).tts_isnull.add(n_at) {
                0
            } else {
                (*(*walk.slot).tts_values.add(n_at)).value() as i64
            };
            values[n_at] = pg_sys::Datum::from(n.wrapping_add(1));
            let mut tid = (*walk.slot).tts_tid;
            pg_sys::ExecClearTuple(walk.slot);
            marks.update(&mut tid, &mut values, &mut nulls);
        } else {
            values[n_at] = pg_sys::Datum::from(1i64);
            marks.insert(&mut values, &mut nulls, cid);
        }
    }
    walk.end(probe);
    Some(())
}
