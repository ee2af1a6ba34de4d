//! The fleet overview's rows: per site its last contact and studies this week, per model
//! version its studies this week and active alerts. Built from the daily counts the store
//! already keeps, so the overview costs a few queries, not a scan of the events.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::alerting::alert::Alert;
use crate::domain::model::ModelVersion;
use crate::domain::site::Site;
use crate::storage::DailyCount;

/// Days counted as "this week": today and the six before.
pub const WEEK_DAYS: i64 = 7;

/// One site on the overview.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteRow {
    pub id: String,
    pub name: String,
    pub country: String,
    pub disabled: bool,
    /// Last UTC day with an event or review from the site.
    pub last_contact: Option<NaiveDate>,
    pub studies_week: i64,
}

/// One model version on the overview.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRow {
    pub id: String,
    pub name: String,
    pub version: String,
    pub studies_week: i64,
    /// Open, acknowledged or escalated alerts.
    pub active_alerts: usize,
}

fn in_week(day: NaiveDate, today: NaiveDate) -> bool {
    let age = (today - day).num_days();
    (0..WEEK_DAYS).contains(&age)
}

/// Site rows in the order of `sites`.
pub fn site_rows(sites: &[Site], counts: &[DailyCount], today: NaiveDate) -> Vec<SiteRow> {
    let mut last: HashMap<&str, NaiveDate> = HashMap::new();
    let mut week: HashMap<&str, i64> = HashMap::new();
    for c in counts.iter().filter(|c| c.events + c.reviews > 0) {
        let e = last.entry(c.site_id.as_str()).or_insert(c.day);
        *e = (*e).max(c.day);
        if in_week(c.day, today) {
            *week.entry(c.site_id.as_str()).or_default() += c.events;
        }
    }
    sites
        .iter()
        .map(|s| SiteRow {
            id: s.id.clone(),
            name: s.name.clone(),
            country: s.country.clone(),
            disabled: s.disabled,
            last_contact: last.get(s.id.as_str()).copied(),
            studies_week: week.get(s.id.as_str()).copied().unwrap_or(0),
        })
        .collect()
}

/// Model rows in the order of `models`; `alerts` may hold any states.
pub fn model_rows(
    models: &[ModelVersion],
    counts: &[DailyCount],
    alerts: &[Alert],
    today: NaiveDate,
) -> Vec<ModelRow> {
    models
        .iter()
        .map(|m| ModelRow {
            id: m.id.clone(),
            name: m.name.clone(),
            version: m.version.clone(),
            studies_week: counts
                .iter()
                .filter(|c| c.model_id == m.id && in_week(c.day, today))
                .map(|c| c.events)
                .sum(),
            active_alerts: alerts
                .iter()
                .filter(|a| a.closed_at.is_none() && (a.model == m.id || a.model == m.name))
                .count(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn count(site: &str, d: &str, events: i64) -> DailyCount {
        DailyCount {
            site_id: site.into(),
            model_id: "m@1.0.0".into(),
            day: day(d),
            events,
            reviews: 0,
        }
    }

    fn site(id: &str) -> Site {
        let t: DateTime<Utc> = DateTime::from_timestamp(0, 0).unwrap();
        Site {
            id: id.into(),
            name: id.into(),
            country: "DE".into(),
            disabled: false,
            created_at: t,
            key_rotated_at: t,
        }
    }

    #[test]
    fn week_counts_today_and_six_days_back_and_last_contact_is_the_latest_day() {
        let counts = [
            count("a", "2026-11-20", 5),
            count("a", "2026-11-14", 3),
            count("a", "2026-11-13", 100),
            count("b", "2026-10-01", 7),
        ];
        let rows = site_rows(
            &[site("a"), site("b"), site("c")],
            &counts,
            day("2026-11-20"),
        );
        assert_eq!(rows[0].studies_week, 8);
        assert_eq!(rows[0].last_contact, Some(day("2026-11-20")));
        assert_eq!(
            (rows[1].studies_week, rows[1].last_contact),
            (0, Some(day("2026-10-01")))
        );
        assert_eq!((rows[2].studies_week, rows[2].last_contact), (0, None));
    }
}
