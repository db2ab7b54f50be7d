//! Errors of the text form: `TextError`, the nom error every grammar rule returns, and
//! `ParseError`, the public error it becomes once its position is located in the whole input.

use super::snippet;
use crate::limits::{MAX_DEPTH, MAX_RULESET_BYTES};
use crate::report::Report;
use nom::error::{ContextError, ErrorKind};

/// Why the text form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("syntax error at line {line}, column {column}: expected {expected}, found {found}")]
    Syntax {
        /// Byte offset of the failure in the input.
        offset: usize,
        /// 1-based.
        line: usize,
        /// 1-based, counted in characters.
        column: usize,
        expected: String,
        /// The next token (quoted), or "end of input".
        found: String,
        /// The offending line and a caret under the failure.
        snippet: String,
        hint: Option<&'static str>,
    },
    #[error("ruleset text is {bytes} bytes long, more than the limit of {limit} bytes", limit = MAX_RULESET_BYTES)]
    TooLarge { bytes: usize },
    #[error("ruleset is nested more than {limit} levels deep", limit = MAX_DEPTH)]
    TooDeep,
}

impl Report for ParseError {
    fn sqlstate(&self) -> &'static str {
        match self {
            ParseError::Syntax { .. } => "42601",
            ParseError::TooLarge { .. } => "54000",
            ParseError::TooDeep => "54001",
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            ParseError::Syntax { snippet, .. } => Some(snippet.clone()),
            _ => None,
        }
    }

    fn hint(&self) -> Option<String> {
        match self {
            ParseError::Syntax { hint, .. } => hint.map(str::to_string),
            ParseError::TooLarge { .. } => Some(
                "split the rules over several groups and combine them with member of".into(),
            ),
            ParseError::TooDeep => Some(
                "flatten nested groups, or move part of the rules into another group and use member of"
                    .into(),
            ),
        }
    }
}

/// What a grammar rule expected, as shown after "expected" in the message.
pub(super) mod expected {
    pub const RULE: &str =
        "a rule (a field name, \"not\", \"has\", \"member of\", \"all of\", \"any of\" or \"(\")";
    pub const OPERATOR: &str =
        "an operator (=, !=, <, <=, >, >=, contains, starts with, ends with, \
         in, is empty, between, on, before, after, within last, includes, ...)";
    pub const VALUE: &str = "a value (a \"string\", number, date, true/false or a (list))";
    pub const VALUE_OR_LIST_END: &str = "a value or \")\"";
    pub const LIST_END: &str = "\",\" or \")\"";
    pub const END: &str = "\"and\", \"or\" or end of input";
    pub const PAREN_END: &str = "\"and\", \"or\" or \")\"";
    pub const GROUP_END: &str = "\",\", \"and\", \"or\" or \")\"";
    pub const RULE_OR_GROUP_END: &str = "a rule or \")\"";
    pub const OPEN_PAREN: &str = "\"(\"";
    pub const OF: &str = "\"of\"";
    pub const GROUP_NAME: &str = "a group name in double quotes";
    pub const RELATION: &str = "a relation name";
    pub const COUNT: &str = "a count (a whole number)";
    pub const STRING_END: &str = "a closing \" (the string is never closed)";
    pub const STRING_ESCAPE: &str = "\\\" or \\\\ after a backslash in a string";
    pub const NAME_END: &str = "a closing ` (the name is never closed)";
    pub const NAME_ESCAPE: &str = "\\` or \\\\ after a backslash in a `name`";
    pub const WITH: &str = "\"with\"";
    pub const CASE: &str = "\"case\"";
    pub const IGNORING_CASE: &str = "\"ignoring case\"";
    pub const NOT: &str = "\"not\"";
    pub const CONTAIN_OR_INCLUDE: &str = "\"contain\" or \"include\"";
    pub const IN_OR_WITHIN_LAST: &str = "\"in\" or \"within last\"";
    pub const EMPTY: &str = "\"empty\" or \"not empty\"";
    pub const LAST: &str = "\"last\"";
    pub const DURATION: &str = "a duration such as 30 days, or a value";
}

