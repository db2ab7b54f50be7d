//! How an error of any layer presents itself at the SQL boundary. Every error enum of the core
//! implements `Report`; the extension turns it into an `ErrorReport` with this SQLSTATE,
//! detail and hint, so no user mistake surfaces as 22000 or XX000.

pub trait Report: std::fmt::Display {
    /// Five-character SQLSTATE (e.g. "42703").
    fn sqlstate(&self) -> &'static str;
    fn detail(&self) -> Option<String> {
        None
    }
    fn hint(&self) -> Option<String> {
        None
    }
}

/// Edit distance, for did-you-mean suggestions.
pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest candidate within a distance that still looks like a typo of `word`.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let len = word.chars().count();
    // The distance costs the product of the two lengths: a name longer than any a person
    // would mistype gets no suggestion, so that a huge input cannot keep a backend busy.
    if len > SUGGEST_MAX_CHARS {
        return None;
    }
    let limit = (len / 3).max(2);
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        // The distance is at least the difference of the lengths.
        .filter(|c| c.chars().count().abs_diff(len) <= limit)
        // Case-insensitive distance decides; on a tie the spelling closest in case wins.
        .map(|c| {
            (
                (levenshtein(&lower, &c.to_lowercase()), levenshtein(word, c)),
                c,
            )
        })
        .filter(|((d, _), _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Longest word `did_you_mean` looks for a near spelling of.
pub const SUGGEST_MAX_CHARS: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["department", "location", "role"];
        assert_eq!(did_you_mean("departmnet", names), Some("department"));
        assert_eq!(did_you_mean("rol", names), Some("role"));
        assert_eq!(did_you_mean("salary", names), None);
        assert_eq!(did_you_mean("Anna", ["ann", "Ann"]), Some("Ann"));
    }

    #[test]
    fn huge_words_get_no_suggestion_at_once() {
        let huge = "x".repeat(3_000_000);
        // A quadratic distance over 3M characters would not end in this test's lifetime.
        assert_eq!(did_you_mean(&huge, [huge.as_str(), "role"]), None);
        let long = "y".repeat(SUGGEST_MAX_CHARS);
        assert_eq!(did_you_mean(&long, [long.as_str()]), Some(long.as_str()));
    }
}
