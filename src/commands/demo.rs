//! `vigil serve --demo`: the service on a fresh SQLite file with a demo fleet feeding it.
//! It creates one user per role (admin, quality, ml), then runs the demo scenario against itself through the real
//! API (demo model and plan, six sites, a frozen baseline, sixty days of traffic with a Dice
//! drop and a scanner upgrade), runs the evaluation, and says where to look: findings and
//! alerts in the API, e-mails at the SMTP server or, without one, as files in `mail_dir`.

use chrono::{Duration, Utc};

use crate::commands::simulate::{SimulateArgs, simulate};
use crate::config::Settings;
use crate::domain::Role;
use crate::http::AppState;
use crate::service::admin::{Actor, add_user};
use crate::service::evaluation::{request_evaluation, run_queued};

/// The demo scenario (also shipped as `deploy/scenarios/demo.toml`).
pub const DEMO_SCENARIO: &str = include_str!("../../deploy/scenarios/demo.toml");

/// Point the settings at a fresh data directory `./data/demo-<time>/` holding the SQLite file
/// and the mail folder: the demo writes nowhere else.
pub fn demo_settings(mut settings: Settings) -> Settings {
    let stamp = Utc::now().format("%Y%m%d-%H%M%S");
    let dir = format!("./data/demo-{stamp}");
    settings.database_url = crate::config::Secret::new(format!("sqlite://{dir}/vigil.db"));
    settings.mail_dir = format!("{dir}/mail");
    settings
}

/// The demo's own data directory: the folder of its SQLite file.
fn demo_dir(settings: &Settings) -> std::path::PathBuf {
    let url = settings.database_url.expose();
    let path = std::path::Path::new(url.trim_start_matches("sqlite://"));
    match path.parent() {
        Some(dir) if url.starts_with("sqlite://") && !dir.as_os_str().is_empty() => dir.into(),
        _ => std::path::PathBuf::from(&settings.mail_dir),
    }
}

/// One demo user per role: the admin creates sites, the quality user uploads the plan, the ml
/// user registers the model and the baseline (segregation of duties).
fn demo_users(state: &AppState) -> Result<[String; 3], String> {
    let actor = Actor("vigil:demo".into());
    let mut tokens = Vec::new();
    for (name, role) in [
        ("demo-admin", Role::Admin),
        ("demo-quality", Role::Quality),
        ("demo-ml", Role::Ml),
    ] {
        let (_, token) = add_user(&*state.store, &actor, name, role, state.clock.now())
            .map_err(|e| format!("cannot create the demo user {name}: {e}"))?;
        tokens.push(token);
    }
    tokens
        .try_into()
        .map_err(|_| "three demo users expected".to_string())
}

/// Create the demo users, feed the demo fleet, evaluate; logs and prints what happened.
pub async fn run_demo(state: AppState, listen: String) {
    let st = state.clone();
    let tokens = actix_web::web::block(move || demo_users(&st)).await;
    let [token, quality, ml] = match tokens {
        Ok(Ok(tokens)) => tokens,
        other => {
            tracing::error!(result = ?other.err(), "demo: cannot create the demo users");
            return;
        }
    };
    println!("demo: admin token {token}");
    println!("demo: quality token {quality}");
    println!("demo: ml token {ml}");
    let scenario = demo_dir(&state.settings).join("demo-scenario.toml");
    if let Err(e) = std::fs::write(&scenario, DEMO_SCENARIO) {
        tracing::error!(error = %e, "demo: cannot write the scenario");
        return;
    }
    let days = 60;
    let args = SimulateArgs {
        sites: 6,
        days,
        seed: 7,
        scenario: Some(scenario.clone()),
        target: Some(format!("http://{listen}")),
        token: Some(token.clone()),
        quality_token: Some(quality.clone()),
        ml_token: Some(ml),
        start: Some(Utc::now().date_naive() - Duration::days(i64::from(days) + 1)),
        batch: 500,
        concurrency: 4,
        no_baseline: false,
        reference_cases: 2000,
        plan: None,
        allow_existing_model: false,
        replay: Default::default(),
    };
    println!("demo: feeding 6 sites x {days} days through the API ...");
    let fed = simulate(&args, false).await;
    let _ = std::fs::remove_file(&scenario);
    match fed {
        Ok(s) => println!(
            "demo: {} events and {} reviews stored",
            s.traffic.events.accepted, s.traffic.reviews.accepted
        ),
        Err(e) => {
            println!("demo: the simulator stopped: {e}");
            return;
        }
    }
    let st = state.clone();
    let done = actix_web::web::block(move || {
        let actor = Actor("vigil:demo".into());
        request_evaluation(
            &*st.store,
            &actor,
            "liver-seg",
            None,
            "request",
            st.clock.now(),
        )
        .map_err(|e| e.to_string())?;
        let env = st.evaluator_env();
        run_queued(&env).map_err(|e| e.to_string())
    })
    .await;
    match done {
        Ok(Ok(jobs)) => {
            for j in jobs {
                println!(
                    "demo: evaluation {} {}: {}",
                    j.id,
                    j.status,
                    j.summary.map(|s| s.to_string()).unwrap_or_default()
                );
            }
        }
        other => println!("demo: evaluation failed: {:?}", other.map(|r| r.err())),
    }
    let mail = if state.settings.smtp_host.is_empty() {
        format!("as .eml files in {}", state.settings.mail_dir)
    } else {
        format!(
            "at {}:{}",
            state.settings.smtp_host, state.settings.smtp_port
        )
    };
    println!(
        "demo: ready. Alerts: curl -H 'Authorization: Bearer {quality}' http://{listen}/api/v1/alerts\n\
         demo: findings: http://{listen}/api/v1/findings?status=signal ; e-mails arrive {mail} within {} s",
        state.settings.outbox_interval_s
    );
}
