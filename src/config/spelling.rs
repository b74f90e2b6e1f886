//! Edit distance, to suggest the intended key for a misspelt one ("db_pasword" → "db_passwd").

/// Levenshtein distance between two short strings.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Whether `typed` is probably a misspelling of `known`: at most one edit per three characters.
pub fn close(typed: &str, known: &str) -> bool {
    distance(typed, known) <= (typed.chars().count() / 3).max(1)
}

#[cfg(test)]
mod tests {
    use super::{close, distance};

    #[test]
    fn counts_edits() {
        assert_eq!(distance("db_pasword", "db_passwd"), 3);
        assert!(close("db_pasword", "db_passwd"));
        assert!(close("adaptor", "adapter"));
        assert!(!close("db_name", "db_user"));
        assert_eq!(distance("db_host", "db_host"), 0);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
