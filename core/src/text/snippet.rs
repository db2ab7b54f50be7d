//! Locating a syntax error for people: line and column, the token found there, and the
//! offending line with a caret under the spot.

/// Lines longer than this many characters are shown as a window around the error, so that a
/// 64 KiB one-line ruleset does not produce a 64 KiB error detail.
const WINDOW: usize = 100;
/// Found tokens longer than this many characters are cut short.
const TOKEN_CHARS: usize = 40;

pub(super) struct Spot {
    pub line: usize,
    pub column: usize,
    pub caret: String,
}

/// Where byte `offset` of `whole` is. An offset inside a character (never produced by the
/// parser) is moved back to the character's start rather than panicking.
pub(super) fn locate(whole: &str, offset: usize) -> Spot {
    let mut offset = offset.min(whole.len());
    while !whole.is_char_boundary(offset) {
        offset -= 1;
    }
    let (before, after) = whole.split_at(offset);
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let (_, line_head) = before.split_at(line_start);
    let line_tail = after.split('\n').next().unwrap_or("");
    let column = line_head.chars().count();
    let text: String = format!("{line_head}{line_tail}");
    Spot {
        line: before.matches('\n').count() + 1,
        column: column + 1,
        caret: caret_under(text.trim_end_matches('\r'), column),
    }
}

/// The line (or a window of it) and, below it, a caret under character `column` (0-based).
fn caret_under(line: &str, column: usize) -> String {
    let chars: Vec<char> = line.chars().collect();
    let start = column
        .saturating_sub(WINDOW / 2)
        .min(chars.len().saturating_sub(WINDOW));
    let end = (start + WINDOW).min(chars.len());
    let mut shown = String::new();
    let mut pad = String::new();
    if start > 0 {
        shown.push_str("...");
        pad.push_str("   ");
    }
    shown.extend(chars.iter().take(end).skip(start));
    if end < chars.len() {
        shown.push_str("...");
    }
    // Tabs are copied so that the caret lines up wherever the terminal puts tab stops.
    pad.extend(
        chars
            .iter()
            .take(column)
            .skip(start)
            .map(|&c| if c == '\t' { '\t' } else { ' ' }),
    );
    format!("{shown}\n{pad}^")
}

/// The next token of `rest`, for "found ...": quoted, or "end of input".
pub(super) fn describe_found(rest: &str) -> String {
    let Some(first) = rest.chars().next() else {
        return "end of input".to_string();
    };
    let token = if first == '"' {
        return format!("the string {}", shorten(string_token(rest)));
    } else if is_token_char(first) {
        take_while(rest, is_token_char)
    } else if "<>=!".contains(first) {
        take_while(rest, |c| "<>=!".contains(c))
    } else if first == '\\' {
        // A bad escape: show the backslash with the character it tried to escape.
        let len = rest.chars().take(2).map(char::len_utf8).sum();
        rest.get(..len).unwrap_or(rest)
    } else {
        rest.get(..first.len_utf8()).unwrap_or(rest)
    };
    format!("\"{}\"", shorten(token))
}

/// Words, numbers and dates, with their inner punctuation (`manager.name`, `2024-01-31`).
fn is_token_char(c: char) -> bool {
    c.is_alphanumeric() || "_$.-/:+".contains(c)
}

fn take_while(text: &str, keep: impl Fn(char) -> bool) -> &str {
    let end = text.find(|c: char| !keep(c)).unwrap_or(text.len());
    text.get(..end).unwrap_or(text)
}

/// A string literal up to its closing quote, or to the end of its line when unterminated.
fn string_token(rest: &str) -> &str {
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            '\n' => return rest.get(..i).unwrap_or(rest),
            '"' if !escaped => return rest.get(..i + 1).unwrap_or(rest),
            _ => escaped = c == '\\' && !escaped,
        }
    }
    rest
}

fn shorten(token: &str) -> String {
    match token.char_indices().nth(TOKEN_CHARS) {
        Some((i, _)) => format!("{}...", token.get(..i).unwrap_or(token)),
        None => token.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_character_columns() {
        let text = "a = 1 and\n  héllo = x";
        let spot = locate(text, text.find('x').unwrap_or(0));
        assert_eq!((spot.line, spot.column), (2, 11));
        assert_eq!(spot.caret, "  héllo = x\n          ^");
    }

    #[test]
    fn end_of_input_after_newline_is_on_an_empty_line() {
        let spot = locate("a =\n", 4);
        assert_eq!((spot.line, spot.column), (2, 1));
        assert_eq!(spot.caret, "\n^");
    }

    #[test]
    fn long_lines_are_windowed() {
        let line = format!("{}bad{}", "x".repeat(500), "y".repeat(500));
        let spot = locate(&line, 500);
        let (shown, caret) = spot.caret.split_once('\n').unwrap_or_default();
        assert!(shown.starts_with("...") && shown.ends_with("..."));
        assert_eq!(shown.find("bad"), Some(caret.len() - 1));
        assert_eq!(spot.column, 501);
    }

    #[test]
    fn tabs_and_carriage_returns() {
        let spot = locate("\ta = \r\nb", 5);
        assert_eq!(spot.caret, "\ta = \n\t    ^");
    }

    #[test]
    fn found_tokens() {
        assert_eq!(describe_found(""), "end of input");
        assert_eq!(describe_found("and x"), "\"and\"");
        assert_eq!(describe_found("2024-01-31T10:00 x"), "\"2024-01-31T10:00\"");
        assert_eq!(describe_found("<= 3"), "\"<=\"");
        assert_eq!(describe_found("\\n\""), "\"\\n\"");
        assert_eq!(describe_found("\"a\\\"b\" c"), "the string \"a\\\"b\"");
        assert_eq!(describe_found("\"abc\ndef"), "the string \"abc");
        assert_eq!(describe_found("(a"), "\"(\"");
        assert_eq!(
            describe_found(&"z".repeat(50)),
            format!("\"{}...\"", "z".repeat(40))
        );
    }
}
