//! Silent sites and strata: a site (or a stratum of the plan, or the whole model) that has sent
//! data and then sends nothing for longer than the plan's `alerts.silent_after_days` raises its
//! own alert, `No data from site=X since DAY`, on the `silence` stream. A day with data from it
//! again is a clear evaluation, so the alert resolves by the plan's usual hysteresis. Pure: the
//! evaluator passes the days it holds (the rolling window), newest last.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::columns::{CaseObs, ReviewObs, keys_of};
use super::evaluator::StreamSignal;
use super::explain::{Evidence, text, title};
use super::plan::{PmsPlan, Severity, Stratum};

/// The stream name of silence alerts.
pub const RULE: &str = "silence";

/// The last day each stratum key (`all`, `site=…`, the plan's strata) had a case or review.
pub fn last_seen<'a>(
    plan: &PmsPlan,
    days: impl IntoIterator<Item = (NaiveDate, &'a [CaseObs], &'a [ReviewObs])>,
) -> BTreeMap<String, NaiveDate> {
    let mut dims: Vec<Stratum> = plan.windows.strata.clone();
    if !dims.contains(&Stratum::Site) {
        dims.push(Stratum::Site);
    }
    let mut out = BTreeMap::new();
    for (day, cases, reviews) in days {
        let values = cases
            .iter()
            .map(|c| &c.strata)
            .chain(reviews.iter().map(|r| &r.strata));
        for v in values {
            for k in keys_of(&dims, v) {
                let seen = out.entry(k).or_insert(day);
                *seen = (*seen).max(day);
            }
        }
    }
    out
}

/// One signal per known stratum for `day`: crossing when it has been silent for more than the
/// plan allows, clear when it sent data on `day`; nothing in between (a short gap is no news).
pub fn silence_signals(
    plan: &PmsPlan,
    last_seen: &BTreeMap<String, NaiveDate>,
    day: NaiveDate,
) -> Vec<StreamSignal> {
    let allowed = i64::from(plan.alerts.silent_after_days);
    if allowed == 0 {
        return Vec::new();
    }
    last_seen
        .iter()
        .filter_map(|(stratum, &last)| {
            let silent_days = (day - last).num_days();
            let crossing = silent_days > allowed;
            if !crossing && silent_days != 0 {
                return None;
            }
            let evidence = Evidence {
                rule: RULE.into(),
                rule_words: format!(
                    "a site or stratum that sent data signals when it sends nothing for more \
                     than {allowed} days (plan: alerts.silent_after_days)"
                ),
                stratum: stratum.clone(),
                trigger: if crossing { "silence" } else { "none" }.into(),
                unit: "days without data".into(),
                current: Some(silent_days as f64),
                acceptance_limit: Some(allowed as f64),
                first_evidence: last.succ_opt(),
                last_data: Some(last),
                ..Evidence::default()
            };
            Some(StreamSignal {
                stratum: stratum.clone(),
                rule: RULE.into(),
                crossing,
                severity: Severity::Medium,
                title: title(&evidence),
                summary: text(&evidence),
                evidence,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitoring::columns::StratumValues;

    const PLAN: &str = "model = \"m\"\n[windows]\nrolling_days = 14\nstrata = [\"scanner_model\"]\n[alerts]\nsilent_after_days = 3\n";

    fn case(day: NaiveDate, site: &str) -> CaseObs {
        CaseObs {
            day,
            strata: StratumValues {
                site: site.into(),
                scanner_model: "Force".into(),
                ..StratumValues::default()
            },
            numeric: BTreeMap::new(),
            scanner: String::new(),
            content_hash: String::new(),
            output_status: "ok".into(),
        }
    }

    #[test]
    fn a_site_silent_longer_than_the_plan_allows_signals_and_data_clears_it() {
        let plan = PmsPlan::parse(PLAN, &[]).unwrap();
        let d = |n: i64| NaiveDate::from_ymd_opt(2026, 3, 1).unwrap() + chrono::Duration::days(n);
        let (a, b) = (
            vec![case(d(0), "a"), case(d(0), "b")],
            vec![case(d(5), "b")],
        );
        let days = [(d(0), &a[..], &[][..]), (d(5), &b[..], &[][..])];
        let seen = last_seen(&plan, days);
        assert_eq!(seen["site=a"], d(0));
        assert_eq!(seen["scanner_model=Force"], d(5));
        // Day 3 is the third silent day: allowed. Day 4 is the fourth: a signal.
        assert!(silence_signals(&plan, &seen, d(3)).is_empty());
        let on_day_5 = silence_signals(&plan, &seen, d(5));
        let a = on_day_5.iter().find(|s| s.stratum == "site=a").unwrap();
        assert!(a.crossing);
        assert_eq!(a.title, "No data from site=a since 2026-03-01");
        assert!(a.summary.contains("more than 3 days"), "{}", a.summary);
        let b = on_day_5.iter().find(|s| s.stratum == "site=b").unwrap();
        assert!(!b.crossing, "data on the day is a clear evaluation");
    }

    #[test]
    fn zero_turns_the_check_off() {
        let plan = PmsPlan::parse(&PLAN.replace("= 3", "= 0"), &[]).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let seen = BTreeMap::from([("site=a".to_string(), d)]);
        assert!(silence_signals(&plan, &seen, d + chrono::Duration::days(30)).is_empty());
    }
}
