//! The only place that wires concrete implementations together. The caller hands in the
//! listener (tests bind port 0) and gets a running server plus its handle for shutdown.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::alerting::smtp::mailer_from_settings;
use crate::alerting::webhook::Courier;
use crate::blobs::{BlobStore, DirBlobStore};
use crate::config::Settings;
use crate::http::AppState;
use crate::http::routes::configure;
use crate::http::security;
use crate::http::telemetry::observe;
use crate::jobs::Registry;
use crate::jobs::worker::WorkerPool;
use crate::service::audit_checkpoints::current_checkpoint;
use crate::service::deadline_warnings::{WarningPolicy, queue_deadline_warnings};
use crate::service::evaluation::evaluator_round;
use crate::service::notify::{Mailer, dispatch_due};
use crate::service::{Clock, SystemClock};
use crate::storage::StoreError;
use crate::storage::diesel::DieselStore;
use crate::storage::ops::OpsStore;
use crate::storage::s3_blobs::S3BlobStore;
use crate::tls::ReloadingCert;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Tls(#[from] crate::tls::TlsError),
    #[error("blob store: {0}")]
    Blobs(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

/// Every job kind and its handler. A capability with long work adds its kind here, one
/// `register` line, with the ports its handler needs taken from the state.
pub fn job_registry(state: &AppState) -> Registry {
    let mut registry = Registry::new(state.settings.job_max_attempts);
    registry.register(
        crate::jobs::KindSpec::new(crate::service::shadow_job::KIND),
        Arc::new(crate::service::shadow_job::ShadowRunHandler {
            store: state.store.clone(),
        }),
    );
    let evaluation = crate::service::evaluation_job::EvaluationKind {
        store: state.store.clone(),
        public_url: state.settings.public_url.clone(),
        webhook_url: state.settings.alert_webhook_url.clone(),
    };
    registry.register(
        crate::service::evaluation_job::kind_spec(),
        Arc::new(evaluation),
    );
    registry.register(
        crate::jobs::KindSpec::new(crate::service::reports::KIND),
        Arc::new(crate::service::reports::ReportHandler {
            store: state.store.clone(),
            codes: state.vigilance.codes.clone(),
        }),
    );
    registry.register(
        crate::jobs::probe::kind_spec(),
        Arc::new(crate::jobs::probe::Probe),
    );
    registry
}

/// Start `job_runners` runner threads over the state's queue; `None` (logged) if the threads
/// cannot be spawned.
pub fn start_runners(state: &AppState) -> Option<WorkerPool> {
    let runner = state.runner(crate::service::evaluation::process_runner_id());
    let poll = std::time::Duration::from_secs(1);
    match WorkerPool::start(runner, state.settings.job_runners, poll) {
        Ok(pool) => Some(pool),
        Err(e) => {
            tracing::error!(error = %e, "cannot start job runners");
            None
        }
    }
}

/// A built application: the server future, its handle, the bound port and the state.
pub struct Application {
    pub server: Server,
    pub handle: ServerHandle,
    pub port: u16,
    pub state: AppState,
}

/// The configured blob store: S3 where `blob_url` is set, else the directory `blob_dir`.
pub fn open_blob_store(settings: &Settings) -> Result<Arc<dyn BlobStore>, String> {
    if settings.blob_url.is_empty() {
        Ok(Arc::new(DirBlobStore::new(&settings.blob_dir)))
    } else {
        Ok(Arc::new(S3BlobStore::from_settings(settings)?))
    }
}

/// Open the database (applying migrations) from the settings.
pub fn open_store(settings: &Settings) -> Result<DieselStore, StoreError> {
    open_store_migrated(settings).map(|(store, _)| store)
}

/// Open the database and apply pending migrations; also returns the names applied.
pub fn open_store_migrated(settings: &Settings) -> Result<(DieselStore, Vec<String>), StoreError> {
    let store = DieselStore::open_with(
        settings.database_url.expose(),
        &crate::storage::diesel::PoolOptions::from_settings(settings),
    )?;
    let applied = store.run_migrations()?;
    if !applied.is_empty() {
        tracing::info!(migrations = ?applied, "applied database migrations");
    }
    Ok((store, applied))
}

/// `http://` and the address a listener is bound to; an unspecified address (`0.0.0.0`,
/// `[::]`) becomes the loopback one, which at least works on the machine itself.
fn bound_url(listener: &TcpListener) -> String {
    match listener.local_addr() {
        Ok(mut addr) => {
            if addr.ip().is_unspecified() {
                addr.set_ip(match addr {
                    std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                    std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
                });
            }
            format!("http://{addr}")
        }
        Err(_) => "http://127.0.0.1:8080".into(),
    }
}

impl Application {
    /// Start the outbox dispatcher: every `outbox_interval_s`, send due notifications on the
    /// blocking pool. `serve` starts it; tests drive `dispatch_due` themselves.
    pub fn start_dispatcher(&self) -> Result<(), String> {
        let settings = &self.state.settings;
        let mailer: Arc<dyn Mailer> = Arc::new(Courier::new(
            mailer_from_settings(settings)?,
            settings.webhook_secret.expose(),
        ));
        let state = self.state.clone();
        actix_web::rt::spawn(async move {
            let period = std::time::Duration::from_secs(state.settings.outbox_interval_s.max(1));
            let mut tick = actix_web::rt::time::interval(period);
            loop {
                tick.tick().await;
                let (st, m) = (state.clone(), mailer.clone());
                match web::block(move || dispatch_due(&*st.store, &*m, st.clock.now())).await {
                    Ok(Ok(r)) if r.sent + r.failed > 0 => {
                        tracing::info!(sent = r.sent, failed = r.failed, "outbox dispatched")
                    }
                    Ok(Err(e)) => tracing::error!(error = %e, "outbox dispatch failed"),
                    _ => {}
                }
            }
        });
        Ok(())
    }

    /// Start the vigilance deadline check: every ten minutes, queue the due-soon and overdue
    /// warnings into the outbox (each once, by dedup key); the dispatcher sends them. `serve`
    /// starts it; tests call `queue_deadline_warnings` directly.
    pub fn start_deadline_warnings(&self) {
        let state = self.state.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(600));
            loop {
                tick.tick().await;
                let st = state.clone();
                let round = web::block(move || {
                    let policy = WarningPolicy {
                        days_before: st.settings.vigilance_warning_days,
                        recipients: WarningPolicy::recipients(&st.settings.vigilance_recipients),
                        webhook_url: &st.settings.alert_webhook_url,
                    };
                    queue_deadline_warnings(&*st.store, &st.vigilance, &policy, st.clock.now())
                });
                match round.await {
                    Ok(Ok(n)) if n > 0 => tracing::info!(queued = n, "deadline warnings queued"),
                    Ok(Err(e)) => tracing::error!(error = %e, "deadline check failed"),
                    _ => {}
                }
            }
        });
    }

    /// Start the audit checkpoints: with a key, every `audit_checkpoint_interval_s`, log the
    /// trail's signed checkpoint (field `audit.checkpoint`) and show it in the metrics.
    pub fn start_audit_checkpoints(&self) {
        let period = self.state.settings.audit_checkpoint_interval_s;
        if period == 0 || self.state.settings.audit_checkpoint_key.expose().is_empty() {
            tracing::info!("periodic audit checkpoints off (no key, or interval 0)");
            return;
        }
        let state = self.state.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(period));
            loop {
                tick.tick().await;
                let st = state.clone();
                let key = st.settings.audit_checkpoint_key.expose().to_string();
                let cp = web::block(move || current_checkpoint(&*st.store, &key, st.clock.now()));
                match cp.await {
                    Ok(Ok(Some(cp))) => log_checkpoint(&state, &cp),
                    Ok(Err(e)) => tracing::error!(error = %e, "audit checkpoint failed"),
                    _ => {}
                }
            }
        });
    }

    /// Start the held-review sweep: every five minutes, join held reviews whose event came in
    /// concurrently and drop those held longer than `held_review_ttl_hours` (counted in
    /// `vigil_ingest_held_reviews_expired_total`). Replicas may all run it: one statement
    /// drops each expired review once. `serve` starts it; tests call `sweep_round`.
    pub fn start_held_review_sweep(&self) {
        let state = self.state.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(300));
            loop {
                tick.tick().await;
                let st = state.clone();
                match web::block(move || crate::http::held_reviews::sweep_round(&st)).await {
                    Ok(Ok(s)) if !s.expired.is_empty() => {
                        let n: u64 = s.expired.values().sum();
                        tracing::info!(expired = n, "held reviews expired")
                    }
                    Ok(Err(e)) => tracing::error!(error = %e, "held review sweep failed"),
                    _ => {}
                }
            }
        });
    }

    /// Start the evaluator: every `evaluation_interval_s`, queue the daily evaluations that
    /// are due and run queued ones on the blocking pool (the database lease keeps replicas
    /// from evaluating at the same time). `serve` starts it; tests call the service directly.
    pub fn start_evaluator(&self) {
        let period = self.state.settings.evaluation_interval_s;
        if period == 0 {
            tracing::info!("evaluator disabled in this replica (evaluation_interval_s = 0)");
            return;
        }
        let state = self.state.clone();
        actix_web::rt::spawn(async move {
            let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(period));
            loop {
                tick.tick().await;
                let st = state.clone();
                let round = web::block(move || {
                    let env = st.evaluator_env();
                    let jobs = st.settings.run_jobs.then(|| st.runner_config());
                    evaluator_round(&env, jobs)
                });
                match round.await {
                    Ok(Ok(jobs)) if !jobs.is_empty() => {
                        state.metrics.observe_jobs(&jobs);
                        tracing::info!(jobs = jobs.len(), "evaluator round finished")
                    }
                    Ok(Err(e)) => tracing::error!(error = %e, "evaluator round failed"),
                    _ => {}
                }
            }
        });
    }

    /// Start the job runner threads (`job_runners` of them) unless `run_jobs = false`.
    /// The caller stops the pool after the server, which releases or finishes the jobs in hand.
    pub fn start_jobs(&self) -> Option<WorkerPool> {
        let settings = &self.state.settings;
        if !settings.run_jobs {
            tracing::info!("job runners disabled in this process (run_jobs = false)");
            return None;
        }
        start_runners(&self.state)
    }

    /// Build on the configured address with the real clock.
    pub fn build(settings: Settings) -> Result<Self, StartError> {
        let listener =
            TcpListener::bind(&settings.listen).map_err(|source| StartError::Listen {
                addr: settings.listen.clone(),
                source,
            })?;
        Self::build_with(settings, listener, Arc::new(SystemClock))
    }

    /// Build on a given listener and clock (tests pass port 0 and a fixed clock).
    pub fn build_with(
        settings: Settings,
        listener: TcpListener,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let store = open_store(&settings)?;
        let console = web::Data::new(crate::web::Console {
            sessions: Arc::new(store.clone()),
        });
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let mut settings = settings;
        if settings.public_url.is_empty() {
            settings.public_url = bound_url(&listener);
        }
        let ops: Arc<dyn OpsStore> = Arc::new(store.clone());
        let mut state = AppState::new(Arc::new(store), Arc::new(settings.clone()), clock);
        state.blobs = open_blob_store(&settings).map_err(StartError::Blobs)?;
        state.jobs = Arc::new(job_registry(&state));
        state.metrics.attach_ops(ops);
        let data = web::Data::new(state.clone());
        let max_body = settings.max_body_bytes;
        let tls = tls_cert(&settings)?;
        let (secure, origins) = (tls.is_some(), settings.cors_allowed_origins.clone());
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .app_data(console.clone())
                .wrap(from_fn(crate::http::text_guard::refuse_control_text))
                .wrap(from_fn(crate::http::roles::enforce))
                .wrap(from_fn(crate::http::deadline::bound_wait))
                .wrap(from_fn(observe))
                .wrap(security::headers(secure))
                .wrap(security::cors(&origins))
                .configure(|cfg| configure(cfg, max_body))
        })
        .shutdown_timeout(settings.shutdown_timeout_s)
        // `serve` handles SIGINT and SIGTERM itself, both as a graceful stop (actix would
        // treat SIGINT as a forced one).
        .disable_signals();
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        let addr = format!("{:?}", listener.local_addr().ok());
        let server = match &tls {
            Some(cert) => {
                reload_on_sighup(cert.clone());
                server.listen_rustls_0_23(listener, cert.server_config()?)
            }
            None => server.listen(listener),
        }
        .map_err(|source| StartError::Listen { addr, source })?
        .run();
        let handle = server.handle();
        Ok(Self {
            server,
            handle,
            port,
            state,
        })
    }
}

