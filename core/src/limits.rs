//! Limits on ruleset size and shape (docs/reference/rules.md). Readers enforce them while reading, so
//! that hostile input cannot exhaust the stack or memory before validation sees it.

/// Rulesets larger than this many bytes (JSON or text) are refused.
pub const MAX_RULESET_BYTES: usize = 64 * 1024;

/// Nesting deeper than this many levels (see `ast::depth`) is refused.
pub const MAX_DEPTH: usize = 32;
