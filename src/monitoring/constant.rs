//! Columns that did not vary in the baseline: a scanner's fixed slice thickness, a protocol
//! constant, a version string turned number. Their spread is zero or negligible next to their
//! magnitude, so a chart standardised by it, or a KS test against it, would turn any rounding
//! difference into a permanent alarm. Such a column gets neither. Instead any value away from
//! the constant is a finding of its own kind (`constant:<column>`), raised on the first day it
//! is seen: "value changed from 0.78 to 0.5".

use super::findings::{Finding, FindingStatus, WindowKind, fingerprint};
use crate::stats::column_drift::NumericReference;

/// Spread below this share of a column's magnitude counts as none.
pub const NEGLIGIBLE: f64 = 1e-6;

/// A column that was constant in the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant {
    /// The value the baseline held (its median, so an exact stored value).
    pub value: f64,
    /// Largest distance from it that still counts as the same value.
    pub tolerance: f64,
}

/// The constant of a reference column, if its spread is zero or negligible.
pub fn constant_of(r: &NumericReference) -> Option<Constant> {
    let (first, last) = (r.sorted.first()?, r.sorted.last()?);
    let value = r.sorted[r.sorted.len() / 2];
    let negligible = r.std == 0.0 || r.std <= NEGLIGIBLE * r.mean.abs();
    negligible.then_some(Constant {
        value,
        tolerance: NEGLIGIBLE * value.abs() + (last - first),
    })
}

/// The day's finding for a constant column: a signal naming the most frequent new value when
/// any value left the constant, else ok. `None` without values.
pub fn constant_finding<'h>(
    constant: Constant,
    (stratum, day, column): (&str, chrono::NaiveDate, &str),
    values: &[f64],
    hashes: impl Iterator<Item = &'h str>,
) -> Option<Finding> {
    if values.is_empty() {
        return None;
    }
    let window = (WindowKind::Day, day, day + chrono::Duration::days(1));
    let rule = format!("constant:{column}");
    let mut f = Finding::new(
        stratum,
        window,
        rule,
        "constant",
        values.len() as u64,
        fingerprint(hashes),
    );
    let changed: Vec<f64> = values
        .iter()
        .copied()
        .filter(|v| (v - constant.value).abs() > constant.tolerance)
        .collect();
    f.limit = Some(constant.value);
    f.statistic = Some(changed.len() as f64);
    match most_frequent(&changed) {
        Some(new) => {
            f.status = FindingStatus::Signal;
            f.estimate = Some(new);
            f.note = Some(format!(
                "value changed from {} to {new} ({} of {} cases)",
                constant.value,
                changed.len(),
                values.len()
            ));
        }
        None => {
            f.status = FindingStatus::Ok;
            f.estimate = Some(constant.value);
        }
    }
    Some(f)
}

/// The most frequent value (the smallest among ties); NaN never counts.
fn most_frequent(values: &[f64]) -> Option<f64> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    sorted.sort_by(f64::total_cmp);
    let mut best: Option<(f64, usize)> = None;
    for run in sorted.chunk_by(|a, b| a == b) {
        if best.is_none_or(|(_, n)| run.len() > n) {
            best = Some((run[0], run.len()));
        }
    }
    best.map(|(v, _)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn reference(values: &[f64]) -> NumericReference {
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        NumericReference {
            sorted,
            edges: vec![],
            shares: vec![1.0],
            mean,
            std: var.sqrt(),
            n_missing: 0,
        }
    }

    #[test]
    fn zero_and_negligible_spread_are_constant_real_spread_is_not() {
        assert_eq!(constant_of(&reference(&[0.78; 50])).unwrap().value, 0.78);
        assert_eq!(constant_of(&reference(&[0.0; 5])).unwrap().value, 0.0);
        let noisy: Vec<f64> = (0..50).map(|i| 1.25 + f64::from(i % 3) * 1e-12).collect();
        assert!(constant_of(&reference(&noisy)).is_some());
        let real: Vec<f64> = (0..50).map(|i| 1.25 + f64::from(i % 3) * 0.01).collect();
        assert!(constant_of(&reference(&real)).is_none());
    }

    #[test]
    fn a_change_is_caught_on_the_first_day_and_named() {
        let c = constant_of(&reference(&[0.78; 50])).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let key = ("site=a", day, "pixel_spacing_mm");
        let same = constant_finding(c, key, &[0.78, 0.78], std::iter::empty()).unwrap();
        assert_eq!(same.status, FindingStatus::Ok);
        let one = [0.78, 0.5, 0.5, 0.6];
        let f = constant_finding(c, key, &one, std::iter::empty()).unwrap();
        assert_eq!(
            (f.status, f.rule.as_str()),
            (FindingStatus::Signal, "constant:pixel_spacing_mm")
        );
        assert_eq!(
            f.note.as_deref(),
            Some("value changed from 0.78 to 0.5 (3 of 4 cases)")
        );
        assert!(constant_finding(c, key, &[], std::iter::empty()).is_none());
    }
}
