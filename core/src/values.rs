//! Typed reads of values written as text. (in progress)
