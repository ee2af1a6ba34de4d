//! The HTTP API (actix-web). `routes.rs` lists every route; one file per resource; handlers
//! parse, authorise, then run the use case on the blocking pool and map its result.

mod alerts;
pub mod auth;
mod body;
mod ingest;
mod masks;
mod monitoring;
pub mod openapi;
mod ops;
mod plans;
mod read;
mod retraining;
pub mod roles;
pub mod routes;
mod sites;
pub mod telemetry;

use std::sync::Arc;

use crate::config::Settings;
use crate::service::Clock;
use crate::storage::Store;

/// Shared state of every worker.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    pub metrics: Arc<telemetry::Metrics>,
    pub limiter: Arc<auth::RateLimiter>,
}

impl AppState {
    /// The evaluator's view of this state (this process's runner id in leases).
    pub fn evaluator_env(&self) -> crate::service::evaluation::EvaluatorEnv<'_> {
        crate::service::evaluation::EvaluatorEnv {
            store: &*self.store,
            clock: &*self.clock,
            runner: crate::service::evaluation::process_runner_id(),
            public_url: &self.settings.public_url,
            webhook_url: &self.settings.alert_webhook_url,
        }
    }

    pub fn new(store: Arc<dyn Store>, settings: Arc<Settings>, clock: Arc<dyn Clock>) -> Self {
        let limiter = Arc::new(auth::rate_limiter(
            settings.rate_limit_per_second,
            settings.rate_limit_burst,
        ));
        let metrics = Arc::new(telemetry::Metrics::new());
        Self {
            store,
            settings,
            clock,
            metrics,
            limiter,
        }
    }
}
