//! Prometheus metrics kept in this process: ingest counts by kind, outcome and site, HTTP
//! latency by method and route template, evaluation job runs, the database pool and the
//! process itself (CPU, memory, open files). Labels are bounded: site ids and route
//! templates yes, case or event ids never; methods outside the standard set count as
//! `other`. What the database knows (alerts, findings, backlog, last contact) is read at
//! scrape time by `telemetry_db.rs`. Every metric is listed in README's Operations section.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::core::Collector;
use prometheus::{Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec};
use prometheus::{Opts, Registry};

use super::AppState;
use super::telemetry_db::DbGauges;
use super::telemetry_held::HeldMetrics;
use super::telemetry_vigilance::VigilanceGauges;
use crate::storage::EvaluationJob;
use crate::storage::ops::OpsStore;

/// The registry and every metric Vigil exports.
pub struct Metrics {
    pub registry: Registry,
    pub ingest_items: IntCounterVec,
    pub ingest_batches_refused: IntCounterVec,
    pub request_seconds: HistogramVec,
    pub pool_connections: IntGaugeVec,
    pub pool_max: IntGauge,
    pub evaluation_runs: IntCounterVec,
    pub evaluation_seconds: Histogram,
    audit_checkpoint_entries: IntGauge,
    audit_checkpoint_at: prometheus::Gauge,
    db: DbGauges,
    vigilance: VigilanceGauges,
    pub held: HeldMetrics,
    ops: OnceLock<Arc<dyn OpsStore>>,
    /// One scrape at a time: the database gauges are reset and refilled per scrape.
    scrape: Mutex<()>,
}

// The metric definitions are constants, so registration can only fail on a programming
// error (a bad name or a duplicate), which every test that starts the app would catch.
pub(super) fn register<C: Collector + Clone + 'static>(registry: &Registry, c: C) -> C {
    registry
        .register(Box::new(c.clone()))
        .expect("metric definition");
    c
}

pub(super) fn counter_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    register(
        r,
        IntCounterVec::new(Opts::new(name, help), labels).expect("metric definition"),
    )
}

pub(super) fn gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    register(
        r,
        IntGaugeVec::new(Opts::new(name, help), labels).expect("metric definition"),
    )
}

const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const JOB_BUCKETS: [f64; 10] = [0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0];