fn hint_for(expected: &str) -> Option<&'static str> {
    Some(match expected {
        expected::RULE => {
            "a rule starts with a field name, not, has, member of, all of (...), any of (...) \
             or a parenthesis; a name that is a keyword goes in backticks, like `not`"
        }
        expected::OPERATOR => {
            "the operators are = != <> < <= > >= on before after, between A and B, \
             within last N unit, not within last N unit, contains, does not contain, starts with, \
             ends with, equals ignoring case, contains ignoring case, starts with ignoring case, \
             ends with ignoring case, in (...), not in (...), is empty, is not empty, includes, \
             does not include, includes any (...), includes all (...); a name with spaces or \
             other characters goes in backticks, like `shirt size`"
        }
        expected::VALUE | expected::VALUE_OR_LIST_END | expected::DURATION => {
            "write strings in double quotes (\"manager\"), dates as 2024-01-31 or 01/31/2024, \
             lists as (\"a\", \"b\")"
        }
        expected::OF => {
            "member of \"Group\" tests membership; a field named member is written `member`"
        }
        expected::GROUP_NAME => "write the group name in double quotes: member of \"Sales\"",
        expected::COUNT => "a count is a whole number, as in has at least 3 clicks",
        expected::STRING_END => {
            "a string runs from one double quote to the next; write \\\" for a \
             double quote inside it"
        }
        expected::STRING_ESCAPE => {
            "inside a string only \\\" and \\\\ are escapes; every other \
             character, newlines included, is written as it is"
        }
        expected::NAME_END | expected::NAME_ESCAPE => {
            "a name in backticks runs to the next backtick; \
             write \\` for a backtick and \\\\ for a backslash inside it"
        }
        _ => return None,
    })
}

/// The error of every grammar rule. It keeps the unparsed rest of the input where it failed,
/// which, the rest always being a suffix of the whole input, fixes the byte offset of the
/// failure: `whole.len() - rest.len()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TextError<'a> {
    rest: &'a str,
    expected: Option<&'static str>,
    too_deep: bool,
}

impl<'a> TextError<'a> {
    /// A failure at `rest` whose expectation an enclosing `context` will name.
    pub(super) fn at(rest: &'a str) -> Self {
        TextError {
            rest,
            expected: None,
            too_deep: false,
        }
    }

    pub(super) fn expecting(rest: &'a str, expected: &'static str) -> Self {
        TextError {
            rest,
            expected: Some(expected),
            too_deep: false,
        }
    }

    pub(super) fn too_deep(rest: &'a str) -> Self {
        TextError {
            rest,
            expected: None,
            too_deep: true,
        }
    }

    pub(super) fn into_parse_error(self, whole: &str) -> ParseError {
        if self.too_deep {
            return ParseError::TooDeep;
        }
        // Point at the token itself, not at the blanks before it.
        let rest = self.rest.trim_start();
        let offset = whole.len().saturating_sub(rest.len());
        let expected = self.expected.unwrap_or(expected::RULE);
        let spot = snippet::locate(whole, offset);
        ParseError::Syntax {
            offset,
            line: spot.line,
            column: spot.column,
            expected: expected.to_string(),
            found: snippet::describe_found(rest),
            snippet: spot.caret,
            hint: hint_for(expected),
        }
    }
}

impl<'a> nom::error::ParseError<&'a str> for TextError<'a> {
    fn from_error_kind(input: &'a str, _kind: ErrorKind) -> Self {
        TextError::at(input)
    }

    /// The innermost error knows best what was expected.
    fn append(_input: &'a str, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    /// Of two failed alternatives, the one that got further into the input tells the user
    /// more: it matched the start of what they wrote.
    fn or(self, other: Self) -> Self {
        match self.rest.len().cmp(&other.rest.len()) {
            std::cmp::Ordering::Less => self,
            std::cmp::Ordering::Greater => other,
            std::cmp::Ordering::Equal if other.expected.is_none() && self.expected.is_some() => {
                self
            }
            std::cmp::Ordering::Equal => other,
        }
    }
}

impl<'a> ContextError<&'a str> for TextError<'a> {
    /// Contexts nest from specific to general; only the most specific one is kept.
    fn add_context(_input: &'a str, ctx: &'static str, mut other: Self) -> Self {
        if other.expected.is_none() {
            other.expected = Some(ctx);
        }
        other
    }
}
