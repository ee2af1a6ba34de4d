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
        tracing::info!(listen = %settings.listen, database = ?app.state.store.kind(), "vigil serving");
        app.start_evaluator();
        let pool = app.start_jobs();
        app.start_deadline_warnings();
        if demo {
            actix_web::rt::spawn(super::demo::run_demo(app.state.clone(), settings.listen.clone()));
        }
        if let Err(e) = app.start_dispatcher() {
            tracing::error!(error = %e, "alert e-mail is not configured correctly; alerts stay queued");
        }
        let served = app.server.await;
        // SIGTERM/SIGINT stopped the server; release or finish the jobs in hand.
        if let Some(pool) = pool {
            let _ = actix_web::web::block(move || pool.stop()).await;
        }
        served.map_err(|source| crate::app::StartError::Listen { addr: settings.listen.clone(), source })
    });
    match result {
        Ok(()) => {
            tracing::info!("vigil stopped");
            0
        }
        Err(e) => {
            tracing::error!(error = %e, "vigil could not start");
            eprintln!("vigil could not start: {e}");
            1
        }
    }
}
