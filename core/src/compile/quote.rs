//! Quoting of everything that reaches SQL text: identifiers, string literals, numbers, LIKE
//! patterns and table aliases. Nothing a user wrote may reach the SQL any other way.

use crate::ast::Number;
use crate::catalog::TableName;

/// A double-quoted identifier; `"` inside is doubled. Always quoted, so that case, spaces and
/// keywords in app table and column names survive.
pub fn quote_ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// A string literal that reads the same whatever `standard_conforming_strings` is: a plain
/// `'…'` literal only when there is no backslash (the one character whose meaning depends on
/// that setting); otherwise an `E'…'` literal, whose meaning never depends on it.
///
/// A NUL character cannot be stored in Postgres text, so no value can match it; it is written
/// as the escape `\000`, which Postgres refuses with SQLSTATE 22021 instead of the query text
/// being silently cut at the NUL by the C string boundary.
pub fn quote_literal(s: &str) -> String {
    if !s.contains(['\\', '\0']) {
        return format!("'{}'", s.replace('\'', "''"));
    }
    let mut out = String::with_capacity(s.len() + 4);
    out.push_str("E'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("''"),
            '\0' => out.push_str("\\000"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// `"schema"."name"`: tables are always schema-qualified so that `search_path` cannot
/// redirect a group's predicate to another table.
pub fn qualified(t: &TableName) -> String {
    format!("{}.{}", quote_ident(&t.schema), quote_ident(&t.name))
}

/// A number literal as the user wrote it. Bare, so that integer columns keep their indexes;
/// negative ones in parentheses so that `- 5` can never meet a preceding operator (`--`
/// would start a comment). The text is JSON number grammar (checked by `Number::parse`), which
/// Postgres reads as a numeric constant.
pub fn number(n: &Number) -> String {
    let s = n.as_str();
    if s.starts_with('-') {
        format!("({s})")
    } else {
        s.to_string()
    }
}

/// A bare integer (group ids), parenthesized when negative for the same reason as `number`.
pub fn integer(n: i64) -> String {
    if n < 0 {
        format!("({n})")
    } else {
        n.to_string()
    }
}

/// The escape character of every LIKE pattern we build. Not the backslash, so that patterns
/// stay plain literals in the common case.
pub const LIKE_ESCAPE: char = '!';

/// `s` as a LIKE pattern matching only itself: `%`, `_` and the escape character are escaped.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_') || c == LIKE_ESCAPE {
            out.push(LIKE_ESCAPE);
        }
        out.push(c);
    }
    out
}

/// Reserved words short enough to look like the aliases we generate.
const SHORT_RESERVED: [&str; 7] = ["as", "do", "in", "is", "on", "or", "to"];

/// A table alias as it appears in SQL. Our own aliases (`u`, `f1`, `m2`, `sg1`) stay bare for
/// readability; anything else a caller passes is quoted, so a caller's alias can never be a
/// keyword or change the statement.
pub fn alias(a: &str) -> String {
    let letters = a.trim_end_matches(|c: char| c.is_ascii_digit());
    let simple =
        (1..=2).contains(&letters.len()) && letters.chars().all(|c| c.is_ascii_lowercase());
    let reserved = letters.len() == a.len() && SHORT_RESERVED.contains(&a);
    if simple && !reserved {
        a.to_string()
    } else {
        quote_ident(a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals() {
        assert_eq!(quote_literal("abc"), "'abc'");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal(r"a\b"), r"E'a\\b'");
        assert_eq!(quote_literal(r"'\'"), r"E'''\\'''");
        assert_eq!(quote_literal("a\0b"), r"E'a\000b'");
        assert_eq!(quote_literal(""), "''");
    }

    #[test]
    fn identifiers() {
        assert_eq!(quote_ident("a"), "\"a\"");
        assert_eq!(quote_ident("user\"s"), "\"user\"\"s\"");
        let t = TableName {
            schema: "My Schema".into(),
            name: "user\"s".into(),
        };
        assert_eq!(qualified(&t), "\"My Schema\".\"user\"\"s\"");
    }

    #[test]
    fn numbers() {
        let n = |s: &str| Number::parse(s).map(|n| number(&n));
        assert_eq!(n("5").as_deref(), Some("5"));
        assert_eq!(n("-5.5e-3").as_deref(), Some("(-5.5e-3)"));
        assert_eq!(integer(-3), "(-3)");
        assert_eq!(integer(7), "7");
    }

    #[test]
    fn like_patterns() {
        assert_eq!(like_escape("50%_off!"), "50!%!_off!!");
        assert_eq!(like_escape(r"a\b"), r"a\b");
    }

    #[test]
    fn aliases() {
        assert_eq!(alias("u"), "u");
        assert_eq!(alias("sg12"), "sg12");
        assert_eq!(alias("in"), "\"in\"");
        assert_eq!(alias("in1"), "in1");
        assert_eq!(alias("users"), "\"users\"");
        assert_eq!(alias("U"), "\"U\"");
        assert_eq!(alias("x\"y"), "\"x\"\"y\"");
        assert_eq!(alias(""), "\"\"");
        assert_eq!(alias("1"), "\"1\"");
    }
}
