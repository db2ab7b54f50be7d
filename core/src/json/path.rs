//! JSON paths of problems (COMMON conventions): keys joined with `.`, indexes in `[i]`, and
//! the root is the empty string.

pub(crate) fn key(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}.{key}")
    }
}

pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_keys_and_indexes() {
        assert_eq!(key("", "all"), "all");
        assert_eq!(index(&key("", "all"), 2), "all[2]");
        assert_eq!(key("all[2]", "op"), "all[2].op");
        assert_eq!(index("value", 0), "value[0]");
    }
}
