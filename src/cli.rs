//! The `vigil` command tree. Each subcommand's arguments live beside its implementation in
//! `commands/`, so this file only names the commands and explains them for `--help`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands;

/// Vigil: post-market surveillance for AI medical imaging devices (EU MDR).
///
/// With no subcommand, `vigil` runs `serve`.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about, long_about)]
pub struct Cli {
    /// TOML configuration file (see `vigil print-config`). Environment variables VIGIL_*
    /// and DATABASE_URL override it.
    #[arg(long, global = true, env = "VIGIL_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Who runs a command that changes data, as recorded in the audit trail
    /// (`cli:<NAME>`); default the OS user ($USER or $LOGNAME). Required where neither is set.
    #[arg(long, global = true, value_name = "NAME")]
    pub actor: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (the default command). Applies pending migrations first.
    Serve(commands::serve::ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage hospital sites and their API keys (keys are shown once).
    #[command(subcommand)]
    Site(commands::admin::SiteCommand),
    /// Manage users and their tokens (roles: admin, regulatory, quality, ml).
    #[command(subcommand)]
    User(commands::admin::UserCommand),
    /// Register model versions with their declared feature schema.
    #[command(subcommand)]
    Model(commands::admin::ModelCommand),
    /// Manage the PMS plan of a model: upload a new version, show one, list the history.
    #[command(subcommand)]
    Plan(commands::plan::PlanCommand),
    /// Frozen baselines of model versions: upload a reference sample, freeze the first days
    /// or events after go-live, show the one in force.
    #[command(subcommand)]
    Baseline(commands::monitor::BaselineCommand),
    /// Run an evaluation of a model's PMS plan now, in this process, and print its summary.
    Evaluate(commands::monitor::EvaluateArgs),
    /// Run queued jobs only (evaluations, shadow runs, reports); serves /healthz, /readyz and
    /// /metrics. Pair with `run_jobs = false` on `serve` to keep long work off the API.
    Worker(commands::worker::WorkerArgs),
    /// The job queue: list jobs, show one, cancel one.
    #[command(subcommand)]
    Jobs(commands::jobs::JobsCommand),
    /// The daily rollups behind counts, exposure and reports: rebuild them from raw rows.
    #[command(subcommand)]
    Rollups(commands::rollups::RollupsCommand),
    /// Alert e-mail: check the transport with a test message.
    #[command(subcommand)]
    Alert(commands::alert::AlertCommand),
    /// The device register: devices by Basic UDI-DI and the model versions they ran.
    #[command(subcommand)]
    Device(commands::vigilance::DeviceCommand),
    /// Serious incidents: open, list, show, classify, and add report stages as MIR XML.
    #[command(subcommand)]
    Incident(commands::vigilance::IncidentCommand),
    /// MDR documents: generate a PSUR or PMS report for a device and data period, with a
    /// progress bar; writes the PDF and its JSON and stores both (audited).
    #[command(subcommand)]
    Report(commands::report::ReportCommand),
    /// Inspect and verify the hash-chained audit trail.
    #[command(subcommand)]
    Audit(commands::admin::AuditCommand),
    /// Print the commented example configuration (all defaults) to stdout.
    PrintConfig,
    /// Load and validate the configuration, print it with secrets redacted, and exit.
    CheckConfig,
    /// Run one statistical computation: a JSON request on stdin, a JSON result on stdout.
    /// Requests name scipy's function and keyword arguments; results use scipy's field names.
    Stats(commands::stats::StatsArgs),
    /// Run the built-in verification suite against the reference vectors and print a
    /// validation record (case, expected, obtained, tolerance, verdict, tool version).
    Validate(commands::validate::ValidateArgs),
    /// Compute Dice, IoU, HD, HD95, MASD, ASSD and NSD between two NIfTI label volumes.
    SegMetrics(commands::seg_metrics::SegMetricsArgs),
    /// Post a simulated fleet's traffic (sites, scanners, protocols, reviews, injected
    /// changes from a scenario) to a running Vigil through its HTTP API, with a progress bar.
    Simulate(commands::simulate::SimulateArgs),
    /// Shadow evaluation on local files: check a model against its spec, or evaluate a
    /// candidate against a baseline on cases and write the dossier.
    Shadow(commands::shadow::ShadowArgs),
    /// The reviewed-case archive for shadow evaluation: add, list, erase (audited).
    #[command(subcommand)]
    Archive(commands::archive::ArchiveCommand),
}
