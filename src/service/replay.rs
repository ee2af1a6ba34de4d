//! In-process replay of a fleet's traffic with the clock, for measuring the monitor: day by
//! day the traffic is ingested through the same use cases as the API (privacy screen, checks,
//! idempotent storage), the baseline is frozen from the first days after go-live, and from
//! then on the daily evaluation runs as the scheduler would run it just after midnight. The
//! result is every alert raised and every stream the monitor evaluated.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::Value;

use super::FixedClock;
use super::admin::{Actor, add_model, add_site};
use super::baselines::{FreezeSpec, freeze_baseline};
use super::evaluation::{EvaluatorEnv, request_evaluation, run_queued};
use super::ingest::{ingest_events, ingest_reviews};
use super::plans::set_plan;
use crate::alerting::alert::Alert;
use crate::blobs::BlobStore;
use crate::domain::model::FeatureSchema;
use crate::domain::site::Site;
use crate::monitoring::findings::FindingStatus;
use crate::storage::{AlertFilter, FindingQuery, Store};

/// What to set up before the first day.
pub struct ReplaySetup {
    pub model: String,
    pub version: String,
    pub schema: FeatureSchema,
    pub plan: String,
    /// (id, name, country) per site, in the order traffic refers to them.
    pub sites: Vec<(String, String, String)>,
    pub start: NaiveDate,
    pub days: u32,
    /// Days after go-live frozen as the baseline; monitoring starts after them.
    pub freeze_days: u32,
}

/// One site's traffic on one day (wire items as sites send them).
pub struct DayTraffic {
    pub site: usize,
    pub events: Vec<Value>,
    pub reviews: Vec<Value>,
}

/// What the replay produced.
#[derive(Debug, Clone)]
pub struct ReplayLog {
    pub alerts: Vec<Alert>,
    /// (stratum, rule) of every stream that was tested at least once.
    pub streams: BTreeSet<(String, String)>,
    pub monitored_from: NaiveDate,
    /// Exclusive.
    pub monitored_to: NaiveDate,
    pub events: u64,
    pub reviews: u64,
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()
}

/// Run the replay; `traffic(day)` gives a day's items, `progress(day)` is told each day done.
pub fn replay(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    setup: &ReplaySetup,
    mut traffic: impl FnMut(u32) -> Vec<DayTraffic>,
    mut progress: impl FnMut(u32),
) -> Result<ReplayLog, String> {
    let actor = Actor("vigil:simulate".into());
    let t0 = midnight(setup.start);
    add_model(
        store,
        &actor,
        &setup.model,
        &setup.version,
        setup.schema.clone(),
        t0,
    )
    .map_err(|e| e.to_string())?;
    let mut sites: Vec<Site> = Vec::new();
    for (id, name, country) in &setup.sites {
        let (site, _) =
            add_site(store, &actor, id, name, country, t0).map_err(|e| e.to_string())?;
        sites.push(site);
    }
    set_plan(store, &actor, &setup.model, &setup.plan, t0).map_err(|e| e.to_string())?;
    let mut log = ReplayLog {
        alerts: Vec::new(),
        streams: BTreeSet::new(),
        monitored_from: setup.start + Duration::days(i64::from(setup.freeze_days)),
        monitored_to: setup.start + Duration::days(i64::from(setup.days)),
        events: 0,
        reviews: 0,
    };
    let limits = super::ingest::IngestLimits::default();
    for day in 0..setup.days {
        let date = setup.start + Duration::days(i64::from(day));
        // Items of the day, reviews possibly the next morning, are all in the past by then.
        let received = midnight(date + Duration::days(2));
        for t in traffic(day) {
            let site = &sites[t.site];
            for chunk in t.events.chunks(1000) {
                let r = ingest_events(store, site, chunk.to_vec(), &limits, received)
                    .map_err(|e| format!("day {day}: events refused: {e:?}"))?;
                log.events += r.accepted as u64;
            }
            for chunk in t.reviews.chunks(1000) {
                let r = ingest_reviews(store, site, chunk.to_vec(), &limits, received)
                    .map_err(|e| format!("day {day}: reviews refused: {e:?}"))?;
                log.reviews += r.accepted as u64;
            }
        }
        let next = date + Duration::days(1);
        if day + 1 == setup.freeze_days {
            let spec = FreezeSpec::FirstDays(setup.freeze_days);
            freeze_baseline(
                store,
                &actor,
                (&setup.model, &setup.version),
                spec,
                midnight(next),
            )
            .map_err(|e| e.to_string())?;
        } else if day + 1 > setup.freeze_days {
            evaluate(store, blobs, &setup.model, next)?;
        }
        progress(day);
    }
    let model_id = format!("{}@{}", setup.model, setup.version);
    let filter = AlertFilter {
        state: None,
        model: Some(model_id.clone()),
        limit: 1_000_000,
        after: None,
    };
    log.alerts = store.alerts(&filter).map_err(|e| e.to_string())?;
    let query = FindingQuery {
        model_id: Some(model_id),
        limit: 100_000_000,
        ..FindingQuery::default()
    };
    for f in store.findings(&query).map_err(|e| e.to_string())? {
        if f.finding.status != FindingStatus::Insufficient {
            log.streams.insert((f.finding.stratum, f.finding.rule));
        }
    }
    Ok(log)
}

/// The daily evaluation as the scheduler runs it five minutes after midnight.
fn evaluate(
    store: &dyn Store,
    blobs: &dyn BlobStore,
    model: &str,
    as_of: NaiveDate,
) -> Result<(), String> {
    let at = midnight(as_of) + Duration::minutes(5);
    let clock = FixedClock::at(at);
    let actor = Actor("vigil:schedule".into());
    request_evaluation(store, &actor, model, Some(as_of), "schedule", at)
        .map_err(|e| e.to_string())?;
    let env = EvaluatorEnv {
        store,
        clock: &clock,
        runner: "replay",
        public_url: "",
        webhook_url: "",
        blobs,
    };
    for job in run_queued(&env).map_err(|e| e.to_string())? {
        if let Some(e) = job.error {
            return Err(format!("evaluation of {as_of} failed: {e}"));
        }
    }
    Ok(())
}