/// The HTTPS certificate when `tls_cert_path` and `tls_key_path` are set.
fn tls_cert(settings: &Settings) -> Result<Option<Arc<ReloadingCert>>, StartError> {
    if settings.tls_cert_path.is_empty() {
        return Ok(None);
    }
    let cert = ReloadingCert::open(&settings.tls_cert_path, &settings.tls_key_path)?;
    Ok(Some(Arc::new(cert)))
}

/// Re-read the certificate and key on every SIGHUP (certificate renewal without a restart).
fn reload_on_sighup(cert: Arc<ReloadingCert>) {
    #[cfg(unix)]
    actix_web::rt::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot watch SIGHUP: the TLS certificate will not reload");
            return;
        };
        while hup.recv().await.is_some() {
            match cert.reload() {
                Ok(()) => tracing::info!("TLS certificate reloaded"),
                Err(e) => {
                    tracing::error!(error = %e, "TLS reload failed; keeping the current certificate")
                }
            }
        }
    });
}

/// Write a checkpoint to the log (one JSON field an external monitor or log sink keeps) and
/// to the metrics.
pub fn log_checkpoint(state: &AppState, cp: &crate::domain::audit_checkpoint::Checkpoint) {
    match serde_json::to_string(cp) {
        Ok(json) => tracing::info!(audit.checkpoint = %json, "audit checkpoint"),
        Err(e) => tracing::error!(error = %e, "audit checkpoint not serialisable"),
    }
    state.metrics.observe_checkpoint(cp);
}
