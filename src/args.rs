//! Argument types for the SQL functions whose arguments come from users. pgrx's own
//! conversions panic, which PostgreSQL reports as an internal error (XX000), on input it
//! accepts and Rust does not: `JsonB` parses the jsonb's text with serde_json's defaults
//! (at most 128 levels of nesting, numbers within f64, such as 1e400 is not), `&str` refuses
//! text that is not UTF-8 (a SQL_ASCII database), and both refuse NULL in a function that is
//! not STRICT. These read the same datums and leave the decision to the caller, which raises
//! an error with its own SQLSTATE or, for values read on behalf of the app's rows, treats the
//! value as unreadable.

use std::ffi::CStr;

use pgrx::callconv::{Arg, ArgAbi};
use pgrx::datum::FromDatum;
use pgrx::pg_sys;
use pgrx::pgrx_sql_entity_graph::metadata::{
    ArgumentError, ReturnsError, ReturnsRef, SqlMappingRef, SqlTranslatable, TypeOrigin,
};
use pgrx::prelude::*;

use crate::errors::{raise, DbError};

/// A `jsonb` argument holding a ruleset, as the jsonb's text: the core's JSON reader
/// (`json::read_str`) then reports nesting and numbers as ruleset errors.
pub struct RulesJson(Result<String, ()>);

impl RulesJson {
    /// The jsonb's text; raises 22021 when it is not UTF-8.
    pub fn text(&self) -> &str {
        match &self.0 {
            Ok(s) => s,
            Err(()) => raise(&DbError::NotUtf8("the ruleset".into())),
        }
    }
}

impl FromDatum for RulesJson {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<Self> {
        if is_null || datum.is_null() {
            return None;
        }
        // jsonb_out returns a palloc'd C string in the database encoding.
        let cstr = pgrx::direct_function_call::<&CStr>(pg_sys::jsonb_out, &[Some(datum)])?;
        let text = cstr.to_str().map(str::to_owned).map_err(|_| ());
        pg_sys::pfree(cstr.as_ptr() as *mut std::ffi::c_void);
        Some(RulesJson(text))
    }
}

/// A `text` argument that may not be UTF-8.
pub struct Text(Result<String, Vec<u8>>);

impl Text {
    /// The text; raises 22021 naming `what` when it is not UTF-8.
    pub fn get(&self, what: &'static str) -> &str {
        match &self.0 {
            Ok(s) => s,
            Err(_) => raise(&DbError::NotUtf8(what.into())),
        }
    }

    /// The text, or None when it is not UTF-8.
    pub fn ok(&self) -> Option<&str> {
        self.0.as_deref().ok()
    }

    /// The text when it is UTF-8, owned.
    pub fn into_ok(self) -> Option<String> {
        self.0.ok()
    }

    /// The text, with what is not UTF-8 replaced (U+FFFD): for display only.
    pub fn into_lossy(self) -> String {
        self.0
            .unwrap_or_else(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }
}

impl FromDatum for Text {
    unsafe fn from_polymorphic_datum(
        datum: pg_sys::Datum,
        is_null: bool,
        _: pg_sys::Oid,
    ) -> Option<Self> {
        if is_null || datum.is_null() {
            return None;
        }
        let varlena = pg_sys::pg_detoast_datum_packed(datum.cast_mut_ptr());
        let bytes = pgrx::varlena::varlena_to_byte_slice(varlena);
        Some(Text(
            String::from_utf8(bytes.to_vec()).map_err(|e| e.into_bytes()),
        ))
    }
}

/// Only so that SPI results can be read as `Text` (pgrx asks for both directions).
impl pgrx::datum::IntoDatum for Text {
    fn into_datum(self) -> Option<pg_sys::Datum> {
        self.0.ok().and_then(|s| s.into_datum())
    }

    fn type_oid() -> pg_sys::Oid {
        pg_sys::TEXTOID
    }
}

/// Both are only ever passed to non-STRICT functions through `Option`, or to STRICT ones:
/// a NULL reaching `unbox_arg_unchecked` is a function declared without `Option` whose
/// sibling argument is optional, and is refused with 22004 instead of pgrx's panic.
macro_rules! arg_abi {
    ($ty:ty, $sql:literal, $what:literal) => {
        unsafe impl<'fcx> ArgAbi<'fcx> for $ty {
            unsafe fn unbox_arg_unchecked(arg: Arg<'_, 'fcx>) -> Self {
                match unsafe { arg.unbox_arg_using_from_datum() } {
                    Some(v) => v,
                    None => raise(&DbError::NullArgument($what)),
                }
            }
        }

        unsafe impl SqlTranslatable for $ty {
            const TYPE_IDENT: &'static str = pgrx::pgrx_resolved_type!($ty);
            const TYPE_ORIGIN: TypeOrigin = TypeOrigin::External;
            const ARGUMENT_SQL: Result<SqlMappingRef, ArgumentError> =
                Ok(SqlMappingRef::literal($sql));
            const RETURN_SQL: Result<ReturnsRef, ReturnsError> =
                Ok(ReturnsRef::One(SqlMappingRef::literal($sql)));
        }
    };
}

arg_abi!(RulesJson, "jsonb", "a ruleset");
arg_abi!(Text, "text", "the argument");

/// Names the extension stores and reads back into Rust (group names, custom-field keys and
/// allowed values, relation names) must be UTF-8: refused here, with 22021, when they are
/// defined, rather than failing every later maintenance.
#[pg_extern(immutable, parallel_safe, schema = "smart_groups_internal")]
fn _require_utf8(what: &str, value: Option<Text>) {
    if value.is_some_and(|v| v.ok().is_none()) {
        raise(&DbError::NotUtf8(what.to_string()));
    }
}