impl Metrics {
    pub fn new() -> Self {
        let r = Registry::new();
        let request_seconds = HistogramVec::new(
            HistogramOpts::new(
                "vigil_http_request_duration_seconds",
                "HTTP request latency by method, route template and status",
            )
            .buckets(LATENCY_BUCKETS.to_vec()),
            &["method", "route", "status"],
        )
        .expect("metric definition");
        let evaluation_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "vigil_evaluation_job_duration_seconds",
                "Run time of evaluation jobs this process finished",
            )
            .buckets(JOB_BUCKETS.to_vec()),
        )
        .expect("metric definition");
        let pool_max = IntGauge::new(
            "vigil_db_pool_max_connections",
            "Most connections the database pool may open",
        )
        .expect("metric definition");
        #[cfg(target_os = "linux")]
        r.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .expect("metric definition");
        let ingest_items = counter_vec(
            &r,
            "vigil_ingest_items_total",
            "Ingested items by kind (events, reviews), outcome (accepted, duplicate, held) and site",
            &["kind", "outcome", "site"],
        );
        Self {
            held: HeldMetrics::new(&r, ingest_items.clone()),
            ingest_items,
            ingest_batches_refused: counter_vec(
                &r,
                "vigil_ingest_batches_refused_total",
                "Refused ingest batches by kind, reason and site",
                &["kind", "reason", "site"],
            ),
            request_seconds: register(&r, request_seconds),
            pool_connections: gauge_vec(
                &r,
                "vigil_db_pool_connections",
                "Open database pool connections by state (idle, in_use)",
                &["state"],
            ),
            pool_max: register(&r, pool_max),
            evaluation_runs: counter_vec(
                &r,
                "vigil_evaluation_jobs_finished_total",
                "Evaluation jobs this process finished, by status (done, failed)",
                &["status"],
            ),
            evaluation_seconds: register(&r, evaluation_seconds),
            audit_checkpoint_entries: register(
                &r,
                IntGauge::new(
                    "vigil_audit_checkpoint_entries",
                    "Audit entries counted by the latest signed checkpoint this process made",
                )
                .expect("metric definition"),
            ),
            audit_checkpoint_at: register(
                &r,
                prometheus::Gauge::new(
                    "vigil_audit_checkpoint_timestamp_seconds",
                    "When this process made its latest signed audit checkpoint (Unix time)",
                )
                .expect("metric definition"),
            ),
            db: DbGauges::new(&r),
            vigilance: VigilanceGauges::new(&r),
            ops: OnceLock::new(),
            scrape: Mutex::new(()),
            registry: r,
        }
    }

    /// Give the metrics their database source (once, at start-up).
    pub fn attach_ops(&self, ops: Arc<dyn OpsStore>) {
        let _ = self.ops.set(ops);
    }

    /// Show the latest signed audit checkpoint (count and time; the hash is in the log).
    pub fn observe_checkpoint(&self, cp: &crate::domain::audit_checkpoint::Checkpoint) {
        self.audit_checkpoint_entries.set(cp.entries);
        self.audit_checkpoint_at
            .set(cp.at.timestamp_millis() as f64 / 1000.0);
    }

    /// Count and time the evaluation jobs a run of the evaluator just finished.
    pub fn observe_jobs(&self, jobs: &[EvaluationJob]) {
        for job in jobs {
            if job.status != "done" && job.status != "failed" {
                continue;
            }
            self.evaluation_runs
                .with_label_values(&[job.status.as_str()])
                .inc();
            if let (Some(s), Some(f)) = (job.started_at, job.finished_at) {
                let secs = (f - s).num_milliseconds().max(0) as f64 / 1000.0;
                self.evaluation_seconds.observe(secs);
            }
        }
    }

    /// Render the text exposition format after refreshing the pool and database gauges.
    /// Blocking (it queries the database): call it on the blocking pool.
    pub fn render(&self, state: &AppState) -> String {
        let _one = self.scrape.lock().unwrap_or_else(|p| p.into_inner());
        let pool = state.store.pool_state();
        self.pool_connections
            .with_label_values(&["idle"])
            .set(i64::from(pool.idle));
        self.pool_connections
            .with_label_values(&["in_use"])
            .set(i64::from(pool.connections.saturating_sub(pool.idle)));
        self.pool_max.set(i64::from(pool.max));
        if let Some(ops) = self.ops.get() {
            self.db.refresh(&**ops, state.clock.now());
        }
        self.vigilance.refresh(&state.vigilance, state.clock.now());
        self.held.refresh(&*state.store);
        let mut out = String::new();
        let _ = prometheus::TextEncoder::new().encode_utf8(&self.registry.gather(), &mut out);
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The method as a bounded label: the standard methods by name, anything else `other`.
pub fn method_label(m: &Method) -> &'static str {
    const STANDARD: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::DELETE, "DELETE"),
        (Method::CONNECT, "CONNECT"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::TRACE, "TRACE"),
        (Method::PATCH, "PATCH"),
    ];
    STANDARD
        .iter()
        .find(|(k, _)| k == m)
        .map_or("other", |(_, name)| name)
}

/// Middleware: time each request and count it under its route template.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    // Unmatched paths share one label so scanners cannot mint new series.
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let method = method_label(req.method());
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    // An inner middleware may answer with an error (the request deadline's 503): it counts
    // under the status actix will render for it.
    let res = next.call(req).await;
    let status = match &res {
        Ok(r) => r.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    if let Some(m) = metrics {
        m.request_seconds
            .with_label_values(&[method, &route, &status.as_u16().to_string()])
            .observe(started.elapsed().as_secs_f64());
    }
    tracing::debug!(http.method = %method, http.route = %route, http.status = status.as_u16(), "request");
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_outside_the_standard_set_are_other() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::PATCH), "PATCH");
        let odd = Method::from_bytes(b"PROPFIND").unwrap();
        assert_eq!(method_label(&odd), "other");
    }
}
