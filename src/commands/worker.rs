//! `vigil worker`: run queued jobs only. Serves `/healthz`, `/readyz` and `/metrics` for the
//! orchestrator and Prometheus, nothing else. On SIGTERM/SIGINT the HTTP side stops, then the
//! runners release (or finish) the jobs in hand, so another process takes them over at once.

use std::sync::Arc;

use actix_web::{App, HttpServer, web};

use crate::app::{job_registry, open_store, start_runners};
use crate::config::Settings;
use crate::http::AppState;
use crate::service::SystemClock;
use crate::telemetry;

/// Arguments of `vigil worker`.
#[derive(Debug, Default, clap::Args)]
pub struct WorkerArgs {
    /// Address of the health and metrics endpoints (default: the configured `listen`).
    #[arg(long)]
    pub listen: Option<String>,
}

/// Run the worker; returns the exit code.
pub fn run(mut settings: Settings, args: &WorkerArgs) -> i32 {
    if let Some(listen) = &args.listen {
        settings.listen = listen.clone();
    }
    telemetry::init(&settings);
    let system = actix_web::rt::System::new();
    match system.block_on(serve_worker(settings)) {
        Ok(()) => {
            tracing::info!("vigil worker stopped");
            0
        }
        Err(e) => {
            tracing::error!(error = %e, "vigil worker failed");
            eprintln!("vigil worker failed: {e}");
            1
        }
    }
}

async fn serve_worker(settings: Settings) -> Result<(), String> {
    let store = open_store(&settings).map_err(|e| format!("database: {e}"))?;
    let clock = Arc::new(SystemClock);
    let mut state = AppState::new(Arc::new(store), Arc::new(settings.clone()), clock);
    state.jobs = Arc::new(job_registry(&state));
    let pool = start_runners(&state).ok_or("cannot start job runners")?;
    tracing::info!(listen = %settings.listen, kinds = ?state.jobs.kinds(), "vigil worker running jobs");
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .wrap(actix_web::middleware::from_fn(
                crate::http::deadline::bound_wait,
            ))
            .configure(crate::http::jobs::configure_worker)
    })
    .workers(1)
    .shutdown_timeout(settings.shutdown_timeout_s)
    .bind(&settings.listen)
    .map_err(|e| format!("cannot listen on {}: {e}", settings.listen))?
    .run();
    let served = server.await;
    // The server returns on SIGTERM/SIGINT; now hand back or finish the jobs in hand.
    let _ = web::block(move || pool.stop()).await;
    served.map_err(|e| e.to_string())
}
