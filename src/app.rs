//! The only place that wires concrete implementations together. The caller hands in the
//! listener (tests bind port 0) and gets a running server plus its handle for shutdown.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};

use crate::alerting::smtp::mailer_from_settings;
use crate::alerting::webhook::Courier;
use crate::config::Settings;
use crate::http::AppState;
use crate::http::routes::configure;
use crate::http::telemetry::observe;
use crate::service::evaluation::evaluator_round;
use crate::service::notify::{Mailer, dispatch_due};
use crate::service::{Clock, SystemClock};
use crate::storage::StoreError;
use crate::storage::diesel::DieselStore;

/// Why the application could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
}

/// A built application: the server future, its handle, the bound port and the state.
pub struct Application {
    pub server: Server,
    pub handle: ServerHandle,
    pub port: u16,
    pub state: AppState,
}

/// Open the database (applying migrations) from the settings.
pub fn open_store(settings: &Settings) -> Result<DieselStore, StoreError> {
    open_store_migrated(settings).map(|(store, _)| store)
}

/// Open the database and apply pending migrations; also returns the names applied.
pub fn open_store_migrated(settings: &Settings) -> Result<(DieselStore, Vec<String>), StoreError> {
    let store = DieselStore::open(
        settings.database_url.expose(),
        settings.pool_size,
        settings.sqlite_busy_timeout_ms,
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
                    evaluator_round(&env)
                });
                match round.await {
                    Ok(Ok(jobs)) if !jobs.is_empty() => {
                        tracing::info!(jobs = jobs.len(), "evaluator round finished")
                    }
                    Ok(Err(e)) => tracing::error!(error = %e, "evaluator round failed"),
                    _ => {}
                }
            }
        });
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
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let mut settings = settings;
        if settings.public_url.is_empty() {
            settings.public_url = bound_url(&listener);
        }
        let state = AppState::new(Arc::new(store), Arc::new(settings.clone()), clock);
        let data = web::Data::new(state.clone());
        let max_body = settings.max_body_bytes;
        let mut server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(from_fn(observe))
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
        let server = server
            .listen(listener)
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
