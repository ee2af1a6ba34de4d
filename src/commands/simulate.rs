//! `vigil simulate`: post a simulated fleet's traffic to a running Vigil through its real HTTP
//! API. Each role does its own part (segregation of duties): the ml token registers the demo
//! model `liver-seg` 1.0.0 and uploads the frozen baseline, the admin token creates the sites
//! `sim-site-01`... (rotating the key of a site that exists), the quality token uploads the
//! PMS plan; then it posts each day's events and reviews with each site's own key. The
//! traffic comes from `crate::simulator` (pure, deterministic); running twice stores nothing
//! twice, because ingest is idempotent by item id.

pub mod api;
pub mod evaluate;
pub mod setup;
pub mod traffic;

use std::io::IsTerminal;
use std::path::PathBuf;

use chrono::{Duration, NaiveDate, Utc};
use indicatif::{ProgressBar, ProgressStyle};

use crate::simulator::demo::DEFAULT_PLAN;
use crate::simulator::{Fleet, Scenario, ScenarioError};
pub use api::{Answer, Api};
pub use setup::{BaselineStep, SetupReport};
pub use traffic::{PostOptions, Tally, TrafficTally, post_fleet, post_site_day};

/// Arguments of `vigil simulate`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// Number of simulated sites (sim-site-01 ...).
    #[arg(long, default_value_t = 20)]
    pub sites: u32,
    /// Number of simulated days.
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// Seed of every random draw: the same seed gives the same traffic.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Scenario TOML (traffic and injected changes); default: the built-in scenario
    /// (deploy/scenarios/default.toml) without the changes that fall outside the fleet.
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
    /// Base URL of the Vigil to feed, e.g. http://127.0.0.1:8080.
    #[arg(long, value_name = "URL", required_unless_present = "evaluate")]
    pub target: Option<String>,
    /// Admin user token (vut_...): creates the sites and their keys.
    #[arg(
        long,
        env = "VIGIL_TOKEN",
        hide_env_values = true,
        required_unless_present = "evaluate"
    )]
    pub token: Option<String>,
    /// Quality user token: uploads the PMS plan (admin does not act on plans).
    #[arg(long, env = "VIGIL_QUALITY_TOKEN", hide_env_values = true)]
    pub quality_token: Option<String>,
    /// ML user token: registers the model version and uploads the baseline.
    #[arg(long, env = "VIGIL_ML_TOKEN", hide_env_values = true)]
    pub ml_token: Option<String>,
    /// First simulated day (UTC); default: days + 1 days ago, so no event or review time
    /// lies in the future. Repeat a run with the same start to re-send identical items.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub start: Option<NaiveDate>,
    /// Items per request.
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    /// Site-days posted at the same time.
    #[arg(long, default_value_t = 4)]
    pub concurrency: usize,
    /// Do not upload the frozen baseline (reference sample).
    #[arg(long)]
    pub no_baseline: bool,
    /// Cases in the reference sample uploaded as the frozen baseline.
    #[arg(long, default_value_t = 2000)]
    pub reference_cases: usize,
    /// PMS plan TOML to upload; default: the demo plan.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Allow changing a model `liver-seg` the target already has: add version 1.0.0 to it and
    /// replace its plan in force. Without this flag the simulator refuses and names the model.
    #[arg(long)]
    pub allow_existing_model: bool,
    #[command(flatten)]
    pub replay: evaluate::ReplayOptions,
}

/// Why a simulation stopped.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// Bad arguments or files (exit code 2).
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// The target lacks a route the simulator needs.
    #[error("{0}")]
    Unsupported(String),
    /// The target refused a request.
    #[error("{what} was refused: HTTP {status} {code}: {message}")]
    Refused {
        what: String,
        status: u16,
        code: String,
        message: String,
    },
    /// Items with these ids are stored with other content.
    #[error(
        "{0}\n(the target holds items with these ids but other content: an earlier run with \
         this seed and another --start or scenario; use that start, another --seed, or a \
         fresh database)"
    )]
    Conflict(String),
    /// The target could not be reached, even after retries.
    #[error("{0}")]
    Transport(String),
}

impl SimError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            SimError::Usage(_) | SimError::Scenario(_) => 2,
            _ => 1,
        }
    }
}

/// What a simulation did.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub start: NaiveDate,
    pub sites: u32,
    pub days: u32,
    pub seed: u64,
    pub changes: usize,
    pub setup: SetupReport,
    pub traffic: TrafficTally,
}

pub(crate) fn read(path: &PathBuf, what: &str) -> Result<String, SimError> {
    std::fs::read_to_string(path)
        .map_err(|e| SimError::Usage(format!("cannot read {what} {}: {e}", path.display())))
}

