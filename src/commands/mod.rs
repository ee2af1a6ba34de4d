//! One file per subcommand (or group); each returns the process exit code:
//! 0 success, 1 a runtime failure, 2 a usage or configuration error.

pub mod admin;
pub mod alert;
pub mod archive;
pub mod audit_checkpoint;
pub mod demo;
pub mod jobs;
pub mod monitor;
pub mod plan;
pub mod report;
pub mod rollups;
pub mod seg_metrics;
pub mod serve;
pub mod shadow;
pub mod simulate;
pub mod stats;
pub mod validate;
pub mod vigilance;
pub mod worker;

use crate::cli::{Cli, Command};
use crate::config::Settings;

/// Run the chosen command and return the process exit code.
pub fn dispatch(cli: Cli) -> i32 {
    let command = cli
        .command
        .unwrap_or(Command::Serve(serve::ServeArgs::default()));
    match command {
        Command::Stats(args) => return stats::run(&args),
        Command::Validate(args) => return validate::run(&args),
        Command::SegMetrics(args) => return seg_metrics::run(&args),
        Command::Simulate(args) => return simulate::run(&args),
        Command::Shadow(args) if args.is_local() => return shadow::run(&args),
        Command::PrintConfig => {
            print!("{}", crate::config::EXAMPLE_CONFIG);
            return 0;
        }
        _ => {}
    }
    let writes = matches!(
        command,
        Command::Site(_)
            | Command::User(_)
            | Command::Model(_)
            | Command::Plan(_)
            | Command::Baseline(_)
            | Command::Evaluate(_)
            | Command::Report(_)
    );
    if writes && let Err(e) = admin::set_operator(cli.actor.as_deref()) {
        eprintln!("usage error: {e}");
        return 2;
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!(
                "error: configuration: {e} (`vigil print-config` shows every key with its default)"
            );
            return 2;
        }
    };
    match command {
        Command::CheckConfig => check_config(&settings),
        Command::Serve(args) => serve::run(settings, &args),
        Command::Migrate => admin::migrate(&settings),
        Command::Site(c) => admin::site(&settings, c),
        Command::User(c) => admin::user(&settings, c),
        Command::Model(c) => admin::model(&settings, c),
        Command::Audit(c) => admin::audit(&settings, c),
        Command::Plan(c) => plan::run(&settings, c),
        Command::Alert(c) => alert::run(&settings, c),
        Command::Baseline(c) => monitor::baseline(&settings, c),
        Command::Evaluate(args) => monitor::evaluate(&settings, &args),
        Command::Shadow(args) => shadow::run_with(&settings, &args),
        Command::Archive(c) => archive::run(&settings, c),
        Command::Worker(args) => worker::run(settings, &args),
        Command::Jobs(c) => jobs::run(&settings, c),
        Command::Rollups(c) => rollups::run(&settings, c),
        Command::Device(c) => vigilance::device(&settings, c),
        Command::Incident(c) => vigilance::incident(&settings, c),
        Command::Report(c) => report::run(&settings, c),
        Command::Stats(_)
        | Command::Validate(_)
        | Command::SegMetrics(_)
        | Command::Simulate(_)
        | Command::PrintConfig => 0,
    }
}

fn check_config(settings: &Settings) -> i32 {
    // Secrets are wrapped in `Secret`, which serialises as-is; redact them for display.
    let mut shown = settings.clone();
    for secret in [
        &mut shown.database_url,
        &mut shown.metrics_token,
        &mut shown.smtp_password,
        &mut shown.webhook_secret,
    ] {
        if !secret.is_empty() {
            *secret = crate::config::Secret::new(redact_url(secret.expose()));
        }
    }
    match toml::to_string(&shown) {
        Ok(text) => {
            println!("# configuration is valid\n{text}");
            0
        }
        Err(e) => {
            eprintln!("error: cannot print configuration: {e}");
            1
        }
    }
}

/// Keep the scheme and host of a URL, hide credentials; other secrets become `<redacted>`.
fn redact_url(value: &str) -> String {
    match value.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
            let userinfo = if rest.contains('@') {
                "<redacted>@"
            } else {
                ""
            };
            format!("{scheme}://{userinfo}{host}")
        }
        None => "<redacted>".into(),
    }
}
