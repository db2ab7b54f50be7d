//! A value to store, in the two ways the test writes rows: SQL statements (literals and
//! expressions such as `now() - interval '20 seconds'`) and COPY text format.

/// A column value: NULL, the Postgres input text of a value (typed by the target column), or
/// an SQL expression. Expressions cannot be sent through COPY; generators asked for COPY rows
/// never produce them.
#[derive(Debug, Clone, PartialEq)]
pub enum Sql {
    Null,
    Lit(String),
    Expr(String),
}

impl Sql {
    pub fn lit(s: impl Into<String>) -> Sql {
        Sql::Lit(s.into())
    }

    /// The value inside an SQL statement.
    pub fn sql(&self) -> String {
        match self {
            Sql::Null => "NULL".into(),
            Sql::Lit(s) => quote_literal(s),
            Sql::Expr(e) => e.clone(),
        }
    }

    /// The value as a COPY text-format field. An expression (a generator bug) is sent as its
    /// own text, which the server then refuses loudly rather than the test guessing a value.
    pub fn copy_field(&self) -> String {
        match self {
            Sql::Null => "\\N".into(),
            Sql::Lit(s) | Sql::Expr(s) => copy_escape(s),
        }
    }
}

/// A standard-conforming string literal: only `'` needs doubling (backslashes are literal).
pub fn quote_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// COPY text format: backslash starts an escape, tab and newline separate fields and rows.
fn copy_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            _ => out.push(c),
        }
    }
    out
}

/// A text[] input literal; every element quoted so that commas, braces, quotes, backslashes
/// and spaces survive, and `None` written as an unquoted NULL element.
pub fn array_literal(items: &[Option<&str>]) -> String {
    let parts: Vec<String> = items
        .iter()
        .map(|item| match item {
            None => "NULL".into(),
            Some(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
        })
        .collect();
    format!("{{{}}}", parts.join(","))
}

/// One COPY text-format line from fields.
pub fn copy_line(fields: &[Sql]) -> String {
    let mut out = fields
        .iter()
        .map(Sql::copy_field)
        .collect::<Vec<_>>()
        .join("\t");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_literal(r"O'Br\en"), r"'O''Br\en'");
        assert_eq!(
            array_literal(&[Some("a,b"), None, Some("q\"\\"), Some("")]),
            r#"{"a,b",NULL,"q\"\\",""}"#
        );
        let line = copy_line(&[Sql::Null, Sql::lit("a\tb\\c\nd"), Sql::lit("")]);
        assert_eq!(line, "\\N\ta\\tb\\\\c\\nd\t\n");
    }
}
