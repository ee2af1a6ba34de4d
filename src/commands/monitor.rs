//! `vigil baseline set|freeze|show` and `vigil evaluate`: freeze a model version's baseline,
//! and run an evaluation in this process (the same job the server's evaluator runs).

use chrono::{NaiveDate, Utc};
use clap::Subcommand;

use crate::app::{open_blob_store, open_store};
use crate::config::Settings;
use crate::service::SystemClock;
use crate::service::baselines::{
    FreezeSpec, UploadFormat, baseline_in_force, freeze_baseline, upload_baseline,
};
use crate::service::evaluation::{
    EvaluationError, EvaluatorEnv, process_runner_id, request_evaluation, run_queued,
};
use crate::storage::diesel::DieselStore;

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Freeze a reference sample (CSV with a header row, or JSON {"columns": {...}}) as the
    /// baseline of a model version.
    Set {
        /// Model name, e.g. liver-seg.
        model: String,
        /// Model version, e.g. 2.3.0.
        version: String,
        /// `.csv` or `.json`.
        file: std::path::PathBuf,
    },
    /// Freeze the first days or events after go-live as the baseline.
    Freeze {
        /// Model name, e.g. liver-seg.
        model: String,
        /// Model version, e.g. 2.3.0.
        version: String,
        /// Freeze the first N whole UTC days with events of this version.
        #[arg(
            long,
            conflicts_with = "first_events",
            required_unless_present = "first_events"
        )]
        first_days: Option<u32>,
        /// Freeze the version's first N events.
        #[arg(long)]
        first_events: Option<u32>,
    },
    /// Show the baseline in force: source, rows, columns, quality references, strata.
    Show {
        /// Model name, e.g. liver-seg.
        model: String,
        /// Model version, e.g. 2.3.0.
        version: String,
    },
}

/// Arguments of `vigil evaluate`.
#[derive(Debug, clap::Args)]
pub struct EvaluateArgs {
    /// Model name.
    pub model: String,
    /// Evaluate the whole UTC days before this one, as YYYY-MM-DD (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub as_of: Option<NaiveDate>,
}

fn open(settings: &Settings) -> Result<DieselStore, i32> {
    open_store(settings).map_err(|e| {
        eprintln!("error: {e}");
        1
    })
}

pub fn baseline(settings: &Settings, cmd: BaselineCommand) -> i32 {
    let store = match open(settings) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let actor = super::admin::actor();
    let result = match cmd {
        BaselineCommand::Set {
            model,
            version,
            file,
        } => {
            let text = match std::fs::read_to_string(&file) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", file.display());
                    return 2;
                }
            };
            let format = if file.extension().is_some_and(|e| e == "json") {
                UploadFormat::Json
            } else {
                UploadFormat::Csv
            };
            upload_baseline(
                &store,
                &actor,
                (&model, &version),
                &text,
                format,
                Utc::now(),
            )
        }
        BaselineCommand::Freeze {
            model,
            version,
            first_days,
            first_events,
        } => {
            let spec = match (first_days, first_events) {
                (Some(d), _) => FreezeSpec::FirstDays(d),
                (None, Some(n)) => FreezeSpec::FirstEvents(n),
                (None, None) => return 2,
            };
            freeze_baseline(&store, &actor, (&model, &version), spec, Utc::now())
        }
        BaselineCommand::Show { model, version } => {
            return show(&store, &format!("{model}@{version}"));
        }
    };
    match result {
        Ok(b) => {
            println!(
                "baseline {} of {} stored: {} ({} rows, sha256 {})",
                b.id, b.model_id, b.source, b.rows, b.body_sha256
            );
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

fn show(store: &DieselStore, model_id: &str) -> i32 {
    match baseline_in_force(store, model_id) {
        Ok(Some((stored, b))) => {
            println!("baseline {} of {model_id}", stored.id);
            println!(
                "source {}, {} rows, frozen {} by {}",
                stored.source,
                stored.rows,
                stored.created_at.to_rfc3339(),
                stored.created_by
            );
            let columns = b.column_names();
            println!("columns: {}", columns.join(", "));
            for (label, q) in &b.pooled.quality {
                println!(
                    "dice.{label}: mean {:.4}, sd {:.4}, n {}",
                    q.mean, q.sd, q.n
                );
            }
            println!("strata with their own reference: {}", b.by_stratum.len());
            if let Some(d) = b.monitor_from {
                println!("monitoring from {d}");
            }
            0
        }
        Ok(None) => {
            eprintln!(
                "error: no baseline for {model_id}; freeze one with `vigil baseline set` or `vigil baseline freeze`"
            );
            1
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// Exit 1 with a clear message when no version of `model` is registered (a not-found, which
/// would otherwise surface as "has no PMS plan").
fn refuse_unknown_model(store: &DieselStore, model: &str) -> Option<i32> {
    use crate::storage::ModelStore;
    match store.list_models() {
        Ok(models) if models.iter().any(|m| m.name == model) => None,
        Ok(models) => {
            let mut names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
            names.dedup();
            eprintln!(
                "error: unknown model {model:?}: no version of it is registered (registered: {}); \
                 `vigil model add` registers one",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            );
            Some(1)
        }
        Err(e) => {
            eprintln!("error: {e}");
            Some(1)
        }
    }
}

pub fn evaluate(settings: &Settings, args: &EvaluateArgs) -> i32 {
    let store = match open(settings) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let actor = super::admin::actor();
    if let Some(code) = refuse_unknown_model(&store, &args.model) {
        return code;
    }
    if let Err(e) = request_evaluation(
        &store,
        &actor,
        &args.model,
        args.as_of,
        "request",
        Utc::now(),
    ) {
        return match e {
            EvaluationError::NoPlan(_) => {
                eprintln!(
                    "error: {e} with `vigil plan set {} FILE` (examples in deploy/plans/)",
                    args.model
                );
                1
            }
            EvaluationError::FutureDay(_) => {
                eprintln!("error: --as-of {e}");
                2
            }
            EvaluationError::Store(_) => {
                eprintln!("error: {e}");
                1
            }
        };
    }
    let blobs = match open_blob_store(settings) {
        Ok(blobs) => blobs,
        Err(e) => {
            eprintln!("error: blob store: {e}; check blob_url and the S3 settings");
            return 1;
        }
    };
    let clock = SystemClock;
    let public_url = settings.public_url_or_listen();
    let env = EvaluatorEnv {
        store: &store,
        clock: &clock,
        runner: process_runner_id(),
        public_url: &public_url,
        webhook_url: &settings.alert_webhook_url,
        blobs: &*blobs,
    };
    match run_queued(&env) {
        Ok(jobs) if jobs.is_empty() => {
            eprintln!(
                "error: another evaluator holds the lease; the job stays queued and runs when it is free (GET /api/v1/evaluations)"
            );
            1
        }
        Ok(jobs) => {
            let mut code = 0;
            for j in jobs {
                println!("evaluation {} of {}: {}", j.id, j.model, j.status);
                if let Some(s) = j.summary {
                    println!("{s}");
                }
                if let Some(e) = j.error {
                    eprintln!("error: {e}");
                    code = 1;
                }
            }
            code
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}
