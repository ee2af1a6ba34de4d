//! Gathering a report's input from the ports: usage and quality aggregates through
//! `ReportCountSource` (rollups, never a scan of raw events in the report path), and the small
//! tables: device register, incidents with their latest report's IMDRF codes, findings,
//! alerts, shadow-run jobs, retraining requests, narrative drafts, the plan's k and the
//! previous report's key figures.

use std::collections::BTreeMap;

use chrono::{Duration, Months};

use super::reports::ReportError;
use crate::monitoring::findings::{FindingStatus, WindowKind};
use crate::monitoring::plan::PmsPlan;
use crate::reports::input::*;
use crate::reports::period::psur_months;
use crate::reports::{Period, ReportKind};
use crate::storage::alerts::AlertFilter;
use crate::storage::jobs::JobFilter;
use crate::storage::{FindingQuery, Store};
use crate::vigilance::deadline::ClockEventKind;
use crate::vigilance::device::{Device, DeviceSoftware};
use crate::vigilance::imdrf::{Annex, CodeList};
use crate::vigilance::stage::StageFields;

/// Periods N, N-1, N-2, N-3 (those ending on or after the device was first made available).
pub fn report_periods(device: &Device, kind: ReportKind, p: Period) -> Vec<Period> {
    let mut out = vec![p];
    let months = psur_months(device.mdr_class).filter(|_| kind == ReportKind::Psur);
    let len = p.to - p.from + Duration::days(1);
    for _ in 1..4 {
        let Some(last) = out.last().copied() else {
            break;
        };
        let to = last.from - Duration::days(1);
        let from = match months {
            Some(m) => last
                .from
                .checked_sub_months(Months::new(m))
                .unwrap_or(last.from),
            None => last.from - len,
        };
        if to < device.first_available {
            break;
        }
        out.push(Period { from, to });
    }
    out
}

/// A code and its level-2 term: `A090803` -> (`A0908`, term of A0908).
fn level2(codes: &CodeList, annex: Annex, code: &str) -> (String, String) {
    let short: String = if code.len() > 5 {
        code.chars().take(5).collect()
    } else {
        code.into()
    };
    let term = codes
        .check(annex, &short)
        .or_else(|_| codes.check(annex, code))
        .map(|t| t.term.clone())
        .unwrap_or_default();
    (short, term)
}

fn coded(codes: &CodeList, annex: Annex, list: &[String]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = list.iter().map(|c| level2(codes, annex, c)).collect();
    v.sort();
    v.dedup();
    v
}

/// The device's incidents with awareness dates in `span`, with their latest class and codes.
pub fn incidents(
    store: &dyn Store,
    codes: &CodeList,
    models: &[String],
    span: Period,
) -> Result<Vec<IncidentFacts>, ReportError> {
    let mut out = Vec::new();
    for i in store.incidents()? {
        if !models.contains(&i.model_id) || !span.contains(i.awareness_date) {
            continue;
        }
        let clock = store.clock_events(&i.id)?;
        let seriousness = clock.last().and_then(|e| match e.kind {
            ClockEventKind::NotReportable => None,
            _ => e.seriousness.map(|s| {
                serde_json::to_value(s)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()
            }),
        });
        let reports = store.reports(&i.id)?;
        let last = reports.last();
        let fields: StageFields = last
            .and_then(|r| serde_json::from_value(r.fields.clone()).ok())
            .unwrap_or_default();
        out.push(IncidentFacts {
            device_problems: coded(codes, Annex::A, &fields.device_problem_codes),
            findings: coded(codes, Annex::C, &fields.investigation_finding_codes),
            conclusions: coded(codes, Annex::D, &fields.investigation_conclusion_codes),
            health_impacts: coded(codes, Annex::F, &fields.health_impact_codes),
            stage: last.map(|r| r.stage.as_str().to_string()),
            report_date: last.map(|r| r.created_at.date_naive()),
            root_causes: fields.root_causes,
            corrective_action: fields.corrective_action,
            corrective_action_schedule: fields.corrective_action_schedule,
            risk_assessment_adequate: fields.risk_assessment_adequate,
            id: i.id,
            model_id: i.model_id,
            awareness_date: i.awareness_date,
            countries: i.countries,
            seriousness,
        });
    }
    out.sort_by(|a, b| (a.awareness_date, &a.id).cmp(&(b.awareness_date, &b.id)));
    Ok(out)
}

