//! `vigil plan set|show|history|backtest`: the PMS plan of a model, versioned and audited, and
//! a proposed plan tried on stored history before it is adopted.

use chrono::{NaiveDate, Utc};
use clap::Subcommand;

use crate::app::open_store;
use crate::config::Settings;
use crate::service::plan_backtest::{BacktestError, BacktestReport, backtest_plan};
use crate::service::plans::{PlanServiceError, get_plan, set_plan};
use crate::storage::ModelStore;
use crate::storage::diesel::DieselStore;

#[derive(Debug, Subcommand)]
pub enum PlanCommand {
    /// Upload a new plan version from a TOML file (validated against the model's features).
    Set {
        /// Model name, e.g. liver-seg.
        model: String,
        /// The plan in TOML (examples: deploy/plans/minimal.toml, deploy/plans/reference.toml).
        file: std::path::PathBuf,
    },
    /// Print the plan in force, or a given version, exactly as uploaded.
    Show {
        /// Model name, e.g. liver-seg.
        model: String,
        /// Plan version number (1, 2, ...; `vigil plan history` lists them); default: the
        /// version in force.
        #[arg(long)]
        version: Option<i64>,
    },
    /// List every version with its author, time and SHA-256.
    History {
        /// Model name, e.g. liver-seg.
        model: String,
    },
    /// Run a proposed plan (TOML file, validated like `plan set`) over stored days, in memory:
    /// prints the alerts it would have raised beside those the plan in force raised. Writes
    /// no finding, alert or cursor; records the backtest (plan SHA-256, range) in the audit.
    Backtest {
        /// Model name, e.g. liver-seg.
        model: String,
        /// The proposed plan in TOML.
        file: std::path::PathBuf,
        /// First day of the range (YYYY-MM-DD).
        #[arg(long)]
        from: NaiveDate,
        /// Last day of the range, inclusive (YYYY-MM-DD); at most 366 days, before today.
        #[arg(long)]
        to: NaiveDate,
        /// Print the whole report (findings per day and stream included) as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn print_backtest(r: &BacktestReport, as_json: bool) {
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(r).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
        );
        return;
    }
    let c = &r.counts;
    println!(
        "backtest {} of {} (sha256 {}) over {}..{}: {} days, {} findings, {} signals",
        r.id, r.model, r.plan_sha256, r.from, r.to, c.days, c.findings, c.signals
    );
    for a in &r.would_alerts {
        let resolved = a
            .resolved_day
            .map_or("open".into(), |d| format!("resolved {d}"));
        println!(
            "would alert\t{}\t{}\t{}\t{}\t{:?}\t{resolved}",
            a.first_day, a.model_id, a.rule, a.stratum, a.severity
        );
    }
    for a in &r.in_force_alerts {
        println!(
            "in force\t{}\t{}\t{}\t{}\t{:?}\t{}",
            a.first_day, a.model_id, a.rule, a.stratum, a.severity, a.state
        );
    }
    println!(
        "would raise {} alerts, the plan in force raised {}; streams: {} both, {} only proposed, {} only in force",
        c.would_alerts,
        c.in_force_alerts,
        c.streams_both,
        c.streams_only_backtest,
        c.streams_only_in_force
    );
}

fn backtest(
    store: &DieselStore,
    model: &str,
    file: &std::path::Path,
    range: (NaiveDate, NaiveDate),
    as_json: bool,
) -> i32 {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", file.display());
            return 2;
        }
    };
    let actor = super::admin::actor();
    match backtest_plan(store, &actor, (model, &text), range, Utc::now()) {
        Ok(r) => {
            print_backtest(&r, as_json);
            0
        }
        Err(BacktestError::Plan(e)) => plan_exit(e),
        Err(BacktestError::Store(e)) => {
            eprintln!("error: {e}");
            1
        }
        Err(e @ (BacktestError::InvalidRange(_) | BacktestError::RangeTooLong(_))) => {
            eprintln!("error: {e}");
            2
        }
        Err(e @ BacktestError::Design(_)) => {
            eprintln!("error: {e} (fix [sequential] in the plan)");
            2
        }
    }
}

pub fn run(settings: &Settings, cmd: PlanCommand) -> i32 {
    let store = match open_store(settings) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    let actor = super::admin::actor();
    let result =
        match cmd {
            PlanCommand::Set { model, file } => match std::fs::read_to_string(&file) {
                Ok(text) => set_plan(&store, &actor, &model, &text, Utc::now()).map(|p| {
                    println!(
                        "plan version {} of {} stored (sha256 {})",
                        p.version, p.model, p.body_sha256
                    )
                }),
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", file.display());
                    return 2;
                }
            },
            PlanCommand::Show { model, version } => {
                get_plan(&store, &model, version).map(|p| print!("{}", p.body))
            }
            PlanCommand::Backtest {
                model,
                file,
                from,
                to,
                json,
            } => return backtest(&store, &model, &file, (from, to), json),
            PlanCommand::History { model } => store
                .plans(&model)
                .map_err(PlanServiceError::from)
                .map(|plans| {
                    for p in plans {
                        println!(
                            "{}\t{}\t{}\t{}",
                            p.version,
                            p.created_at.to_rfc3339(),
                            p.created_by,
                            p.body_sha256
                        );
                    }
                }),
        };
    match result {
        Ok(()) => 0,
        Err(e) => plan_exit(e),
    }
}

/// Print a plan error; its exit code.
fn plan_exit(e: PlanServiceError) -> i32 {
    match e {
        PlanServiceError::Store(e) => {
            eprintln!("error: {e}");
            1
        }
        // Not found is a runtime failure (1), like a missing site; bad plans are usage (2).
        e @ (PlanServiceError::UnknownModel(_) | PlanServiceError::NoSuchVersion(_)) => {
            eprintln!(
                "error: {e} (`vigil model list` shows the models, `vigil plan history` the versions)"
            );
            1
        }
        e => {
            eprintln!("error: {e}");
            2
        }
    }
}
