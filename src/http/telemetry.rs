//! Prometheus metrics: ingest counts by outcome, request latency by route template (bounded
//! labels: never ids), and database pool gauges. Exposed at `GET /metrics`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

use super::AppState;

/// The registry and every metric Vigil exports.
pub struct Metrics {
    pub registry: Registry,
    pub ingest_items: IntCounterVec,
    pub ingest_batches_refused: IntCounterVec,
    pub request_seconds: HistogramVec,
    pub pool_connections: IntGaugeVec,
}

impl Metrics {
    pub fn new() -> Self {
        // The definitions are constants, so construction can only fail on a programming
        // error, caught by every test that starts the app.
        let ingest_items = IntCounterVec::new(
            Opts::new(
                "vigil_ingest_items_total",
                "Ingested items by kind and outcome",
            ),
            &["kind", "outcome"],
        )
        .expect("metric definition");
        let ingest_batches_refused = IntCounterVec::new(
            Opts::new(
                "vigil_ingest_batches_refused_total",
                "Refused ingest batches by kind and reason",
            ),
            &["kind", "reason"],
        )
        .expect("metric definition");
        let buckets = vec![
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let request_seconds = HistogramVec::new(
            HistogramOpts::new(
                "vigil_http_request_duration_seconds",
                "HTTP request latency by route template",
            )
            .buckets(buckets),
            &["method", "route", "status"],
        )
        .expect("metric definition");
        let pool_connections = IntGaugeVec::new(
            Opts::new(
                "vigil_db_pool_connections",
                "Database pool connections by state",
            ),
            &["state"],
        )
        .expect("metric definition");
        let registry = Registry::new();
        let collectors: [Box<dyn prometheus::core::Collector>; 4] = [
            Box::new(ingest_items.clone()),
            Box::new(ingest_batches_refused.clone()),
            Box::new(request_seconds.clone()),
            Box::new(pool_connections.clone()),
        ];
        for c in collectors {
            registry.register(c).expect("metric registered once");
        }
        Self {
            registry,
            ingest_items,
            ingest_batches_refused,
            request_seconds,
            pool_connections,
        }
    }

    /// Render the text exposition format, refreshing the pool gauges first.
    pub fn render(&self, state: &AppState) -> String {
        let pool = state.store.pool_state();
        self.pool_connections
            .with_label_values(&["idle"])
            .set(pool.idle as i64);
        self.pool_connections
            .with_label_values(&["in_use"])
            .set((pool.connections - pool.idle) as i64);
        self.pool_connections
            .with_label_values(&["max"])
            .set(pool.max as i64);
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

/// Middleware: time each request and count it under its route template.
pub async fn observe(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_string());
    let method = req.method().to_string();
    let metrics = req
        .app_data::<web::Data<AppState>>()
        .map(|s| s.metrics.clone());
    let res = next.call(req).await?;
    if let Some(m) = metrics {
        let status = res.status().as_u16().to_string();
        m.request_seconds
            .with_label_values(&[&method, &route, &status])
            .observe(started.elapsed().as_secs_f64());
    }
    tracing::debug!(http.method = %method, http.route = %route, http.status = res.status().as_u16(), "request");
    Ok(res)
}
