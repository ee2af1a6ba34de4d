//! What the alert page shows beside the alert itself: the stream's daily points as a chart
//! series (the same picture the alert e-mail carries) and its window findings, newest first.

use crate::alerting::chart::SignalSeries;
use crate::monitoring::findings::WindowKind;
use crate::storage::StoredFinding;

/// Window findings shown on the alert page.
pub const TABLE_ROWS: usize = 20;

/// The daily points of the stream, x in days before the last point; the limit of the newest
/// rolling mean-Dice finding when the stream is a mean Dice. `None` without daily points.
pub fn series(title: &str, findings: &[StoredFinding]) -> Option<SignalSeries> {
    let days: Vec<&StoredFinding> = findings
        .iter()
        .filter(|f| f.finding.window == WindowKind::Day && f.finding.estimate.is_some())
        .collect();
    let last = days.iter().map(|f| f.finding.window_start).max()?;
    let points = days
        .iter()
        .filter_map(|f| {
            let x = (f.finding.window_start - last).num_days() as f64;
            f.finding.estimate.map(|y| (x, y))
        })
        .collect();
    let limit = findings
        .iter()
        .rev()
        .find(|f| {
            f.finding.window == WindowKind::Rolling && f.finding.rule.starts_with("mean_dice:")
        })
        .and_then(|f| f.finding.limit);
    Some(SignalSeries {
        title: title.to_string(),
        y_label: format!("daily mean, days before {last}"),
        points,
        limit,
    })
}

/// Tumbling and rolling findings, newest first, at most `TABLE_ROWS`.
pub fn window_findings(findings: &[StoredFinding]) -> Vec<&StoredFinding> {
    let mut out: Vec<&StoredFinding> = findings
        .iter()
        .filter(|f| f.finding.window != WindowKind::Day)
        .collect();
    out.sort_by_key(|f| std::cmp::Reverse(f.finding.window_end));
    out.truncate(TABLE_ROWS);
    out
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Duration, NaiveDate};

    use super::*;
    use crate::monitoring::findings::Finding;

    fn stored(kind: WindowKind, day: i64, estimate: f64, limit: Option<f64>) -> StoredFinding {
        let start = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap() + Duration::days(day);
        let mut f = Finding::new(
            "all",
            (kind, start, start + Duration::days(1)),
            "mean_dice:liver".into(),
            "t_interval",
            20,
            String::new(),
        );
        (f.estimate, f.limit) = (Some(estimate), limit);
        StoredFinding {
            evaluation_id: "e".into(),
            seq: day,
            model_id: "m@1".into(),
            plan_version: 1,
            baseline_id: "b".into(),
            finding: f,
            created_at: DateTime::from_timestamp(0, 0).unwrap(),
        }
    }

    #[test]
    fn daily_points_count_back_from_the_last_day_with_the_rolling_limit() {
        let f = vec![
            stored(WindowKind::Day, 0, 0.93, None),
            stored(WindowKind::Day, 2, 0.90, None),
            stored(WindowKind::Rolling, 2, 0.91, Some(0.9)),
        ];
        let s = series("t", &f).unwrap();
        assert_eq!(s.points, vec![(-2.0, 0.93), (0.0, 0.90)]);
        assert_eq!(s.limit, Some(0.9));
        assert_eq!(window_findings(&f).len(), 1);
        assert!(series("t", &f[2..]).is_none());
    }
}
