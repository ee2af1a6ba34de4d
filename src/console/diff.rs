//! Line diff between two PMS plan versions, for the model page: the plan is a controlled
//! document, and reviewers need to see exactly which thresholds changed between versions.

use similar::{ChangeTag, TextDiff};

/// How a line differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Same,
    Added,
    Removed,
}

/// One line of the diff, without its line break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    pub text: String,
}

/// The line diff from `old` to `new`.
pub fn line_diff(old: &str, new: &str) -> Vec<DiffLine> {
    TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| DiffLine {
            kind: match c.tag() {
                ChangeTag::Equal => LineKind::Same,
                ChangeTag::Insert => LineKind::Added,
                ChangeTag::Delete => LineKind::Removed,
            },
            text: c.value().trim_end_matches(['\n', '\r']).to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_threshold_is_one_removal_and_one_addition() {
        let old = "model = \"m\"\n[windows]\nfdr_q = 0.05\nmin_samples = 30\n";
        let new = "model = \"m\"\n[windows]\nfdr_q = 0.01\nmin_samples = 30\n";
        let d = line_diff(old, new);
        let changed: Vec<(LineKind, &str)> = d
            .iter()
            .filter(|l| l.kind != LineKind::Same)
            .map(|l| (l.kind, l.text.as_str()))
            .collect();
        assert_eq!(
            changed,
            [
                (LineKind::Removed, "fdr_q = 0.05"),
                (LineKind::Added, "fdr_q = 0.01")
            ]
        );
        assert_eq!(d.len(), 5);
    }

    #[test]
    fn identical_texts_have_no_changes() {
        assert!(
            line_diff("a\nb\n", "a\nb\n")
                .iter()
                .all(|l| l.kind == LineKind::Same)
        );
    }
}