/// Chart series (tumbling mean Dice, stratum `all`) and signalled findings in the period.
pub fn findings(
    store: &dyn Store,
    models: &[String],
    p: Period,
) -> Result<(Vec<ChartSeries>, Vec<FindingFacts>), ReportError> {
    let (mut charts, mut signals) = (Vec::new(), Vec::new());
    let end = p.to + Duration::days(1);
    for m in models {
        let q = FindingQuery {
            model_id: Some(m.clone()),
            from: Some(p.from),
            limit: 100_000,
            ..FindingQuery::default()
        };
        let mut series: BTreeMap<String, ChartSeries> = BTreeMap::new();
        for f in store
            .findings(&q)?
            .into_iter()
            .map(|s| s.finding)
            .filter(|f| f.window_end <= end)
        {
            if f.status == FindingStatus::Signal {
                signals.push(FindingFacts {
                    model_id: m.clone(),
                    rule: f.rule.clone(),
                    stratum: f.stratum.clone(),
                    window_end: f.window_end,
                    method: f.method.clone(),
                    estimate: f.estimate,
                    q_value: f.q_value,
                    fingerprint: f.fingerprint.clone(),
                });
            }
            let label = f.rule.strip_prefix("mean_dice:");
            if let (Some(label), WindowKind::Tumbling, "all", Some(est)) =
                (label, f.window, f.stratum.as_str(), f.estimate)
            {
                let s = series
                    .entry(label.to_string())
                    .or_insert_with(|| ChartSeries {
                        model_id: m.clone(),
                        label: label.to_string(),
                        points: Vec::new(),
                        limit: None,
                    });
                s.points.push((f.window_end - Duration::days(1), est));
                s.limit = f.limit.or(s.limit);
            }
        }
        charts.extend(series.into_values().filter(|s| !s.points.is_empty()));
    }
    Ok((charts, signals))
}

/// Alerts of the device's model versions opened in the period, with their incident.
pub fn alerts(
    store: &dyn Store,
    models: &[String],
    p: Period,
) -> Result<Vec<AlertFacts>, ReportError> {
    let mut out = Vec::new();
    for m in models {
        let filter = AlertFilter {
            state: None,
            model: Some(m.clone()),
            limit: 10_000,
            after: None,
        };
        for a in store
            .alerts(&filter)?
            .into_iter()
            .filter(|a| p.contains(a.opened_at.date_naive()))
        {
            let incident_id = store.incident_for_alert(&a.id)?.map(|i| i.id);
            out.push(AlertFacts {
                opened: a.opened_at.date_naive(),
                state: serde_json::to_value(a.state)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                closed: a.closed_at.map(|c| c.date_naive()),
                incident_id,
                id: a.id,
                model_id: a.model,
                rule: a.rule,
                stratum: a.stratum,
            });
        }
    }
    out.sort_by(|a, b| (a.opened, &a.id).cmp(&(b.opened, &b.id)));
    Ok(out)
}

/// Shadow runs whose candidate is a version of one of the device's models, created in the period.
pub fn shadow_runs(
    store: &dyn Store,
    names: &[String],
    p: Period,
) -> Result<Vec<ShadowFacts>, ReportError> {
    let filter = JobFilter {
        kind: Some(crate::service::shadow_job::KIND.into()),
        limit: 10_000,
        ..JobFilter::default()
    };
    let name_of = |id: &str| id.split('@').next().unwrap_or("").to_string();
    let mut out: Vec<ShadowFacts> = store
        .jobs(&filter)?
        .into_iter()
        .filter(|j| p.contains(j.created_at.date_naive()))
        .filter_map(|j| {
            let candidate = j.payload.get("candidate")?.as_str()?.to_string();
            names.contains(&name_of(&candidate)).then(|| ShadowFacts {
                baseline: j
                    .payload
                    .get("baseline")
                    .and_then(|b| b.as_str())
                    .unwrap_or("-")
                    .to_string(),
                state: j.state.as_str().into(),
                passed: j
                    .result
                    .as_ref()
                    .and_then(|r| r.get("passed"))
                    .and_then(|v| v.as_bool()),
                mean_difference: j
                    .result
                    .as_ref()
                    .and_then(|r| r.get("mean_difference"))
                    .and_then(|v| v.as_f64()),
                finished: j.finished_at.map(|f| f.date_naive()),
                id: j.id,
                candidate,
            })
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The largest `min_cell_k` of the plans in force for the device's models (5 without a plan:
/// the plan's default).
pub fn min_cell_k(store: &dyn Store, names: &[String]) -> Result<u64, ReportError> {
    let mut k = 0u64;
    for name in names {
        if let Some(plan) = store.plans(name)?.into_iter().last() {
            let declared =
                crate::service::plans::declared_features(store, name).unwrap_or_default();
            if let Ok(p) = PmsPlan::parse(&plan.body, &declared) {
                k = k.max(u64::from(p.windows.min_cell_k));
            }
        }
    }
    Ok(if k == 0 { 5 } else { k })
}

/// The model names of a device's software versions, sorted and unique.
pub fn model_names(software: &[DeviceSoftware]) -> Vec<String> {
    let mut names: Vec<String> = software
        .iter()
        .map(|s| s.model_id.split('@').next().unwrap_or("").to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}
