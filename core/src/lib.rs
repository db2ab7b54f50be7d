//! The rule language of smart_groups, free of pgrx so that it is tested with plain
//! `cargo test`: parse (JSON, text) → AST → validate against a catalog → compile to SQL.

pub mod ast;
pub mod catalog;
pub mod checked;
pub mod compile;
pub mod eval;
pub mod formats;
pub mod json;
pub mod limits;
pub mod read;
pub mod rename;
pub mod report;
pub mod text;
pub mod validate;
pub mod values;
