//! Metrics read from the database at scrape time through the `OpsStore` port: last contact
//! per site, open alerts, findings, evaluation jobs, outbox backlog and stored reviews.
//! Each family is reset and refilled per scrape, so a label that no longer has rows (an
//! alert resolved, a site disabled) disappears instead of keeping a stale value. These are
//! the same on every replica (one database); dashboards take `max` across instances.

use chrono::{DateTime, Utc};
use prometheus::{Gauge, IntCounter, IntGaugeVec, Registry};

use super::telemetry::{gauge_vec, register};
use crate::storage::ops::{LabelCount, OpsStore};

fn plain_gauge(r: &Registry, name: &str, help: &str) -> Gauge {
    register(r, Gauge::new(name, help).expect("metric definition"))
}

fn float_gauge(r: &Registry, name: &str, help: &str, labels: &[&str]) -> prometheus::GaugeVec {
    register(
        r,
        prometheus::GaugeVec::new(prometheus::Opts::new(name, help), labels)
            .expect("metric definition"),
    )
}

/// The gauges filled from one `OpsSnapshot`.
pub struct DbGauges {
    last_contact: prometheus::GaugeVec,
    alerts_open: IntGaugeVec,
    findings: IntGaugeVec,
    jobs: IntGaugeVec,
    last_success: prometheus::GaugeVec,
    last_duration: prometheus::GaugeVec,
    queued_age: Gauge,
    outbox_pending: IntGaugeVec,
    outbox_retrying: IntGaugeVec,
    outbox_age: Gauge,
    reviews: IntGaugeVec,
    queue_jobs: IntGaugeVec,
    errors: IntCounter,
}

impl DbGauges {
    pub fn new(r: &Registry) -> Self {
        let errors = IntCounter::new(
            "vigil_metrics_database_errors_total",
            "Scrapes whose database figures could not be read",
        )
        .expect("metric definition");
        Self {
            last_contact: float_gauge(
                r,
                "vigil_site_last_contact_timestamp_seconds",
                "When each enabled site's last event arrived (Unix time)",
                &["site"],
            ),
            alerts_open: gauge_vec(
                r,
                "vigil_alerts_open",
                "Alerts not yet resolved, by severity and state",
                &["severity", "state"],
            ),
            findings: gauge_vec(
                r,
                "vigil_monitoring_findings",
                "Stored findings by kind (drift, mean_dice, below_floor, edit_rate, rejection_rate) and status",
                &["kind", "status"],
            ),
            jobs: gauge_vec(
                r,
                "vigil_evaluation_jobs",
                "Evaluation jobs in the database by status (queued = queue depth)",
                &["status"],
            ),
            last_success: float_gauge(
                r,
                "vigil_evaluation_last_success_timestamp_seconds",
                "When each model's last successful evaluation finished (Unix time)",
                &["model"],
            ),
            last_duration: float_gauge(
                r,
                "vigil_evaluation_last_duration_seconds",
                "Run time of each model's last successful evaluation",
                &["model"],
            ),
            queued_age: plain_gauge(
                r,
                "vigil_evaluation_oldest_queued_age_seconds",
                "Age of the oldest queued evaluation job (0 when none waits)",
            ),
            outbox_pending: gauge_vec(
                r,
                "vigil_outbox_pending_messages",
                "Notifications not yet delivered, by channel",
                &["channel"],
            ),
            outbox_retrying: gauge_vec(
                r,
                "vigil_outbox_retrying_messages",
                "Undelivered notifications that already failed at least once, by channel",
                &["channel"],
            ),
            outbox_age: plain_gauge(
                r,
                "vigil_outbox_oldest_pending_age_seconds",
                "Age of the oldest undelivered notification (0 when none waits)",
            ),
            reviews: gauge_vec(
                r,
                "vigil_reviews_stored",
                "Stored clinician reviews by outcome (accepted, edited, rejected)",
                &["outcome"],
            ),
            queue_jobs: gauge_vec(
                r,
                "vigil_jobs",
                "Queue jobs (shadow runs, reports, ...) by kind and state",
                &["kind", "state"],
            ),
            errors: register(r, errors),
        }
    }

    /// Replace every database gauge with what the database says now.
    pub fn refresh(&self, ops: &dyn OpsStore, now: DateTime<Utc>) {
        let snap = match ops.ops_snapshot() {
            Ok(s) => s,
            Err(e) => {
                // Keep the last values: a scrape during a database blip should not make
                // every gauge vanish; the counter and /readyz show the failure.
                tracing::warn!(error = %e, "metrics: database figures unavailable");
                self.errors.inc();
                return;
            }
        };
        let age = |t: Option<DateTime<Utc>>| {
            t.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
        };
        self.last_contact.reset();
        for (site, at) in &snap.last_contact {
            if let Some(at) = at {
                self.last_contact
                    .with_label_values(&[site.as_str()])
                    .set(unix(*at));
            }
        }
        fill(&self.alerts_open, &snap.open_alerts);
        fill(&self.findings, &snap.findings);
        fill(&self.jobs, &snap.evaluations);
        self.last_success.reset();
        self.last_duration.reset();
        for (model, at, secs) in &snap.last_evaluation {
            let m = [model.as_str()];
            self.last_success.with_label_values(&m).set(unix(*at));
            self.last_duration.with_label_values(&m).set(*secs);
        }
        self.queued_age.set(age(snap.oldest_queued_evaluation));
        fill(&self.outbox_pending, &snap.outbox_pending);
        fill(&self.outbox_retrying, &snap.outbox_retrying);
        self.outbox_age.set(age(snap.outbox_oldest));
        fill(&self.reviews, &snap.reviews);
        fill(&self.queue_jobs, &snap.jobs);
    }
}

fn unix(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

fn fill(g: &IntGaugeVec, rows: &[LabelCount]) {
    g.reset();
    for row in rows {
        let labels: Vec<&str> = row.labels.iter().map(String::as_str).collect();
        g.with_label_values(&labels).set(row.count);
    }
}
