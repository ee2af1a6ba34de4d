//! The HTTP API (actix-web). `routes.rs` lists every route; one file per resource; handlers
//! parse, authorise, then run the use case on the blocking pool and map its result.

mod alerts;
mod audit;
pub mod auth;
mod body;
pub mod deadline;
mod device_groups;
mod devices;
pub mod held_reviews;
mod incidents;
mod ingest;
pub mod jobs;
mod masks;
mod monitoring;
pub mod openapi;
mod openapi_contract;
mod openapi_limits;
mod openapi_strict;
#[cfg(test)]
mod openapi_walk_tests;
mod ops;
pub mod paging;
mod plan_backtest;
mod plans;
mod read;
pub(crate) mod reports;
mod retraining;
pub mod roles;
pub mod routes;
pub mod security;
pub mod shadow;
pub mod shadow_runs;
mod sites;
pub mod telemetry;
mod telemetry_db;
mod telemetry_held;
mod telemetry_vigilance;
pub mod text_guard;
mod trend;

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
    /// Registered job kinds (`app::job_registry` fills it).
    pub jobs: Arc<crate::jobs::Registry>,
    pub blobs: Arc<dyn crate::blobs::BlobStore>,
    /// Device register, incidents, holiday calendar and IMDRF codes.
    pub vigilance: crate::service::vigilance::Vigilance,
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
            blobs: &*self.blobs,
        }
    }

    pub fn new(store: Arc<dyn Store>, settings: Arc<Settings>, clock: Arc<dyn Clock>) -> Self {
        let limiter = Arc::new(auth::rate_limiter(
            settings.rate_limit_per_second,
            settings.rate_limit_burst,
        ));
        let metrics = Arc::new(telemetry::Metrics::new());
        let jobs = Arc::new(crate::jobs::Registry::new(settings.job_max_attempts));
        let blobs = Arc::new(crate::blobs::DirBlobStore::new(&settings.blob_dir));
        let store_for_vigilance = store.clone();
        Self {
            store,
            settings,
            clock,
            metrics,
            limiter,
            jobs,
            blobs,
            // The calendar and code list are embedded data checked by their unit tests.
            vigilance: crate::service::vigilance::Vigilance::new(
                store_for_vigilance.clone(),
                store_for_vigilance,
            )
            .expect("the embedded holiday calendar parses"),
        }
    }

    /// A job runner over this state's store, blobs, clock and registered kinds.
    pub fn runner(&self, id: &str) -> crate::jobs::Runner {
        crate::jobs::Runner {
            store: self.store.clone(),
            blobs: self.blobs.clone(),
            clock: self.clock.clone(),
            registry: self.jobs.clone(),
            id: id.into(),
            config: self.runner_config(),
            shutdown: Arc::new(std::sync::atomic::AtomicBool::new(false)),
        }
    }

    /// Lease and retry timing from the settings (`job_lease_s`, `job_backoff_s`).
    pub fn runner_config(&self) -> crate::jobs::RunnerConfig {
        let secs = |s: u64| chrono::Duration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 1000));
        crate::jobs::RunnerConfig {
            lease: secs(self.settings.job_lease_s),
            backoff_base: secs(self.settings.job_backoff_s),
            backoff_max: chrono::Duration::hours(1),
        }
    }
}