/// The fleet the arguments describe.
pub fn fleet_of(args: &SimulateArgs) -> Result<Fleet, SimError> {
    if args.sites == 0 || args.sites > 999 || args.days == 0 || args.days > 3650 {
        return Err(SimError::Usage(
            "need 1 <= --sites <= 999 and 1 <= --days <= 3650".into(),
        ));
    }
    let scenario = match &args.scenario {
        Some(path) => Scenario::parse(&read(path, "scenario")?)?,
        None => {
            let (s, dropped) = Scenario::builtin_for(args.sites, args.days);
            if dropped > 0 {
                eprintln!(
                    "note: {dropped} of the built-in scenario's changes fall outside {} sites x {} days and are left out",
                    args.sites, args.days
                );
            }
            s
        }
    };
    let start = args
        .start
        .unwrap_or_else(|| Utc::now().date_naive() - Duration::days(i64::from(args.days) + 1));
    Ok(Fleet::new(
        args.seed, args.sites, args.days, start, scenario,
    )?)
}

/// A progress bar on stderr counting `len` of `unit` (e.g. "site-days", "days"), or a
/// hidden one when not `visible`.
pub(crate) fn progress_bar(len: u64, unit: &str, visible: bool) -> ProgressBar {
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let template = format!("{{elapsed_precise}} [{{bar:24}}] {{pos}}/{{len}} {unit}  {{msg}}");
    let style = ProgressStyle::with_template(&template).map(|s| s.progress_chars("=> "));
    if let Ok(style) = style {
        bar.set_style(style);
    }
    bar
}

/// Run a simulation against `args.target`; `progress` shows a bar on stderr (when it is a
/// terminal). The library entry point behind `vigil simulate`.
pub async fn simulate(args: &SimulateArgs, progress: bool) -> Result<Summary, SimError> {
    if !(1..=10_000).contains(&args.batch) || args.concurrency == 0 {
        return Err(SimError::Usage(
            "need 1 <= --batch <= 10000 and --concurrency >= 1".into(),
        ));
    }
    let fleet = fleet_of(args)?;
    let plan = match &args.plan {
        Some(path) => read(path, "plan")?,
        None => DEFAULT_PLAN.to_string(),
    };
    let (Some(target), Some(token)) = (args.target.as_deref(), args.token.as_deref()) else {
        return Err(SimError::Usage("--target and --token are needed".into()));
    };
    let api = Api::new(target)?;
    api.probe().await?;
    let (Some(quality), Some(ml)) = (args.quality_token.as_deref(), args.ml_token.as_deref())
    else {
        return Err(SimError::Usage(
            "--quality-token (uploads the plan) and --ml-token (registers the model and its \
             baseline) are needed beside the admin --token: admin does not act on plans, models \
             or baselines"
                .into(),
        ));
    };
    setup::refuse_existing_model(&api, ml, &plan, args.allow_existing_model).await?;
    let mut report = SetupReport {
        model_registered: setup::register_model(&api, ml).await?,
        ..SetupReport::default()
    };
    let mut keys = Vec::new();
    for site in fleet.sites() {
        let (key, created) = setup::site_key(&api, token, site).await?;
        if created {
            report.sites_created += 1;
        } else {
            report.sites_rotated += 1;
        }
        keys.push(key);
    }
    (report.plan_version, report.plan_uploaded) = setup::upload_plan(&api, quality, &plan).await?;
    if !args.no_baseline {
        report.baseline = setup::upload_baseline(&api, ml, args.reference_cases, args.seed).await?;
    }
    let bar = progress_bar(
        u64::from(args.sites) * u64::from(args.days),
        "site-days",
        progress && std::io::stderr().is_terminal(),
    );
    let opts = PostOptions {
        batch: args.batch,
        concurrency: args.concurrency,
    };
    let traffic = post_fleet(&api, &fleet, &keys, opts, &bar).await;
    bar.finish_and_clear();
    Ok(Summary {
        start: fleet.date(0),
        sites: args.sites,
        days: args.days,
        seed: args.seed,
        changes: fleet.scenario().changes.len(),
        setup: report,
        traffic: traffic?,
    })
}

/// The summary as printed on stdout.
pub fn render(s: &Summary) -> String {
    let baseline = match s.setup.baseline {
        BaselineStep::Skipped => "not uploaded (--no-baseline)",
        BaselineStep::Uploaded => "uploaded",
        BaselineStep::AlreadyFrozen => "already frozen (kept)",
    };
    let line = |what: &str, t: &Tally| {
        format!(
            "{what}: {} sent, {} accepted, {} duplicates\n",
            t.sent, t.accepted, t.duplicates
        )
    };
    format!(
        "simulated {} sites x {} days from {} (seed {}, {} injected changes)\n\
         model liver-seg 1.0.0: {}\n\
         sites: {} created, {} existing with a new key\n\
         plan: version {} {}\n\
         baseline: {baseline}\n{}{}",
        s.sites,
        s.days,
        s.start,
        s.seed,
        s.changes,
        if s.setup.model_registered {
            "registered"
        } else {
            "already registered"
        },
        s.setup.sites_created,
        s.setup.sites_rotated,
        s.setup.plan_version,
        if s.setup.plan_uploaded {
            "uploaded"
        } else {
            "unchanged"
        },
        line("events", &s.traffic.events),
        line("reviews", &s.traffic.reviews),
    )
}

/// `vigil simulate`: returns the exit code.
pub fn run(args: &SimulateArgs) -> i32 {
    if args.replay.evaluate {
        return evaluate::run(args);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    match runtime.block_on(simulate(args, true)) {
        Ok(summary) => {
            print!("{}", render(&summary));
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
