//! `vigil serve`: run the HTTP API until SIGTERM/SIGINT, then finish in-flight requests.

use crate::app::Application;
use crate::config::Settings;
use crate::telemetry;

/// Arguments of `vigil serve`.
#[derive(Debug, Default, clap::Args)]
pub struct ServeArgs {
    /// Override the configured listen address (host:port).
    #[arg(long)]
    pub listen: Option<String>,
    /// Start on a fresh SQLite file and feed it a demo fleet (six sites, sixty days with a
    /// Dice drop and a scanner upgrade), then evaluate: findings, alerts and e-mails appear
    /// within a minute.
    #[arg(long)]
    pub demo: bool,
}

/// Run the server; returns the exit code.
pub fn run(mut settings: Settings, args: &ServeArgs) -> i32 {
    if let Some(listen) = &args.listen {
        settings.listen = listen.clone();
    }
    if args.demo {
        settings = super::demo::demo_settings(settings);
    }
    let demo = args.demo;
    telemetry::init(&settings);
    let system = actix_web::rt::System::new();
    let result = system.block_on(async move {
        let app = Application::build(settings.clone())?;
        // Listen for signals before saying "serving", so an early Ctrl-C is graceful too.
        let signals = shutdown_signals();
        let bound = app.state.settings.public_url.clone();
        tracing::info!(listen = %settings.listen, public_url = %bound, database = ?app.state.store.kind(), "vigil serving");
        app.start_evaluator();
        let pool = app.start_jobs();
        app.start_deadline_warnings();
        app.start_audit_checkpoints();
        app.start_held_review_sweep();
        if demo {
            let listen = format!("127.0.0.1:{}", app.port);
            actix_web::rt::spawn(super::demo::run_demo(app.state.clone(), listen));
        }
        if let Err(e) = app.start_dispatcher() {
            tracing::error!(error = %e, "alert e-mail is not configured correctly; alerts stay queued");
        }
        actix_web::rt::spawn(stop_on_signal(signals, app.handle.clone(), settings.shutdown_timeout_s));
        let served = app.server.await;
        // SIGTERM/SIGINT stopped the server; release or finish the jobs in hand.
        if let Some(pool) = pool {
            let _ = actix_web::web::block(move || pool.stop()).await;
        }
        served.map_err(|source| crate::app::StartError::Listen { addr: settings.listen.clone(), source })
    });
    // The runtime and its background tasks end here, so "stopped" is the last thing logged.
    drop(system);
    match result {
        Ok(()) => {
            tracing::info!("vigil stopped");
            0
        }
        Err(e) => {
            tracing::error!(error = %e, "vigil could not start");
            eprintln!("error: vigil could not start: {e}");
            1
        }
    }
}

type Signals = Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>;

/// SIGTERM and SIGINT streams; `None` (logged) if the runtime cannot install them.
fn shutdown_signals() -> Signals {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(term), Ok(int)) => Some((term, int)),
        _ => {
            tracing::error!("cannot listen for SIGTERM/SIGINT; stop the process with SIGKILL");
            None
        }
    }
}

/// SIGTERM (service managers, Kubernetes) and SIGINT (Ctrl-C) both stop the server
/// gracefully: no new connections, in-flight requests get `shutdown_timeout_s` to finish.
async fn stop_on_signal(signals: Signals, handle: actix_web::dev::ServerHandle, timeout_s: u64) {
    let Some((mut term, mut int)) = signals else {
        return;
    };
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(
        signal = name,
        timeout_s,
        "stopping: finishing in-flight requests"
    );
    handle.stop(true).await;
}
