//! Warnings that do not block a ruleset: values that are valid but probably not what the
//! writer meant. (Data-aware warnings, such as a value no user has, are appended later by the
//! database layer, which can see the data.)

use super::error::{SpaceIssue, ValidationError};
use super::walk::Ctx;

/// Text comparisons are exact, so stray whitespace silently matches nobody. Warned once per
/// value, the outer whitespace first since it is the likelier typo.
pub(super) fn check_spaces(ctx: &mut Ctx, value: &str, path: &str) {
    let leading = value.starts_with(char::is_whitespace);
    let trailing = value.ends_with(char::is_whitespace);
    let issue = match (leading, trailing) {
        (true, true) => SpaceIssue::LeadingAndTrailing,
        (true, false) => SpaceIssue::Leading,
        (false, true) => SpaceIssue::Trailing,
        (false, false) if value.contains("  ") => SpaceIssue::DoubleSpace,
        (false, false) => return,
    };
    ctx.report(
        path.to_string(),
        ValidationError::Whitespace {
            value: value.to_string(),
            issue,
        },
    );
}
